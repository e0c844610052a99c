//! A model's configuration: labels, front-end and segment parameters, architecture, provenance.
//! Stored as JSON next to the weights; every parameter of the pipeline comes from here.

use super::error::Invalid;
use serde::{Deserialize, Serialize};

use super::cnn::CostaCnnConfig;
use super::head::{GenreHeadConfig, HeadPooling};
use super::musicnn::MUSICNN_FRAMES;
use super::trunk::TrunkKind;
use crate::audio::clip::ClipSpec;
use crate::features::FrontendConfig;

/// The on-disk format version of `config.json`.
pub const CONFIG_FORMAT: u32 = 1;

/// How a track is cut into the segments the network sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentConfig {
    /// Frames per segment (the network's input height).
    pub segment_frames: usize,
    /// Up to this many non-overlapping segments per track.
    pub segments_per_track: usize,
    /// Length of the analysis clip.
    pub clip_secs: f64,
    /// Where the clip is centred in tracks long enough (the one-minute mark).
    pub clip_centre_secs: f64,
}

/// The network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ArchConfig {
    /// A Costa-style CNN trained from scratch on log-mel segments.
    Costa(CostaCnnConfig),
    /// A pretrained trunk (frozen, built into the binary: musicnn MSD or another, see
    /// [`TrunkKind`]) with a trained genre head on its per-patch outputs.
    MusicnnHead(MusicnnHeadConfig),
}

/// A genre head on a named pretrained trunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MusicnnHeadConfig {
    /// The trunk: a [`TrunkKind`] name ("msd_musicnn", "msd_vgg", …).
    pub trunk: String,
    pub head: GenreHeadConfig,
    /// Per patch (the first heads), or pooled over the track (a logistic regression).
    #[serde(default, skip_serializing_if = "HeadPooling::is_patch")]
    pub pooling: HeadPooling,
    /// The L2 penalty of a head fitted as a logistic regression (see
    /// [`super::logreg::LogRegOptions::l2`]): every pooled head, and a per-patch head when set
    /// (`None` on a per-patch head: trained by gradient steps with dropout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2: Option<f64>,
}

/// Frames of a `costa2017` segment: 75 hops of 256 samples at 16 kHz = 1.2 s.
pub const COSTA2017_SEGMENT_FRAMES: usize = 75;

/// The head new quick-mode models get (measured in models/MODEL_CARD.md).
pub const DEFAULT_POOLING: HeadPooling = HeadPooling::Patch;
/// Its L2 penalty, chosen by cross-validation on gtzan-dev's `train` rows only.
pub const DEFAULT_L2: f64 = 0.1;

/// Validation figures recorded when the model was trained (kept with the store's records).
pub use crate::store::records::TrainMetrics;

/// Where a model came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelInfo {
    pub created_unix_secs: u64,
    /// The folder it was trained on.
    pub source: Option<String>,
    pub metrics: Option<TrainMetrics>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub format: u32,
    pub name: String,
    pub labels: Vec<String>,
    pub frontend: FrontendConfig,
    pub segments: SegmentConfig,
    pub arch: ArchConfig,
    #[serde(default)]
    pub info: ModelInfo,
    /// The rule that decides "a genre or unsure" (`genreplay calibrate` fits it); without one
    /// every track gets its top genre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_set: Option<super::open_set::OpenSetConfig>,
}

impl ModelConfig {
    /// The from-scratch default: musicnn's front end (so caches are shared), 128-frame (≈2 s)
    /// segments, up to 30 per 60 s clip, a 4-block CNN.
    pub fn costa_default(labels: Vec<String>) -> Self {
        ModelConfig {
            format: CONFIG_FORMAT,
            name: "costa-cnn".into(),
            labels,
            frontend: FrontendConfig::musicnn(),
            segments: SegmentConfig {
                segment_frames: 128,
                segments_per_track: 30,
                clip_secs: 60.0,
                clip_centre_secs: 60.0,
            },
            arch: ArchConfig::Costa(CostaCnnConfig::new(vec![16, 32, 64, 64])),
            info: ModelInfo::default(),
            open_set: None,
        }
    }

