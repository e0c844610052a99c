//! Small leaf helpers that many rooms share and that import nothing of the project: vector
//! maths, the TOML reader with line-numbered errors, bounded lists for serde.

pub mod bounded;
pub mod maths;
pub mod memory;
pub mod startup;
pub mod toml_file;
