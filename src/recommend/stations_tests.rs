use super::*;

fn cand(id: u64, artist: &str, genre: &[f32]) -> Candidate {
    Candidate {
        id: TrackId(id),
        artist: artist.into(),
        genre: genre.into(),
        style: None,
        known: true,
    }
}

/// Tracks on a quarter circle from genre 0 (id 0) to genre 1 (id 20), each by its own artist.
fn arc(n: u64) -> Vec<Candidate> {
    (0..=n)
        .map(|i| {
            let a = std::f32::consts::FRAC_PI_2 * i as f32 / n as f32;
            cand(i, &format!("artist {i}"), &[a.cos(), a.sin(), 0.0])
        })
        .collect()
}

const DAY: u64 = 86_400;

#[test]
fn a_path_starts_at_a_ends_at_b_and_walks_steadily_toward_b() {
    let pool = arc(20);
    let (a, b) = (&pool[0], &pool[20]);
    let p = path(&pool, a, b, &HashSet::new(), 6, 1).unwrap();
    assert_eq!(p.len(), 6);
    assert_eq!(p[0].track, a.id);
    assert_eq!(p[5].track, b.id);
    let steps: Vec<usize> = p.iter().filter_map(|x| x.step).collect();
    assert_eq!(steps, vec![1, 2, 3, 4, 5, 6]);
    // Each step further along the arc, evenly: 0, 4, 8, 12, 16, 20.
    let ids: Vec<u64> = p.iter().map(|x| x.track.0).collect();
    assert_eq!(ids, vec![0, 4, 8, 12, 16, 20]);
    let sb = sound_of(b);
    let closeness: Vec<f32> = p
        .iter()
        .map(|x| cosine(&sound_of(&pool[x.track.0 as usize]), &sb))
        .collect();
    assert!(closeness.windows(2).all(|w| w[1] > w[0]), "{closeness:?}");
    // The step points are on the arc: the picks match them closely.
    assert!(p.iter().all(|x| x.similarity > 0.99), "{p:?}");
    assert_eq!(
        path(&pool, a, a, &HashSet::new(), 6, 1),
        Err(StationError::SameEnds)
    );
    assert_eq!(
        path(&pool, a, b, &HashSet::new(), 1, 1),
        Err(StationError::TooFewSteps(1))
    );
}

#[test]
fn a_path_never_repeats_skips_what_was_played_and_caps_artists() {
    // Every track of the arc twice (two artists' versions), and the closest to step 2 played.
    let mut pool = arc(10);
    pool.extend(arc(10).into_iter().map(|mut c| {
        c.id = TrackId(c.id.0 + 100);
        c.artist = "twin".into();
        c
    }));
    for c in pool.iter_mut().filter(|c| c.id.0 < 100) {
        c.artist = "solo".into();
    }
    let exclude: HashSet<TrackId> = [TrackId(2), TrackId(102)].into_iter().collect();
    let p = path(&pool, &pool[0], &pool[10], &exclude, 11, 3).unwrap();
    let ids: Vec<u64> = p.iter().map(|x| x.track.0).collect();
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no repeats: {ids:?}");
    assert!(!ids.contains(&2) && !ids.contains(&102), "{ids:?}");
    assert_eq!((ids[0], *ids.last().unwrap()), (0, 10));
    let count = |who: &str| {
        p.iter()
            .filter(|x| pool.iter().any(|c| c.id == x.track && c.artist == who))
            .count()
    };
    // A and B are "solo": with a cap of 3, one more solo track and three twins at most.
    assert!(count("solo") <= 3 && count("twin") <= 3, "{ids:?}");
    assert_eq!(p.len(), 6, "the pool ran out under the cap: {ids:?}");
    // Never walks back: each step at least as far along as the one before.
    let (sa, sb) = (sound_of(&pool[0]), sound_of(&pool[10]));
    let along: Vec<f32> = p
        .iter()
        .map(|x| {
            let c = pool.iter().find(|c| c.id == x.track).unwrap();
            progress(&sound_of(c), &sa, &sb)
        })
        .collect();
    assert!(along.windows(2).all(|w| w[1] >= w[0] - 1e-6), "{along:?}");
}

#[test]
fn slerp_steps_are_even_angles() {
    let a = [1.0, 0.0];
    let b = [0.0, 1.0];
    for (t, deg) in [(0.0f32, 0.0f32), (0.5, 45.0), (1.0, 90.0), (0.25, 22.5)] {
        let v = slerp(&a, &b, t);
        let angle = v[1].atan2(v[0]).to_degrees();
        assert!((angle - deg).abs() < 0.01, "{t}: {angle}");
    }
}

fn heard(plays: u32, skips: u32, rating: Rating, days_ago: u64, now: u64) -> HistoryRecord {
    HistoryRecord {
        plays,
        skips,
        rating,
        last_played_unix: Some(now - days_ago * DAY),
        updated_unix: now - days_ago * DAY,
        ..Default::default()
    }
}

