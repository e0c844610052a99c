//! What an action does when the view on screen did not take it: the app's own actions
//! (`global`: quit, help, views, search, themes, browse modes) and the listener's (`listen`:
//! playback, the queue, play next, ratings).

use super::event::Effect;
use super::prompt::{Prompt, PromptKind};
use super::remote;
use super::views::sort::SortKey;
use super::{App, Help, View};
use crate::keys::Action;
use crate::store::history::Rating;

impl App {
    /// Actions that mean the same in every view.
    pub(super) fn global(&mut self, a: Action) {
        let s = &mut self.session;
        match a {
            Action::Quit => {
                self.should_quit = true;
                s.push(Effect::Quit);
            }
            Action::Help => {
                self.help = Help {
                    open: true,
                    scroll: 0,
                    messages: false,
                };
            }
            Action::Messages => {
                // Newest first: it opens at the newest.
                self.help = Help {
                    open: true,
                    scroll: 0,
                    messages: true,
                };
            }
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let n = View::ALL.len();
                let j = if a == Action::NextView {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.show(View::ALL[j]);
            }
            Action::ViewLibrary => self.show(View::Library),
            Action::ViewQueue => self.show(View::Queue),
            Action::ViewNowPlaying => self.show(View::NowPlaying),
            Action::ViewGenres => self.show(View::Genres),
            Action::ViewPlaylists => self.show(View::Playlists),
            Action::ViewTraining => self.show(View::Training),
            Action::ViewStats => self.show(View::Stats),
            Action::Retrain => {
                self.show(View::Training);
                self.views.training.open(&mut self.session);
            }
            Action::UseBuiltInModel => {
                if self.views.training.running() {
                    s.set_status("a training is running; cancel it first", true);
                } else {
                    s.push(Effect::UseBuiltInModel);
                }
            }
            Action::Search => self.open_search(),
            Action::CommandLine => {
                self.prompt = Some(Prompt::new(PromptKind::Command, ":".into(), ""));
            }
            Action::SaveQueue => {
                self.prompt = Some(Prompt::new(
                    PromptKind::SaveQueue,
                    "save the queue as the playlist".into(),
                    "",
                ));
            }
            Action::SaveSmart => {
                let query = self.search.text.trim();
                let rule = (self.search.open && !query.is_empty()).then(|| query.to_string());
                self.prompt = Some(crate::app::views::playlists::name_prompt(rule));
            }
            Action::CycleBrowse => {
                self.views.library.cycle_mode();
                self.show(View::Library);
                let label = self.views.library.mode.label();
                let s = &mut self.session;
                s.set_status(format!("browse by {label}"), false);
                s.mark_stale();
            }
            Action::CycleSort => self.sort_shown(None),
            Action::CycleTheme => {
                self.theme_idx = (self.theme_idx + 1) % self.themes.len();
                let name = self.theme().name.clone();
                self.session.set_status(format!("theme: {name}"), false);
            }
            Action::Suspend => s.push(Effect::Suspend),
            Action::ToggleVisualiser => self.visualiser.toggle(&mut self.session),
            _ => self.listen(a),
        }
    }

