//! Synthetic non-music: the sounds the open-set rule is measured on (and tested with). Each
//! is deterministic (a fixed seed), mono, at the rate asked for, peak ≤ 0.5.

use std::f32::consts::TAU;

/// A named synthetic sound.
#[derive(Debug, Clone)]
pub struct SynthSound {
    pub name: String,
    pub samples: Vec<f32>,
}

/// A small deterministic generator (xorshift64*), so the sounds are the same everywhere.
struct Noise(u64);

impl Noise {
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        // Uniform in [-1, 1).
        ((v >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }
}

fn scale_to_peak(mut x: Vec<f32>, peak: f32) -> Vec<f32> {
    let m = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if m > 0.0 {
        let g = peak / m;
        x.iter_mut().for_each(|v| *v *= g);
    }
    x
}

/// A steady sine tone.
pub fn sine(rate: u32, secs: f32, freq: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    (0..n)
        .map(|i| 0.5 * (TAU * freq * i as f32 / rate as f32).sin())
        .collect()
}

/// White noise.
pub fn white_noise(rate: u32, secs: f32, seed: u64) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let mut g = Noise(seed | 1);
    scale_to_peak((0..n).map(|_| g.next_f32()).collect(), 0.5)
}

/// Pink (1/f) noise: Paul Kellet's economy filter on white noise.
pub fn pink_noise(rate: u32, secs: f32, seed: u64) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let mut g = Noise(seed | 1);
    let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
    let x = (0..n)
        .map(|_| {
            let w = g.next_f32();
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            b2 = 0.57000 * b2 + w * 1.0526913;
            b0 + b1 + b2 + w * 0.1848
        })
        .collect();
    scale_to_peak(x, 0.5)
}

/// Brown (1/f²) noise: leaky integrated white noise (a rumble).
pub fn brown_noise(rate: u32, secs: f32, seed: u64) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let mut g = Noise(seed | 1);
    let mut y = 0.0f32;
    let x = (0..n)
        .map(|_| {
            y = 0.998 * y + 0.02 * g.next_f32();
            y
        })
        .collect();
    scale_to_peak(x, 0.5)
}

/// A click every `period_secs` (a 1 ms decaying impulse): a metronome or a ticking clock.
pub fn clicks(rate: u32, secs: f32, period_secs: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let period = ((rate as f32 * period_secs) as usize).max(1);
    let len = (rate as usize / 1000).max(1);
    (0..n)
        .map(|i| {
            let k = i % period;
            if k < len {
                0.5 * (-(k as f32) / (len as f32 / 4.0)).exp()
            } else {
                0.0
            }
        })
        .collect()
}

/// Digital silence.
pub fn silence(rate: u32, secs: f32) -> Vec<f32> {
    vec![0.0; (rate as f32 * secs) as usize]
}

/// Exponential sine sweeps from `f0` to `f1` Hz, one per `sweep_secs`, repeated.
pub fn chirp(rate: u32, secs: f32, f0: f32, f1: f32, sweep_secs: f32) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let k = (f1 / f0).ln() / sweep_secs;
    (0..n)
        .map(|i| {
            let t = (i as f32 / rate as f32) % sweep_secs;
            // Phase of f(t) = f0·e^{kt}: 2π·f0·(e^{kt} − 1)/k.
            0.5 * (TAU * f0 * ((k * t).exp() - 1.0) / k).sin()
        })
        .collect()
}

/// Bird-like chirps: short fast downward sweeps (4 → 2 kHz in 80 ms) in bursts, with pauses.
pub fn birdsong(rate: u32, secs: f32, seed: u64) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let mut g = Noise(seed | 1);
    let mut out = vec![0.0f32; n];
    let mut t = 0usize;
    while t < n {
        let syllables = 3 + ((g.next_f32() + 1.0) * 2.0) as usize;
        for _ in 0..syllables {
            let len = (rate as f32 * 0.08) as usize;
            let (f0, f1) = (3800.0 + 400.0 * g.next_f32(), 2000.0 + 300.0 * g.next_f32());
            let mut phase = 0.0f32;
            for j in 0..len {
                let i = t + j;
                if i >= n {
                    break;
                }
                let u = j as f32 / len as f32;
                let f = f0 + (f1 - f0) * u;
                phase += TAU * f / rate as f32;
                out[i] += 0.5 * (std::f32::consts::PI * u).sin() * phase.sin();
            }
            t += len + (rate as f32 * 0.04) as usize;
        }
        t += (rate as f32 * (0.5 + 0.4 * (g.next_f32() + 1.0))) as usize;
    }
    scale_to_peak(out, 0.5)
}

