//! The session's playback: starting, stopping and moving through the queue, seeking,
//! volume, shuffle and repeat, each said to the player as an effect; the gain each track
//! plays at, and the crossfade between two tracks.

use super::*;

impl Session {
    pub(super) fn path_of(&self, id: TrackId) -> Option<PathBuf> {
        self.lib.track(id).map(|t| t.path.clone())
    }

    /// The ReplayGain the player applies to `id`: its tags (or the loudness estimate) under
    /// the user's settings.
    pub fn gain_of(&self, id: TrackId) -> crate::audio::gain::AppliedGain {
        match self.lib.track(id) {
            Some(t) => crate::audio::gain::choose(
                &t.replaygain,
                self.lib.loudness.get(&id),
                &self.replaygain,
            ),
            None => crate::audio::gain::AppliedGain::UNITY,
        }
    }

    /// Tells the player the gain of `id` (before it is loaded, or when it changed).
    pub(super) fn send_gain(&mut self, id: TrackId, path: PathBuf) {
        let scale = self.gain_of(id).scale;
        self.push(Effect::Player(PlayerCommand::SetGain { path, scale }));
    }

    /// The loudness of `track`'s clip arrived: an untagged track playing (or next) gets its
    /// estimated gain now.
    pub fn loudness_ready(&mut self, track: TrackId, loudness: crate::audio::loudness::Loudness) {
        self.lib.loudness.insert(track, loudness);
        let next = self.queue.peek_next(self.shuffle, self.repeat);
        if (self.playback.track == Some(track) || next == Some(track))
            && let Some(path) = self.path_of(track)
        {
            self.send_gain(track, path);
        }
    }

    /// Starts the queue's playing track and tells the player what comes next.
    pub fn play_current(&mut self) {
        self.load_current(false);
    }

    /// Loads the queue's playing track (paused, to resume a saved session).
    pub fn load_current(&mut self, paused: bool) {
        self.start_current(paused, 0.0);
    }

    /// Loads the queue's playing track, fading out what plays over `fade` seconds (0: at once).
    pub(super) fn start_current(&mut self, paused: bool, fade: f32) {
        match self
            .queue
            .current_track()
            .and_then(|t| self.path_of(t).map(|p| (t, p)))
        {
            Some((id, path)) => {
                self.note_played(id);
                self.playback.track = Some(id);
                self.playback.paused = paused;
                self.playback.position_secs = 0.0;
                self.playback.duration_secs = self.lib.track(id).and_then(|t| t.duration_secs);
                let left = self.listening.start(id, self.playback.duration_secs);
                self.counted(left);
                if paused {
                    // A session brought back paused: listening starts when it plays.
                    self.listening.abandon();
                }
                self.send_gain(id, path.clone());
                self.loading = Some(id);
                self.stopped_load = None;
                self.push(Effect::Player(if fade > 0.0 && !paused {
                    PlayerCommand::CrossfadeTo { path, secs: fade }
                } else {
                    PlayerCommand::Load { path, paused }
                }));
                self.push(Effect::Bump(id));
                self.extend_auto_dj(Some(id));
                self.send_next();
            }
            None => {
                self.playback.track = None;
                self.stopped_load = self.loading.take();
                let left = self.listening.finish(false);
                self.counted(left);
                self.push(Effect::Player(PlayerCommand::Stop));
            }
        }
    }

    /// Tells the player the next track (for gapless playback); called after every change
    /// that can change it, so a preloaded track is re-chosen.
    pub fn send_next(&mut self) {
        let next = self
            .queue
            .peek_next(self.shuffle, self.repeat)
            .and_then(|t| self.path_of(t).map(|p| (t, p)));
        if let Some((id, path)) = &next {
            self.send_gain(*id, path.clone());
        }
        self.send_fade_for(next.as_ref().map(|(id, _)| *id));
        self.push(Effect::Player(PlayerCommand::SetNext(next.map(|(_, p)| p))));
    }

