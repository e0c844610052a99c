//! Labelled folders for training and evaluation: one subfolder per genre, or the files' genre
//! tags; an optional `INDEX.tsv` (file, genre, split) fixes the split. Splits are made by track,
//! and by artist where tags name one, never by segment.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::audio::is_audio_path;
use crate::library::genres::GenreTally;
use crate::library::tags::read_tags;

/// Where labels come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSource {
    /// Each immediate subfolder of the root is a genre; audio files anywhere below it.
    Folders,
    /// The files' genre tags; genres with fewer than `min_count` tracks are left out.
    Tags { min_count: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Valid,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelledTrack {
    pub path: PathBuf,
    pub label: String,
    pub artist: Option<String>,
    /// The split an index file gave it.
    pub split: Option<Split>,
}

/// A labelled folder's contents.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LabelledSet {
    pub tracks: Vec<LabelledTrack>,
    /// Files seen but not used, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Files named like audio that cannot be read at all (a FIFO, a device, a dangling link,
    /// an unreadable folder), with the reason: reported as errors.
    pub unreadable: Vec<(PathBuf, String)>,
    /// True when an `INDEX.tsv` gave the split.
    pub indexed: bool,
}

impl LabelledSet {
    /// Sorted distinct labels.
    pub fn labels(&self) -> Vec<String> {
        let mut l: Vec<String> = self.tracks.iter().map(|t| t.label.clone()).collect();
        l.sort();
        l.dedup();
        l
    }

    /// Tracks per label.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for t in &self.tracks {
            *m.entry(t.label.clone()).or_insert(0) += 1;
        }
        m
    }
}

fn walk_audio(dir: &Path, out: &mut Vec<PathBuf>, unreadable: &mut Vec<(PathBuf, String)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            unreadable.push((dir.to_path_buf(), format!("cannot read folder: {e}")));
            return;
        }
    };
    let mut items: Vec<_> = entries.filter_map(Result::ok).collect();
    items.sort_by_key(|e| e.file_name());
    for e in items {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        match e.file_type() {
            // Folders are walked, but not through links (a link to a parent would loop).
            Ok(t) if t.is_dir() => walk_audio(&p, out, unreadable),
            Ok(_) if is_audio_path(&p) => {
                // Links to files are followed; a FIFO or device named like music is listed
                // (never opened: a FIFO would block).
                match std::fs::metadata(&p) {
                    Ok(m) if m.is_file() => out.push(p),
                    Ok(m) if m.is_dir() => {}
                    Ok(m) => {
                        let kind = crate::audio::header::non_regular_kind(&m)
                            .unwrap_or("not a plain file");
                        unreadable.push((p.clone(), format!("not a regular file: {kind}")));
                    }
                    Err(err) => unreadable.push((p.clone(), err.to_string())),
                }
            }
            _ => {}
        }
    }
}

/// Reads `INDEX.tsv` (header `file<TAB>genre<TAB>split`) if `root` has one.
/// file → (genre, split) from an index file.
type Index = HashMap<PathBuf, (String, Option<Split>)>;

fn read_index(root: &Path) -> anyhow::Result<Option<Index>> {
    let p = root.join("INDEX.tsv");
    if !p.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&p)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", p.display()))?;
    let mut map = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if n == 0 && cols.first().is_some_and(|c| c.eq_ignore_ascii_case("file")) {
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        if cols.len() < 2 {
            anyhow::bail!(
                "{}:{}: expected file<TAB>genre[<TAB>split]",
                p.display(),
                n + 1
            );
        }
        let split = match cols.get(2).map(|s| s.trim()) {
            Some("train") => Some(Split::Train),
            Some("valid") | Some("validation") => Some(Split::Valid),
            _ => None,
        };
        map.insert(
            root.join(cols[0].trim()),
            (cols[1].trim().to_string(), split),
        );
    }
    Ok(Some(map))
}

