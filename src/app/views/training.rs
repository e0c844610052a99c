//! The Training view: the retrain dialog (a modal form while it is being filled in), then the
//! running training and its result. The dialog's state machine is `crate::app::retrain`; this
//! view routes keys to it and turns its requests into effects.

use std::path::{Path, PathBuf};

use crossterm::event::KeyEvent;

use crate::app::catalog::Catalog;
use crate::app::event::{Effect, ModelRow};
use crate::app::retrain::{
    Form, LibraryTags, Outcome, Preview, Request, Retrain, Stage, TrainError,
};
use crate::app::session::Session;
use crate::app::views::Handled;
use crate::keys::Action;
use crate::model::dataset::{artist_like, artist_warning};
use crate::model::train::TrainEvent;

/// The subfolders of `folder` (as the library has them) that look like artists.
fn artist_folders(lib: &Catalog, folder: &Path) -> Vec<String> {
    let mut by: std::collections::BTreeMap<String, Vec<Option<String>>> = Default::default();
    for t in &lib.tracks {
        let Ok(rel) = t.path.strip_prefix(folder) else {
            continue;
        };
        let mut parts = rel.components();
        let (Some(first), Some(_)) = (parts.next(), parts.next()) else {
            continue;
        };
        let artist = t.has_artist().then(|| t.artist.clone());
        by.entry(first.as_os_str().to_string_lossy().into_owned())
            .or_default()
            .push(artist);
    }
    artist_like(&by.into_iter().collect::<Vec<_>>())
}

/// What the app should do after the view handled a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Stay,
    /// The dialog closed: back to the library.
    Close,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingView {
    /// The retrain dialog, once opened.
    pub retrain: Option<Retrain>,
    /// The folder the dialog starts with (the last one used, else the library).
    pub folder: PathBuf,
    /// Every model the store knows: built-in and trained; Enter makes one active.
    pub models: Vec<ModelRow>,
    pub cursor: usize,
}

impl TrainingView {
    pub fn new(folder: &Path) -> Self {
        TrainingView {
            retrain: None,
            folder: folder.to_path_buf(),
            models: Vec::new(),
            cursor: 0,
        }
    }

    pub fn models_loaded(&mut self, models: Vec<ModelRow>) {
        self.models = models;
        self.cursor = self.cursor.min(self.models.len().saturating_sub(1));
    }

    /// How many of the library's tracks a model has classified: the active model's as the
    /// catalog has them now (it follows the re-classification after a switch, track by
    /// track), the others' as the store counted them when the list was read.
    pub fn classified(&self, m: &ModelRow, s: &Session) -> usize {
        match &s.model {
            Some((id, _)) if *id == m.id => s.lib.classified(),
            _ => m.classified,
        }
    }

    /// Keys go to the dialog rather than the rest of the app.
    pub fn modal(&self) -> bool {
        self.retrain.as_ref().is_some_and(Retrain::modal)
    }

    pub fn running(&self) -> bool {
        self.retrain.as_ref().is_some_and(Retrain::running)
    }

    /// Opens the dialog (or says why not).
    pub fn open(&mut self, s: &mut Session) {
        let keys = &s.keymap;
        match &self.retrain {
            Some(rt) if rt.running() => {
                let text = format!(
                    "a training is already running; {} cancels it",
                    keys.hint(Action::CancelTraining)
                );
                s.set_status(text, true)
            }
            Some(rt) if matches!(rt.stage, Stage::Done(_)) => {
                let text = format!(
                    "accept ({}) or discard ({}) the trained model first",
                    keys.hint(Action::AcceptModel),
                    keys.hint(Action::DiscardModel)
                );
                s.set_status(text, true)
            }
            _ => {
                // The library's genre tags, when enough tracks have them, are offered first.
                let tags = LibraryTags::of(
                    &s.lib.root,
                    s.lib.tracks.iter().map(|t| t.genre_tag.as_deref()),
                    Form::new("").min_count,
                );
                // Not prefilled with a tree of artist folders (the library root, often): a
                // model trained on it would learn artists.
                let like = artist_folders(&s.lib, &self.folder);
                if let Some(tags) = tags {
                    self.retrain = Some(Retrain::with_form(Form::from_library_tags(tags)));
                } else if like.is_empty() {
                    self.retrain = Some(Retrain::new(&self.folder));
                } else {
                    let mut rt = Retrain::new(Path::new(""));
                    if let Stage::Form(f) = &mut rt.stage {
                        f.note = Some(format!(
                            "not filled in: {}",
                            artist_warning(&self.folder, &like)
                        ));
                    }
                    self.retrain = Some(rt);
                }
            }
        }
    }

