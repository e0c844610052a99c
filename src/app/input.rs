//! Where a key goes: the help popup, a prompt, the retrain dialog, the search box or the view
//! on screen (`App::focus` decides), then the key table turns it into an `Action`.

use super::*;

impl App {
    pub(super) fn on_key(&mut self, k: KeyEvent) {
        match self.focus() {
            Focus::Help => self.help_key(k),
            Focus::Prompt => self.prompt_key(k),
            Focus::Dialog => match self.views.training.on_key(k, &mut self.session) {
                Some(After::Close) => self.view = View::Library,
                Some(After::Stay) => {}
                None => self.view_key(k),
            },
            Focus::Search => self.search_key(k),
            Focus::Results | Focus::View(_) => self.view_key(k),
        }
    }

    /// The scopes that apply to the list with the focus.
    pub(super) fn scopes(&self) -> &'static [Scope] {
        if self.search.open {
            &[Scope::Browse, Scope::Navigation, Scope::Global]
        } else {
            self.view.scopes()
        }
    }

    pub(super) fn view_key(&mut self, k: KeyEvent) {
        if self.search.typing {
            self.search_key(k);
            return;
        }
        if k.code == KeyCode::Esc && self.search.open {
            self.close_search();
            return;
        }
        match self.keymap().action_in(&k, self.scopes()) {
            Some(a) => self.act(a),
            None => self.explain_key(k),
        }
    }

    /// A key bound only in other views: say where it works.
    pub(super) fn explain_key(&mut self, k: KeyEvent) {
        let Some(a) = self.keymap().action_for(&k) else {
            return;
        };
        let key = self.keymap().hint(a);
        self.explain(a, key);
    }

    /// Says where `a` (called `key`) works, when not here.
    fn explain(&mut self, a: Action, key: String) {
        let keys = self.keymap();
        let hint = |v: View| format!("the {} view ({})", v.title(), keys.hint(v.action()));
        let whereto = match a.scope() {
            Scope::Queue => hint(View::Queue),
            Scope::Playlists => hint(View::Playlists),
            Scope::Training => hint(View::Training),
            Scope::Browse => "the Library, Genres or Playlists view".to_string(),
            Scope::Global | Scope::Navigation => return,
        };
        let desc = a.description().to_lowercase();
        self.session
            .set_status(format!("{key} ({desc}) works in {whereto}"), false);
    }

    /// Carries out a `:` command line: the action as its key would (where its key would work),
    /// then, when the line has more after the name, that as the answer to the question the
    /// action asks (a time, a name, a file).
    pub(super) fn run_command(&mut self, text: &str) {
        let cmd = match super::command_line::parse(text) {
            Ok(c) => c,
            Err(super::command_line::CommandError::Empty) => return,
            Err(e) => {
                self.session.set_status(e.to_string(), true);
                return;
            }
        };
        let a = cmd.action;
        if !self.scopes().contains(&a.scope()) {
            self.explain(a, a.name().to_string());
            return;
        }
        if a == Action::CycleSort && !cmd.arg.is_empty() {
            use crate::app::views::sort::SortKey;
            match SortKey::from_name(&cmd.arg) {
                Some(key) => self.sort_shown(Some(key)),
                None => self.session.set_status(
                    format!("no sort \"{}\": {}", cmd.arg, SortKey::names(&SortKey::ALL)),
                    true,
                ),
            }
            return;
        }
        if a == Action::Search && !cmd.arg.is_empty() {
            self.search.text = cmd.arg.chars().take(256).collect();
            self.open_search();
            self.search.typing = false;
            return;
        }
        let said = self.session.status.clone();
        self.act(a);
        if cmd.arg.is_empty() {
            return;
        }
        match self.prompt.take().or_else(|| self.session.take_prompt()) {
            Some(p) => self.answer(p.kind, cmd.arg),
            // The action said why it could not ask ("nothing is playing"): that stands.
            None if self.session.status != said
                && self.session.status.as_ref().is_some_and(|m| m.error) => {}
            None => {
                let text = format!("{} asks nothing: \"{}\" was not used", a.name(), cmd.arg);
                self.session.set_status(text, true);
            }
        }
    }

    /// `ctl run LINE`: the command line as typed in the player, but only an action that works
    /// anywhere and does not leave a question open; the answer is what the status line says.
    pub(super) fn remote_command(&mut self, line: &str, reply: super::remote::ReplyTo) {
        let too_long = line.len() > super::remote::MAX_COMMAND_BYTES;
        let refused = match super::command_line::parse(line) {
            _ if too_long => Some(format!(
                "a command line of {} bytes is too long",
                line.len()
            )),
            Err(e) => Some(e.to_string()),
            Ok(c) if c.action.scope() != Scope::Global => Some(format!(
                "{} works in a view of the player, not from ctl",
                c.action.name()
            )),
            Ok(c) if c.action == Action::CommandLine => {
                Some("a command line runs one action".into())
            }
            Ok(c) if c.action == Action::Quit => Some("use `genreplay ctl quit`".into()),
            Ok(_) => None,
        };
        let (ok, message) = match refused {
            Some(m) => (false, m),
            None => {
                let before = self.session.status.clone();
                self.run_command(line);
                let asked = self.prompt.take().or_else(|| self.session.take_prompt());
                match asked {
                    Some(p) => (
                        false,
                        format!("it asks \"{}\": give the answer after the name", p.label),
                    ),
                    None => {
                        let now = self.session.status.clone();
                        match now.filter(|n| Some(n) != before.as_ref()) {
                            Some(st) => (!st.error, st.text),
                            None => (true, "done".into()),
                        }
                    }
                }
            }
        };
        let status = super::remote::status(&self.session);
        self.session.push(Effect::RemoteReply(
            reply,
            Box::new(super::remote::RemoteReply {
                ok,
                message,
                status,
            }),
        ));
    }

    pub(super) fn help_key(&mut self, k: KeyEvent) {
        // The popup is the whole height inside its border: scrolling stops when the last line
        // reaches the bottom (not when it is the only one left).
        let page = crate::app::layout::help_rows(self.size.1).max(1);
        // The messages (newest first, long ones wrapped) scroll one message at a time, to the
        // oldest at the top.
        let last = if self.help.messages {
            self.session.messages.len().saturating_sub(1)
        } else {
            crate::keys::help_lines(self.keymap())
                .len()
                .saturating_sub(page)
        };
        match (k.code, self.keymap().action_for(&k)) {
            (KeyCode::Esc, _)
            | (_, Some(Action::Help | Action::Messages))
            | (_, Some(Action::Quit)) => self.help.open = false,
            (_, Some(Action::Down)) => self.help.scroll += 1,
            (_, Some(Action::Up)) => self.help.scroll = self.help.scroll.saturating_sub(1),
            (_, Some(Action::PageDown)) => self.help.scroll += page,
            (_, Some(Action::PageUp)) => self.help.scroll = self.help.scroll.saturating_sub(page),
            (_, Some(Action::Top)) => self.help.scroll = 0,
            (_, Some(Action::Bottom)) => self.help.scroll = last,
            _ => {}
        }
        // The last page stays in view.
        self.help.scroll = self.help.scroll.min(last);
    }

    pub(super) fn open_search(&mut self) {
        self.search.open = true;
        self.search.typing = true;
        let s = &self.session;
        self.views
            .search
            .run(&s.lib, s.facts(), &self.search.text, s.list_height);
    }

    pub(super) fn close_search(&mut self) {
        self.search = SearchBox::default();
        self.views.search.results.clear();
    }

    pub(super) fn search_key(&mut self, k: KeyEvent) {
        let mut changed = false;
        match k.code {
            KeyCode::Esc => self.close_search(),
            // The header says "Enter plays": the first Enter plays the selected result (and
            // the typing ends; the keys then move through the results). With no result it only
            // ends the typing.
            KeyCode::Enter => {
                self.search.typing = false;
                if !self.views.search.results.is_empty() {
                    self.views
                        .search
                        .on_action(Action::Activate, &mut self.session);
                }
            }
            KeyCode::Backspace => {
                self.search.text.pop();
                changed = true;
            }
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.search.text.clear();
                changed = true;
            }
            KeyCode::Char(c)
                if !k.modifiers.contains(KeyModifiers::CONTROL)
                    && self.search.text.chars().count() < 256 =>
            {
                self.search.text.push(c);
                changed = true;
            }
            _ => {
                // Moving through the results still works while typing.
                if let Some(a) = self.keymap().action_for(&k)
                    && a.scope() == Scope::Navigation
                    && a != Action::Activate
                {
                    self.views.search.on_action(a, &mut self.session);
                }
            }
        }
        if changed {
            let s = &self.session;
            self.views
                .search
                .run(&s.lib, s.facts(), &self.search.text, s.list_height);
        }
    }

    pub(super) fn prompt_key(&mut self, k: KeyEvent) {
        let Some(p) = self.prompt.as_mut() else {
            return;
        };
        match p.on_key(k) {
            PromptOutcome::Open => {}
            PromptOutcome::Cancelled => self.prompt = None,
            PromptOutcome::Submitted(kind, text) => {
                self.prompt = None;
                self.answer(kind, text);
            }
        }
    }

    /// Carries out what a prompt was for.
    pub(super) fn answer(&mut self, kind: PromptKind, text: String) {
        let s = &mut self.session;
        match kind {
            PromptKind::SaveQueue => {
                let ids = s.queue.tracks();
                if ids.is_empty() {
                    s.set_status("the queue is empty: nothing to save", true);
                } else if !text.is_empty() {
                    let entries = s.entries_of(&ids);
                    s.push(Effect::SavePlaylist {
                        name: text,
                        entries,
                    });
                }
            }
            PromptKind::RenamePlaylist(path) => {
                if !text.is_empty() {
                    s.push(Effect::RenamePlaylist { path, to: text });
                }
            }
            PromptKind::ConfirmDelete(path) => s.push(Effect::DeletePlaylist { path }),
            PromptKind::ImportPlaylist => {
                if !text.is_empty() {
                    let file = retrain::expand_home(&text);
                    s.push(Effect::ImportPlaylist { file });
                }
            }
            PromptKind::AddToPlaylist { tracks, .. } => {
                if !text.is_empty() {
                    let entries = s.entries_of(&tracks);
                    s.push(Effect::AddToPlaylist {
                        name: text,
                        entries,
                    });
                }
            }
            PromptKind::SmartName { rule } => self.views.playlists.named(s, text, rule),
            PromptKind::SmartRule { name, path } => self.views.playlists.ruled(s, name, path, text),
            PromptKind::Command => self.run_command(&text),
            PromptKind::SeekTo => match prompt::parse_time(&text, s.playback.position_secs) {
                Some(t) => s.seek_to(t),
                None if text.is_empty() => {}
                None => s.set_status(format!("\"{text}\" is not a time (try 1:30 or 90)"), true),
            },
        }
    }
}