    pub fn next_track(&mut self, explicit: bool) {
        if explicit {
            // Leaving the track counts (a skip, say) before the next one is taken: with auto-DJ
            // on, a skip chooses the picks to come again, the very next one included.
            let left = self.listening.finish(false);
            self.counted(left);
        }
        if self
            .queue
            .advance(self.shuffle, self.repeat, explicit, &mut self.rng)
            .is_some()
        {
            let fade = match self.queue.current_track() {
                Some(to) if explicit => self.skip_fade(to),
                _ => 0.0,
            };
            self.start_current(false, fade);
        } else {
            self.stop_player();
            self.set_status("end of the queue", false);
        }
    }

    pub(super) fn stop_player(&mut self) {
        let left = self.listening.finish(false);
        self.counted(left);
        self.playback.track = None;
        self.stopped_load = self.loading.take();
        self.playback.position_secs = 0.0;
        self.push(Effect::Player(PlayerCommand::Stop));
    }

    /// Stops; the queue keeps its place (an up-next track that was cut short plays again).
    pub fn stop(&mut self) {
        self.queue.stop();
        self.stop_player();
    }

    /// Plays `tracks` from `start` as the new context ("from `what`"); up next stays.
    pub fn play_tracks(&mut self, tracks: Vec<TrackId>, start: usize, what: String) {
        self.queue
            .play_context(what, tracks, start, self.shuffle, &mut self.rng);
        self.play_current();
    }

    /// Adds `tracks` at the end of up next, or at its front, as many as up next has room
    /// for (the status line says when it is full); returns how many were added.
    pub fn enqueue(&mut self, tracks: Vec<TrackId>, next: bool) -> usize {
        if tracks.is_empty() {
            return 0;
        }
        let asked = tracks.len();
        let room = self.queue.room();
        // The first ones are analysed first (those further down get their turn when they
        // play): thousands of bumps would only reorder the analysis again and again.
        for t in tracks.iter().take(room.min(BUMPS_PER_ADD)) {
            self.push(Effect::Bump(*t));
        }
        let n = if next {
            self.queue.insert_next(tracks, Reason::Added)
        } else {
            self.queue.append(tracks, Reason::Added)
        };
        let full = format!("up next is full ({})", crate::app::play_queue::MAX_UP_NEXT);
        if n == 0 {
            self.set_status(format!("{full}: nothing added"), true);
            return 0;
        }
        let done = if next {
            "will play next"
        } else {
            "added to the queue"
        };
        if n < asked {
            self.set_status(format!("{} of {asked} {done}; {full}", tracks_n(n)), true);
        } else {
            self.set_status(format!("{} {done}", tracks_n(n)), false);
        }
        self.send_next();
        n
    }

    /// Play / pause; with nothing loaded, starts what the queue has. `false` when there is
    /// nothing to start (the view's selection may then play).
    pub fn toggle_pause(&mut self) -> bool {
        if self.playback.track.is_some() {
            self.push(Effect::Player(PlayerCommand::TogglePause));
        } else if self.queue.current_track().is_some() {
            self.play_current();
        } else if self.queue.has_upcoming() {
            self.next_track(true);
        } else {
            return false;
        }
        true
    }

    pub fn previous(&mut self) {
        if self.playback.position_secs > 3.0 && self.playback.track.is_some() {
            self.push(Effect::Player(PlayerCommand::SeekTo(0.0)));
        } else if self.queue.back().is_some() {
            self.play_current();
        }
    }

    pub fn seek_by(&mut self, secs: f64) {
        if self.playback.track.is_some() {
            self.push(Effect::Player(PlayerCommand::SeekBy(secs)));
        }
    }

    /// Seeks to `secs` from the start (clamped to the track).
    pub fn seek_to(&mut self, secs: f64) {
        if self.playback.track.is_some() {
            let end = self.playback.duration_secs.unwrap_or(f64::MAX);
            let to = secs.clamp(0.0, (end - 0.5).max(0.0));
            self.push(Effect::Player(PlayerCommand::SeekTo(to)));
        }
    }

    /// The volume the player gets: 0 while muted.
    pub(super) fn send_volume(&mut self) {
        let v = if self.playback.muted {
            0.0
        } else {
            self.playback.volume as f32 / 100.0
        };
        self.push(Effect::Player(PlayerCommand::SetVolume(v)));
    }

