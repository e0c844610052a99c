//! What the session hears from the outside: the player's events (a track started, ended,
//! failed), the analysis' progress and results, and the library loaded, offline or moved.

use super::*;

impl Session {
    pub fn on_player(&mut self, p: PlayerEvent) {
        match p {
            PlayerEvent::Output { silent, detail } => {
                if silent {
                    self.playback.silent = Some(detail);
                } else {
                    self.playback.output = Some(detail);
                }
            }
            PlayerEvent::Started {
                path,
                duration_secs,
            } => {
                let id = TrackId::of_path(&path);
                let current = self.queue.current_track();
                let gapless = current.is_some()
                    && current != Some(id)
                    && self.queue.peek_next(self.shuffle, self.repeat) == Some(id);
                // The start of a track the session no longer wants: another was asked for
                // since, or a stop was (a stop puts an up-next track back in front, where it
                // looked like the next one). The player's own load or stop comes after it.
                let stale = !gapless
                    && match self.loading {
                        Some(asked) => asked != id,
                        None => self.stopped_load == Some(id),
                    };
                if stale {
                    return;
                }
                if gapless {
                    // The player went on from the current track to the next one: that one
                    // reached its end.
                    let ended = self.listening.finish(true);
                    self.counted(ended);
                    self.listening.start(id, duration_secs);
                    self.queue
                        .advance(self.shuffle, self.repeat, false, &mut self.rng);
                    self.note_played(id);
                    self.extend_auto_dj(Some(id));
                    self.send_next();
                    self.loading = Some(id);
                }
                self.play_errors = 0;
                self.playback.track = Some(id);
                self.playback.position_secs = 0.0;
                self.playback.duration_secs =
                    duration_secs.or_else(|| self.lib.track(id).and_then(|t| t.duration_secs));
                self.listening.set_duration(id, self.playback.duration_secs);
            }
            PlayerEvent::Position { secs } => {
                self.playback.position_secs = secs;
                self.listening.position(secs, self.playback.paused);
            }
            PlayerEvent::Paused(p) => {
                self.playback.paused = p;
                if let (false, Some(id), None) = (p, self.playback.track, self.listening.track()) {
                    self.listening.start(id, self.playback.duration_secs);
                    self.listening.position(self.playback.position_secs, true);
                }
            }
            PlayerEvent::Ended { path } => {
                if self.listening.is(TrackId::of_path(&path)) {
                    let ended = self.listening.finish(true);
                    self.counted(ended);
                }
                self.next_track(false);
            }
            PlayerEvent::Stopped => {
                self.playback.position_secs = 0.0;
            }
            PlayerEvent::Error { path, message } => {
                tracing::warn!(path = %path.display(), "playback error");
                if self.listening.is(TrackId::of_path(&path)) {
                    // A track that cannot play was neither played nor skipped.
                    self.listening.abandon();
                }
                if let Some(why) = self.library_offline.clone() {
                    // Every track would fail the same way: stop where the queue is (a track
                    // taken from up next goes back to its front) instead of skipping through
                    // it.
                    self.set_status(format!("cannot play: {why}"), true);
                    self.stop();
                    return;
                }
                self.set_status(message, true);
                // A track that cannot play is skipped; a queue of broken files stops.
                if self.playback.track == Some(TrackId::of_path(&path))
                    || self.queue.current_track() == Some(TrackId::of_path(&path))
                {
                    self.play_errors += 1;
                    // Skip while something is left, but never more than the whole queue
                    // in a row (repeat all over broken files would loop for ever).
                    let total = self.queue.up_next.len()
                        + self.queue.context.as_ref().map_or(0, |c| c.tracks.len());
                    if self.play_errors < total
                        && (self.repeat != Repeat::Off || self.queue.has_upcoming())
                    {
                        // Like a user skip: repeat-one must not reload the broken track.
                        self.next_track(true);
                    } else {
                        self.stop();
                    }
                }
            }
        }
    }

