//! TOML files the user writes, with errors that name the file and the line. They are read
//! only when they are regular files (a FIFO named `config.toml` would block the start for
//! ever) of at most [`MAX_FILE_BYTES`].

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The largest settings file read (the defaults are a few KB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A problem in a user file: which file, which line, what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses TOML, turning errors into [`ConfigError`]s with the line.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })
}

/// What a file that is not a regular file is.
fn kind_of(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Reads the user's file at `path`: `Ok(None)` when there is none. Only a regular file is
/// opened (its type is looked at first, and it is opened without blocking), of at most
/// [`MAX_FILE_BYTES`], in UTF-8; anything else is an error naming the file.
pub fn read_user_file(path: &Path) -> Result<Option<String>, ConfigError> {
    let err = |message: String| ConfigError {
        file: path.to_path_buf(),
        line: None,
        message,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e.to_string())),
    };
    let refuse = |meta: &std::fs::Metadata| -> Result<(), ConfigError> {
        if !meta.is_file() {
            return Err(err(format!("{}: not read", kind_of(meta.file_type()))));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(err(format!(
                "larger than {} KB: not read",
                MAX_FILE_BYTES / 1024
            )));
        }
        Ok(())
    };
    refuse(&meta)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| err(e.to_string()))?;
    refuse(&file.metadata().map_err(|e| err(e.to_string()))?)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(err(format!(
            "larger than {} KB: not read",
            MAX_FILE_BYTES / 1024
        )));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| err(format!("not UTF-8 text: {e}")))
}

/// One settings file as it was found when the settings were loaded (`config::Settings::load`).
#[derive(Debug, Clone, PartialEq)]
pub struct FileCheck {
    pub file: std::path::PathBuf,
    /// False when there is no such file (the defaults stand).
    pub found: bool,
    /// What is wrong with it (empty: it is in force).
    pub errors: Vec<ConfigError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_files_are_read() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read_user_file(&d.path().join("none.toml")), Ok(None));
        let f = d.path().join("ok.toml");
        std::fs::write(&f, "volume = 3\n").unwrap();
        assert_eq!(read_user_file(&f), Ok(Some("volume = 3\n".into())));
        let fifo = d.path().join("config.toml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_user_file(&fifo).unwrap_err();
        assert!(e.message.contains("FIFO"), "{e}");
        assert!(
            read_user_file(d.path())
                .unwrap_err()
                .message
                .contains("folder")
        );
        let big = d.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(read_user_file(&big).unwrap_err().message.contains("larger"));
        let bin = d.path().join("bin.toml");
        std::fs::write(&bin, b"a = \"\xff\"").unwrap();
        assert!(read_user_file(&bin).unwrap_err().message.contains("UTF-8"));
    }
}
