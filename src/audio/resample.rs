//! Sample-rate conversion of mono audio with rubato's synchronous FFT resampler.
//!
//! rubato cuts the input into blocks of `n · from/g` frames (`g` = gcd of the rates) and runs
//! one real FFT of `2n · from/g` and one inverse of `2n · to/g` per block; its anti-aliasing
//! filter is a windowed sinc as long as the block. `n` is chosen here ([`fft_blocks`]) so that
//! both lengths factor into 2, 3, 5 and 7: left to rubato, 48 kHz → 16 kHz got `n` = 683, a
//! prime, and FFTs of 4,098 and 1,366 points that run through Rader's algorithm at three times
//! the cost of 44.1 kHz's.

use rubato::{FftFixedIn, Resampler};

#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    #[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
    Setup { from: u32, to: u32, reason: String },
    #[error("resampling failed: {0}")]
    Process(String),
}

/// Input frames per FFT block rubato is aimed at (the filter's length is about this).
const BLOCK_FRAMES: usize = 2048;
/// Blocks per call of the resampler.
const SUB_CHUNKS: usize = 2;

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// True when `n` has no prime factor above 7.
fn is_smooth(mut n: usize) -> bool {
    for p in [2, 3, 5, 7] {
        while n > 0 && n.is_multiple_of(p) {
            n /= p;
        }
    }
    n == 1
}

/// The number of rate-ratio units per FFT block: the smallest `n ≥ ⌈BLOCK_FRAMES / (from/g)⌉`
/// (rubato's own choice) whose FFT lengths `2n·from/g` and `2n·to/g` have no prime factor
/// above 7 — or rubato's choice when no such `n` is within twice it (a rate with a large prime
/// factor of its own).
fn fft_blocks(from_hz: u32, to_hz: u32) -> usize {
    let g = gcd(from_hz as usize, to_hz as usize).max(1);
    let (unit_in, unit_out) = (from_hz as usize / g, to_hz as usize / g);
    let least = BLOCK_FRAMES.div_ceil(unit_in.max(1)).max(1);
    (least..=2 * least)
        .find(|&n| is_smooth(2 * n * unit_in) && is_smooth(2 * n * unit_out))
        .unwrap_or(least)
}