    pub fn on_analysis(&mut self, a: AnalysisEvent) {
        match a {
            AnalysisEvent::Started { model, total } => {
                self.analysis.running = total > 0;
                self.analysis.stopped = None;
                self.analysis.model = Some(model.0);
                self.analysis.progress = Some(Progress {
                    done: 0,
                    total,
                    failed: 0,
                    current: None,
                    eta_secs: None,
                });
            }
            AnalysisEvent::Progress(p) => {
                self.analysis.failed = p.failed;
                self.analysis.progress = Some(p);
            }
            AnalysisEvent::TrackDone { track, result } => {
                if let Err(reason) = result {
                    self.lib.failed.insert(track, reason);
                    self.genre_changed(track);
                }
            }
            AnalysisEvent::Finished { failed, .. } => {
                self.analysis.running = false;
                self.analysis.failed = failed;
            }
            AnalysisEvent::Stopped { reason } => {
                self.analysis.running = false;
                self.analysis.stopped = Some(reason);
            }
            AnalysisEvent::Scan(scan) => self.analysis.scan = scan,
        }
    }

    /// A fresh catalog from the store: tracks whose files are gone leave the queue.
    pub fn library_loaded(&mut self, lib: Catalog) {
        self.lib = lib;
        let lib = &self.lib;
        self.queue.retain(|t| lib.track(t).is_some());
        // The tags (and so the gain) of what plays may have been read again.
        if let Some(id) = self.playback.track
            && let Some(path) = self.path_of(id)
        {
            self.send_gain(id, path);
        }
        self.send_next();
        self.mark_stale();
    }

    /// The library folder went (`Some`: its tracks and the queue stay as they are) or came
    /// back (`None`).
    pub fn library_offline(&mut self, why: Option<String>) {
        match (&self.library_offline, &why) {
            (Some(_), None) => self.set_status("the library folder is back", false),
            (None, Some(w)) => self.set_status(w.clone(), true),
            _ => {}
        }
        self.library_offline = why;
    }

    /// Files moved on disk (old id → new id, sent just before the catalog that has the new
    /// ids): the queue and what plays follow them instead of losing them.
    pub fn tracks_moved(&mut self, moved: &[(TrackId, TrackId)]) {
        let map: std::collections::HashMap<TrackId, TrackId> = moved.iter().copied().collect();
        self.queue.rename(&map);
        let to = |t: &mut TrackId| {
            if let Some(n) = map.get(t) {
                *t = *n;
            }
        };
        if let Some(t) = &mut self.playback.track {
            to(t);
        }
        self.played.iter_mut().for_each(to);
        self.dj_played = self
            .dj_played
            .iter()
            .map(|t| *map.get(t).unwrap_or(t))
            .collect();
        // What the listener did goes with the file: the playing track's listen counts under
        // its new id, the history kept here moves now and the store's on the history thread
        // (which answers with the records it holds).
        self.listening.rename(&map);
        for (from, to) in moved {
            if let Some(old) = self.history.remove(from) {
                let merged = self.history.get(to).map_or(old, |n| n.merged(old));
                self.history.insert(*to, merged);
            }
        }
        self.push(Effect::HistoryMoved(moved.to_vec()));
        self.mark_stale();
    }

    pub(super) fn note_played(&mut self, id: TrackId) {
        if self.auto_dj {
            self.dj_played.insert(id);
        }
        if self.played.last() != Some(&id) {
            self.played.push(id);
            if self.played.len() > 500 {
                self.played.drain(..100);
            }
        }
    }
}

impl Session {
    /// The analysis stored a track's vectors (and the open-set verdict): the catalog takes
    /// them, and the views move the track.
    pub fn vector_ready(
        &mut self,
        track: TrackId,
        vector: Vec<f32>,
        style: Option<Vec<f32>>,
        open_set: Option<crate::store::OpenSetRecord>,
    ) {
        self.lib.set_vector(track, vector);
        match style {
            Some(st) => self.lib.styles.insert(track, st.into()),
            None => self.lib.styles.remove(&track),
        };
        match open_set {
            Some(os) => self.lib.open_set.insert(track, os),
            None => self.lib.open_set.remove(&track),
        };
        self.genre_changed(track);
    }

    /// Another model became active: what the old one found stays until the new one has
    /// classified each track again.
    pub fn model_activated(&mut self, id: String, name: String, labels: Vec<String>) {
        self.lib.activate_model(labels);
        self.set_status(
            format!("model {name} ({id}) is active; re-classifying the library in the background"),
            false,
        );
        self.model = Some((id, name));
        self.push(Effect::LoadModels);
        self.mark_stale();
    }
}
