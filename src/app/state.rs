//! What survives a restart: the queue (up next, the context, the playing track and where it
//! was), the volume and mute, shuffle and repeat, auto-DJ, the view, the browse mode, the open
//! groups and the selection, and the last retrain folder. Two small JSON files in the data
//! dir, written by the service layer when they change (at most a second late, so a kill -9
//! loses at most the last two seconds): `session.json` (everything but the queue) and
//! `queue.json`. Paths that are not UTF-8 are kept as bytes.

use super::catalog::{BrowseMode, Catalog};
use super::play_queue::{Context, Current, MAX_CONTEXT, QueueEntry, Repeat, Source};
use super::views::View as _;
use super::views::library::RowKind;
use super::{App, View};
use crate::library::TrackId;

pub use super::saved::*;

fn view_name(v: View) -> &'static str {
    match v {
        View::Library => "library",
        View::Queue => "queue",
        View::NowPlaying => "now_playing",
        View::Genres => "genres",
        View::Playlists => "playlists",
        View::Training => "training",
        View::Stats => "stats",
    }
}

fn browse_name(m: BrowseMode) -> &'static str {
    match m {
        BrowseMode::Artist => "artist",
        BrowseMode::Genre => "genre",
        BrowseMode::Style => "style",
        BrowseMode::Folder => "folder",
    }
}

impl App {
    fn path_of(&self, id: TrackId) -> Option<SavedPath> {
        self.session.lib.track(id).map(|t| SavedPath::of(&t.path))
    }

    /// The queue as it is saved (its JSON is made by the writer's thread). The context's
    /// paths are made once per context and catalog and shared by the saves after.
    pub fn saved_queue(&mut self) -> SavedQueue {
        let tracks = self.context_paths();
        let q = &self.session.queue;
        let entry = |e: &QueueEntry| {
            Some(SavedEntry {
                path: self.path_of(e.track)?,
                reason: SavedReason::of(&e.reason),
            })
        };
        SavedQueue {
            version: STATE_VERSION,
            up_next: q.up_next.iter().filter_map(entry).collect(),
            context: q
                .context_parts()
                .zip(tracks)
                .map(|((c, order, pos), tracks)| SavedContext {
                    label: c.label.clone(),
                    tracks,
                    order: order.to_vec(),
                    pos,
                }),
            current: q.current.as_ref().and_then(|c| entry(&c.entry)),
            current_from_context: q
                .current
                .as_ref()
                .is_some_and(|c| c.source == Source::Context),
        }
    }

    /// The context's tracks as saved paths: the copy made for the last save while the
    /// context's list and the catalog are the same, else made now.
    fn context_paths(&mut self) -> Option<std::sync::Arc<Vec<SavedPath>>> {
        let c = self.session.queue.context.as_ref()?;
        let stamp = self.session.lib.stamp();
        if let Some(cached) = &self.saved.context
            && cached.catalog == stamp
            && cached.tracks == c.tracks
        {
            return Some(cached.paths.clone());
        }
        let paths = std::sync::Arc::new(
            c.tracks
                .iter()
                .map(|t| self.path_of(*t).unwrap_or(SavedPath::Text(String::new())))
                .collect(),
        );
        self.saved.context = Some(super::SavedContextPaths {
            catalog: stamp,
            tracks: c.tracks.clone(),
            paths: std::sync::Arc::clone(&paths),
        });
        Some(paths)
    }

    /// Everything else that is saved.
    pub fn saved_session(&self) -> SavedSession {
        let s = &self.session;
        let lib = &self.views.library;
        SavedSession {
            version: STATE_VERSION,
            position_secs: if s.playback.track.is_some() {
                s.playback.position_secs
            } else {
                0.0
            },
            volume: s.playback.volume,
            muted: s.playback.muted,
            shuffle: s.shuffle,
            repeat: s.repeat.label().to_string(),
            auto_dj: s.auto_dj,
            view: view_name(self.view).into(),
            browse: browse_name(lib.mode).into(),
            sort: lib.sort.name().into(),
            expanded: lib.expanded_groups(),
            selected: lib.rows.get(lib.nav.selected).and_then(|r| match &r.kind {
                RowKind::Group(p) => Some(SavedRow::Group { path: p.clone() }),
                RowKind::Track(id) => self.path_of(*id).map(|path| SavedRow::Track { path }),
            }),
            retrain_folder: Some(SavedPath::of(&self.views.training.folder)),
        }
    }

