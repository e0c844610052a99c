//! The genre model: architecture, configuration, training, inference, files on disk.

pub mod active;
pub mod backend;
pub mod cache;
pub mod calibrate;
pub mod cnn;
pub mod config;
pub mod dataset;
pub mod distill;
pub mod error;
pub mod eval;
pub mod fast;
pub mod head;
pub mod infer;
pub mod job;
pub mod kernels;
pub mod logreg;
pub mod musicnn;
pub mod open_set;
pub mod registry;
pub mod safetensors;
pub mod student;
pub mod styles;
pub mod train;
pub mod trunk;
pub mod tta;
pub mod vgg;

pub use config::ModelConfig;
pub use infer::{Classifier, Prediction};
pub use registry::{LoadedModel, ModelError, ModelId};
