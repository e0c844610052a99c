//! The frozen pretrained trunks a genre head can sit on, behind one interface: a batch of log-mel
//! patches `[B, 1, 187, 96]` → per-patch features `[B, D]` = an embedding ‖ the 50 MSD tag
//! probabilities (always the last 50 columns, in `MUSICNN_TAGS` order, so the style vector is
//! read the same way for every trunk).
//!
//! | name | network | features | cost per 3 s patch |
//! |---|---|---|---|
//! | `msd_musicnn` | musicnn `MSD_musicnn` | 200-d penultimate ‖ 50 tags | ≈ 1.4 GMAC |
//! | `msd_vgg` | musicnn `MSD_vgg` | 256-d pool5 ‖ 50 tags | ≈ 0.89 GMAC |
//! | `student_musicnn` | a small network distilled from `msd_musicnn` (`student.rs`) | its imitation of musicnn's 200-d ‖ 50 tags | ≈ 27 MMAC |

use std::sync::OnceLock;

use burn::prelude::*;

use super::error::NetError;
use super::head::{MUSICNN_WEIGHTS, TRUNK_FEATURES, fast_trunk_features, trunk_features};
use super::musicnn::{MUSICNN_MELS, MUSICNN_N_TAGS, MUSICNN_PENULTIMATE, MusicnnTrunk};
use super::student::StudentTrunk;
use super::vgg::{VGG_POOL5, VggTrunk};

/// The converted MSD_vgg weights (ISC licence, see models/NOTICE), built into the binary.
pub const VGG_WEIGHTS: &[u8] = include_bytes!("../../models/musicnn_msd_vgg.safetensors");

/// The distilled student's architecture and weights (TensorFlow layouts; see
/// `models/MODEL_CARD.md` for how they were made), built into the binary.
pub const STUDENT_CONFIG: &[u8] = include_bytes!("../../models/student_musicnn.json");
pub const STUDENT_WEIGHTS: &[u8] = include_bytes!("../../models/student_musicnn.safetensors");

/// Which trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TrunkKind {
    Musicnn,
    Vgg,
    Student,
}

impl TrunkKind {
    pub const ALL: [TrunkKind; 3] = [TrunkKind::Musicnn, TrunkKind::Vgg, TrunkKind::Student];

    /// The name model configs use.
    pub fn name(self) -> &'static str {
        match self {
            TrunkKind::Musicnn => "msd_musicnn",
            TrunkKind::Vgg => "msd_vgg",
            TrunkKind::Student => "student_musicnn",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Columns of the per-patch features: the embedding, then the 50 tags.
    pub fn feature_dims(self) -> usize {
        self.embedding_dims() + MUSICNN_N_TAGS
    }

    /// What tells this trunk's weights apart in cache keys: empty for the converted musicnn
    /// trunks (fixed weights), a hash of the weights for the student (retrained from time to
    /// time), so trunk outputs cached for older weights are never reused.
    pub fn weights_tag(self) -> &'static str {
        static STUDENT: OnceLock<String> = OnceLock::new();
        match self {
            TrunkKind::Musicnn | TrunkKind::Vgg => "",
            TrunkKind::Student => STUDENT.get_or_init(|| {
                format!(
                    "@{}",
                    &blake3::hash(STUDENT_WEIGHTS).to_hex().as_str()[..12]
                )
            }),
        }
    }

    pub fn embedding_dims(self) -> usize {
        match self {
            TrunkKind::Musicnn | TrunkKind::Student => MUSICNN_PENULTIMATE,
            TrunkKind::Vgg => VGG_POOL5,
        }
    }

    /// Patches per forward pass at inference: bounds the activations' memory. musicnn's first
    /// convolutions make ≈25 MB per patch and vgg's ≈30 MB (its first block's 128 × 187 × 96
    /// output and the im2col buffer of the second), so both run 4 at a time; the student's
    /// activations are ≈0.3 MB per patch.
    pub fn batch_size(self) -> usize {
        match self {
            TrunkKind::Musicnn | TrunkKind::Vgg => 4,
            TrunkKind::Student => 32,
        }
    }

    /// Every name, for messages.
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A loaded trunk.
#[derive(Debug, Clone)]
pub enum Trunk {
    Musicnn(Box<MusicnnTrunk>),
    Vgg(Box<VggTrunk>),
    Student(Box<StudentTrunk>),
}

impl Trunk {
    /// The trunk from the weights built into the binary, in inference mode.
    pub fn load(kind: TrunkKind, device: &Device) -> Result<Self, NetError> {
        Ok(match kind {
            TrunkKind::Musicnn => Trunk::Musicnn(Box::new(
                MusicnnTrunk::from_safetensors_bytes(MUSICNN_WEIGHTS, device)
                    .map_err(NetError::weights("musicnn"))?
                    .valid(),
            )),
            TrunkKind::Student => Trunk::Student(Box::new(
                StudentTrunk::from_safetensors_bytes(STUDENT_CONFIG, STUDENT_WEIGHTS, device)?
                    .valid(),
            )),
            TrunkKind::Vgg => Trunk::Vgg(Box::new(
                VggTrunk::from_safetensors_bytes(VGG_WEIGHTS, device)
                    .map_err(NetError::weights("vgg"))?
                    .valid(),
            )),
        })
    }

