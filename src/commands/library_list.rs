//! `genreplay library`: every track the database has, with its genre (or why it has none),
//! as text or as streamed JSON.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Value, json};

use super::library::open_store;
use crate::audio::gain::GainSettings;
use crate::model::active::load_active;
use crate::model::backend::inference_device;
use crate::model::registry::LoadedModel;
use crate::paths::Paths;
use crate::store::history::HistoryRecord;
use crate::store::{
    DamageRecord, FailureRecord, LoudnessRecord, ModelId, Store, StoreError, TrackId, TrackRecord,
    VectorRecord,
};
use crate::util::maths::argmax;

/// A label → probability object (labels in sorted order, as a JSON map prints them).
struct LabelMap<'a>(&'a [String], &'a [f32]);

impl Serialize for LabelMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut pairs: Vec<(&String, &f32)> = self.0.iter().zip(self.1).collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        let mut m = s.serialize_map(Some(pairs.len()))?;
        for (l, p) in pairs {
            m.serialize_entry(l, p)?;
        }
        m.end()
    }
}

/// One track of `library --json` (fields in the order they always printed: sorted).
#[derive(Serialize)]
struct TrackJson<'a> {
    album: &'a Option<String>,
    album_artist: &'a Option<String>,
    artist: &'a Option<String>,
    confidence: Option<f32>,
    /// A CUE sheet's track: its audio file, number and span (seconds); null otherwise.
    cue: Option<Value>,
    duration_secs: Option<f64>,
    error: Option<&'a str>,
    genre: Option<&'a str>,
    genre_tag: &'a Option<String>,
    id: String,
    /// false: the model is unsure (not one of its genres); `genre` is its top guess.
    known: Option<bool>,
    /// When it last counted as played (RFC 3339, UTC).
    last_played: Option<String>,
    open_set: Option<Value>,
    partial: bool,
    partial_reason: Option<&'a str>,
    path: String,
    /// Times it counted as played (the rules are in the README).
    plays: u32,
    /// "like", "dislike" or null.
    rating: Option<&'static str>,
    /// The gain tags, the loudness estimate and the gain playback applies under config.toml.
    replaygain: Value,
    /// Times it counted as skipped.
    skips: u32,
    status: &'static str,
    style: Option<&'a Vec<f32>>,
    /// The styles the player shows (the trunk's top tags above the floor, best first).
    styles: Value,
    /// The full tag vector, by tag name.
    tags: Value,
    title: &'a Option<String>,
    top_guesses: Option<Vec<Value>>,
    track_no: Option<u32>,
    vector: Option<LabelMap<'a>>,
    year: Option<u16>,
}

/// A CUE sheet's track in `library --json`: the audio file, the track number and the span.
fn cue_json(path: &std::path::Path) -> Option<Value> {
    let (_, number) = crate::audio::cue::split_track_path(path)?;
    match crate::audio::cue::resolve(path, None)? {
        Ok((file, span)) => Some(json!({
            "file": file.to_string_lossy(),
            "track": number,
            "start_secs": span.start_secs,
            "end_secs": span.end_secs,
        })),
        Err(e) => Some(json!({"track": number, "error": e.to_string()})),
    }
}

/// A track's ReplayGain in `library --json`: its tags, the loudness estimate, and the gain
/// the player applies (`applied_db`, from `applied_from`: track, album, estimated, off, none).
fn replaygain_json(
    tags: &crate::audio::gain::ReplayGainTags,
    estimate: Option<&crate::audio::loudness::Loudness>,
    settings: &crate::audio::gain::GainSettings,
) -> Value {
    let applied = crate::audio::gain::choose(tags, estimate, settings);
    json!({
        "track_gain_db": tags.track_gain_db,
        "track_peak": tags.track_peak,
        "album_gain_db": tags.album_gain_db,
        "album_peak": tags.album_peak,
        "estimated_lufs": estimate.map(|l| l.lufs),
        "estimated_peak": estimate.map(|l| l.peak),
        "applied_db": (f64::from(applied.db) * 100.0).round() / 100.0,
        "applied_from": applied.source,
        "peak_limited": applied.peak_limited,
    })
}

pub fn run_library(json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    // The tracks are listed as the database has them; a folder that is not there is said.
    if let Some(root) = store.meta_get("library_root")? {
        let root = std::path::PathBuf::from(root);
        if let Err(o) =
            crate::library::root::check(&root, || crate::library::root::known_tracks(&store, &root))
        {
            eprintln!("note: {o}");
        }
    }
    let device = inference_device();
    let model = load_active(&store, None, &device)?;
    let known = Known::read(&store, &model.id)?;
    if json {
        let config = crate::config::Settings::load(&paths.config_dir).config;
        let gain = GainSettings {
            mode: config.replaygain,
            preamp_db: config.replaygain_preamp,
        };
        return match write_json(&model, &known, &gain) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            // The reader went away (`| head`): nothing more to say.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            Err(e) => Err(anyhow::anyhow!("writing the library: {e}")),
        };
    }
    print_text(&model, &known);
    Ok(ExitCode::SUCCESS)
}

/// What the database knows of every track, for the active model.
struct Known {
    /// In path order.
    tracks: Vec<(TrackId, TrackRecord)>,
    vectors: HashMap<TrackId, VectorRecord>,
    failures: HashMap<TrackId, FailureRecord>,
    damage: HashMap<TrackId, DamageRecord>,
    loudness: HashMap<TrackId, LoudnessRecord>,
    history: HashMap<TrackId, HistoryRecord>,
}

