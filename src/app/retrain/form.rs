//! The retrain dialog's form: the folder (with Tab completion), where labels come from, the
//! mode and epochs, and the training spec it makes.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::model::dataset::LabelSource;
use crate::model::job::TrainMode;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSpec {
    pub folder: PathBuf,
    pub labels: LabelSource,
    pub mode: TrainMode,
    pub epochs: usize,
}

/// The form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Folder,
    Labels,
    MinCount,
    Mode,
    Epochs,
}

impl Field {
    const ORDER: [Field; 5] = [
        Field::Folder,
        Field::Labels,
        Field::MinCount,
        Field::Mode,
        Field::Epochs,
    ];
    fn step(self, d: isize) -> Field {
        let i = Field::ORDER.iter().position(|f| *f == self).unwrap_or(0) as isize;
        let n = Field::ORDER.len() as isize;
        Field::ORDER[((i + d).rem_euclid(n)) as usize]
    }
}

/// Where the genres to train on come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// One subfolder of the folder per genre.
    Folders,
    /// The genre tags of the files in the folder.
    Tags,
    /// The genre tags of the whole library (offered when enough of its tracks are tagged).
    LibraryTags,
}

/// What the library's genre tags could train (see `library::genres`: spellings merged,
/// several genres in one tag split).
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryTags {
    pub root: PathBuf,
    /// Tracks with a genre tag, and without one.
    pub tagged: usize,
    pub untagged: usize,
    /// Genres with at least the minimum of tracks, with their counts.
    pub genres: Vec<(String, usize)>,
}

impl LibraryTags {
    /// What the library's tags could train, when at least two genres reach `min_count`.
    pub fn of<'a>(
        root: &Path,
        tags: impl IntoIterator<Item = Option<&'a str>>,
        min_count: usize,
    ) -> Option<Self> {
        let mut total = 0usize;
        let mut tally = crate::library::genres::GenreTally::default();
        for t in tags {
            total += 1;
            tally.add(t);
        }
        let genres = tally.genres(min_count);
        (genres.len() >= 2).then(|| LibraryTags {
            root: root.to_path_buf(),
            tagged: tally.tagged(),
            untagged: total - tally.tagged(),
            genres,
        })
    }

    /// One line for the form: "412 tagged tracks in 7 genres (…); the 88 untagged ones are
    /// classified by the new model".
    pub fn summary(&self) -> String {
        let shown: Vec<String> = self
            .genres
            .iter()
            .take(6)
            .map(|(g, n)| format!("{g} {n}"))
            .collect();
        format!(
            "your library's genre tags can train a model: {} tagged tracks, {} genres ({}{}); once it is accepted, the {} untagged ones get its genre, or \"?\" where it is unsure",
            self.tagged,
            self.genres.len(),
            shown.join(", "),
            if self.genres.len() > shown.len() {
                ", …"
            } else {
                ""
            },
            self.untagged
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub folder: String,
    pub labels: Labels,
    /// The library's genre tags, when they are enough to train on.
    pub library: Option<LibraryTags>,
    pub min_count: usize,
    pub mode: TrainMode,
    pub epochs: String,
    pub focus: Field,
    /// Shown under the folder field after a Tab with several matches.
    pub completions: Vec<String>,
    pub error: Option<String>,
    /// Why the folder was left empty (shown until the folder is edited).
    pub note: Option<String>,
}

impl Form {
    pub fn new(folder: &str) -> Self {
        Form {
            folder: folder.to_string(),
            labels: Labels::Folders,
            library: None,
            min_count: 5,
            mode: TrainMode::Quick,
            epochs: TrainMode::Quick.default_options().epochs.to_string(),
            focus: Field::Folder,
            completions: vec![],
            error: None,
            note: None,
        }
    }

    /// A form that starts from the library's genre tags.
    pub fn from_library_tags(tags: LibraryTags) -> Self {
        let mut f = Form::new(&tags.root.to_string_lossy());
        f.labels = Labels::LibraryTags;
        f.note = Some(tags.summary());
        f.library = Some(tags);
        f
    }

    /// The label sources on offer, in the order ◂ ▸ steps through them.
    fn sources(&self) -> Vec<Labels> {
        let mut v = vec![Labels::Folders, Labels::Tags];
        if self.library.is_some() {
            v.push(Labels::LibraryTags);
        }
        v
    }

    /// Steps the label source; the library's tags bring the library's folder with them.
    fn step_labels(&mut self, right: bool) {
        let v = self.sources();
        let i = v.iter().position(|l| *l == self.labels).unwrap_or(0) as isize;
        let n = v.len() as isize;
        self.labels = v[(i + if right { 1 } else { -1 }).rem_euclid(n) as usize];
        if let (Labels::LibraryTags, Some(lib)) = (self.labels, &self.library) {
            self.folder = lib.root.to_string_lossy().into_owned();
            self.note = Some(lib.summary());
        }
    }

    /// True when genres come from tags (the minimum per genre applies).
    pub fn uses_tags(&self) -> bool {
        self.labels != Labels::Folders
    }

    pub fn spec(&self) -> Result<TrainSpec, FormError> {
        let folder = match (self.labels, &self.library) {
            (Labels::LibraryTags, Some(lib)) => lib.root.clone(),
            _ => expand_home(self.folder.trim()),
        };
        if !folder.is_dir() {
            return Err(FormError::NotAFolder(folder));
        }
        let epochs: usize = self
            .epochs
            .trim()
            .parse()
            .ok()
            .filter(|e| (1..=1000).contains(e))
            .ok_or(FormError::Epochs)?;
        Ok(TrainSpec {
            folder,
            labels: if self.uses_tags() {
                LabelSource::Tags {
                    min_count: self.min_count,
                }
            } else {
                LabelSource::Folders
            },
            mode: self.mode,
            epochs,
        })
    }
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(s: &str) -> PathBuf {
    match s.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None if s == "~" => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default(),
        None => PathBuf::from(s),
    }
}

/// Completes a folder path like a shell: the longest common prefix of the subfolders of its
/// parent that start with what was typed. Returns the new text and the candidates.
pub fn complete_folder(input: &str) -> (String, Vec<String>) {
    complete_path(input, true)
}

/// Completes a path like a shell (folders only when `dirs_only`): the longest common prefix of
/// the entries of its parent that start with what was typed; a single folder gets its `/`.
pub fn complete_path(input: &str, dirs_only: bool) -> (String, Vec<String>) {
    let (dir_part, prefix) = match input.rfind('/') {
        Some(i) => (&input[..=i], &input[i + 1..]),
        None => ("", input),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir_part)
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| !dirs_only || e.path().is_dir())
                .map(|e| {
                    let dir = e.path().is_dir();
                    let n = e.file_name().to_string_lossy().into_owned();
                    if dir && !dirs_only {
                        format!("{n}/")
                    } else {
                        n
                    }
                })
                .filter(|n| {
                    n.starts_with(prefix) && (prefix.starts_with('.') || !n.starts_with('.'))
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    match names.as_slice() {
        [] => (input.to_string(), vec![]),
        [one] if dirs_only => (format!("{dir_part}{one}/"), vec![]),
        [one] => (format!("{dir_part}{one}"), vec![]),
        many => {
            let first = &many[0];
            let common = many.iter().fold(first.len(), |n, s| {
                first
                    .chars()
                    .zip(s.chars())
                    .take_while(|(a, b)| a == b)
                    .count()
                    .min(n)
            });
            let p: String = first.chars().take(common).collect();
            (format!("{dir_part}{p}"), many.to_vec())
        }
    }
}

/// What keeps the form from making a training spec (shown under the form).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormError {
    #[error("{}: not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("epochs: a number from 1 to 1000")]
    Epochs,
}

/// What a key in the form asks of the dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum FormKey {
    Stay,
    Close,
    /// Enter on a form that makes a spec: look at the folder.
    Submit(TrainSpec),
}