    /// The view sees a key first (before the keymap's view and global actions): the dialog's
    /// own keys. `None` when the key was not the dialog's.
    pub fn on_key(&mut self, k: KeyEvent, s: &mut Session) -> Option<After> {
        let rt = self.retrain.as_mut()?;
        let (modal, forcing) = (rt.modal(), rt.forcing);
        match rt.on_key(k, &s.keymap) {
            Some(req) => Some(self.request(req, s)),
            // Modal before the key, or made modal by it (Tab starts editing a name).
            None if modal || rt.modal() => Some(After::Stay),
            // An accept that is not offered asked for a second press: the key was the dialog's,
            // and the status line says what the view says.
            None if rt.forcing && !forcing => {
                if let Stage::Done(o) = &rt.stage {
                    let offer = o.offer(
                        &s.keymap.hint(Action::AcceptModel),
                        &s.keymap.hint(Action::DiscardModel),
                        true,
                    );
                    s.set_status(format!("not offered: {offer}"), false);
                }
                Some(After::Stay)
            }
            None => None,
        }
    }

    fn request(&mut self, req: Request, s: &mut Session) -> After {
        match req {
            Request::Prepare(spec) => {
                self.folder = spec.folder.clone();
                s.push(Effect::PrepareTraining(spec));
            }
            Request::Start(spec) => {
                s.set_status(format!("training on {}…", spec.folder.display()), false);
                s.push(Effect::StartTraining(spec));
            }
            Request::Cancel => {
                s.set_status("cancelling the training…", false);
                s.push(Effect::CancelTraining);
            }
            Request::Accept(name) => {
                self.retrain = None;
                s.push(Effect::AcceptModel(name));
            }
            Request::Discard => {
                self.retrain = None;
                s.set_status("trained model discarded; nothing changed", false);
                s.push(Effect::DiscardModel);
            }
            Request::Close => {
                self.retrain = None;
                return After::Close;
            }
        }
        After::Stay
    }

    pub fn prepared(&mut self, r: Result<Preview, TrainError>) {
        if let Some(rt) = &mut self.retrain {
            rt.prepared(r);
        }
    }

    pub fn progress(&mut self, ev: TrainEvent) {
        if let Some(rt) = &mut self.retrain {
            rt.progress(ev);
        }
    }

    pub fn finished(&mut self, r: Result<Box<Outcome>, TrainError>, s: &mut Session) {
        let msg = match &r {
            Ok(o) => format!(
                "training done: validation accuracy {} — {} (Training view, {})",
                o.valid_accuracy
                    .map_or("n/a".into(), |a| format!("{:.0}%", a * 100.0)),
                o.offer(
                    &s.keymap.hint(Action::AcceptModel),
                    &s.keymap.hint(Action::DiscardModel),
                    false
                ),
                s.keymap.hint(Action::ViewTraining),
            ),
            Err(e) => e.to_string(),
        };
        let failed = r.is_err();
        if let Some(rt) = &mut self.retrain {
            rt.finished(r.map(|b| *b));
        }
        s.set_status(msg, failed);
    }
}

impl super::View for TrainingView {
    /// The model list's keys (when no dialog is open).
    fn on_action(&mut self, a: Action, s: &mut Session) -> Handled {
        if self.retrain.is_some() {
            return Handled::No;
        }
        let n = self.models.len();
        match a {
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = n.saturating_sub(1),
            Action::Activate => match self.models.get(self.cursor) {
                Some(m) if s.model.as_ref().is_some_and(|(id, _)| *id == m.id) => {
                    s.set_status(format!("{} is already active", m.name), false)
                }
                Some(m) => {
                    s.set_status(format!("switching to {}…", m.name), false);
                    s.push(Effect::UseModel(m.id.clone()));
                }
                None => s.set_status("no models yet", true),
            },
            _ => return Handled::No,
        }
        Handled::Yes
    }
}
