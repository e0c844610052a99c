//! Models on disk: a folder holding `config.json` (labels, front end, architecture) and
//! `model.bpk` (the burnpack record of the inference module). A [`ModelId`] is a hash of both
//! files' bytes, so vectors computed by one model are never mixed with another's.

use std::fmt;
use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::store::ModuleRecord;

use super::cnn::CostaCnn;
use super::config::{ArchConfig, ModelConfig};
use super::error::{NetError, WeightsError};
use super::head::{GenreHead, HeadPooling};
use super::trunk::{Trunk, TrunkKind};

pub const CONFIG_FILE: &str = "config.json";
pub const RECORD_FILE: &str = "model.bpk";

/// Identifies a model by the hash of its config and weights (kept with the store's records).
pub use crate::store::records::ModelId;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model {}: not found", path.display())]
    NotFound { path: PathBuf },
    #[error("model {}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model {}: invalid config: {reason}", path.display())]
    BadConfig { path: PathBuf, reason: String },
    #[error("model {}: weights do not load (truncated, corrupt or not for this architecture): {reason}", path.display())]
    BadRecord { path: PathBuf, reason: String },
    #[error("no built-in model '{name}' (built in: {known})")]
    UnknownBuiltin { name: String, known: String },
}

/// The network, whichever architecture the config names.
#[derive(Debug, Clone)]
pub enum Net {
    Costa(CostaCnn),
    /// A frozen pretrained trunk (musicnn or another, see [`TrunkKind`]) and the trained genre
    /// head (only the head is saved).
    Musicnn {
        trunk: Box<Trunk>,
        head: GenreHead,
        /// Per patch, or pooled over the segments of a forward pass (one track).
        pooling: HeadPooling,
    },
}

/// A forward pass's results.
pub struct NetOutput {
    /// Genre logits `[batch, classes]`.
    pub logits: Tensor<2>,
    /// A per-segment style embedding when the network has one (the trunk's 50 MSD tags).
    pub style: Option<Tensor<2>>,
}

impl Net {
    /// A freshly initialised network for `config` (a pretrained trunk comes loaded).
    pub fn init(config: &ModelConfig, device: &Device) -> Result<Self, NetError> {
        Ok(match &config.arch {
            ArchConfig::Costa(c) => Net::Costa(c.init(config.labels.len(), device)),
            ArchConfig::MusicnnHead(h) => {
                let kind = TrunkKind::from_name(&h.trunk)
                    .ok_or_else(|| NetError::UnknownTrunk(h.trunk.clone()))?;
                Net::Musicnn {
                    trunk: Box::new(Trunk::shared(kind, device)?),
                    head: h.head.init(
                        h.pooling.width(kind.feature_dims()),
                        config.labels.len(),
                        device,
                    ),
                    pooling: h.pooling,
                }
            }
        })
    }

    /// `[batch, 1, frames, mels]` → class logits `[batch, classes]` and the style embedding.
    pub fn forward(&self, x: Tensor<4>) -> NetOutput {
        match self {
            Net::Costa(m) => NetOutput {
                logits: m.forward(x),
                style: None,
            },
            Net::Musicnn {
                trunk,
                head,
                pooling,
            } => {
                let features = trunk.features(x);
                let [b, dims] = features.dims();
                let tags = features
                    .clone()
                    .slice([0..b, dims - super::musicnn::MUSICNN_N_TAGS..dims]);
                let logits = if pooling.is_patch() {
                    head.forward(features)
                } else {
                    // A pooled head reads the segments of this pass as one track: its logits,
                    // repeated per segment (so the mean of the segments' softmaxes is its own).
                    let device = features.device();
                    let rows = features
                        .into_data()
                        .try_into_vec::<f32>()
                        .unwrap_or_default();
                    let pooled = pooling
                        .inputs(&rows, dims)
                        .map(|(x, _)| x)
                        .unwrap_or_else(|| vec![0.0; pooling.width(dims)]);
                    let x = Tensor::<2>::from_data(
                        TensorData::new(pooled, [1, pooling.width(dims)]),
                        &device,
                    );
                    head.forward(x).repeat_dim(0, b)
                };
                NetOutput {
                    logits,
                    style: Some(tags),
                }
            }
        }
    }

    /// Segments per forward pass at inference through burn; see [`TrunkKind::batch_size`]
    /// (the compiled musicnn trunk that inference uses runs one patch at a time in ≈1 MB
    /// whatever the batch; 4 bounds burn's reference trunks, ≈25-30 MB of activations per
    /// patch). The small CNN takes 32.
    pub fn batch_size(&self) -> usize {
        match self {
            Net::Costa(_) => 32,
            Net::Musicnn { trunk, .. } => trunk.kind().batch_size(),
        }
    }