/// Collects the labelled tracks below `root`. With `use_index`, an `INDEX.tsv` at the root
/// restricts the set to its train/valid rows and gives their split.
pub fn collect(root: &Path, source: LabelSource, use_index: bool) -> anyhow::Result<LabelledSet> {
    if !root.is_dir() {
        anyhow::bail!("{}: not a folder", root.display());
    }
    let mut set = LabelledSet::default();
    let index = if use_index { read_index(root)? } else { None };
    let mut files = Vec::new();
    match source {
        LabelSource::Folders => {
            let mut subdirs: Vec<PathBuf> = std::fs::read_dir(root)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", root.display()))?
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .collect();
            subdirs.sort();
            for d in subdirs {
                let label = d
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut found = Vec::new();
                walk_audio(&d, &mut found, &mut set.unreadable);
                files.extend(found.into_iter().map(|p| (p, Some(label.clone()))));
            }
        }
        LabelSource::Tags { .. } => {
            let mut found = Vec::new();
            walk_audio(root, &mut found, &mut set.unreadable);
            files.extend(found.into_iter().map(|p| (p, None)));
        }
    }
    // Tags: spellings merged and multi-value tags split (`library::genres`), counted over
    // every file first, so a genre's minimum counts all its spellings.
    let mut read: Vec<(PathBuf, Option<String>, Option<crate::library::tags::Tags>)> = Vec::new();
    for (path, folder_label) in files {
        let tags = read_tags(&path).ok();
        if let Some(idx) = &index {
            match idx.get(&path) {
                Some((_, Some(_))) => {}
                Some((_, None)) => {
                    set.skipped
                        .push((path.clone(), "not in the index's train/valid rows".into()));
                    continue;
                }
                None => {
                    set.skipped
                        .push((path.clone(), "not listed in INDEX.tsv".into()));
                    continue;
                }
            }
        }
        read.push((path, folder_label, tags));
    }
    let tally = GenreTally::of(
        read.iter()
            .map(|(_, _, t)| t.as_ref().and_then(|t| t.genre.as_deref())),
    );
    for (path, folder_label, tags) in read {
        let artist = tags
            .as_ref()
            .and_then(|t| t.album_artist.clone().or_else(|| t.artist.clone()));
        let split = index
            .as_ref()
            .and_then(|idx| idx.get(&path))
            .and_then(|(_, s)| *s);
        let label = match (folder_label, source) {
            (Some(l), _) => l,
            (None, LabelSource::Tags { min_count }) => {
                match tally.label_of(tags.as_ref().and_then(|t| t.genre.as_deref()), min_count) {
                    Ok(l) => l,
                    Err(why) => {
                        set.skipped.push((path, why.to_string()));
                        continue;
                    }
                }
            }
            (None, LabelSource::Folders) => continue,
        };
        set.tracks.push(LabelledTrack {
            path,
            label,
            artist,
            split,
        });
    }
    set.indexed = index.is_some();
    Ok(set)
}

/// Genre names a folder of genres is likely to use (the GTZAN genres, the musicnn tags and a
/// few more): a folder called one of these is a genre, whatever its files' artist tags say.
const GENRE_WORDS: &[&str] = &[
    "ambient",
    "blues",
    "classical",
    "country",
    "dance",
    "disco",
    "drum and bass",
    "dubstep",
    "edm",
    "electronic",
    "electronica",
    "folk",
    "funk",
    "gospel",
    "grunge",
    "hardcore",
    "hip hop",
    "hiphop",
    "hip-hop",
    "house",
    "indie",
    "industrial",
    "jazz",
    "latin",
    "lounge",
    "metal",
    "new age",
    "opera",
    "pop",
    "punk",
    "r&b",
    "rap",
    "reggae",
    "rnb",
    "rock",
    "ska",
    "soul",
    "soundtrack",
    "swing",
    "techno",
    "trance",
    "trip hop",
    "world",
];

fn is_genre_word(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    GENRE_WORDS.contains(&n.as_str())
        || crate::model::musicnn::MUSICNN_TAGS
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&n))
}

