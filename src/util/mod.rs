//! Small leaf helpers that many rooms share and that import nothing of the project: vector
//! maths, the TOML reader with line-numbered errors, bounded lists for serde, text made safe
//! for a terminal, private folders and files.

pub mod bounded;
pub mod maths;
pub mod memory;
pub mod private;
pub mod startup;
pub mod text;
pub mod time;
pub mod toml_file;