/// A "speech-like" signal: a glottal pulse train with a wandering pitch (100–160 Hz) through
/// three formant resonators whose frequencies jump between vowels, in 4 Hz syllables with
/// noise bursts (consonants) and pauses between phrases.
pub fn speech_like(rate: u32, secs: f32, seed: u64) -> Vec<f32> {
    const VOWELS: [[f32; 3]; 5] = [
        [730.0, 1090.0, 2440.0],
        [270.0, 2290.0, 3010.0],
        [530.0, 1840.0, 2480.0],
        [570.0, 840.0, 2410.0],
        [300.0, 870.0, 2240.0],
    ];
    let n = (rate as f32 * secs) as usize;
    let fs = rate as f32;
    let mut g = Noise(seed | 1);
    let syllable = (fs * 0.25) as usize;
    let mut out = Vec::with_capacity(n);
    // Resonator states per formant (two-pole filters).
    let mut st = [[0.0f32; 2]; 3];
    let mut phase = 0.0f32;
    let mut vowel = VOWELS[0];
    let mut in_pause = false;
    for i in 0..n {
        let s = i / syllable;
        let k = i % syllable;
        if k == 0 {
            vowel = VOWELS[((g.next_f32() + 1.0) * 2.499) as usize % VOWELS.len()];
            // Every sixth syllable or so is a pause between phrases.
            in_pause = s % 6 == 5;
        }
        let t = i as f32 / fs;
        let f0 = 130.0 + 25.0 * (TAU * 0.7 * t).sin() + 8.0 * (TAU * 3.1 * t).sin();
        phase += f0 / fs;
        let pulse = if phase >= 1.0 {
            phase -= 1.0;
            1.0
        } else {
            0.0
        };
        let u = k as f32 / syllable as f32;
        let consonant = u < 0.15;
        let excitation = if consonant { 0.3 * g.next_f32() } else { pulse };
        let env = if in_pause {
            0.0
        } else {
            (std::f32::consts::PI * u).sin().powf(0.5)
        };
        let mut y = 0.0;
        for (f, state) in vowel.iter().zip(st.iter_mut()) {
            let bw = 80.0 + 0.05 * f;
            let r = (-std::f32::consts::PI * bw / fs).exp();
            let a1 = 2.0 * r * (TAU * f / fs).cos();
            let a2 = -r * r;
            let v = excitation * (1.0 - r) + a1 * state[0] + a2 * state[1];
            state[1] = state[0];
            state[0] = v;
            y += v;
        }
        out.push(env * y);
    }
    scale_to_peak(out, 0.5)
}

/// The synthetic non-music set: tones, noises, clicks, silence, chirps, birdsong, speech-like,
/// each `secs` long (10 s is plenty: the model reads 3 s patches).
pub fn non_music_set(rate: u32, secs: f32) -> Vec<SynthSound> {
    let s = |name: &str, samples: Vec<f32>| SynthSound {
        name: name.to_string(),
        samples,
    };
    vec![
        s("sine 440 Hz", sine(rate, secs, 440.0)),
        s("sine 100 Hz", sine(rate, secs, 100.0)),
        s("sine 2 kHz", sine(rate, secs, 2000.0)),
        s("white noise", white_noise(rate, secs, 1)),
        s("pink noise", pink_noise(rate, secs, 2)),
        s("brown noise", brown_noise(rate, secs, 3)),
        s("clicks 2/s", clicks(rate, secs, 0.5)),
        s("clicks 10/s", clicks(rate, secs, 0.1)),
        s("silence", silence(rate, secs)),
        s("chirp 100 Hz-8 kHz", chirp(rate, secs, 100.0, 7900.0, 2.0)),
        s("birdsong", birdsong(rate, secs, 4)),
        s("speech-like", speech_like(rate, secs, 5)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sounds_are_bounded_and_deterministic() {
        let a = non_music_set(16_000, 2.0);
        let b = non_music_set(16_000, 2.0);
        assert_eq!(a.len(), 12);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.samples, y.samples, "{}", x.name);
            assert_eq!(x.samples.len(), 32_000, "{}", x.name);
            let peak = x.samples.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak <= 0.5 + 1e-6 && peak.is_finite(), "{}: {peak}", x.name);
            if x.name != "silence" {
                assert!(peak > 0.1, "{} is nearly silent", x.name);
            }
        }
    }
}