    /// The configuration of Costa, Oliveira & Silla 2017 as this project reads it: one channel,
    /// a 60 s clip around the one-minute mark (the whole excerpt when shorter), up to 50
    /// non-overlapping segments of 75 frames (1.2 s), conv 5×5 64 with max pool 2×2, conv 5×5
    /// 64 with max pool 2×2 (ReLU, no batch norm), the maps flattened into dense 500 (ReLU), dropout
    /// 0.5, softmax; the track is the mean of its segments' probabilities. The spectrogram is
    /// musicnn's 96-band log-mel (not a linear-frequency STFT: 257 bins would make the second
    /// convolution 2.7× dearer on a CPU, and the log-mel cache is shared with the other models).
    pub fn costa2017(labels: Vec<String>) -> Self {
        let frontend = FrontendConfig::musicnn();
        let frames = COSTA2017_SEGMENT_FRAMES;
        let mut cnn = CostaCnnConfig::new(vec![64, 64])
            .with_kernel(5)
            .with_dense(500)
            .with_dropout(0.5);
        cnn.flatten = Some([frames, frontend.n_mels]);
        cnn.block_norm = Some(false);
        ModelConfig {
            format: CONFIG_FORMAT,
            name: "costa2017-cnn".into(),
            labels,
            frontend,
            segments: SegmentConfig {
                segment_frames: frames,
                segments_per_track: 50,
                clip_secs: 60.0,
                clip_centre_secs: 60.0,
            },
            arch: ArchConfig::Costa(cnn),
            info: ModelInfo::default(),
            open_set: None,
        }
    }

    /// The pretrained default: musicnn's front end and 3 s patches (187 frames), up to 20 per
    /// 60 s clip, a linear genre head on the frozen MSD_musicnn trunk.
    pub fn musicnn_default(labels: Vec<String>) -> Self {
        Self::head_on(TrunkKind::Musicnn, labels)
    }

    /// A linear genre head on the frozen `trunk`, with musicnn's front end and 3 s patches (all
    /// trunks read the same patches), up to 20 per 60 s clip.
    pub fn head_on(trunk: TrunkKind, labels: Vec<String>) -> Self {
        Self::head_with(trunk, DEFAULT_POOLING, labels)
    }

    /// A genre head on the frozen `trunk` with the given pooling (a pooled head gets
    /// [`DEFAULT_L2`]).
    pub fn head_with(trunk: TrunkKind, pooling: HeadPooling, labels: Vec<String>) -> Self {
        let name = match trunk {
            TrunkKind::Musicnn => "musicnn-genre",
            TrunkKind::Vgg => "vgg-genre",
            TrunkKind::Student => "student-genre",
        };
        ModelConfig {
            format: CONFIG_FORMAT,
            name: name.into(),
            labels,
            frontend: FrontendConfig::musicnn(),
            segments: SegmentConfig {
                segment_frames: MUSICNN_FRAMES,
                segments_per_track: 20,
                clip_secs: 60.0,
                clip_centre_secs: 60.0,
            },
            arch: ArchConfig::MusicnnHead(MusicnnHeadConfig {
                trunk: trunk.name().into(),
                head: GenreHeadConfig::new(),
                pooling,
                l2: (!pooling.is_patch()).then_some(DEFAULT_L2),
            }),
            info: ModelInfo::default(),
            open_set: None,
        }
    }

    /// How a head model pools a track's patches (per patch for a CNN trained whole).
    pub fn head_pooling(&self) -> HeadPooling {
        match &self.arch {
            ArchConfig::MusicnnHead(h) => h.pooling,
            ArchConfig::Costa(_) => HeadPooling::Patch,
        }
    }

    /// True when only a head on a frozen trunk is trained (the quick mode).
    pub fn is_head(&self) -> bool {
        matches!(self.arch, ArchConfig::MusicnnHead(_))
    }

