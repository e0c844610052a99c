//! ReplayGain: the gain values a file's tags carry (parsed here from their text), the choice of
//! the gain to apply (track or album, the preamp, clipping prevention from the peak, the
//! loudness estimate for untagged tracks) and the gain stage of playback, a sample scale in
//! front of the user's volume that can change while the track plays.
//!
//! Reference level: ReplayGain 2.0's −18 LUFS. Opus' `R128_TRACK_GAIN`/`R128_ALBUM_GAIN` are
//! relative to −23 LUFS (EBU R128) and so read 5 dB higher here; the Opus header's output gain
//! is part of decoding ([`super::decode`] applies it, as the Ogg Opus specification asks), and
//! the R128 tags are relative to the audio with it applied.

use std::num::NonZero;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rodio::Source;
use rodio::source::SeekError;
use serde::{Deserialize, Serialize};

use super::loudness::Loudness;

/// ReplayGain 2.0's reference loudness, LUFS.
pub const REFERENCE_LUFS: f32 = -18.0;
/// EBU R128's reference (what Opus' R128 gain tags aim at), LUFS.
pub const R128_REFERENCE_LUFS: f32 = -23.0;
/// Gain tags beyond ±this many dB are not believed (no real track is that far off).
pub const MAX_TAG_GAIN_DB: f32 = 60.0;
/// The most the gain stage boosts, whatever the tags or the estimate say.
pub const MAX_BOOST_DB: f32 = 20.0;
/// The most it cuts.
pub const MAX_CUT_DB: f32 = -40.0;

/// The ReplayGain values a file's tags hold (dB relative to −18 LUFS; peaks linear).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplayGainTags {
    pub track_gain_db: Option<f32>,
    pub track_peak: Option<f32>,
    pub album_gain_db: Option<f32>,
    pub album_peak: Option<f32>,
}

impl ReplayGainTags {
    pub fn is_empty(&self) -> bool {
        self.track_gain_db.is_none() && self.album_gain_db.is_none()
    }
}

/// A gain tag's text as dB: "-6.20 dB", "+1.5", "−3,1 dB" (a Unicode minus, a decimal comma).
/// `None` for anything else, or beyond ±[`MAX_TAG_GAIN_DB`].
pub fn parse_gain_db(text: &str) -> Option<f32> {
    let t = text.trim().trim_matches('\0').trim();
    let t = t
        .strip_suffix("dB")
        .or_else(|| t.strip_suffix("db"))
        .or_else(|| t.strip_suffix("DB"))
        .unwrap_or(t)
        .trim();
    let t = t.replace('\u{2212}', "-");
    let t = if !t.contains('.') {
        t.replacen(',', ".", 1)
    } else {
        t
    };
    let v: f32 = t.parse().ok()?;
    (v.is_finite() && v.abs() <= MAX_TAG_GAIN_DB).then_some(v)
}

/// A peak tag's text as a linear peak ("0.988", "1.02"): above 0 and at most 10 (+20 dBFS).
pub fn parse_peak(text: &str) -> Option<f32> {
    let t = text.trim().trim_matches('\0').trim();
    let t = if !t.contains('.') {
        t.replacen(',', ".", 1)
    } else {
        t.to_string()
    };
    let v: f32 = t.parse().ok()?;
    (v.is_finite() && v > 0.0 && v <= 10.0).then_some(v)
}

/// An Opus `R128_*_GAIN` tag (a Q7.8 integer, dB relative to −23 LUFS) as a ReplayGain dB
/// value (relative to −18 LUFS: 5 dB more).
pub fn parse_r128_gain(text: &str) -> Option<f32> {
    let q: i16 = text.trim().trim_matches('\0').trim().parse().ok()?;
    Some(q as f32 / 256.0 + (REFERENCE_LUFS - R128_REFERENCE_LUFS))
}

/// Which gain to apply (`replaygain` in config.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GainMode {
    /// Each track at the reference loudness (album gain when it has no track gain).
    #[default]
    Track,
    /// An album's tracks keep their relative levels (track gain when there is no album gain).
    Album,
    Off,
}

impl GainMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "track" => Some(GainMode::Track),
            "album" => Some(GainMode::Album),
            "off" => Some(GainMode::Off),
            _ => None,
        }
    }
}

/// The user's ReplayGain settings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GainSettings {
    pub mode: GainMode,
    /// Added to every gain, dB.
    pub preamp_db: f32,
}

/// Where the applied gain came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GainSource {
    Track,
    Album,
    /// From the loudness of the analysis clip (no tags).
    Estimated,
    /// ReplayGain is off.
    Off,
    /// No tags and no estimate (yet): played as it is.
    None,
}