#[test]
fn your_mix_follows_what_is_played_and_liked_and_keeps_off_what_is_skipped() {
    let now = 1_000 * DAY;
    // Genre 0 "jazz" is played and liked, genre 1 "metal" skipped, genre 2 "pop" disliked.
    let jazz = cand(1, "j", &[1.0, 0.0, 0.0]);
    let metal = cand(2, "m", &[0.0, 1.0, 0.0]);
    let pop = cand(3, "p", &[0.1, 0.2, 0.9]);
    let history = vec![
        (&jazz, heard(4, 0, Rating::Like, 2, now)),
        (&metal, heard(0, 5, Rating::None, 1, now)),
        (&pop, heard(0, 1, Rating::Dislike, 1, now)),
    ];
    let c = taste_centroid(&history, now).unwrap();
    assert!(c[0] > 0.9 && c[1] == 0.0 && c[2] == 0.0, "{c:?}");
    let pool = vec![
        cand(10, "a", &[0.9, 0.1, 0.0]),
        cand(11, "a", &[0.85, 0.15, 0.0]),
        cand(12, "b", &[0.8, 0.2, 0.0]),
        cand(13, "c", &[0.1, 0.9, 0.0]),
        cand(14, "d", &[0.5, 0.0, 0.5]),
    ];
    let opts = QueueOptions::default();
    let mix = your_mix(&opts, &pool, &c, &HashSet::new(), Some("a"), 4);
    let ids: Vec<u64> = mix.iter().map(|p| p.track.0).collect();
    // "a" is playing: b first, then the jazz of "a", then a's other only after another artist.
    assert_eq!(ids, vec![12, 10, 14, 11]);
    assert!(mix[0].similarity > mix[2].similarity);
    // The metal track is last of all: nothing pulls it.
    let all = your_mix(&opts, &pool, &c, &HashSet::new(), None, 10);
    assert_eq!(all.last().map(|p| p.track.0), Some(13));
    let artists: Vec<&str> = all
        .iter()
        .map(|p| {
            pool.iter()
                .find(|c| c.id == p.track)
                .unwrap()
                .artist
                .as_str()
        })
        .collect();
    assert!(artists.windows(2).all(|w| w[0] != w[1]), "{artists:?}");
}

#[test]
fn your_mix_ends_rather_than_repeat_an_artist_and_needs_a_history() {
    let pool = vec![cand(1, "a", &[1.0, 0.0]), cand(2, "a", &[0.9, 0.1])];
    let mix = your_mix(
        &QueueOptions::default(),
        &pool,
        &[1.0, 0.0],
        &HashSet::new(),
        None,
        5,
    );
    assert_eq!(mix.len(), 1);
    let now = 100 * DAY;
    assert_eq!(taste_centroid(&[], now), Err(StationError::NoHistory));
    let skipped = vec![(&pool[0], heard(0, 3, Rating::None, 1, now))];
    assert_eq!(
        taste_centroid(&skipped, now),
        Err(StationError::NothingLiked)
    );
}

#[test]
fn old_plays_weigh_less_with_a_30_day_half_life() {
    let now = 1_000 * DAY;
    let fresh = taste_weight(&heard(2, 0, Rating::None, 0, now), now).unwrap();
    let old = taste_weight(&heard(2, 0, Rating::None, 30, now), now).unwrap();
    assert!((old - fresh / 2.0).abs() < 1e-4, "{fresh} {old}");
    // Played often long ago, liked lately: the centroid leans to the like.
    let a = cand(1, "", &[1.0, 0.0]);
    let b = cand(2, "", &[0.0, 1.0]);
    let history = vec![
        (&a, heard(6, 0, Rating::None, 120, now)),
        (&b, heard(1, 0, Rating::Like, 1, now)),
    ];
    let c = taste_centroid(&history, now).unwrap();
    assert!(c[1] > c[0], "{c:?}");
    assert!(taste_weight(&HistoryRecord::default(), now).is_none());
}

#[test]
fn several_seeds_find_what_sounds_like_all_of_them_and_unlike_the_less_seed() {
    let opts = QueueOptions {
        randomness: 0.0,
        min_similarity: 0.0,
        ..Default::default()
    };
    let rock = cand(1, "r", &[1.0, 0.0, 0.0]);
    let blues = cand(2, "b", &[0.0, 1.0, 0.0]);
    let pool = vec![
        rock.clone(),
        blues.clone(),
        cand(10, "x", &[0.95, 0.05, 0.0]), // rock only
        cand(11, "y", &[0.5, 0.5, 0.0]),   // both
        cand(12, "z", &[0.45, 0.45, 0.3]), // both, a little of genre 2
        cand(13, "w", &[0.0, 0.3, 1.0]),   // neither
    ];
    let none = HashSet::new();
    let q = blend(
        &opts,
        &[rock.clone(), blues.clone()],
        &[],
        &pool,
        &none,
        &[],
        3,
    )
    .unwrap();
    let ids: Vec<u64> = q.iter().map(|p| p.track.0).collect();
    // The two that sound like both first; never a seed.
    assert_eq!(&ids[..2], &[11, 12]);
    assert!(!ids.contains(&1) && !ids.contains(&2));
    assert!(q[0].similarity > 0.6, "{q:?}");
    // "Less like" a track of genre 0 and 1 in equal parts: 12 (a little of genre 2) wins.
    let both = cand(20, "", &[0.5, 0.5, 0.0]);
    let q = blend(&opts, &[rock.clone(), blues], &[both], &pool, &none, &[], 2).unwrap();
    assert_eq!(q[0].track.0, 12, "{q:?}");
    // One seed and a less seed: rock-like tracks, the one near the less seed pushed down.
    let q = blend(
        &opts,
        std::slice::from_ref(&rock),
        std::slice::from_ref(&pool[2]),
        &pool,
        &none,
        &[],
        1,
    )
    .unwrap();
    assert_ne!(q[0].track.0, 10);
    assert_eq!(
        blend(&opts, &[], &[rock], &pool, &none, &[], 3),
        Err(StationError::NoSeeds)
    );
}