    /// Puts back a saved session and queue (tracks no longer in the library are left out).
    /// Returns the position to resume the playing track at, paused.
    pub fn restore(
        &mut self,
        session: Option<SavedSession>,
        queue: Option<SavedQueue>,
    ) -> Option<f64> {
        let mut resume = None;
        let mut rebuilt = false;
        if let Some(q) = queue.filter(|q| q.version <= STATE_VERSION) {
            let lib = &self.session.lib;
            let id = |p: &SavedPath| lib.by_path(&p.path()).map(|t| t.id);
            let entry = |e: &SavedEntry| Some(QueueEntry::new(id(&e.path)?, e.reason.reason()));
            let up_next = q.up_next.iter().filter_map(entry).collect();
            let context = q.context.as_ref().and_then(|c| {
                // Saved positions refer to the saved list: keep it whole if every track is
                // still here, else the tracks that are, in list order.
                let ids: Vec<Option<TrackId>> = c.tracks.iter().take(MAX_CONTEXT).map(id).collect();
                if ids.iter().all(Option::is_some) {
                    let tracks = ids.into_iter().flatten().collect();
                    Some(Context::from_parts(
                        c.label.clone(),
                        tracks,
                        c.order.clone(),
                        c.pos,
                    ))
                } else {
                    let tracks: Vec<TrackId> = ids.into_iter().flatten().collect();
                    // In list order, from the playing track when it is the context's.
                    let playing = q.current.as_ref().and_then(|e| id(&e.path));
                    let pos = playing
                        .filter(|_| q.current_from_context)
                        .and_then(|t| tracks.iter().position(|x| *x == t));
                    (!tracks.is_empty())
                        .then(|| Context::from_parts(c.label.clone(), tracks, vec![], pos))
                }
            });
            let current = q.current.as_ref().and_then(entry).map(|entry| Current {
                entry,
                source: if q.current_from_context {
                    Source::Context
                } else {
                    Source::UpNext
                },
            });
            self.session.queue.restore(up_next, context, current);
            resume = self.session.queue.current_track().map(|_| 0.0);
        }
        if let Some(st) = session.filter(|s| s.version <= STATE_VERSION) {
            let s = &mut self.session;
            s.playback.volume = st.volume.min(150);
            s.playback.muted = st.muted;
            s.shuffle = st.shuffle;
            s.repeat = Repeat::from_label(&st.repeat).unwrap_or(Repeat::Off);
            s.auto_dj = st.auto_dj;
            self.view = View::ALL
                .into_iter()
                .find(|v| view_name(*v) == st.view)
                .unwrap_or(View::Library);
            let lib = &mut self.views.library;
            lib.mode = [
                BrowseMode::Artist,
                BrowseMode::Genre,
                BrowseMode::Style,
                BrowseMode::Folder,
            ]
            .into_iter()
            .find(|m| browse_name(*m) == st.browse)
            .unwrap_or(BrowseMode::Artist);
            lib.set_sort(crate::app::views::sort::SortKey::from_name(&st.sort).unwrap_or_default());
            lib.set_expanded(st.expanded);
            if let Some(f) = st.retrain_folder {
                self.views.training.folder = f.path();
            }
            if resume.is_some() && st.position_secs.is_finite() {
                resume = Some(st.position_secs.max(0.0));
            }
            self.rebuild();
            rebuilt = true;
            let catalog: &Catalog = &self.session.lib;
            let kind = st.selected.and_then(|r| match r {
                SavedRow::Group { path } => Some(RowKind::Group(path)),
                SavedRow::Track { path } => {
                    catalog.by_path(&path.path()).map(|t| RowKind::Track(t.id))
                }
            });
            if let Some(k) = kind {
                let h = self.session.list_height;
                self.views.library.select_kind(&k, h);
            }
        }
        // The restored queue's rows (the rest was rebuilt with the saved browse mode above).
        if rebuilt {
            let h = self.session.list_height;
            self.views.queue.refresh(&self.session);
            self.views.queue.clamp(h);
        } else {
            self.rebuild();
        }
        resume
    }
}
