#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The networks and their training: the ports against TensorFlow's reference outputs
//! (`musicnn_port`, `musicnn_frontend`, `musicnn_fast` on every kernel, `vgg_port`,
//! `student_port`), the built-in models (`builtin_models`, `default_model`), the open-set rule
//! (`open_set`), learning, recipes, distillation and retraining (`learning`, `recipes`,
//! `distill`, `retrain`).

#[path = "../common/mod.rs"]
mod common;

mod builtin_models;
mod default_model;
mod distill;
mod learning;
mod musicnn_fast;
mod musicnn_frontend;
mod musicnn_port;
mod open_set;
mod recipes;
mod retrain;
mod student_port;
mod vgg_port;