    pub fn change_volume(&mut self, by: i32) {
        let v = self.playback.volume as i32 + by;
        self.playback.volume = v.clamp(0, 150) as u8;
        self.playback.muted = false;
        self.send_volume();
        self.set_status(format!("volume {}%", self.playback.volume), false);
    }

    pub fn set_volume(&mut self, percent: u8) {
        self.playback.volume = percent.min(150);
        self.playback.muted = false;
        self.send_volume();
    }

    pub fn toggle_mute(&mut self) {
        self.playback.muted = !self.playback.muted;
        self.send_volume();
        self.set_status(
            if self.playback.muted {
                "muted".to_string()
            } else {
                format!("volume {}%", self.playback.volume)
            },
            false,
        );
    }

    pub fn toggle_shuffle(&mut self) {
        self.shuffle = !self.shuffle;
        self.queue.set_shuffle(self.shuffle, &mut self.rng);
        self.set_status(
            format!("shuffle {}", if self.shuffle { "on" } else { "off" }),
            false,
        );
        self.send_next();
    }

    /// Shuffle on or off (nothing changes when it already is).
    pub fn set_shuffle(&mut self, on: bool) {
        if self.shuffle != on {
            self.toggle_shuffle();
        }
    }

    /// Repeat mode `r` (nothing changes when it already is).
    pub fn set_repeat(&mut self, r: Repeat) {
        if self.repeat != r {
            self.repeat = r;
            self.set_status(format!("repeat {}", self.repeat.label()), false);
            self.send_next();
        }
    }

    pub fn cycle_repeat(&mut self) {
        self.repeat = self.repeat.next();
        self.set_status(format!("repeat {}", self.repeat.label()), false);
        self.send_next();
    }

    pub fn clear_queue(&mut self) {
        self.queue.clear();
        self.send_next();
        self.set_status("queue cleared (u undoes)", false);
    }

    /// Undoes the last change of the queue.
    pub fn undo(&mut self) {
        if self.queue.undo() {
            self.set_status("queue change undone (ctrl-r redoes)", false);
            self.send_next();
        } else {
            self.set_status("nothing to undo", false);
        }
    }

    /// Brings back the change the last undo took back.
    pub fn redo(&mut self) {
        if self.queue.redo() {
            self.set_status("queue change redone", false);
            self.send_next();
        } else {
            self.set_status("nothing to redo", false);
        }
    }
}

impl Session {
    /// The overlap between `from` and `to` under the setting: none within an album in order.
    pub fn fade_between(&self, from: Option<TrackId>, to: TrackId) -> f32 {
        let secs = self.crossfade.active_secs();
        if secs <= 0.0 {
            return 0.0;
        }
        match (from.and_then(|f| self.lib.track(f)), self.lib.track(to)) {
            (Some(a), Some(b)) if crate::app::crossfade::album_in_order(a, b) => 0.0,
            _ => secs,
        }
    }

    /// Tells the player the overlap of the transition to `next` when it differs from the last
    /// one it was told (before the `SetNext` of `next`).
    pub(super) fn send_fade_for(&mut self, next: Option<TrackId>) {
        let secs = match next {
            Some(n) => self.fade_between(self.playback.track, n),
            None => 0.0,
        };
        if secs != self.crossfade.sent {
            self.crossfade.sent = secs;
            self.push(Effect::Player(PlayerCommand::SetCrossfade(secs)));
        }
    }

    /// The overlap of a skip from the playing track to `to` (0: a plain load).
    pub(super) fn skip_fade(&self, to: TrackId) -> f32 {
        if !self.crossfade.on_skip || self.playback.paused {
            return 0.0;
        }
        self.fade_between(self.playback.track, to)
    }

    /// The key: crossfade off, or back to the setting's seconds.
    pub fn toggle_crossfade(&mut self) {
        if self.crossfade.secs <= 0.0 {
            self.set_status(
                "crossfade off (set crossfade = seconds in config.toml)",
                false,
            );
            return;
        }
        self.crossfade.off = !self.crossfade.off;
        let label = self.crossfade.label();
        self.set_status(label, false);
        self.send_next();
    }
}
