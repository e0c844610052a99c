#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The built-in model on real music it was not trained on: the 15 GTZAN excerpts of
//! `../shared/data/gtzan-dev` marked `unlisted` (left out of the artist-filtered split, and so
//! out of the default model's training data), and a real metal track from the sample library.

use crate::common;

use common::shared_data;
use genreplay::model::backend::inference_device;
use genreplay::model::infer::Classifier;
use genreplay::model::registry::load_embedded;

fn classifier() -> Classifier {
    let d = inference_device();
    Classifier::new(load_embedded(&d).unwrap(), d)
}

#[test]
fn the_default_model_is_the_pretrained_trunk_with_a_genre_head() {
    let c = classifier();
    let cfg = &c.model().config;
    assert!(cfg.is_head());
    assert_eq!(cfg.labels.len(), 10);
    assert_eq!(cfg.segments.segment_frames, 187);
    assert_eq!(cfg.segments.segments_per_track, 20);
    let metrics = cfg.info.metrics.clone().unwrap();
    assert_eq!(
        metrics.train_tracks, 98,
        "trained on the train + valid rows"
    );
}

#[test]
fn clear_cases_it_never_saw_are_classified_correctly() {
    let Some(data) = shared_data() else { return };
    let index = std::fs::read_to_string(data.join("gtzan-dev/INDEX.tsv")).unwrap();
    // Clear cases among the unlisted rows: the trained head never saw these files.
    let cases = [
        ("metal/metal.00004.flac", "metal"),
        ("jazz/jazz.00044.flac", "jazz"),
        ("hiphop/hiphop.00001.flac", "hiphop"),
        ("hiphop/hiphop.00047.flac", "hiphop"),
    ];
    let c = classifier();
    for (file, genre) in cases {
        let row = index.lines().find(|l| l.starts_with(file)).unwrap();
        assert!(
            row.ends_with("unlisted"),
            "{file} must not be a training row: {row}"
        );
        let p = c.classify_file(&data.join("gtzan-dev").join(file)).unwrap();
        let (top, conf) = p.top();
        assert_eq!(c.labels()[top], genre, "{file}: {:?}", p.vector);
        assert!(conf > 0.8, "{file}: confidence {conf}");
        let style = p.style.expect("the trunk's tags are the style vector");
        assert_eq!(style.len(), 50);
    }
    // A real metal song from the sample library (not GTZAN at all).
    let song = data.join("library-sample/Sectoid/Songs/04 War of freedom.mp3");
    let p = c.classify_file(&song).unwrap();
    assert_eq!(c.labels()[p.top().0], "metal", "{:?}", p.vector);
}