    /// The trunk a head model sits on (`None` for a CNN trained whole, or an unknown name,
    /// which [`ModelConfig::validate`] rejects).
    pub fn trunk_kind(&self) -> Option<TrunkKind> {
        match &self.arch {
            ArchConfig::MusicnnHead(h) => TrunkKind::from_name(&h.trunk),
            ArchConfig::Costa(_) => None,
        }
    }

    /// What the training loop learns from: the log-mel spectrogram (a CNN trained whole), or
    /// the frozen trunk's outputs per patch (a head). Also the feature cache's key.
    pub fn feature_key(&self) -> String {
        let s = &self.segments;
        let clip = format!("clip{}@{}", s.clip_secs, s.clip_centre_secs);
        match &self.arch {
            ArchConfig::MusicnnHead(h) => format!(
                "trunk:{}{}/{}/{clip}/patch{}x{}",
                h.trunk,
                TrunkKind::from_name(&h.trunk).map_or("", TrunkKind::weights_tag),
                self.frontend.cache_key(),
                s.segment_frames,
                s.segments_per_track
            ),
            ArchConfig::Costa(_) => format!("logmel/{}/{clip}", self.frontend.cache_key()),
        }
    }

    pub fn clip_spec(&self) -> ClipSpec {
        ClipSpec {
            sample_rate_hz: self.frontend.sample_rate_hz,
            clip_secs: self.segments.clip_secs,
            centre_secs: self.segments.clip_centre_secs,
            min_samples: self
                .frontend
                .samples_for_frames(self.segments.segment_frames),
        }
    }

    /// Checks the parameters fit together; the message says what is wrong.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.format > CONFIG_FORMAT {
            return Err(Invalid(format!(
                "written by a newer genreplay (format {}, this one reads up to {CONFIG_FORMAT})",
                self.format
            )));
        }
        if let Some(os) = &self.open_set {
            os.validate()?;
        }
        if self.labels.len() < 2 {
            return Err(Invalid(format!(
                "needs at least 2 labels, has {}",
                self.labels.len()
            )));
        }
        let mut sorted = self.labels.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.labels.len() {
            return Err("labels are not unique".into());
        }
        let f = &self.frontend;
        if f.sample_rate_hz < 1000 || f.n_fft < 16 || f.hop_samples == 0 || f.n_mels == 0 {
            return Err("front-end parameters out of range".into());
        }
        if self.segments.segment_frames == 0 || self.segments.segments_per_track == 0 {
            return Err("segment parameters out of range".into());
        }
        if self.segments.clip_secs.is_nan() || self.segments.clip_secs <= 0.0 {
            return Err("clip_secs must be positive".into());
        }
        match &self.arch {
            ArchConfig::MusicnnHead(h) => {
                if TrunkKind::from_name(&h.trunk).is_none() {
                    return Err(Invalid(format!(
                        "unknown trunk '{}' (this build has {})",
                        h.trunk,
                        TrunkKind::names()
                    )));
                }
                if f.sample_rate_hz != 16_000
                    || f.n_fft != 512
                    || f.hop_samples != 256
                    || f.n_mels != 96
                {
                    return Err("the pretrained trunks need musicnn's front end (16 kHz, n_fft 512, hop 256, 96 mels)".into());
                }
                if self.segments.segment_frames != MUSICNN_FRAMES {
                    return Err(Invalid(format!(
                        "the pretrained trunks read patches of {MUSICNN_FRAMES} frames"
                    )));
                }
            }
            ArchConfig::Costa(c) => {
                if let Some(input) = c.flatten
                    && input != [self.segments.segment_frames, f.n_mels]
                {
                    return Err(Invalid(format!(
                        "the CNN flattens {}×{} inputs but the segments are {}×{}",
                        input[0], input[1], self.segments.segment_frames, f.n_mels
                    )));
                }
                let side = c.min_side();
                if self.segments.segment_frames < side || f.n_mels < side {
                    return Err(Invalid(format!(
                        "segments of {}×{} are too small for {} conv blocks",
                        self.segments.segment_frames,
                        f.n_mels,
                        c.channels.len()
                    )));
                }
            }
        }
        Ok(())
    }
}
