//! Small leaf helpers that many rooms share and that import nothing of the project: vector
//! maths, the TOML reader with line-numbered errors, text made safe for a terminal.

pub mod maths;
pub mod memory;
pub mod private;
pub mod startup;
pub mod text;
pub mod toml_file;