impl Known {
    fn read(store: &Store, model: &ModelId) -> Result<Self, StoreError> {
        let mut tracks = store.tracks()?;
        tracks.sort_by(|a, b| a.1.path.cmp(&b.1.path));
        Ok(Self {
            tracks,
            vectors: store.vectors_for(model)?.into_iter().collect(),
            failures: store.failures_for(model)?.into_iter().collect(),
            damage: store.damaged_tracks()?.into_iter().collect(),
            loudness: store.loudness_all()?.into_iter().collect(),
            history: store.history()?,
        })
    }

    /// One track's row of `library --json`.
    fn track_json<'a>(
        &'a self,
        id: &TrackId,
        t: &'a TrackRecord,
        labels: &'a [String],
        style_filter: &crate::model::styles::StyleFilter,
        gain: &GainSettings,
    ) -> TrackJson<'a> {
        let v = self.vectors.get(id);
        let top = v.map(|v| argmax(&v.vector));
        let failure = self.failures.get(id);
        let (styles, tags) =
            super::classify::styles_json(style_filter, v.and_then(|v| v.style.as_ref()));
        let heard = self.history.get(id).copied().unwrap_or_default();
        TrackJson {
            last_played: heard.last_played_unix.map(crate::util::time::rfc3339),
            plays: heard.plays,
            skips: heard.skips,
            rating: heard.rating.name(),
            styles,
            tags,
            album: &t.tags.album,
            album_artist: &t.tags.album_artist,
            artist: &t.tags.artist,
            confidence: top.map(|(_, c)| c),
            cue: cue_json(&t.path()),
            duration_secs: t.duration_secs(),
            error: failure.map(|f| f.reason.as_str()),
            genre: top.and_then(|(i, _)| labels.get(i)).map(String::as_str),
            genre_tag: &t.tags.genre,
            id: id.hex(),
            known: v.map(|v| v.open_set.is_none_or(|o| o.known)),
            open_set: v
                .and_then(|v| v.open_set)
                .map(|o| json!({"calibrated_confidence": o.confidence, "distance": o.distance, "music": o.music})),
            partial: self.damage.contains_key(id),
            partial_reason: self.damage.get(id).map(|d| d.reason.as_str()),
            path: t.path().to_string_lossy().into_owned(),
            replaygain: replaygain_json(
                &t.tags.replaygain.unwrap_or_default(),
                self.loudness.get(id).map(|l| &l.loudness),
                gain,
            ),
            status: if v.is_some() {
                "classified"
            } else if failure.is_some() {
                "failed"
            } else {
                "pending"
            },
            style: v.and_then(|v| v.style.as_ref()),
            title: &t.tags.title,
            top_guesses: v.map(|v| super::classify::top_guesses(labels, &v.vector, 3)),
            track_no: t.tags.track_no,
            vector: v.map(|v| LabelMap(labels, &v.vector)),
            year: t.tags.year,
        }
    }

    /// One track's line of the text listing: genre and confidence (or why there is none),
    /// artist, title, file and what went wrong with it.
    fn track_line(&self, id: &TrackId, t: &TrackRecord, labels: &[String]) -> String {
        let v = self.vectors.get(id);
        let top = v.map(|v| argmax(&v.vector));
        let genre = top.and_then(|(i, _)| labels.get(i).cloned());
        let status = match (&genre, self.failures.get(id)) {
            (Some(g), _) if v.is_some_and(|v| v.open_set.is_some_and(|o| !o.known)) => {
                format!("? {g:<8} {:>5.1}%", top.map_or(0.0, |(_, c)| c * 100.0))
            }
            (Some(g), _) => format!("{g:<10} {:>5.1}%", top.map_or(0.0, |(_, c)| c * 100.0)),
            (None, Some(_)) => format!("{:<10} {:>6}", "(failed)", ""),
            (None, None) => format!("{:<10} {:>6}", "(pending)", ""),
        };
        let note = match (self.failures.get(id), self.damage.get(id)) {
            (Some(f), _) if v.is_none() => format!("  failed: {}", f.reason),
            (_, Some(d)) if v.is_some() => format!("  partial: {}", d.reason),
            _ => String::new(),
        };
        format!(
            "{status}  {} — {}  [{}]{note}",
            t.display_artist(),
            t.display_title(),
            t.path().display()
        )
    }
}

/// `library --json`, streamed: one track at a time, never the whole document in memory
/// (50,000 tracks print ≈ 100 MB). The output is one JSON object, a track per line.
fn write_json(model: &LoadedModel, known: &Known, gain: &GainSettings) -> std::io::Result<()> {
    let labels = &model.config.labels;
    let style_filter = crate::model::styles::StyleFilter::for_labels(labels);
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, super::output::stdout_raw());
    out.write_all(b"{\n  \"model\": ")?;
    serde_json::to_writer(
        &mut out,
        &json!({"id": model.id.0, "name": model.config.name, "labels": labels}),
    )?;
    out.write_all(b",\n  \"tracks\": [")?;
    for (k, (id, t)) in known.tracks.iter().enumerate() {
        let row = known.track_json(id, t, labels, &style_filter, gain);
        out.write_all(if k == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut out, &row)?;
    }
    out.write_all(if known.tracks.is_empty() {
        b"]\n}\n"
    } else {
        b"\n  ]\n}\n"
    })?;
    out.flush()
}

/// The text listing: a line per track, then the counts.
fn print_text(model: &LoadedModel, known: &Known) {
    let mut stdout = super::output::stdout();
    for (id, t) in &known.tracks {
        let _ = writeln!(stdout, "{}", known.track_line(id, t, &model.config.labels));
    }
    let _ = writeln!(
        stdout,
        "{}, {} classified, {} failed (model {})",
        crate::app::session::tracks_n(known.tracks.len()),
        known.vectors.len(),
        known.failures.len(),
        model.id
    );
}
