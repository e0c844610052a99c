//! The store as a whole: round trips, opening, and databases of earlier builds.
use super::*;
use crate::store::records::{OpenSetRecord, Tags};
use std::os::unix::ffi::OsStrExt;

fn track(path: &str) -> TrackRecord {
    TrackRecord {
        path: Path::new(path).as_os_str().as_bytes().to_vec(),
        size: 10,
        mtime_ns: 20,
        tags: Tags {
            artist: Some("A".into()),
            title: Some("T".into()),
            duration_ms: Some(1234),
            ..Tags::default()
        },
        tag_error: None,
        added_unix: 5,
    }
}

fn model_record(m: &ModelId) -> ModelRecord {
    ModelRecord {
        id: m.0.clone(),
        name: "n".into(),
        labels: vec!["x".into(), "y".into()],
        created_unix: 1,
        source: None,
        metrics: None,
        location: ModelLocation::Embedded,
    }
}

fn vector(v: f32) -> VectorRecord {
    VectorRecord {
        vector: vec![v, 1.0 - v],
        segments: 3,
        style: Some(vec![0.5; 4]),
        computed_unix: 9,
        open_set: Some(OpenSetRecord {
            known: v > 0.5,
            confidence: v,
            distance: 1.0 - v,
            music: Some(v),
        }),
    }
}

#[test]
fn round_trips_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let m1 = ModelId("aaaaaaaaaaaaaaaa".into());
    let m2 = ModelId("bbbbbbbbbbbbbbbb".into());
    let a = track("/m/a.flac");
    let b = track("/m/b.flac");
    {
        let s = Store::open(dir.path()).unwrap();
        s.put_tracks(&[a.clone(), b.clone()]).unwrap();
        s.put_vector(&m1, a.id(), &vector(0.25)).unwrap();
        s.put_vector(&m2, a.id(), &vector(0.75)).unwrap();
        s.put_failure(
            &m1,
            b.id(),
            &FailureRecord {
                reason: "bad".into(),
                size: 1,
                mtime_ns: 2,
                at_unix: 3,
            },
        )
        .unwrap();
        s.put_model(&model_record(&m1)).unwrap();
        s.meta_set("active_model", &m1.0).unwrap();
        s.flush().unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.schema_version().unwrap(), Some(SCHEMA_VERSION));
    assert_eq!(s.track(a.id()).unwrap(), Some(a.clone()));
    assert_eq!(s.tracks().unwrap().len(), 2);
    assert_eq!(s.vector(&m1, a.id()).unwrap(), Some(vector(0.25)));
    assert_eq!(s.vector(&m2, a.id()).unwrap(), Some(vector(0.75)));
    assert_eq!(s.vectors_for(&m1).unwrap().len(), 1);
    assert_eq!(s.vector_models().unwrap().len(), 2);
    assert_eq!(s.failures_for(&m1).unwrap()[0].1.reason, "bad");
    assert_eq!(s.models().unwrap()[0].labels, vec!["x", "y"]);
    assert_eq!(
        s.meta_get("active_model").unwrap().as_deref(),
        Some(m1.0.as_str())
    );

    // A vector for a failed track clears the failure.
    s.put_vector(&m1, b.id(), &vector(0.5)).unwrap();
    assert!(s.failure(&m1, b.id()).unwrap().is_none());
    // Removing a track removes its vectors for every model.
    s.remove_tracks(&[a.id()]).unwrap();
    assert!(s.track(a.id()).unwrap().is_none());
    assert!(s.vector(&m1, a.id()).unwrap().is_none());
    assert!(s.vector(&m2, a.id()).unwrap().is_none());
    assert!(s.vector(&m1, b.id()).unwrap().is_some());
    s.drop_model_vectors(&m1).unwrap();
    assert_eq!(s.vector_count(&m1), 0);
}

#[test]
fn newer_schema_is_refused_with_a_way_out() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        s.meta
            .insert("schema_version", &(SCHEMA_VERSION + 1).to_le_bytes())
            .unwrap();
        s.flush().unwrap();
    }
    // sled's flusher thread may hold the file lock a moment after the handle is dropped (seen
    // under load): wait for it, as a new start of the player would find it gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let err = loop {
        match Store::open(dir.path()) {
            Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            other => break other.unwrap_err().to_string(),
        }
    };
    assert!(err.contains("newer genreplay"), "{err}");
    assert!(
        err.contains("--data-dir") && err.contains("db reset"),
        "{err}"
    );
}

