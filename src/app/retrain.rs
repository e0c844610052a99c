//! The retrain dialog's state machine: a form (folder, label source, mode, epochs), a preview
//! of what the folder holds, live training progress, and the result to accept or discard. The
//! work itself happens elsewhere (the service layer's trainer, through `model::job`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::keys::{Action, Keymap, Scope};
use crate::model::calibrate::RuleFit;
use crate::model::dataset::LabelSource;
use crate::model::job::TrainMode;
use crate::model::train::{EpochReport, TrainEvent};

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

    pub fn spec(&self) -> Result<TrainSpec, String> {
        let folder = match (self.labels, &self.library) {
            (Labels::LibraryTags, Some(lib)) => lib.root.clone(),
            _ => expand_home(self.folder.trim()),
        };
        if !folder.is_dir() {
            return Err(format!("{}: not a folder", folder.display()));
        }
        let epochs: usize = self
            .epochs
            .trim()
            .parse()
            .ok()
            .filter(|e| (1..=1000).contains(e))
            .ok_or_else(|| "epochs: a number from 1 to 1000".to_string())?;
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

/// What `prepare` found, as the dialog shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub counts: Vec<(String, usize)>,
    pub train_tracks: usize,
    pub valid_tracks: usize,
    pub warnings: Vec<String>,
    pub skipped: usize,
}

/// Live progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub spec: TrainSpec,
    pub features_done: usize,
    pub features_total: usize,
    pub epochs: Vec<EpochReport>,
    pub started: Instant,
    pub cancelling: bool,
    /// Training is over; the model's open-set rule is being fitted.
    pub calibrating: bool,
}

impl Progress {
    /// Seconds left, from the average epoch time (an upper bound: early stopping may end
    /// sooner).
    pub fn eta_secs(&self) -> Option<f64> {
        let last = self.epochs.last()?;
        let avg = self.epochs.iter().map(|e| e.secs).sum::<f64>() / self.epochs.len() as f64;
        Some(avg * last.epochs.saturating_sub(last.epoch) as f64)
    }
}

/// The finished training, as the dialog shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub labels: Vec<String>,
    pub valid_tracks: usize,
    pub train_tracks: usize,
    pub valid_accuracy: Option<f64>,
    /// Per class: (label, recall, support).
    pub recall: Vec<(String, Option<f64>, usize)>,
    pub confusion: Vec<Vec<usize>>,
    /// The active model on the same validation tracks: (its name, accuracy, tracks compared).
    pub active: Option<(String, f64, usize)>,
    pub best_epoch: usize,
    pub epochs: Vec<EpochReport>,
    pub secs: f64,
    /// The name the model is saved under (suggested: the folder's name and the date; editable).
    pub name: String,
    /// Its own open-set rule ("?") and its rates, or why it has none.
    pub open_set: RuleFit,
}

impl Outcome {
    /// Why accepting is not offered as it stands (empty: it is). The user can still force it.
    pub fn blockers(&self) -> Vec<String> {
        let mut why = Vec::new();
        let empty: Vec<&str> = self
            .recall
            .iter()
            .filter(|(_, _, n)| *n == 0)
            .map(|(l, _, _)| l.as_str())
            .collect();
        if self.valid_accuracy.is_none() || self.valid_tracks == 0 {
            why.push("no validation tracks: nothing measured how well it does".to_string());
        } else if !empty.is_empty() {
            why.push(format!(
                "no validation tracks for {}: how well it knows {} is unmeasured",
                empty.join(", "),
                if empty.len() == 1 { "it" } else { "them" }
            ));
        }
        if let (Some(new), Some((name, old, n))) = (self.valid_accuracy, &self.active)
            && new < *old
        {
            why.push(format!(
                "{:.0}% is below the active model ({name}): {:.0}% on the same {n} tracks",
                new * 100.0,
                old * 100.0
            ));
        }
        why
    }
}

