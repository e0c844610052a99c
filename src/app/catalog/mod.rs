//! One concern at ~630 lines: the player's read-only copy of the library, which every view
//! asks (tracks, vectors, styles, the browse trees, the open-set verdicts) and must agree on.
//!
//! The catalog: the library as the player sees it — tracks with display fields, their genre
//! vectors, and the browse trees (artist → album → track, genre → track, folder → track).
//! (`crate::library` is the files on disk and their scan; this is the player's read-only copy.)

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod track;

pub use track::TrackInfo;

use crate::app::search::index::SearchIndex;
use crate::library::TrackId;
use crate::recommend::similar::Vector;
use crate::util::maths::argmax;

/// Browse modes of the library view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowseMode {
    Artist,
    Genre,
    Style,
    Folder,
}

impl BrowseMode {
    pub fn next(self) -> Self {
        match self {
            BrowseMode::Artist => BrowseMode::Genre,
            BrowseMode::Genre => BrowseMode::Style,
            BrowseMode::Style => BrowseMode::Folder,
            BrowseMode::Folder => BrowseMode::Artist,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            BrowseMode::Artist => "artist → album",
            BrowseMode::Genre => "genre",
            BrowseMode::Style => "style",
            BrowseMode::Folder => "folder",
        }
    }
}

/// Group names for tracks that have no genre yet.
pub const PENDING_GROUP: &str = "(not classified yet)";
pub const FAILED_GROUP: &str = "(could not be analysed)";
/// The group (and playlist) of tracks the model is unsure of: not one of its genres.
pub const UNSURE_GROUP: &str = "? unsure";
/// The style group of classified tracks with no tag above the floor.
pub const NO_STYLE_GROUP: &str = "(no clear style)";

/// The player's copy of the library.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub root: PathBuf,
    /// Sorted by artist, album, track number, path.
    pub tracks: Vec<TrackInfo>,
    pub index: HashMap<TrackId, usize>,
    pub labels: Vec<String>,
    pub vectors: HashMap<TrackId, Vector>,
    /// Style vectors (the pretrained trunk's tags) where the model has them.
    pub styles: HashMap<TrackId, Vector>,
    /// Which tags may show as styles: all but those naming one of the active model's genres.
    style_filter: crate::model::styles::StyleFilter,
    /// The active model's open-set verdicts (models with a rule): a track whose verdict says
    /// unsure shows "?" and stays out of genre playlists.
    pub open_set: HashMap<TrackId, crate::store::OpenSetRecord>,
    /// Vectors of an earlier model (with its labels) for tracks the active model has not
    /// classified yet: genres and playlists never go empty while a new model catches up.
    pub fallback: HashMap<TrackId, (Arc<Vec<String>>, Vector)>,
    pub failed: HashMap<TrackId, String>,
    /// Damaged files classified from what decodes, with what is wrong with them.
    pub partial: HashMap<TrackId, String>,
    /// The loudness of each analysed track's clip: the ReplayGain estimate of untagged tracks.
    pub loudness: HashMap<TrackId, crate::audio::loudness::Loudness>,
    /// The tracks' search text (made with the catalog, in the order of `tracks`).
    pub search: SearchIndex,
    /// Positions in `tracks` sorted by the path's bytes, made the first time a folder is
    /// looked up ([`Catalog::under`]): the tracks below a folder are one run of it.
    by_path_bytes: std::sync::OnceLock<Vec<u32>>,
    /// Tells catalogs apart (search remembers results per catalog).
    id: u64,
}

/// Numbers the catalogs made.
static CATALOGS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Puts `items[order[i]]` at `i` for every `i`, in place (no second copy of 50,000 tracks):
/// each cycle of the permutation is walked once with swaps.
fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut done = vec![false; items.len()];
    for start in 0..items.len() {
        if done[start] {
            continue;
        }
        let mut cur = start;
        loop {
            done[cur] = true;
            let next = order[cur];
            if next == start {
                break;
            }
            items.swap(cur, next);
            cur = next;
        }
    }
}