/// Resamples mono `samples` from `from_hz` to `to_hz`. The output is aligned with the input
/// (the resampler's delay is removed) and has `round(len · to / from)` samples. NaN/Inf input
/// samples are treated as silence (the decoder replaces and counts them before this; this is
/// the backstop for other callers), so the output is always finite.
pub fn resample_mono(samples: &[f32], from_hz: u32, to_hz: u32) -> Result<Vec<f32>, ResampleError> {
    if samples.iter().any(|s| !s.is_finite()) {
        let clean: Vec<f32> = samples
            .iter()
            .map(|&s| if s.is_finite() { s } else { 0.0 })
            .collect();
        return resample_mono(&clean, from_hz, to_hz);
    }
    if from_hz == to_hz || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    if from_hz == 0 || to_hz == 0 {
        return Err(ResampleError::Setup {
            from: from_hz,
            to: to_hz,
            reason: "zero sample rate".into(),
        });
    }
    let g = gcd(from_hz as usize, to_hz as usize).max(1);
    let chunk = fft_blocks(from_hz, to_hz) * (from_hz as usize / g) * SUB_CHUNKS;
    let mut rs = FftFixedIn::<f32>::new(from_hz as usize, to_hz as usize, chunk, SUB_CHUNKS, 1)
        .map_err(|e| ResampleError::Setup {
            from: from_hz,
            to: to_hz,
            reason: e.to_string(),
        })?;
    let expected = ((samples.len() as f64) * to_hz as f64 / from_hz as f64).round() as usize;
    let delay = rs.output_delay();
    let mut out: Vec<f32> = Vec::with_capacity(expected + delay + chunk);
    let mut pos = 0;
    while pos < samples.len() {
        let need = rs.input_frames_next();
        let end = pos + need;
        let chunk = if end <= samples.len() {
            rs.process(&[&samples[pos..end]], None)
        } else {
            rs.process_partial(Some(&[&samples[pos..]]), None)
        }
        .map_err(|e| ResampleError::Process(e.to_string()))?;
        if let Some(ch) = chunk.first() {
            out.extend_from_slice(ch);
        }
        pos = end;
    }
    // Flush the resampler until the delayed tail is out.
    while out.len() < expected + delay {
        let chunk = rs
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| ResampleError::Process(e.to_string()))?;
        match chunk.first() {
            Some(ch) if !ch.is_empty() => out.extend_from_slice(ch),
            _ => break,
        }
    }
    let start = delay.min(out.len());
    let mut aligned = out.split_off(start);
    aligned.resize(expected, 0.0);
    Ok(aligned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, rate: u32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    /// Frequency estimate by counting upward zero crossings.
    fn zero_cross_freq(x: &[f32], rate: u32) -> f32 {
        let crossings = x.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
        crossings as f32 * rate as f32 / x.len() as f32
    }

    #[test]
    fn length_and_pitch_survive_44k_to_16k() {
        let x = sine(440.0, 44_100, 2.0);
        let y = resample_mono(&x, 44_100, 16_000).unwrap();
        assert_eq!(y.len(), 32_000);
        let f = zero_cross_freq(&y[1000..31_000], 16_000);
        assert!((f - 440.0).abs() < 3.0, "got {f} Hz");
        // Amplitude is preserved away from the edges.
        let peak = y[1000..31_000].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((peak - 1.0).abs() < 0.02, "peak {peak}");
    }

    #[test]
    fn output_is_time_aligned() {
        // A click at 0.5 s must stay at 0.5 s.
        let mut x = vec![0.0f32; 22_050];
        x[11_025] = 1.0;
        let y = resample_mono(&x, 22_050, 16_000).unwrap();
        let (argmax, _) = y.iter().enumerate().fold((0, 0.0f32), |(bi, bv), (i, v)| {
            if v.abs() > bv { (i, v.abs()) } else { (bi, bv) }
        });
        assert!((argmax as i64 - 8000).abs() <= 2, "click at {argmax}");
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let mut x = sine(300.0, 22_050, 0.5);
        x[100] = f32::NAN;
        x[200] = f32::INFINITY;
        x[300] = f32::NEG_INFINITY;
        let y = resample_mono(&x, 22_050, 16_000).unwrap();
        assert_eq!(y.len(), 8000);
        assert!(y.iter().all(|v| v.is_finite()));
        let same = resample_mono(&x, 22_050, 22_050).unwrap();
        assert!(same.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn fft_blocks_have_small_prime_lengths() {
        // 44.1 and 22.05 kHz keep rubato's own choice (5 blocks of 441 → 160 or 320 frames).
        assert_eq!(fft_blocks(44_100, 16_000), 5);
        assert_eq!(fft_blocks(22_050, 16_000), 5);
        assert_eq!(fft_blocks(32_000, 16_000), 1024);
        // 48 kHz: 683 (prime) becomes 686 = 2·7³.
        assert_eq!(fft_blocks(48_000, 16_000), 686);
        assert_eq!(fft_blocks(96_000, 16_000), 343);
        for (from, to) in [
            (48_000, 16_000),
            (24_000, 16_000),
            (8_000, 16_000),
            (11_025, 16_000),
        ] {
            let n = fft_blocks(from, to);
            let g = gcd(from as usize, to as usize);
            assert!(is_smooth(2 * n * from as usize / g), "{from}");
            assert!(is_smooth(2 * n * to as usize / g), "{from}");
        }
        // A rate with a large prime factor keeps rubato's choice.
        assert_eq!(fft_blocks(44_101, 16_000), 1);
    }

    #[test]
    fn pitch_and_alignment_survive_48k_to_16k() {
        let x = sine(1000.0, 48_000, 2.0);
        let y = resample_mono(&x, 48_000, 16_000).unwrap();
        assert_eq!(y.len(), 32_000);
        let f = zero_cross_freq(&y[1000..31_000], 16_000);
        assert!((f - 1000.0).abs() < 3.0, "got {f} Hz");
        let peak = y[1000..31_000].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!((peak - 1.0).abs() < 0.02, "peak {peak}");
        // 9 kHz is above the new Nyquist frequency: filtered out, not folded to 7 kHz.
        let hi = resample_mono(&sine(9000.0, 48_000, 1.0), 48_000, 16_000).unwrap();
        let rms = (hi[1000..15_000].iter().map(|v| v * v).sum::<f32>() / 14_000.0).sqrt();
        assert!(rms < 1e-3, "rms {rms}");
        let mut click = vec![0.0f32; 48_000];
        click[24_000] = 1.0;
        let y = resample_mono(&click, 48_000, 16_000).unwrap();
        let at = (0..y.len()).max_by(|&a, &b| y[a].abs().total_cmp(&y[b].abs()));
        assert_eq!(at, Some(8000));
    }

    #[test]
    fn same_rate_is_identity_and_short_input_works() {
        let x = sine(100.0, 16_000, 0.1);
        assert_eq!(resample_mono(&x, 16_000, 16_000).unwrap(), x);
        let short = vec![0.5f32; 10];
        let y = resample_mono(&short, 48_000, 16_000).unwrap();
        assert_eq!(y.len(), 3);
    }
}
