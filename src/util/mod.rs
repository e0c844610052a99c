//! Small leaf helpers that many rooms share and that import nothing of the project: vector
//! maths and the TOML reader with line-numbered errors.

pub mod maths;
pub mod memory;
pub mod startup;
pub mod toml_file;