impl Catalog {
    pub fn new(root: PathBuf, mut tracks: Vec<TrackInfo>, labels: Vec<String>) -> Self {
        // Artist, album, track number, then path: the keys are lower-cased once, and the
        // path (the rare tie-break) is compared in place rather than copied for every track.
        let keys: Vec<(String, String, Option<u32>)> = tracks
            .iter()
            .map(|t| (t.artist.to_lowercase(), t.album.to_lowercase(), t.track_no))
            .collect();
        let mut order: Vec<usize> = (0..tracks.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            keys[a]
                .cmp(&keys[b])
                .then_with(|| tracks[a].path.cmp(&tracks[b].path))
        });
        drop(keys);
        permute(&mut tracks, &order);
        let index = tracks.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        let search = SearchIndex::build(&tracks);
        Catalog {
            style_filter: crate::model::styles::StyleFilter::for_labels(&labels),
            search,
            by_path_bytes: std::sync::OnceLock::new(),
            id: CATALOGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            root,
            tracks,
            index,
            labels,
            vectors: HashMap::new(),
            styles: HashMap::new(),
            open_set: HashMap::new(),
            fallback: HashMap::new(),
            failed: HashMap::new(),
            partial: HashMap::new(),
            loudness: HashMap::new(),
        }
    }

    /// Which catalog this is, and how many tracks it has.
    pub fn stamp(&self) -> (u64, usize) {
        (self.id, self.tracks.len())
    }

    pub fn track(&self, id: TrackId) -> Option<&TrackInfo> {
        self.index.get(&id).map(|&i| &self.tracks[i])
    }

    /// The track at `path`: one hash (a track's id is its path's), whatever the library's size.
    pub fn by_path(&self, path: &Path) -> Option<&TrackInfo> {
        self.track(TrackId::of_path(path))
    }

    /// The tracks below folder `dir`, in library order. A binary search in the tracks sorted
    /// by path (the bytes: a folder's tracks share the prefix `dir/`, so they are one run),
    /// then only those tracks: looking up thousands of folders never walks the library.
    pub fn under(&self, dir: &Path) -> Vec<TrackId> {
        use std::os::unix::ffi::OsStrExt;
        let bytes = |i: u32| self.tracks[i as usize].path.as_os_str().as_bytes();
        let order = self.by_path_bytes.get_or_init(|| {
            let mut o: Vec<u32> = (0..self.tracks.len() as u32).collect();
            o.sort_unstable_by(|&a, &b| bytes(a).cmp(bytes(b)));
            o
        });
        let mut prefix = dir.as_os_str().as_bytes().to_vec();
        while prefix.len() > 1 && prefix.ends_with(b"/") {
            prefix.pop();
        }
        if prefix != b"/" {
            prefix.push(b'/');
        }
        let start = order.partition_point(|&i| bytes(i) < prefix.as_slice());
        let mut found: Vec<u32> = order[start..]
            .iter()
            .take_while(|&&i| bytes(i).starts_with(&prefix))
            .copied()
            .collect();
        found.sort_unstable();
        found
            .into_iter()
            .map(|i| self.tracks[i as usize].id)
            .collect()
    }

    /// What playing `id` from outside (`ctl play FILE`) takes as the context: its album (same
    /// artist and album, in library order), or its folder when the album is not tagged. The
    /// tracks, where `id` is among them, and the label.
    pub fn album_of(&self, id: TrackId) -> Option<(Vec<TrackId>, usize, String)> {
        let &i = self.index.get(&id)?;
        let t = &self.tracks[i];
        if t.album == crate::library::track::UNKNOWN_ALBUM {
            let dir = t.path.parent()?;
            let tracks = self.under(dir);
            let start = tracks.iter().position(|&x| x == id)?;
            return Some((tracks, start, t.folder.clone()));
        }
        let same = |o: &TrackInfo| {
            o.artist.to_lowercase() == t.artist.to_lowercase()
                && o.album.to_lowercase() == t.album.to_lowercase()
        };
        // The tracks are sorted by artist and album: the album is one run around `i`.
        let first = (0..i)
            .rev()
            .take_while(|&k| same(&self.tracks[k]))
            .last()
            .unwrap_or(i);
        let last = (i..self.tracks.len())
            .take_while(|&k| same(&self.tracks[k]))
            .last()
            .unwrap_or(i);
        let tracks = self.tracks[first..=last].iter().map(|o| o.id).collect();
        Some((tracks, i - first, format!("{} — {}", t.artist, t.album)))
    }

    /// A track's genre vector with the labels it refers to: the active model's, else an
    /// earlier model's (the flag says which).
    pub fn vector_of(&self, id: TrackId) -> Option<(&[String], &[f32], bool)> {
        if let Some(v) = self.vectors.get(&id) {
            return Some((&self.labels, v, false));
        }
        self.fallback
            .get(&id)
            .map(|(labels, v)| (labels.as_slice(), &v[..], true))
    }

    /// False when the active model's open-set rule says the track is unsure.
    pub fn is_known(&self, id: TrackId) -> bool {
        self.open_set.get(&id).is_none_or(|v| v.known)
    }

    /// The `n` most likely genres with their probabilities, best first.
    pub fn top_guesses(&self, id: TrackId, n: usize) -> Vec<(&str, f32)> {
        let Some((labels, v, _)) = self.vector_of(id) else {
            return Vec::new();
        };
        let mut ranked: Vec<(&str, f32)> = labels
            .iter()
            .map(String::as_str)
            .zip(v.iter().copied())
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(n);
        ranked
    }

    /// The genre as a row shows it: "metal 87%", or for a track the model is unsure of
    /// "? hiphop 58% · pop 20%" (its top guesses). `None` when not classified.
    pub fn genre_text(&self, id: TrackId) -> Option<String> {
        if self.is_known(id) {
            return self
                .genre_of(id)
                .map(|(g, p)| format!("{g} {:.0}%", p * 100.0));
        }
        let guesses: Vec<String> = self
            .top_guesses(id, 2)
            .iter()
            .map(|(g, p)| format!("{g} {:.0}%", p * 100.0))
            .collect();
        Some(format!("? {}", guesses.join(" · ")))
    }

    /// The styles a track shows (the trunk's tags above the floor, best first, not a genre
    /// of the model), with their probabilities; empty without a style vector.
    pub fn styles_of(&self, id: TrackId) -> Vec<(&'static str, f32)> {
        self.styles
            .get(&id)
            .map(|v| self.style_filter.shown(v))
            .unwrap_or_default()
    }

    /// The styles as a row writes them: "alternative, indie, 90s" ("" when none).
    pub fn style_text(&self, id: TrackId) -> String {
        self.styles
            .get(&id)
            .map(|v| self.style_filter.line(v))
            .unwrap_or_default()
    }

    /// Whether a style of this name can be shown with the active model.
    pub fn is_style(&self, name: &str) -> bool {
        self.style_filter.allows(name)
    }

    /// The groups of the style tree a track belongs to: each style it shows, with the tag's
    /// probability (its rank there), or else one of the tree's last groups (no clear style,
    /// not classified yet, could not be analysed), in library order.
    pub fn style_groups_of(&self, id: TrackId) -> Vec<(&'static str, Option<f32>)> {
        let shown = self.styles_of(id);
        if !shown.is_empty() {
            return shown.into_iter().map(|(n, p)| (n, Some(p))).collect();
        }
        let name = if self.styles.contains_key(&id) {
            NO_STYLE_GROUP
        } else if self.failed.contains_key(&id) {
            FAILED_GROUP
        } else if !self.vectors.contains_key(&id) {
            PENDING_GROUP
        } else {
            // Classified by a model without styles.
            NO_STYLE_GROUP
        };
        vec![(name, None)]
    }

    /// Tracks per style (every style a track shows), ranked by the tag's probability: the
    /// style playlists and the style tree. Styles in alphabetical order (stable while the
    /// analysis fills them in). Only tracks in `keep`.
    pub fn style_lists(
        &self,
        keep: &dyn Fn(&TrackInfo) -> bool,
    ) -> Vec<(String, Vec<(TrackId, f32)>)> {
        self.style_pass(keep).0
    }

    /// One pass over the tracks in `keep`: the style lists (as [`Catalog::style_lists`]) and
    /// the tracks of the style tree's last groups, by group.
    fn style_pass(&self, keep: &dyn Fn(&TrackInfo) -> bool) -> StylePass {
        let mut by: HashMap<&'static str, Vec<(TrackId, f32)>> = HashMap::new();
        let mut rest: HashMap<&'static str, Vec<TrackId>> = HashMap::new();
        for t in self.tracks.iter().filter(|t| keep(t)) {
            for (name, p) in self.style_groups_of(t.id) {
                match p {
                    Some(p) => by.entry(name).or_default().push((t.id, p)),
                    None => rest.entry(name).or_default().push(t.id),
                }
            }
        }
        let mut lists: Vec<(String, Vec<(TrackId, f32)>)> = by
            .into_iter()
            .map(|(n, mut l)| {
                l.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                (n.to_string(), l)
            })
            .collect();
        lists.sort_by(|a, b| a.0.cmp(&b.0));
        (lists, rest)
    }

    /// Top genre and its probability.
    pub fn genre_of(&self, id: TrackId) -> Option<(&str, f32)> {
        let (labels, v, _) = self.vector_of(id)?;
        let (i, p) = argmax(v);
        labels.get(i).map(|l| (l.as_str(), p))
    }

    /// A new model became active: what the old one computed becomes the fallback.
    pub fn activate_model(&mut self, labels: Vec<String>) {
        self.style_filter = crate::model::styles::StyleFilter::for_labels(&labels);
        let old = Arc::new(std::mem::replace(&mut self.labels, labels));
        for (id, v) in self.vectors.drain() {
            self.fallback.insert(id, (old.clone(), v));
        }
        self.open_set.clear();
        self.failed.clear();
    }

    /// Sets a track's vector for the active model.
    pub fn set_vector(&mut self, id: TrackId, v: Vec<f32>) {
        let v: Vector = v.into();
        self.fallback.remove(&id);
        self.failed.remove(&id);
        self.vectors.insert(id, v);
    }

    /// Genre names in display order: the active model's labels, then any earlier model's.
    fn genre_names(&self) -> Vec<String> {
        let mut names = self.labels.clone();
        let mut extra: Vec<&String> = self
            .fallback
            .values()
            .flat_map(|(l, _)| l.iter())
            .filter(|l| !self.labels.contains(l))
            .collect();
        extra.sort();
        extra.dedup();
        names.extend(extra.into_iter().cloned());
        names
    }

    pub fn classified(&self) -> usize {
        self.vectors.len()
    }

    /// The browse tree for `mode`, optionally keeping only `filter`ed tracks.
    pub fn tree(
        &self,
        mode: BrowseMode,
        filter: Option<&dyn Fn(&TrackInfo) -> bool>,
    ) -> Vec<Group> {
        let keep = |t: &TrackInfo| filter.is_none_or(|f| f(t));
        match mode {
            BrowseMode::Artist => {
                let mut artists: ArtistTree = BTreeMap::new();
                for t in self.tracks.iter().filter(|t| keep(t)) {
                    let a = artists
                        .entry(t.artist.to_lowercase())
                        .or_insert_with(|| (t.artist.clone(), BTreeMap::new()));
                    // Files without artist and album tags: by the folder they are in, not
                    // all in one "Unknown album".
                    let album = if !t.has_artist() && !t.has_album() {
                        format!("{}/", t.folder)
                    } else {
                        t.album.clone()
                    };
                    a.1.entry(album.to_lowercase())
                        .or_insert_with(|| (album, Vec::new()))
                        .1
                        .push(t.id);
                }
                artists
                    .into_values()
                    .map(|(name, albums)| Group {
                        children: albums
                            .into_values()
                            .map(|(album, tracks)| Group {
                                name: album,
                                children: vec![],
                                tracks,
                            })
                            .collect(),
                        name,
                        tracks: vec![],
                    })
                    .collect()
            }
            BrowseMode::Genre => {
                let names = self.genre_names();
                let mut groups: Vec<Group> = names
                    .iter()
                    .map(|l| Group {
                        name: l.clone(),
                        children: vec![],
                        tracks: vec![],
                    })
                    .collect();
                let mut pending = Vec::new();
                let mut failed = Vec::new();
                let mut unsure = Vec::new();
                let mut scored: Vec<(usize, f32, TrackId)> = Vec::new();
                for t in self.tracks.iter().filter(|t| keep(t)) {
                    match self.genre_of(t.id) {
                        Some(_) if !self.is_known(t.id) => unsure.push(t.id),
                        Some((g, p)) => {
                            let i = names.iter().position(|n| n == g).unwrap_or(0);
                            scored.push((i, p, t.id));
                        }
                        None if self.failed.contains_key(&t.id) => failed.push(t.id),
                        None => pending.push(t.id),
                    }
                }
                scored.sort_by(|a, b| b.1.total_cmp(&a.1));
                for (i, _, id) in scored {
                    if let Some(g) = groups.get_mut(i) {
                        g.tracks.push(id);
                    }
                }
                groups.retain(|g| !g.tracks.is_empty());
                push_groups(
                    &mut groups,
                    [
                        (UNSURE_GROUP, unsure),
                        (PENDING_GROUP, pending),
                        (FAILED_GROUP, failed),
                    ],
                );
                groups
            }
            BrowseMode::Style => {
                let (lists, mut rest) = self.style_pass(&keep);
                let mut groups: Vec<Group> = lists
                    .into_iter()
                    .map(|(name, tracks)| Group {
                        name,
                        children: vec![],
                        tracks: tracks.into_iter().map(|(id, _)| id).collect(),
                    })
                    .collect();
                let mut take = |name| (name, rest.remove(name).unwrap_or_default());
                push_groups(
                    &mut groups,
                    [
                        take(NO_STYLE_GROUP),
                        take(PENDING_GROUP),
                        take(FAILED_GROUP),
                    ],
                );
                groups
            }
            BrowseMode::Folder => {
                let mut in_order: Vec<&TrackInfo> =
                    self.tracks.iter().filter(|t| keep(t)).collect();
                in_order.sort_by(|a, b| a.path.cmp(&b.path));
                folder_tree(&in_order)
            }
        }
    }

    /// Tracks per genre (top genre), ranked by confidence, at least `min_confidence`: the
    /// auto playlists. Tracks the active model has not reached yet count under the earlier
    /// model's genre. Tracks the model is unsure of go to a last list, [`UNSURE_GROUP`]
    /// (only when there are any), unless `unsure_in_playlists` puts them under their top guess.
    pub fn genre_playlists(
        &self,
        min_confidence: f32,
        unsure_in_playlists: bool,
    ) -> Vec<(String, Vec<(TrackId, f32)>)> {
        let names = self.genre_names();
        let mut lists: Vec<(String, Vec<(TrackId, f32)>)> =
            names.iter().map(|n| (n.clone(), Vec::new())).collect();
        let mut unsure = Vec::new();
        for t in &self.tracks {
            if let Some((g, p)) = self.genre_of(t.id) {
                if !unsure_in_playlists && !self.is_known(t.id) {
                    unsure.push((t.id, p));
                } else if p >= min_confidence
                    && let Some(l) = lists.iter_mut().find(|(n, _)| n == g)
                {
                    l.1.push((t.id, p));
                }
            }
        }
        if !unsure.is_empty() {
            lists.push((UNSURE_GROUP.to_string(), unsure));
        }
        // An earlier model's genre is listed only while a track still shows it; the active
        // model's are listed even when empty.
        lists.retain(|(n, l)| !l.is_empty() || self.labels.contains(n));
        for l in &mut lists {
            l.1.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        lists
    }

    /// Every classified track as a recommendation candidate (its vectors shared, not copied:
    /// `f` at 50,000 tracks copied 50,000 genre and style vectors on every press).
    pub fn candidates(&self) -> Vec<crate::recommend::similar::Candidate> {
        self.tracks
            .iter()
            .filter_map(|t| {
                self.vectors
                    .get(&t.id)
                    .map(|v| crate::recommend::similar::Candidate {
                        id: t.id,
                        artist: artist_key(&t.artist),
                        genre: v.clone(),
                        style: self.styles.get(&t.id).cloned(),
                        known: self.is_known(t.id),
                    })
            })
            .collect()
    }
}