    /// `[batch, 1, frames, mels]` → class logits `[batch, classes]`.
    pub fn logits(&self, x: Tensor<4>) -> Tensor<2> {
        self.forward(x).logits
    }

    /// The inference copy (no autodiff, batch norm on running statistics, no dropout).
    pub fn valid(&self) -> Self {
        match self {
            Net::Costa(m) => Net::Costa(m.valid()),
            Net::Musicnn {
                trunk,
                head,
                pooling,
            } => Net::Musicnn {
                trunk: Box::new(trunk.valid()),
                head: head.valid(),
                pooling: *pooling,
            },
        }
    }

    fn into_record_bytes(self) -> Result<Vec<u8>, WeightsError> {
        let record = match self {
            Net::Costa(m) => m.into_record(),
            Net::Musicnn { head, .. } => head.into_record(),
        };
        record
            .into_bytes()
            .map(|b| b.to_vec())
            .map_err(|e| WeightsError::Record {
                detail: e.to_string(),
            })
    }

    fn load_record_bytes(self, bytes: &[u8]) -> Result<Self, WeightsError> {
        let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| WeightsError::Record {
                detail: e.to_string(),
            })?;
        // burn validates shapes and names; a panic inside it is turned into an error too.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || match self {
            Net::Costa(m) => m.try_load_record(record).map(Net::Costa),
            Net::Musicnn {
                trunk,
                head,
                pooling,
            } => head.try_load_record(record).map(|head| Net::Musicnn {
                trunk,
                head,
                pooling,
            }),
        }));
        match result {
            Ok(Ok(net)) => Ok(net),
            Ok(Err(e)) => Err(WeightsError::Record {
                detail: e.to_string(),
            }),
            Err(_) => Err(WeightsError::Record {
                detail: "the record does not match the architecture".into(),
            }),
        }
    }
}

/// Where a loaded model came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSource {
    /// The default built-in model.
    Embedded,
    /// Another built-in model, by name (see [`BUILTINS`]).
    Builtin(&'static str),
    Path(PathBuf),
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSource::Embedded => f.write_str("(built-in default model)"),
            ModelSource::Builtin(name) => write!(f, "(built-in model {name})"),
            ModelSource::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A model ready for inference.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    pub id: ModelId,
    pub config: ModelConfig,
    pub net: Net,
    pub source: ModelSource,
}

/// Resolves a user-given model path: the model folder, or its `config.json`.
pub fn model_dir(path: &Path) -> PathBuf {
    if path.is_file() || path.file_name().is_some_and(|n| n == CONFIG_FILE) {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path.to_path_buf()
    }
}