    /// Sorts the list on screen by `key` (`None`: its next order): the search results, a
    /// playlist's tracks, the queue's up next (once, as an edit undo takes back), else the
    /// Library.
    pub(super) fn sort_shown(&mut self, key: Option<SortKey>) {
        let lists = &SortKey::ALL[..];
        if self.search.open {
            let last = self.views.search.sort;
            let Some(key) = self.sort_key(key, last, lists) else {
                return;
            };
            let s = &self.session;
            (self.views.search).set_sort(key, &s.lib, s.facts(), s.list_height);
            let what = match key {
                SortKey::Tree => "best match first",
                k => k.label(),
            };
            self.session.set_status(format!("sorted: {what}"), false);
        } else if self.view == View::Playlists && self.views.playlists.selected().is_some() {
            let last = self.views.playlists.sort;
            let Some(key) = self.sort_key(key, last, lists) else {
                return;
            };
            self.views.playlists.set_sort(key, &self.session);
            let what = match key {
                SortKey::Tree => "the playlist's own order",
                k => k.label(),
            };
            self.session.set_status(format!("sorted: {what}"), false);
        } else if self.view == View::Queue {
            if self.session.queue.up_next.is_empty() {
                let text =
                    "nothing up next to sort (what plays from an album or a list keeps its order)";
                return self.session.set_status(text, false);
            }
            let last = self.views.queue.sort;
            let Some(key) = self.sort_key(key, last, &lists[1..]) else {
                return;
            };
            self.views.queue.sort = key;
            let s = &mut self.session;
            let places: std::collections::HashMap<_, _> = s
                .queue
                .up_next
                .iter()
                .map(|e| {
                    let at = super::views::sort::place(key, e.track, &s.lib, Some(s.history()));
                    (e.track, at)
                })
                .collect();
            let sorted = s.queue.sort_up_next(|id| places.get(&id).cloned());
            let undo = s.keymap.hint(Action::Undo);
            let text = if sorted {
                format!("up next sorted: {} ({undo} undoes)", key.label())
            } else {
                format!("up next is in that order already ({})", key.label())
            };
            s.set_status(text, false);
            s.mark_stale();
        } else {
            let last = self.views.library.sort;
            if let Some(key) = self.sort_key(key, last, &SortKey::LIBRARY) {
                self.sort_library(key);
            }
        }
    }

    /// `key`, or the one after `last` among `keys`; a key the list does not sort by says so.
    fn sort_key(
        &mut self,
        key: Option<SortKey>,
        last: SortKey,
        keys: &[SortKey],
    ) -> Option<SortKey> {
        match key {
            None => Some(last.next_in(keys)),
            Some(k) if keys.contains(&k) => Some(k),
            Some(k) => {
                let text = format!(
                    "this list does not sort by {}: {}",
                    k.name(),
                    SortKey::names(keys)
                );
                self.session.set_status(text, true);
                None
            }
        }
    }

    /// Orders the Library by `key` and shows it.
    pub(super) fn sort_library(&mut self, key: crate::app::views::sort::SortKey) {
        self.views.library.set_sort(key);
        self.show(View::Library);
        let s = &mut self.session;
        s.set_status(format!("library sorted: {}", key.label()), false);
        s.mark_stale();
    }

    fn jump_to_playing(&mut self) {
        let s = &self.session;
        let Some(id) = s.playback.track else {
            return;
        };
        if s.lib.track(id).is_none() {
            return;
        }
        self.show(View::Library);
        self.views.library.reveal(id);
        let h = self.session.list_height;
        self.views.library.rebuild_rows(&self.session.lib, h);
        self.views.library.select_track(id, h);
    }

    /// Asks which playlist the Library's marked tracks (else the selected track or group) go
    /// to; Tab completes the playlists' names.
    fn add_to_playlist(&mut self) {
        let marks = self.views.library.marks.tracks();
        let tracks = if self.view == View::Library && !self.search.open && !marks.is_empty() {
            marks.to_vec()
        } else {
            self.selection().map(|s| s.picked()).unwrap_or_default()
        };
        if tracks.is_empty() {
            self.session
                .set_status("select a track (or mark some) to add to a playlist", true);
            return;
        }
        if !self.views.playlists.loaded {
            self.session.push(Effect::LoadPlaylists);
        }
        let names = super::prompt::playlist_names(&self.views.playlists.lists);
        let label = format!(
            "add {} to the playlist (Tab completes; a new name makes one)",
            crate::app::session::tracks_n(tracks.len())
        );
        self.prompt = Some(Prompt::new(
            PromptKind::AddToPlaylist { tracks, names },
            label,
            "",
        ));
    }

    /// A path: between the two marked tracks, else from the playing track to the selected one.
    fn path_to(&mut self) {
        let marked = self.views.library.marks.tracks();
        let ends = match (marked, self.session.playback.track) {
            ([a, b], _) => Some((*a, *b)),
            (_, Some(a)) => self.selection().and_then(|s| s.seed()).map(|b| (a, b)),
            _ => None,
        };
        match ends {
            Some((a, b)) => self.session.path_between(a, b),
            None => self.session.set_status(
                "path: play a track and select another, or mark two tracks in the Library",
                true,
            ),
        }
    }