/// A folder of the folder tree while it is built.
#[derive(Default)]
struct FolderNode<'a> {
    folders: BTreeMap<&'a str, FolderNode<'a>>,
    tracks: Vec<TrackId>,
}

impl FolderNode<'_> {
    /// The groups of this folder's subfolders; a folder holding only one subfolder and no
    /// files is named with it ("Artist/Album"), so a deep path is not a ladder of rows.
    fn into_groups(self) -> Vec<Group> {
        self.folders
            .into_iter()
            .map(|(name, mut node)| {
                let mut name = name.to_string();
                while node.tracks.is_empty() && node.folders.len() == 1 {
                    let Some((sub, inner)) = node.folders.pop_first() else {
                        break;
                    };
                    name = format!("{name}/{sub}");
                    node = inner;
                }
                let tracks = std::mem::take(&mut node.tracks);
                Group {
                    name,
                    children: node.into_groups(),
                    tracks,
                }
            })
            .collect()
    }
}

/// The folder tree of `tracks` (in path order): a group per folder below the library folder,
/// nested as on disk; the library folder's own files are the group ".", first.
fn folder_tree(tracks: &[&TrackInfo]) -> Vec<Group> {
    let mut root = FolderNode::default();
    for t in tracks {
        let mut node = &mut root;
        if t.folder != "." {
            for part in t.folder.split('/').filter(|p| !p.is_empty()) {
                node = node.folders.entry(part).or_default();
            }
        }
        node.tracks.push(t.id);
    }
    let top = std::mem::take(&mut root.tracks);
    let mut groups = Vec::new();
    if !top.is_empty() {
        groups.push(Group {
            name: ".".into(),
            children: vec![],
            tracks: top,
        });
    }
    groups.extend(root.into_groups());
    groups
}