#[test]
fn a_database_in_use_says_so_and_never_suggests_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!in_use(dir.path()), "no database yet");
    let held = Store::open(dir.path()).unwrap();
    assert!(in_use(dir.path()));
    // The lock is this process's own (a second handle is refused like another process).
    assert_eq!(lock_holder(dir.path()), Some(std::process::id()));
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "genreplay is already running (pid {})",
            std::process::id()
        )),
        "{text}"
    );
    assert!(!text.contains("reset"), "{text}");
    drop(held);
    assert!(!in_use(dir.path()));
    Store::open(dir.path()).unwrap();
}

#[test]
fn loudness_is_kept_until_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("db")).unwrap();
    let t = track("/m/a.flac");
    let id = t.id();
    s.put_tracks(&[t]).unwrap();
    let rec = LoudnessRecord {
        loudness: crate::audio::loudness::Loudness {
            lufs: -14.5,
            peak: 0.9,
            secs: 60.0,
        },
        size: 1,
        mtime_ns: 2,
        at_unix: 3,
    };
    s.put_loudness(id, &rec).unwrap();
    assert_eq!(s.loudness(id).unwrap(), Some(rec.clone()));
    assert_eq!(s.loudness_all().unwrap().len(), 1);
    let bad = LoudnessRecord {
        loudness: crate::audio::loudness::Loudness {
            lufs: f32::NAN,
            ..rec.loudness
        },
        ..rec.clone()
    };
    assert!(s.put_loudness(id, &bad).is_err());
    s.invalidate_tracks(&[id]).unwrap();
    assert_eq!(s.loudness(id).unwrap(), None);
    s.put_loudness(id, &rec).unwrap();
    s.remove_tracks(&[id]).unwrap();
    assert_eq!(s.loudness(id).unwrap(), None);
}