/// The folder names, among `groups` (a folder name and the artist tags of its files), that
/// look like artists rather than genres: most of their tagged files name the folder as their
/// artist, or every tagged file has one and the same artist. Only returned when they are at
/// least half of the folders (two or more): a tree of artist folders, not one odd genre.
pub fn artist_like(groups: &[(String, Vec<Option<String>>)]) -> Vec<String> {
    let norm = |s: &str| s.trim().to_lowercase();
    let like: Vec<String> = groups
        .iter()
        .filter(|(name, _)| !is_genre_word(name))
        .filter(|(name, artists)| {
            let tagged: Vec<String> = artists.iter().flatten().map(|a| norm(a)).collect();
            if tagged.is_empty() {
                return false;
            }
            let named = tagged.iter().filter(|a| **a == norm(name)).count();
            let one_artist = tagged.len() >= 2 && tagged.iter().all(|a| *a == tagged[0]);
            named * 5 >= tagged.len() * 3 || one_artist
        })
        .map(|(name, _)| name.clone())
        .collect();
    if like.len() >= 2 && like.len() * 2 >= groups.len() {
        like
    } else {
        Vec::new()
    }
}

/// The warning shown before training on a folder whose subfolders look like artists.
pub fn artist_warning(root: &Path, names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(4).map(String::as_str).collect();
    format!(
        "the subfolders of {} look like artists, not genres ({}{}): a model trained on them learns \
         artists; use a folder with one subfolder per genre, or genre tags",
        root.display(),
        shown.join(", "),
        if names.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    )
}

impl LabelledSet {
    /// Each label with the artist tags of its tracks (for [`artist_like`]).
    pub fn artists_by_label(&self) -> Vec<(String, Vec<Option<String>>)> {
        let mut by: BTreeMap<&str, Vec<Option<String>>> = BTreeMap::new();
        for t in &self.tracks {
            by.entry(t.label.as_str())
                .or_default()
                .push(t.artist.clone());
        }
        by.into_iter().map(|(l, a)| (l.to_string(), a)).collect()
    }
}