    /// What the listener does to the music (play, seek, volume, shuffle, queue, play next,
    /// ratings): the session's own operations.
    fn listen(&mut self, a: Action) {
        let s = &mut self.session;
        match a {
            Action::PlayPause => {
                let resumed_or_paused = s.toggle_pause();
                if !resumed_or_paused {
                    // Nothing queued: play the selection.
                    self.delegate(Action::Activate);
                }
            }
            Action::Stop => s.stop(),
            Action::NextTrack => s.next_track(true),
            Action::PrevTrack => s.previous(),
            Action::SeekForward => s.seek_by(5.0),
            Action::SeekBackward => s.seek_by(-5.0),
            Action::SeekForwardLong => s.seek_by(30.0),
            Action::SeekBackwardLong => s.seek_by(-30.0),
            Action::SeekTo => {
                let playing = s.playback.track.is_some();
                if playing {
                    self.prompt = Some(Prompt::new(
                        PromptKind::SeekTo,
                        "go to (1:30, 90, +30, -10)".into(),
                        "",
                    ));
                } else {
                    s.set_status("nothing is playing: nothing to go to a time in", true);
                }
            }
            Action::VolumeUp => s.change_volume(5),
            Action::VolumeDown => s.change_volume(-5),
            Action::ToggleMute => s.toggle_mute(),
            Action::ToggleShuffle => s.toggle_shuffle(),
            Action::ToggleCrossfade => s.toggle_crossfade(),
            Action::CycleRepeat => s.cycle_repeat(),
            Action::QueueClear => s.clear_queue(),
            Action::Undo => s.undo(),
            Action::Redo => s.redo(),
            Action::JumpToPlaying => self.jump_to_playing(),
            Action::Rescan => remote::rescan(s),
            Action::FillSimilar => {
                // The track the cursor is on when it is on one (what a user who picked a row
                // means), else the playing one.
                let seed = self
                    .selection()
                    .and_then(|s| s.seed())
                    .or(self.session.playback.track);
                self.session.fill_similar(seed);
            }
            Action::Like | Action::Dislike | Action::Unrate => {
                let track = self.seed_track();
                let rating = match a {
                    Action::Like => Rating::Like,
                    Action::Dislike => Rating::Dislike,
                    _ => Rating::None,
                };
                self.session.rate(track, rating);
            }
            Action::ToggleAutoDj => {
                let seed = self.seed_track();
                self.session.toggle_auto_dj(seed);
            }
            Action::YourMix => self.session.your_mix(),
            Action::PathTo => self.path_to(),
            Action::MixMarked => {
                let seeds = self.views.library.marks.seeds();
                if seeds.like.is_empty() && seeds.less.is_empty() {
                    let key = self.keymap().hint(Action::ToggleMark);
                    let text = format!("mark tracks in the Library first ({key})");
                    self.session.set_status(text, true);
                } else {
                    self.session.mix_seeds(&seeds);
                }
            }
            Action::AddToPlaylist => self.add_to_playlist(),
            Action::ExportPlaylist => {
                let ids = s.queue.tracks();
                s.export(crate::playlist::ExportSource::Queue, &ids);
            }
            // Views' own actions that the view on screen did not take: nothing to do here.
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Collapse
            | Action::Expand
            | Action::Activate
            | Action::QueueAdd
            | Action::QueueAddNext
            | Action::ToggleMark
            | Action::MarkLess
            | Action::MarkRange
            | Action::ClearMarks
            | Action::QueueRemove
            | Action::QueueMark
            | Action::QueueMoveUp
            | Action::QueueMoveDown
            | Action::RenamePlaylist
            | Action::DeletePlaylist
            | Action::ImportPlaylist
            | Action::PlaylistMoveUp
            | Action::PlaylistMoveDown
            | Action::CancelTraining
            | Action::AcceptModel
            | Action::DiscardModel => {}
            // The app's own actions are `global`'s.
            _ => {}
        }
    }
}