/// "rock-and-jazz 2026-12-01": the folder's name and the day, the suggested model name.
pub fn suggested_name(folder: &Path, unix_secs: u64) -> String {
    let base = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "trained".into());
    let (y, m, d) = crate::util::time::civil_date(unix_secs);
    format!("{base} {y:04}-{m:02}-{d:02}")
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Form(Form),
    /// Looking at the folder.
    Preparing(Form),
    Preview(Form, Preview),
    Training(Progress),
    Done(Outcome),
    Failed(String),
}

/// What the dialog asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Prepare(TrainSpec),
    Start(TrainSpec),
    Cancel,
    /// Accept, saving the model under this name.
    Accept(String),
    Discard,
    Close,
}

/// The dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrain {
    pub stage: Stage,
    /// Accept was asked once although it is not offered (see [`Outcome::blockers`]): asking
    /// again forces it.
    pub forcing: bool,
    /// The name field of a finished training has the keys.
    pub naming: bool,
}

impl Retrain {
    pub fn new(folder: &Path) -> Self {
        Self::with_form(Form::new(&folder.to_string_lossy()))
    }

    /// The dialog starting from a filled-in form.
    pub fn with_form(form: Form) -> Self {
        Retrain {
            stage: Stage::Form(form),
            forcing: false,
            naming: false,
        }
    }

    /// True while training runs (a second training is refused).
    pub fn running(&self) -> bool {
        matches!(self.stage, Stage::Training(_))
    }

    /// Keys go to the dialog (rather than the rest of the app) in these stages.
    pub fn modal(&self) -> bool {
        self.naming
            || matches!(
                self.stage,
                Stage::Form(_) | Stage::Preparing(_) | Stage::Preview(..)
            )
    }