fn parse_config(bytes: &[u8], path: &Path) -> Result<ModelConfig, ModelError> {
    let config: ModelConfig = serde_json::from_slice(bytes).map_err(|e| ModelError::BadConfig {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    config.validate().map_err(|reason| ModelError::BadConfig {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    })?;
    Ok(config)
}

/// Builds a model from the bytes of its two files.
pub fn load_from_bytes(
    config_json: &[u8],
    record: &[u8],
    source: ModelSource,
    device: &Device,
) -> Result<LoadedModel, ModelError> {
    let label = match &source {
        ModelSource::Embedded => PathBuf::from("<built-in>"),
        ModelSource::Builtin(name) => PathBuf::from(format!("<built-in {name}>")),
        ModelSource::Path(p) => p.clone(),
    };
    let config = parse_config(config_json, &label.join(CONFIG_FILE))?;
    let net = Net::init(&config, device)
        .map_err(|e| ModelError::BadConfig {
            path: label.join(CONFIG_FILE),
            reason: e.to_string(),
        })?
        .load_record_bytes(record)
        .map_err(|e| ModelError::BadRecord {
            path: label.join(RECORD_FILE),
            reason: e.to_string(),
        })?
        .valid();
    Ok(LoadedModel {
        id: ModelId::of(config_json, record),
        config,
        net,
        source,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ModelError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            ModelError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Loads the model in folder `path` (or the folder of the `config.json` given).
pub fn load_dir(path: &Path, device: &Device) -> Result<LoadedModel, ModelError> {
    let dir = model_dir(path);
    if !dir.exists() {
        return Err(ModelError::NotFound { path: dir });
    }
    let config_json = read(&dir.join(CONFIG_FILE))?;
    let record = read(&dir.join(RECORD_FILE))?;
    load_from_bytes(&config_json, &record, ModelSource::Path(dir), device)
}

/// A model built into the binary: its two files' bytes.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// What `--model builtin:NAME` and `genreplay models use NAME` take.
    pub name: &'static str,
    pub about: &'static str,
    pub config: &'static [u8],
    pub record: &'static [u8],
}

impl Builtin {
    pub fn id(&self) -> ModelId {
        ModelId::of(self.config, self.record)
    }
}

/// The built-in models (`models/` in the source tree; see `models/MODEL_CARD.md`).
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "musicnn",
        about: "genre head on the musicnn MSD_musicnn trunk",
        config: include_bytes!("../../models/default/config.json"),
        record: include_bytes!("../../models/default/model.bpk"),
    },
    Builtin {
        name: "vgg",
        about: "genre head on the musicnn MSD_vgg trunk",
        config: include_bytes!("../../models/vgg/config.json"),
        record: include_bytes!("../../models/vgg/model.bpk"),
    },
    Builtin {
        name: "student",
        about: "genre head on a small network distilled from MSD_musicnn (fastest)",
        config: include_bytes!("../../models/student/config.json"),
        record: include_bytes!("../../models/student/model.bpk"),
    },
];

/// The built-in model used when none is chosen.
pub const DEFAULT_BUILTIN: &str = "musicnn";

/// How `--model` names a built-in model.
pub const BUILTIN_PREFIX: &str = "builtin:";

/// The built-in model called `name` (with or without the `builtin:` prefix).
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    let name = name.strip_prefix(BUILTIN_PREFIX).unwrap_or(name);
    BUILTINS.iter().find(|b| b.name == name)
}

/// Loads the built-in model called `name`.
pub fn load_builtin(name: &str, device: &Device) -> Result<LoadedModel, ModelError> {
    let b = builtin(name).ok_or_else(|| ModelError::UnknownBuiltin {
        name: name
            .strip_prefix(BUILTIN_PREFIX)
            .unwrap_or(name)
            .to_string(),
        known: BUILTINS
            .iter()
            .map(|b| b.name)
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let source = if b.name == DEFAULT_BUILTIN {
        ModelSource::Embedded
    } else {
        ModelSource::Builtin(b.name)
    };
    load_from_bytes(b.config, b.record, source, device)
}

/// The default model built into the binary.
pub fn load_embedded(device: &Device) -> Result<LoadedModel, ModelError> {
    load_builtin(DEFAULT_BUILTIN, device)
}

/// The built-in model with id `id`, or the default one when no built-in model has it (a
/// store written by an older build).
pub fn load_embedded_id(id: &str, device: &Device) -> Result<LoadedModel, ModelError> {
    match BUILTINS.iter().find(|b| b.id().as_str() == id) {
        Some(b) => load_builtin(b.name, device),
        None => load_embedded(device),
    }
}

/// `--model PATH` when given (a model folder, or `builtin:NAME`), the built-in default
/// otherwise.
pub fn load(path: Option<&Path>, device: &Device) -> Result<LoadedModel, ModelError> {
    match path {
        Some(p) => match p.to_str().and_then(|s| s.strip_prefix(BUILTIN_PREFIX)) {
            Some(name) => load_builtin(name, device),
            None => load_dir(p, device),
        },
        None => load_embedded(device),
    }
}

/// Serialises `config` and the inference copy of `net` to the bytes of the two model files.
pub fn to_bytes(config: &ModelConfig, net: &Net) -> Result<(Vec<u8>, Vec<u8>), WeightsError> {
    let config_json = serde_json::to_vec_pretty(config).map_err(|e| WeightsError::Config {
        what: "model",
        detail: e.to_string(),
    })?;
    let record = net.valid().into_record_bytes()?;
    Ok((config_json, record))
}

/// Writes a model folder atomically: both files go to a temporary sibling folder, which is
/// then renamed into place (replacing an older folder of that name). A crash leaves either the
/// old folder or the new one, never a half-written model.
pub fn save_dir(dir: &Path, config: &ModelConfig, net: &Net) -> anyhow::Result<ModelId> {
    use anyhow::Context;
    let (config_json, record) =
        to_bytes(config, net).map_err(|e| anyhow::anyhow!("serialising the model: {e}"))?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).ok();
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    for (file, bytes) in [(CONFIG_FILE, &config_json), (RECORD_FILE, &record)] {
        let p = tmp.join(file);
        let mut f =
            std::fs::File::create(&p).with_context(|| format!("writing {}", p.display()))?;
        std::io::Write::write_all(&mut f, bytes)
            .with_context(|| format!("writing {}", p.display()))?;
        f.sync_all()
            .with_context(|| format!("syncing {}", p.display()))?;
    }
    if dir.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(dir, &old).with_context(|| format!("replacing {}", dir.display()))?;
        std::fs::rename(&tmp, dir).with_context(|| format!("writing {}", dir.display()))?;
        std::fs::remove_dir_all(&old).ok();
    } else {
        std::fs::rename(&tmp, dir).with_context(|| format!("writing {}", dir.display()))?;
    }
    Ok(ModelId::of(&config_json, &record))
}
