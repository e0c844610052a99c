//! The model room's errors: weights that do not load (naming the tensor or the part of the
//! file), inputs a network cannot take, tensors that cannot be read back. Registry errors (a
//! model folder on disk) are `registry::ModelError`.

use super::kernels::OutOfBounds;

/// Why built-in or trained weights (a safetensors file, a burn record) do not load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    #[error("safetensors: file is {len} bytes, too short for the 8-byte header length")]
    TooShort { len: usize },
    #[error(
        "safetensors: header length {header_len} runs past the end of the {len}-byte file (truncated or not a safetensors file)"
    )]
    HeaderPastEnd { header_len: u64, len: usize },
    #[error("safetensors: header is not valid JSON: {detail}")]
    HeaderJson { detail: String },
    #[error("safetensors: header is not a JSON object")]
    HeaderNotObject,
    #[error("safetensors: tensor `{name}`: {what}")]
    Entry { name: String, what: String },
    #[error("tensor `{name}` is missing")]
    Missing { name: String },
    #[error("tensor `{name}` has dtype {dtype}, expected F32")]
    Dtype { name: String, dtype: String },
    #[error("tensor `{name}`: shape {shape:?} needs {need} bytes, the file has {have}")]
    Size {
        name: String,
        shape: Vec<usize>,
        need: usize,
        have: usize,
    },
    #[error("tensor `{name}` has shape {shape:?}, expected {expected:?}")]
    Shape {
        name: String,
        shape: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("{weights} weights and {biases} biases for {inputs} inputs and {classes} classes")]
    Linear {
        weights: usize,
        biases: usize,
        inputs: usize,
        classes: usize,
    },
    /// The configuration that comes with a network's weights.
    #[error("{what} config: {detail}")]
    Config { what: &'static str, detail: String },
    /// burn's record (de)serialisation, or a record that does not fit the architecture.
    #[error("{detail}")]
    Record { detail: String },
}

/// Why a network could not be made or could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetError {
    #[error("{what} weights: {source}")]
    Weights {
        what: &'static str,
        source: WeightsError,
    },
    #[error("{what}: {values} values for {count} patches of {frames} × {mels}")]
    InputShape {
        what: &'static str,
        values: usize,
        count: usize,
        frames: usize,
        mels: usize,
    },
    /// A tensor could not be read back from burn (its element type or layout).
    #[error("reading {what}: {detail}")]
    Readback { what: &'static str, detail: String },
    #[error("musicnn trunk: {0}")]
    Kernel(#[from] OutOfBounds),
    #[error("unknown trunk '{0}'")]
    UnknownTrunk(String),
}

impl NetError {
    /// A `WeightsError` while loading `what`.
    pub fn weights(what: &'static str) -> impl FnOnce(WeightsError) -> NetError {
        move |source| NetError::Weights { what, source }
    }

    /// A burn readback error (its `Debug` form is all it offers) while reading `what`.
    pub fn readback(what: &'static str) -> impl FnOnce(burn::tensor::DataError) -> NetError {
        move |e| NetError::Readback {
            what,
            detail: format!("{e:?}"),
        }
    }
}

/// Something the model room was given that does not hold together — a configuration, an
/// open-set rule, training rows, a network's output — and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl From<String> for Invalid {
    fn from(s: String) -> Self {
        Invalid(s)
    }
}

impl From<&str> for Invalid {
    fn from(s: &str) -> Self {
        Invalid(s.to_string())
    }
}