/// The gain the playback stage applies to one track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AppliedGain {
    /// The gain in dB (with the preamp, after clipping prevention).
    pub db: f32,
    /// The same as a sample scale.
    pub scale: f32,
    pub source: GainSource,
    /// Lowered so the peak stays at full scale.
    pub peak_limited: bool,
}

impl AppliedGain {
    pub const UNITY: AppliedGain = AppliedGain {
        db: 0.0,
        scale: 1.0,
        source: GainSource::None,
        peak_limited: false,
    };

    /// What Now playing shows: "RG +3.2 dB track", "RG −1.0 dB est.", "RG off".
    pub fn label(&self) -> String {
        let what = match self.source {
            GainSource::Off => return "RG off".into(),
            GainSource::None => return "RG none".into(),
            GainSource::Track => "track",
            GainSource::Album => "album",
            GainSource::Estimated => "est.",
        };
        let sign = if self.db < -0.05 { "\u{2212}" } else { "+" };
        format!(
            "RG {sign}{:.1} dB {what}{}",
            self.db.abs(),
            if self.peak_limited {
                " (peak-limited)"
            } else {
                ""
            }
        )
    }
}

/// dB as a sample scale.
pub fn db_to_scale(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// The gain to apply to a track with `tags` (and, when it has no gain tags, the loudness
/// `estimate` of its analysis clip) under `settings`. Album mode falls back to the track
/// gain, track mode to the album gain, then both to the estimate. The preamp is added, the
/// result kept within [`MAX_CUT_DB`]…[`MAX_BOOST_DB`] and lowered so `peak × scale ≤ 1` when
/// the peak is known.
pub fn choose(
    tags: &ReplayGainTags,
    estimate: Option<&Loudness>,
    settings: &GainSettings,
) -> AppliedGain {
    let track = tags
        .track_gain_db
        .map(|g| (g, tags.track_peak, GainSource::Track));
    let album = tags
        .album_gain_db
        .map(|g| (g, tags.album_peak, GainSource::Album));
    let tagged = match settings.mode {
        GainMode::Off => {
            return AppliedGain {
                source: GainSource::Off,
                ..AppliedGain::UNITY
            };
        }
        GainMode::Track => track.or(album),
        GainMode::Album => album.or(track),
    };
    let Some((gain, peak, source)) = tagged.or_else(|| {
        estimate
            .filter(|l| l.lufs.is_finite())
            .map(|l| (REFERENCE_LUFS - l.lufs, Some(l.peak), GainSource::Estimated))
    }) else {
        return AppliedGain::UNITY;
    };
    let preamp = if settings.preamp_db.is_finite() {
        settings.preamp_db
    } else {
        0.0
    };
    let mut db = (gain + preamp).clamp(MAX_CUT_DB, MAX_BOOST_DB);
    let mut peak_limited = false;
    if let Some(p) = peak.filter(|p| p.is_finite() && *p > 0.0) {
        // The loudest sample at full scale: peak × scale ≤ 1.
        let most = -20.0 * p.log10();
        if db > most {
            db = most;
            peak_limited = true;
        }
    }
    AppliedGain {
        db,
        scale: db_to_scale(db),
        source,
        peak_limited,
    }
}

/// Changes a playing track's gain from another thread.
#[derive(Debug, Clone)]
pub struct GainHandle(Arc<AtomicU32>);

impl GainHandle {
    pub fn new(scale: f32) -> Self {
        GainHandle(Arc::new(AtomicU32::new(sane(scale).to_bits())))
    }

    pub fn set(&self, scale: f32) {
        self.0.store(sane(scale).to_bits(), Ordering::Relaxed);
    }

    pub fn get(&self) -> f32 {
        f32::from_bits(self.0.load(Ordering::Relaxed))
    }
}

fn sane(scale: f32) -> f32 {
    if scale.is_finite() && scale >= 0.0 {
        scale.min(db_to_scale(MAX_BOOST_DB))
    } else {
        1.0
    }
}

/// The gain stage: every sample of `inner` times the handle's scale (read once per 1024
/// samples, so a change lands within a few milliseconds).
pub struct Gain<S> {
    inner: S,
    handle: GainHandle,
    scale: f32,
    countdown: u32,
}

impl<S: Source> Gain<S> {
    pub fn new(inner: S, handle: GainHandle) -> Self {
        let scale = handle.get();
        Gain {
            inner,
            handle,
            scale,
            countdown: 1024,
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: Source> Iterator for Gain<S> {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        self.countdown -= 1;
        if self.countdown == 0 {
            self.countdown = 1024;
            self.scale = self.handle.get();
        }
        self.inner.next().map(|s| s * self.scale)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<S: Source> Source for Gain<S> {
    fn current_span_len(&self) -> Option<usize> {
        self.inner.current_span_len()
    }
    fn channels(&self) -> NonZero<u16> {
        self.inner.channels()
    }
    fn sample_rate(&self) -> NonZero<u32> {
        self.inner.sample_rate()
    }
    fn total_duration(&self) -> Option<Duration> {
        self.inner.total_duration()
    }
    fn try_seek(&mut self, pos: Duration) -> Result<(), SeekError> {
        self.inner.try_seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_texts_parse_robustly() {
        assert_eq!(parse_gain_db("-6.20 dB"), Some(-6.2));
        assert_eq!(parse_gain_db("+1.5"), Some(1.5));
        assert_eq!(parse_gain_db(" 2.25dB "), Some(2.25));
        assert_eq!(parse_gain_db("\u{2212}3,5 dB"), Some(-3.5));
        for bad in ["", "loud", "NaN", "inf dB", "-1e9", "1.2.3", "dB", "+ 3"] {
            assert_eq!(parse_gain_db(bad), None, "{bad:?}");
        }
        assert_eq!(parse_peak("0.988831"), Some(0.988831));
        assert_eq!(parse_peak("1,05"), Some(1.05));
        for bad in ["0", "-0.5", "x", "1000"] {
            assert_eq!(parse_peak(bad), None, "{bad:?}");
        }
        // Q7.8 relative to −23 LUFS: 256 is +1 dB there, +6 dB at the −18 LUFS reference.
        assert_eq!(parse_r128_gain("256"), Some(6.0));
        assert_eq!(parse_r128_gain("-1280"), Some(0.0));
        assert_eq!(parse_r128_gain("0"), Some(5.0));
        for bad in ["1.5", "99999", "-6 dB", ""] {
            assert_eq!(parse_r128_gain(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_mode_picks_with_fallbacks_and_the_peak_limits() {
        let both = ReplayGainTags {
            track_gain_db: Some(-3.0),
            track_peak: Some(0.5),
            album_gain_db: Some(-5.0),
            album_peak: Some(0.9),
        };
        let s = |mode, preamp_db| GainSettings { mode, preamp_db };
        let t = choose(&both, None, &s(GainMode::Track, 0.0));
        assert_eq!((t.db, t.source), (-3.0, GainSource::Track));
        let a = choose(&both, None, &s(GainMode::Album, 0.0));
        assert_eq!((a.db, a.source), (-5.0, GainSource::Album));
        let only_track = ReplayGainTags {
            album_gain_db: None,
            ..both
        };
        assert_eq!(
            choose(&only_track, None, &s(GainMode::Album, 0.0)).source,
            GainSource::Track
        );
        let only_album = ReplayGainTags {
            track_gain_db: None,
            ..both
        };
        assert_eq!(
            choose(&only_album, None, &s(GainMode::Track, 0.0)).source,
            GainSource::Album
        );
        // +10 dB preamp on −3 dB with a peak of 0.5: at most +6.02 dB.
        let p = choose(&both, None, &s(GainMode::Track, 10.0));
        assert!(p.peak_limited && (p.db - 6.0206).abs() < 1e-3, "{p:?}");
        assert!((p.scale * 0.5 - 1.0).abs() < 1e-4);
        let off = choose(&both, None, &s(GainMode::Off, 0.0));
        assert_eq!((off.scale, off.label()), (1.0, "RG off".to_string()));
        // No tags: the estimate (−26 LUFS → +8 dB), marked as such.
        let est = Loudness {
            lufs: -26.0,
            peak: 0.2,
            secs: 60.0,
        };
        let e = choose(
            &ReplayGainTags::default(),
            Some(&est),
            &s(GainMode::Album, 0.0),
        );
        assert_eq!((e.db, e.source), (8.0, GainSource::Estimated));
        assert_eq!(e.label(), "RG +8.0 dB est.");
        let loud = Loudness { lufs: -17.0, ..est };
        assert_eq!(
            choose(
                &ReplayGainTags::default(),
                Some(&loud),
                &s(GainMode::Track, 0.0)
            )
            .label(),
            "RG \u{2212}1.0 dB est."
        );
        assert_eq!(
            choose(&ReplayGainTags::default(), None, &s(GainMode::Track, 0.0)),
            AppliedGain::UNITY
        );
        assert_eq!(t.label(), "RG \u{2212}3.0 dB track");
    }

    #[test]
    fn the_stage_scales_samples_and_follows_its_handle() {
        let src = rodio::source::SineWave::new(440.0).take_duration(Duration::from_millis(100));
        let h = GainHandle::new(0.5);
        let mut g = Gain::new(src, h.clone());
        let first: Vec<f32> = (&mut g).take(2048).collect();
        let plain: Vec<f32> = rodio::source::SineWave::new(440.0).take(2048).collect();
        for (a, b) in first.iter().zip(&plain) {
            assert!((a - b * 0.5).abs() < 1e-6);
        }
        h.set(f32::NAN);
        assert_eq!(h.get(), 1.0);
    }
}
