//! The retrain dialog's state machine: a form (folder, label source, mode, epochs), a preview
//! of what the folder holds, live training progress, and the result to accept or discard. The
//! work itself happens elsewhere (the service layer's trainer, through `model::job`).

use std::path::Path;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod form;
mod outcome;
#[cfg(test)]
mod tests;

pub use form::{
    Field, Form, FormError, FormKey, Labels, LibraryTags, TrainSpec, complete_folder,
    complete_path, expand_home,
};
pub use outcome::{After, Outcome, Preview, Progress, Step, TrainError, suggested_name};

use crate::keys::{Action, Keymap, Scope};
use crate::model::train::TrainEvent;

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
            Stage::Form(form) => match form.on_key(k) {
                FormKey::Close => Some(Request::Close),
                FormKey::Submit(spec) => {
                    let f = form.clone();
                    self.stage = Stage::Preparing(f);
                    Some(Request::Prepare(spec))
                }
                FormKey::Stay => None,
            },
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
                        step: None,
                        after: After::Training,
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
    pub fn prepared(&mut self, result: Result<Preview, TrainError>) {
        if let Stage::Preparing(form) = &self.stage {
            let mut form = form.clone();
            self.stage = match result {
                Ok(p) => Stage::Preview(form, p),
                Err(e) => {
                    form.error = Some(e.to_string());
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
                TrainEvent::Batch {
                    epoch,
                    epochs,
                    done,
                    total,
                } => {
                    p.step = Some(Step {
                        epoch,
                        epochs,
                        done,
                        total,
                        validating: false,
                    })
                }
                TrainEvent::Validating { epoch, epochs } => {
                    let total = p.step.map_or(0, |s| s.total);
                    p.step = Some(Step {
                        epoch,
                        epochs,
                        done: total,
                        total,
                        validating: true,
                    })
                }
                TrainEvent::Epoch(r) => {
                    p.step = None;
                    p.epochs.push(r)
                }
                TrainEvent::Calibrating => p.after = After::Calibrating,
                TrainEvent::Comparing => p.after = After::Comparing,
            }
        }
    }

    /// The training thread ended.
    pub fn finished(&mut self, result: Result<Outcome, TrainError>) {
        self.forcing = false;
        self.naming = false;
        self.stage = match result {
            Ok(o) => Stage::Done(o),
            Err(e) => Stage::Failed(e.to_string()),
        };
    }
}