/// Splits tracks into (train, valid) indices. `valid_frac` 0 puts everything in train. An index
/// file's split wins; otherwise tracks are
/// grouped by artist (or by file when untagged) and whole groups go to validation, label by
/// label, until about `valid_frac` of each label's tracks are there. Deterministic for a seed.
pub fn split(set: &LabelledSet, valid_frac: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    if valid_frac <= 0.0 {
        // No validation: everything trains (with an index, its train and valid rows).
        return ((0..set.tracks.len()).collect(), vec![]);
    }
    if set.indexed {
        let mut train = Vec::new();
        let mut valid = Vec::new();
        for (i, t) in set.tracks.iter().enumerate() {
            match t.split {
                Some(Split::Valid) => valid.push(i),
                _ => train.push(i),
            }
        }
        return (train, valid);
    }
    let group_of = |t: &LabelledTrack| -> String {
        match &t.artist {
            Some(a) => format!("artist:{}", a.to_lowercase()),
            None => format!("file:{}", t.path.display()),
        }
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut decided: HashMap<String, Split> = HashMap::new();
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in set.tracks.iter().enumerate() {
        by_label.entry(t.label.as_str()).or_default().push(i);
    }
    for idx in by_label.values() {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in idx {
            groups.entry(group_of(&set.tracks[i])).or_default().push(i);
        }
        let mut keys: Vec<String> = groups.keys().cloned().collect();
        keys.shuffle(&mut rng);
        let target = (idx.len() as f64 * valid_frac).round() as usize;
        let mut in_valid: usize = idx
            .iter()
            .filter(|&&i| decided.get(&group_of(&set.tracks[i])) == Some(&Split::Valid))
            .count();
        // Keep at least one group for training.
        let mut undecided_left = keys.iter().filter(|k| !decided.contains_key(*k)).count();
        for k in keys {
            if decided.contains_key(&k) {
                continue;
            }
            let n = groups.get(&k).map_or(0, Vec::len);
            let s = if in_valid < target && undecided_left > 1 {
                in_valid += n;
                Split::Valid
            } else {
                Split::Train
            };
            undecided_left -= 1;
            decided.insert(k, s);
        }
    }
    let mut train = Vec::new();
    let mut valid = Vec::new();
    for (i, t) in set.tracks.iter().enumerate() {
        match decided.get(&group_of(t)) {
            Some(Split::Valid) => valid.push(i),
            _ => train.push(i),
        }
    }
    (train, valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(label: &str, artist: Option<&str>, n: usize) -> LabelledTrack {
        LabelledTrack {
            path: PathBuf::from(format!("/x/{label}/{n}.wav")),
            label: label.into(),
            artist: artist.map(Into::into),
            split: None,
        }
    }

    #[test]
    fn split_keeps_artists_on_one_side() {
        let mut tracks = Vec::new();
        for a in 0..6 {
            for n in 0..4 {
                tracks.push(track(
                    if a % 2 == 0 { "rock" } else { "jazz" },
                    Some(&format!("artist{a}")),
                    a * 10 + n,
                ));
            }
        }
        let set = LabelledSet {
            tracks,
            skipped: vec![],
            unreadable: vec![],
            indexed: false,
        };
        let (train, valid) = split(&set, 0.34, 7);
        assert_eq!(train.len() + valid.len(), 24);
        assert!(!valid.is_empty() && !train.is_empty());
        let artists = |ix: &[usize]| -> std::collections::HashSet<String> {
            ix.iter()
                .filter_map(|&i| set.tracks[i].artist.clone())
                .collect()
        };
        assert!(artists(&train).is_disjoint(&artists(&valid)));
        // Both labels are represented in validation.
        let labels: std::collections::HashSet<&str> = valid
            .iter()
            .map(|&i| set.tracks[i].label.as_str())
            .collect();
        assert_eq!(labels.len(), 2);
        // Deterministic.
        assert_eq!(split(&set, 0.34, 7), (train, valid));
    }

    #[test]
    fn untagged_tracks_split_by_file() {
        let tracks: Vec<_> = (0..10)
            .map(|n| track(if n < 5 { "a" } else { "b" }, None, n))
            .collect();
        let set = LabelledSet {
            tracks,
            skipped: vec![],
            unreadable: vec![],
            indexed: false,
        };
        let (train, valid) = split(&set, 0.2, 1);
        assert_eq!(valid.len(), 2);
        assert_eq!(train.len(), 8);
    }

    #[test]
    fn artist_folders_are_told_from_genre_folders() {
        let g = |name: &str, artists: &[Option<&str>]| {
            (
                name.to_string(),
                artists.iter().map(|a| a.map(str::to_string)).collect(),
            )
        };
        // Folders named after their files' artists (one untagged folder of odds and ends).
        let tree = vec![
            g("ASC", &[Some("ASC"), Some("ASC"), Some("ASC")]),
            g("Sectoid", &[Some("Sectoid"), Some("Sectoid")]),
            g("Misc", &[None, None]),
            g("Warzone 2100", &[Some("Jim Kopp"), Some("Jim Kopp"), None]),
        ];
        assert_eq!(artist_like(&tree), vec!["ASC", "Sectoid", "Warzone 2100"]);
        // Genre folders: many artists each, or named like genres whatever the tags say.
        let genres = vec![
            g("rock", &[Some("A"), Some("B"), Some("C")]),
            g("metal", &[Some("Metal"), Some("Metal")]),
            g("jazz", &[Some("D"), Some("D")]),
            g("Chiptune", &[Some("E"), Some("F")]),
        ];
        assert!(artist_like(&genres).is_empty());
        // One odd folder among genres is not a tree of artists.
        let one = vec![
            g("rock", &[Some("A"), Some("B")]),
            g("jazz", &[Some("C"), Some("D")]),
            g("Bach", &[Some("Bach"), Some("Bach")]),
        ];
        assert!(artist_like(&one).is_empty());
    }
}