    /// A key while the dialog has the focus. Text fields take raw keys; Enter confirms and
    /// Esc goes back, as in any dialog; cancel, accept and discard are the keymap's Training
    /// actions.
    pub fn on_key(&mut self, k: KeyEvent, keys: &Keymap) -> Option<Request> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let action = keys.action_in(&k, &[Scope::Training]);
        match &mut self.stage {
            Stage::Form(form) => {
                form.error = None;
                match k.code {
                    KeyCode::Esc => return Some(Request::Close),
                    KeyCode::Enter => match form.spec() {
                        Ok(spec) => {
                            let f = form.clone();
                            self.stage = Stage::Preparing(f);
                            return Some(Request::Prepare(spec));
                        }
                        Err(e) => form.error = Some(e),
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
                    KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                        if form.focus != Field::Folder =>
                    {
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
                    KeyCode::Char('u') if ctrl && form.focus == Field::Folder => {
                        form.folder.clear()
                    }
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
                None
            }
            Stage::Preparing(_) => (k.code == KeyCode::Esc).then_some(Request::Close),
            Stage::Preview(form, preview) => match k.code {
                KeyCode::Enter if preview.counts.len() >= 2 => {
                    let spec = form.spec().ok()?;
                    self.stage = Stage::Training(Progress {
                        spec: spec.clone(),
                        features_done: 0,
                        features_total: preview.train_tracks + preview.valid_tracks,
                        epochs: vec![],
                        started: Instant::now(),
                        cancelling: false,
                        calibrating: false,
                    });
                    Some(Request::Start(spec))
                }
                KeyCode::Esc | KeyCode::Backspace => {
                    self.stage = Stage::Form(form.clone());
                    None
                }
                _ => None,
            },
            Stage::Training(p) => {
                let cancel = k.code == KeyCode::Esc || action == Some(Action::CancelTraining);
                (cancel && !p.cancelling).then(|| {
                    p.cancelling = true;
                    Request::Cancel
                })
            }
            Stage::Done(o) if self.naming => {
                match k.code {
                    KeyCode::Enter | KeyCode::Tab | KeyCode::Esc => {
                        if o.name.trim().is_empty() {
                            o.name = "trained".into();
                        }
                        o.name = o.name.trim().to_string();
                        self.naming = false;
                    }
                    KeyCode::Backspace => {
                        o.name.pop();
                    }
                    KeyCode::Char('u') if ctrl => o.name.clear(),
                    KeyCode::Char(c) if !ctrl && o.name.chars().count() < 80 => o.name.push(c),
                    _ => {}
                }
                None
            }
            Stage::Done(o) => match (k.code, action) {
                (KeyCode::Tab, _) => {
                    self.naming = true;
                    None
                }
                (KeyCode::Enter, _) | (_, Some(Action::AcceptModel)) => {
                    if o.blockers().is_empty() || self.forcing {
                        Some(Request::Accept(o.name.clone()))
                    } else {
                        self.forcing = true;
                        None
                    }
                }
                (KeyCode::Esc, _) | (_, Some(Action::DiscardModel)) => Some(Request::Discard),
                _ => None,
            },
            Stage::Failed(_) => match k.code {
                KeyCode::Esc | KeyCode::Enter => Some(Request::Close),
                _ => None,
            },
        }
    }

    /// The folder was looked at.
    pub fn prepared(&mut self, result: Result<Preview, String>) {
        if let Stage::Preparing(form) = &self.stage {
            let mut form = form.clone();
            self.stage = match result {
                Ok(p) => Stage::Preview(form, p),
                Err(e) => {
                    form.error = Some(e);
                    Stage::Form(form)
                }
            };
        }
    }

    /// Progress from the training thread.
    pub fn progress(&mut self, ev: TrainEvent) {
        if let Stage::Training(p) = &mut self.stage {
            match ev {
                TrainEvent::Features { done, total, .. } => {
                    p.features_done = done;
                    p.features_total = total;
                }
                TrainEvent::Epoch(r) => p.epochs.push(r),
                TrainEvent::Calibrating => p.calibrating = true,
            }
        }
    }

    /// The training thread ended.
    pub fn finished(&mut self, result: Result<Outcome, String>) {
        self.forcing = false;
        self.naming = false;
        self.stage = match result {
            Ok(o) => Stage::Done(o),
            Err(e) => Stage::Failed(e),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn typed(r: &mut Retrain, s: &str) {
        for c in s.chars() {
            r.on_key(key(KeyCode::Char(c)), &Keymap::defaults());
        }
    }

    #[test]
    fn form_to_preview_to_training_to_done() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("rock")).unwrap();
        let mut r = Retrain::new(dir.path());
        assert!(r.modal());
        // Mode → full; epochs field follows the mode's default, then is typed over.
        r.on_key(key(KeyCode::Down), &Keymap::defaults());
        r.on_key(key(KeyCode::Down), &Keymap::defaults());
        r.on_key(key(KeyCode::Down), &Keymap::defaults());
        r.on_key(key(KeyCode::Right), &Keymap::defaults());
        r.on_key(key(KeyCode::Down), &Keymap::defaults());
        r.on_key(key(KeyCode::Backspace), &Keymap::defaults());
        r.on_key(key(KeyCode::Backspace), &Keymap::defaults());
        typed(&mut r, "12");
        let req = r.on_key(key(KeyCode::Enter), &Keymap::defaults());
        match req {
            Some(Request::Prepare(spec)) => {
                assert_eq!(spec.mode, TrainMode::Full);
                assert_eq!(spec.epochs, 12);
                assert_eq!(spec.labels, LabelSource::Folders);
                assert_eq!(spec.folder, dir.path());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(r.stage, Stage::Preparing(_)));
        // One genre only: Enter does not start.
        r.prepared(Ok(Preview {
            counts: vec![("rock".into(), 3)],
            train_tracks: 2,
            valid_tracks: 1,
            warnings: vec!["genre 'rock' has only 3 tracks".into()],
            skipped: 0,
        }));
        assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
        r.on_key(key(KeyCode::Esc), &Keymap::defaults());
        assert!(matches!(r.stage, Stage::Form(_)));
        r.on_key(key(KeyCode::Enter), &Keymap::defaults());
        r.prepared(Ok(Preview {
            counts: vec![("rock".into(), 8), ("jazz".into(), 9)],
            train_tracks: 12,
            valid_tracks: 5,
            warnings: vec![],
            skipped: 0,
        }));
        assert!(matches!(
            r.on_key(key(KeyCode::Enter), &Keymap::defaults()),
            Some(Request::Start(_))
        ));
        assert!(r.running() && !r.modal());
        r.progress(TrainEvent::Features {
            done: 3,
            total: 17,
            path: "x".into(),
            error: None,
        });
        match &r.stage {
            Stage::Training(p) => assert_eq!((p.features_done, p.features_total), (3, 17)),
            s => panic!("{s:?}"),
        }
        // Cancel is asked once.
        assert_eq!(
            r.on_key(key(KeyCode::Char('x')), &Keymap::defaults()),
            Some(Request::Cancel)
        );
        assert_eq!(r.on_key(key(KeyCode::Char('x')), &Keymap::defaults()), None);
        r.finished(Err("cancelled".into()));
        assert!(matches!(r.stage, Stage::Failed(_)));
        assert_eq!(
            r.on_key(key(KeyCode::Esc), &Keymap::defaults()),
            Some(Request::Close)
        );
    }

    #[test]
    fn a_bad_folder_or_epoch_count_stays_in_the_form_with_a_message() {
        let mut r = Retrain::new(Path::new("/no/such/folder"));
        assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
        match &r.stage {
            Stage::Form(f) => assert!(f.error.as_deref().unwrap().contains("not a folder")),
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn done_accepts_or_discards() {
        let mut r = Retrain::new(Path::new("/"));
        r.finished(Ok(Outcome {
            labels: vec!["a".into(), "b".into()],
            valid_tracks: 4,
            train_tracks: 10,
            valid_accuracy: Some(0.75),
            recall: vec![],
            confusion: vec![],
            active: None,
            best_epoch: 3,
            epochs: vec![],
            secs: 1.0,
            name: "mine 2026-12-01".into(),
            open_set: RuleFit::Skipped("no \"?\" rule: too few tracks".into()),
        }));
        assert_eq!(
            r.on_key(key(KeyCode::Char('a')), &Keymap::defaults()),
            Some(Request::Accept("mine 2026-12-01".into()))
        );
        // The name is edited after Tab (letters then go to the name, not to the keymap).
        r.on_key(key(KeyCode::Tab), &Keymap::defaults());
        assert!(r.modal());
        for _ in 0..10 {
            r.on_key(key(KeyCode::Backspace), &Keymap::defaults());
        }
        typed(&mut r, "-2 dad");
        assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
        assert!(!r.modal());
        assert_eq!(
            r.on_key(key(KeyCode::Char('a')), &Keymap::defaults()),
            Some(Request::Accept("mine -2 dad".into()))
        );
        assert_eq!(
            r.on_key(key(KeyCode::Char('d')), &Keymap::defaults()),
            Some(Request::Discard)
        );
    }

    fn outcome(valid: Option<f64>, recall: Vec<(String, Option<f64>, usize)>) -> Outcome {
        Outcome {
            labels: recall.iter().map(|r| r.0.clone()).collect(),
            valid_tracks: recall.iter().map(|r| r.2).sum(),
            train_tracks: 20,
            valid_accuracy: valid,
            recall,
            confusion: vec![],
            active: None,
            best_epoch: 1,
            epochs: vec![],
            secs: 1.0,
            name: "x".into(),
            open_set: RuleFit::Skipped("no \"?\" rule: too few tracks".into()),
        }
    }

    #[test]
    fn accept_is_not_offered_for_an_unmeasured_or_worse_model_unless_forced() {
        let fine = outcome(
            Some(0.8),
            vec![("a".into(), Some(0.8), 3), ("b".into(), Some(0.8), 2)],
        );
        assert!(fine.blockers().is_empty());
        let mut worse = fine.clone();
        worse.active = Some(("musicnn".into(), 0.9, 5));
        let why = worse.blockers();
        assert_eq!(why.len(), 1);
        assert!(
            why[0].contains("below the active model (musicnn): 90%"),
            "{why:?}"
        );
        let gap = outcome(
            Some(1.0),
            vec![("a".into(), Some(1.0), 3), ("b".into(), None, 0)],
        );
        assert!(gap.blockers()[0].contains("no validation tracks for b"));
        let none = outcome(None, vec![("a".into(), None, 0), ("b".into(), None, 0)]);
        assert!(none.blockers()[0].starts_with("no validation tracks:"));

        // Blocked: the first accept only arms; the second forces it.
        let mut r = Retrain::new(Path::new("/"));
        r.finished(Ok(worse));
        assert_eq!(r.on_key(key(KeyCode::Enter), &Keymap::defaults()), None);
        assert!(r.forcing);
        assert_eq!(
            r.on_key(key(KeyCode::Enter), &Keymap::defaults()),
            Some(Request::Accept("x".into()))
        );
        // Offered: at once.
        let mut r = Retrain::new(Path::new("/"));
        r.finished(Ok(fine));
        assert_eq!(
            r.on_key(key(KeyCode::Enter), &Keymap::defaults()),
            Some(Request::Accept("x".into()))
        );
    }

    #[test]
    fn the_suggested_name_is_the_folder_and_the_day() {
        assert_eq!(
            suggested_name(Path::new("/music/by-genre"), 1_796_140_800),
            "by-genre 2026-12-01"
        );
        assert_eq!(suggested_name(Path::new("/"), 0), "trained 1970-01-01");
        assert_eq!(crate::util::time::civil_date(951_782_400), (2000, 2, 29));
    }

    #[test]
    fn tab_completes_folders() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["music-a", "music-b", "other"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let base = format!("{}/", dir.path().display());
        let (t, opts) = complete_folder(&format!("{base}mu"));
        assert_eq!(t, format!("{base}music-"));
        assert_eq!(opts, vec!["music-a", "music-b"]);
        let (t, opts) = complete_folder(&format!("{base}ot"));
        assert_eq!(t, format!("{base}other/"));
        assert!(opts.is_empty());
        let (t, _) = complete_folder(&format!("{base}zz"));
        assert_eq!(t, format!("{base}zz"));
    }

    #[test]
    fn the_library_s_tags_are_a_source_that_brings_the_library_folder() {
        let dir = tempfile::tempdir().unwrap();
        let lib_root = dir.path().join("library");
        std::fs::create_dir_all(&lib_root).unwrap();
        let tags = [
            Some("Jazz"),
            Some("jazz"),
            Some("Rock"),
            Some("rock; pop"),
            None,
        ];
        assert!(
            LibraryTags::of(&lib_root, tags, 3).is_none(),
            "too few per genre"
        );
        let lt = LibraryTags::of(&lib_root, tags, 2).unwrap();
        assert_eq!((lt.tagged, lt.untagged), (4, 1));
        assert_eq!(lt.genres.len(), 2);
        let mut r = Retrain::with_form(Form::from_library_tags(lt));
        // ◂ ▸ on the source: folders, the folder's tags, then the library's tags again.
        let k = Keymap::defaults();
        r.on_key(key(KeyCode::Down), &k);
        r.on_key(key(KeyCode::Right), &k);
        let labels = |r: &Retrain| match &r.stage {
            Stage::Form(f) => (f.labels, f.folder.clone()),
            s => panic!("{s:?}"),
        };
        assert_eq!(labels(&r).0, Labels::Folders);
        r.on_key(key(KeyCode::Right), &k);
        assert_eq!(labels(&r).0, Labels::Tags);
        r.on_key(key(KeyCode::Right), &k);
        assert_eq!(
            labels(&r),
            (Labels::LibraryTags, lib_root.display().to_string())
        );
        match r.on_key(key(KeyCode::Enter), &k) {
            Some(Request::Prepare(spec)) => {
                assert_eq!(spec.folder, lib_root);
                assert_eq!(spec.labels, LabelSource::Tags { min_count: 5 });
            }
            other => panic!("{other:?}"),
        }
        // Typing another folder makes it that folder's tags.
        let mut r = Retrain::with_form(Form::from_library_tags(
            LibraryTags::of(&lib_root, tags, 2).unwrap(),
        ));
        typed(&mut r, "x");
        assert_eq!(labels(&r).0, Labels::Tags);
    }
}