impl Form {
    /// A key while the form has the focus: text fields take raw keys, Tab completes the
    /// folder or moves on, ←/→/space step a choice.
    pub fn on_key(&mut self, k: KeyEvent) -> FormKey {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let form = self;
        form.error = None;
        match k.code {
            KeyCode::Esc => return FormKey::Close,
            KeyCode::Enter => match form.spec() {
                Ok(spec) => return FormKey::Submit(spec),
                Err(e) => form.error = Some(e.to_string()),
            },
            KeyCode::Tab if form.focus == Field::Folder => {
                let (text, options) = complete_folder(&form.folder);
                if text == form.folder && options.is_empty() {
                    form.focus = form.focus.step(1);
                }
                form.folder = text;
                form.completions = options;
            }
            KeyCode::Tab | KeyCode::Down => {
                form.focus = form.focus.step(1);
                form.completions.clear();
            }
            KeyCode::BackTab | KeyCode::Up => {
                form.focus = form.focus.step(-1);
                form.completions.clear();
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.focus != Field::Folder => {
                let right = k.code != KeyCode::Left;
                match form.focus {
                    Field::Labels => form.step_labels(right),
                    Field::Mode => {
                        form.mode = match form.mode {
                            TrainMode::Quick => TrainMode::Full,
                            TrainMode::Full => TrainMode::Quick,
                        };
                        form.epochs = form.mode.default_options().epochs.to_string();
                    }
                    Field::MinCount => {
                        form.min_count = if right {
                            form.min_count + 1
                        } else {
                            form.min_count.saturating_sub(1).max(1)
                        };
                    }
                    Field::Epochs => {
                        let e: usize = form.epochs.parse().unwrap_or(1);
                        form.epochs = if right {
                            e + 1
                        } else {
                            e.saturating_sub(1).max(1)
                        }
                        .to_string();
                    }
                    Field::Folder => {}
                }
            }
            KeyCode::Backspace => match form.focus {
                Field::Folder => {
                    form.folder.pop();
                }
                Field::Epochs => {
                    form.epochs.pop();
                }
                _ => {}
            },
            KeyCode::Char('u') if ctrl && form.focus == Field::Folder => form.folder.clear(),
            KeyCode::Char(c) if !ctrl => match form.focus {
                Field::Folder => {
                    form.note = None;
                    if form.labels == Labels::LibraryTags {
                        form.labels = Labels::Tags;
                    }
                    form.folder.push(c)
                }
                Field::Epochs if c.is_ascii_digit() => form.epochs.push(c),
                Field::MinCount if c.is_ascii_digit() => {
                    form.min_count = format!("{}{c}", form.min_count)
                        .parse()
                        .unwrap_or(form.min_count)
                        .min(1000);
                }
                _ => {}
            },
            _ => {}
        }
        FormKey::Stay
    }
}