/// Appends the groups that have tracks (the trees' last groups: unsure, waiting, failed…).
fn push_groups<const N: usize>(groups: &mut Vec<Group>, extra: [(&str, Vec<TrackId>); N]) {
    for (name, tracks) in extra {
        if !tracks.is_empty() {
            groups.push(Group {
                name: name.into(),
                children: vec![],
                tracks,
            });
        }
    }
}

/// The style lists (style, ranked tracks) and the tracks of the style tree's last groups.
type StylePass = (
    Vec<(String, Vec<(TrackId, f32)>)>,
    HashMap<&'static str, Vec<TrackId>>,
);

/// artist key → (artist name, album key → (album name, tracks)).
type ArtistTree = BTreeMap<String, (String, BTreeMap<String, (String, Vec<TrackId>)>)>;

/// A node of a browse tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub children: Vec<Group>,
    pub tracks: Vec<TrackId>,
}

impl Group {
    /// Every track below this group, in the order the rows show them (the subgroups, then
    /// the group's own tracks).
    pub fn all_tracks(&self) -> Vec<TrackId> {
        let mut v = Vec::with_capacity(self.count());
        for c in &self.children {
            v.extend(c.all_tracks());
        }
        v.extend_from_slice(&self.tracks);
        v
    }

    pub fn count(&self) -> usize {
        self.tracks.len() + self.children.iter().map(Group::count).sum::<usize>()
    }
}

/// The artist as the recommender's artist rule sees it ("" when unknown).
pub fn artist_key(display: &str) -> String {
    if display == "Unknown artist" {
        String::new()
    } else {
        display.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn permute_places_each_item_where_the_order_says() {
        let orders: [&[usize]; 4] = [&[2, 0, 1], &[0, 1, 2, 3], &[3, 2, 1, 0], &[1, 0, 3, 4, 2]];
        for order in orders {
            let mut items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            super::permute(&mut items, order);
            let want: Vec<usize> = order.iter().map(|&i| i * 10).collect();
            assert_eq!(items, want, "order {order:?}");
        }
    }
}