    /// [`Trunk::load`], once per process and kind on the inference device.
    pub fn shared(kind: TrunkKind, device: &Device) -> Result<Self, NetError> {
        static CELLS: [OnceLock<Result<Trunk, NetError>>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        if *device != super::backend::inference_device() {
            return Self::load(kind, device);
        }
        let i = match kind {
            TrunkKind::Musicnn => 0,
            TrunkKind::Vgg => 1,
            TrunkKind::Student => 2,
        };
        CELLS[i].get_or_init(|| Self::load(kind, device)).clone()
    }

    pub fn kind(&self) -> TrunkKind {
        match self {
            Trunk::Musicnn(_) => TrunkKind::Musicnn,
            Trunk::Vgg(_) => TrunkKind::Vgg,
            Trunk::Student(_) => TrunkKind::Student,
        }
    }

    /// `[B, 1, 187, 96]` log-mel patches → `[B, feature_dims]`: embedding ‖ tag probabilities.
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        match self {
            Trunk::Musicnn(t) => {
                // The compiled trunk unless the input is on an autodiff device (training
                // through the trunk) or not musicnn-shaped: then burn's reference module. A
                // failure of the compiled trunk also falls back to burn (same network, slower)
                // and is logged once.
                let [b, _, frames, m] = x.dims();
                let device = x.device();
                if device.is_autodiff() || m != MUSICNN_MELS {
                    return trunk_features(&t.forward(x));
                }
                let fast = x
                    .clone()
                    .into_data()
                    .try_into_vec::<f32>()
                    .map_err(NetError::readback("the input"))
                    .and_then(|data| fast_trunk_features(&data, b, frames, 1));
                match fast {
                    Ok(rows) => {
                        Tensor::from_data(TensorData::new(rows, [b, TRUNK_FEATURES]), &device)
                    }
                    Err(e) => {
                        static LOGGED: std::sync::Once = std::sync::Once::new();
                        LOGGED.call_once(|| {
                            tracing::warn!(
                                "compiled musicnn trunk failed ({e}); running burn's module instead"
                            );
                        });
                        trunk_features(&t.forward(x))
                    }
                }
            }
            Trunk::Vgg(t) => {
                let out = t.forward(x);
                Tensor::cat(vec![out.pool5.clone(), out.taggram()], 1)
            }
            Trunk::Student(t) => t.features(x),
        }
    }

    /// Features (`count × feature_dims`, row-major) of `count` patches of `frames × 96` given
    /// back to back: on the compiled musicnn trunk with up to `threads` threads, or through
    /// burn (its own thread pool) [`TrunkKind::batch_size`] patches per forward pass.
    pub fn features_of_patches(
        &self,
        patches: &[f32],
        count: usize,
        frames: usize,
        threads: usize,
        device: &Device,
    ) -> Result<Vec<f32>, NetError> {
        let per = frames * MUSICNN_MELS;
        if frames == 0 || patches.len() != count * per {
            return Err(NetError::InputShape {
                what: "trunk input",
                values: patches.len(),
                count,
                frames,
                mels: MUSICNN_MELS,
            });
        }
        if let Trunk::Musicnn(_) = self {
            return fast_trunk_features(patches, count, frames, threads);
        }
        let mut data = Vec::with_capacity(count * self.kind().feature_dims());
        for chunk in patches.chunks(per * self.kind().batch_size()) {
            let n = chunk.len() / per;
            let x = Tensor::<4>::from_data(
                TensorData::new(chunk.to_vec(), [n, 1, frames, MUSICNN_MELS]),
                device,
            );
            data.extend(
                self.features(x)
                    .into_data()
                    .try_into_vec::<f32>()
                    .map_err(NetError::readback("the trunk's output"))?,
            );
        }
        Ok(data)
    }

    /// The inference copy.
    pub fn valid(&self) -> Self {
        match self {
            Trunk::Musicnn(t) => Trunk::Musicnn(Box::new(t.valid())),
            Trunk::Student(t) => Trunk::Student(Box::new(t.valid())),
            Trunk::Vgg(t) => Trunk::Vgg(Box::new(t.valid())),
        }
    }
}

/// The tag probabilities of a feature row (its last 50 values).
pub fn tags_of(row: &[f32]) -> &[f32] {
    &row[row.len().saturating_sub(MUSICNN_N_TAGS)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in TrunkKind::ALL {
            assert_eq!(TrunkKind::from_name(k.name()), Some(k));
        }
        assert_eq!(TrunkKind::from_name("msd"), None);
        assert_eq!(TrunkKind::Musicnn.feature_dims(), 250);
        assert_eq!(TrunkKind::Vgg.feature_dims(), 306);
        assert_eq!(TrunkKind::Student.feature_dims(), 250);
        assert_eq!(tags_of(&[1.0; 306]).len(), 50);
    }
}