/// A database as the builds before the typed trees wrote it — raw sled inserts of the
/// same bytes: version byte then postcard, the same keys, old layouts included, and a
/// playlist in the old `playlists` tree — opens and reads the same through the trees.
#[test]
fn a_database_of_earlier_builds_reads_the_same() {
    #[derive(serde::Serialize)]
    struct OldVector {
        vector: Vec<f32>,
        segments: u32,
        style: Option<Vec<f32>>,
        computed_unix: u64,
    }
    /// Version 1 with the open-set verdict (before the music-likeness was kept).
    #[derive(serde::Serialize)]
    struct OldVerdictVector {
        vector: Vec<f32>,
        segments: u32,
        style: Option<Vec<f32>>,
        computed_unix: u64,
        open_set: Option<(bool, f32, f32)>,
    }
    fn bytes(version: u8, v: &impl serde::Serialize) -> Vec<u8> {
        let mut out = vec![version];
        out.extend(postcard::to_stdvec(v).unwrap());
        out
    }
    let dir = tempfile::tempdir().unwrap();
    let m = ModelId("0123456789abcdef".into());
    let a = track("/m/a.flac");
    let b = track("/m/b.flac");
    let key = |t: TrackId| {
        let mut k = b"0123456789abcdef/".to_vec();
        k.extend_from_slice(&t.0.to_be_bytes());
        k
    };
    let fail = FailureRecord {
        reason: "bad".into(),
        size: 1,
        mtime_ns: 2,
        at_unix: 3,
    };
    let model = model_record(&m);
    {
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = |n: &str| db.open_tree(n).unwrap();
        tree("meta")
            .insert("schema_version", &1u32.to_le_bytes())
            .unwrap();
        tree("meta").insert("active_model", m.0.as_bytes()).unwrap();
        tree("tracks")
            .insert(a.id().0.to_be_bytes(), bytes(2, &a))
            .unwrap();
        tree("tracks")
            .insert(b.id().0.to_be_bytes(), bytes(2, &b))
            .unwrap();
        tree("vectors")
            .insert(
                key(a.id()),
                bytes(
                    1,
                    &OldVerdictVector {
                        vector: vec![0.25, 0.75],
                        segments: 3,
                        style: Some(vec![0.5; 4]),
                        computed_unix: 9,
                        open_set: Some((false, 0.25, 0.75)),
                    },
                ),
            )
            .unwrap();
        let old = OldVector {
            vector: vec![0.5, 0.5],
            segments: 2,
            style: None,
            computed_unix: 7,
        };
        tree("vectors").insert(key(b.id()), bytes(1, &old)).unwrap();
        tree("failures")
            .insert(key(b.id()), bytes(1, &fail))
            .unwrap();
        tree("models")
            .insert(m.0.as_bytes(), bytes(1, &model))
            .unwrap();
        let list = PlaylistRecord {
            name: "for the road".into(),
            tracks: vec![a.id(), b.id()],
            updated_unix: 9,
        };
        tree("playlists")
            .insert("for the road", bytes(1, &list))
            .unwrap();
        db.flush().unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert!(s.recovery().is_none());
    assert_eq!(s.schema_version().unwrap(), Some(1));
    assert_eq!(s.tracks().unwrap(), {
        let mut v = vec![(a.id(), a.clone()), (b.id(), b.clone())];
        v.sort_by_key(|(id, _)| *id);
        v
    });
    let mut was = vector(0.25);
    if let Some(o) = was.open_set.as_mut() {
        o.music = None;
    }
    assert_eq!(s.vector(&m, a.id()).unwrap(), Some(was));
    let old = s.vector(&m, b.id()).unwrap().unwrap();
    assert_eq!((old.vector, old.open_set), (vec![0.5, 0.5], None));
    assert_eq!(s.vectors_for(&m).unwrap().len(), 2);
    assert_eq!(s.vector_models().unwrap(), vec![(m.clone(), 2)]);
    assert_eq!(s.failure(&m, b.id()).unwrap(), Some(fail));
    assert_eq!(s.models().unwrap(), vec![model]);
    // The old playlist is handed out (once) and kept in the plain-file copy.
    let lists = s.unwritten_playlists().unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].tracks, vec![a.id(), b.id()]);
    let copy = read_user_state(&dir.path().join(USER_STATE_FILE)).unwrap();
    assert_eq!(copy.playlists.len(), 1);
    assert_eq!(copy.meta["active_model"], m.0);
    s.mark_playlists_written().unwrap();
    assert!(s.unwritten_playlists().unwrap().is_empty());
    // Written back by this build, a record has the same bytes (a vector in version 2).
    s.put_tracks(std::slice::from_ref(&a)).unwrap();
    assert_eq!(
        s.tracks.raw().get(a.id().0.to_be_bytes()).unwrap().unwrap(),
        bytes(2, &a)
    );
    s.put_vector(&m, a.id(), &vector(0.25)).unwrap();
    assert_eq!(
        s.vectors.raw().get(key(a.id())).unwrap().unwrap(),
        bytes(2, &vector(0.25))
    );
}

#[test]
fn old_playlists_survive_a_rebuild_in_the_plain_file_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    {
        let s = Store::open(&db).unwrap();
        s.meta_set("library_root", "/m").unwrap();
    }
    // The copy as an earlier build wrote it, with a playlist.
    let state = UserState {
        version: 1,
        written_unix: 1,
        meta: [("library_root".to_string(), "/m".to_string())].into(),
        playlists: vec![UserPlaylist {
            name: "mine".into(),
            tracks: vec![TrackId(5).hex()],
            updated_unix: 3,
        }],
    };
    std::fs::write(
        db.join(USER_STATE_FILE),
        serde_json::to_vec(&state).unwrap(),
    )
    .unwrap();
    // Every database file cut short (the plain copies are left alone).
    for e in std::fs::read_dir(&db).unwrap().filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_file() && !name.ends_with(".json") && name != PID_FILE {
            std::fs::write(e.path(), b"garbage").unwrap();
        }
    }
    let s = Store::open(&db).unwrap();
    let rec = s.recovery().expect("rebuilt");
    assert_eq!(rec.restored_playlists, 1, "{}", rec.describe());
    assert_eq!(s.meta_get("library_root").unwrap().as_deref(), Some("/m"));
    let lists = s.unwritten_playlists().unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].tracks, vec![TrackId(5)]);
    // The fresh copy still lists it.
    let copy = read_user_state(&db.join(USER_STATE_FILE)).unwrap();
    assert_eq!(copy.playlists, state.playlists);
}
