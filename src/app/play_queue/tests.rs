use super::*;
use rand::SeedableRng;

fn ids(n: u64) -> Vec<TrackId> {
    (0..n).map(TrackId).collect()
}

fn rng() -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(7)
}

#[test]
fn a_context_plays_in_order_then_stops_or_repeats() {
    let mut r = rng();
    let mut q = Queue::default();
    q.play_context("album".into(), ids(3), 0, false, &mut r);
    assert_eq!(q.current_track(), Some(TrackId(0)));
    assert_eq!(
        q.advance(false, Repeat::Off, false, &mut r),
        Some(TrackId(1))
    );
    assert_eq!(
        q.advance(false, Repeat::Off, false, &mut r),
        Some(TrackId(2))
    );
    assert_eq!(q.peek_next(false, Repeat::Off), None);
    assert_eq!(q.peek_next(false, Repeat::All), Some(TrackId(0)));
    assert_eq!(q.peek_next(false, Repeat::One), Some(TrackId(2)));
    // Repeat one repeats on track end, but "next" moves on.
    assert_eq!(
        q.advance(false, Repeat::One, false, &mut r),
        Some(TrackId(2))
    );
    assert_eq!(
        q.advance(false, Repeat::All, true, &mut r),
        Some(TrackId(0))
    );
    assert_eq!(q.back(), Some(TrackId(2)));
    assert_eq!(q.advance(false, Repeat::Off, false, &mut r), None);
    assert_eq!(q.current_track(), None);
}

#[test]
fn up_next_plays_first_and_playing_a_context_keeps_it() {
    let mut r = rng();
    let mut q = Queue::default();
    q.append([TrackId(10), TrackId(11)], Reason::Added);
    q.play_context("album".into(), ids(3), 1, false, &mut r);
    assert_eq!(q.current_track(), Some(TrackId(1)));
    assert_eq!(
        q.up_next.len(),
        2,
        "queued entries survive playing an album"
    );
    assert_eq!(q.upcoming(), vec![TrackId(10), TrackId(11), TrackId(2)]);
    assert_eq!(
        q.advance(false, Repeat::Off, false, &mut r),
        Some(TrackId(10))
    );
    assert_eq!(
        q.advance(false, Repeat::Off, false, &mut r),
        Some(TrackId(11))
    );
    // Then the context goes on where it was.
    assert_eq!(
        q.advance(false, Repeat::Off, false, &mut r),
        Some(TrackId(2))
    );
    // Back twice: the up-next entry comes back to the front of up next.
    assert_eq!(q.back(), Some(TrackId(11)));
    assert_eq!(q.back(), Some(TrackId(10)));
    assert_eq!(
        q.up_next.iter().map(|e| e.track).collect::<Vec<_>>(),
        [TrackId(11)]
    );
}

#[test]
fn shuffle_never_repeats_within_a_pass_nor_across_the_boundary() {
    let mut r = rng();
    for seed in 0..20u64 {
        let mut q = Queue::default();
        let mut r2 = rand::rngs::StdRng::seed_from_u64(seed);
        q.play_context("all".into(), ids(6), 0, true, &mut r2);
        let mut seen = vec![q.current_track().unwrap()];
        for _ in 0..17 {
            seen.push(q.advance(true, Repeat::All, false, &mut r2).unwrap());
        }
        for pass in seen.chunks(6) {
            let mut p = pass.to_vec();
            p.sort();
            assert_eq!(p, ids(6), "each pass plays every track once: {seen:?}");
        }
        for w in seen.windows(2) {
            assert_ne!(w[0], w[1], "no track twice in a row: {seen:?}");
        }
    }
    // Turning shuffle on mid-album never skips an unheard track.
    let mut q = Queue::default();
    q.play_context("album".into(), ids(5), 2, false, &mut r);
    q.set_shuffle(true, &mut r);
    let mut rest: Vec<TrackId> =
        std::iter::from_fn(|| q.advance(true, Repeat::Off, false, &mut r)).collect();
    rest.sort();
    assert_eq!(rest, vec![TrackId(3), TrackId(4)]);
}

#[test]
fn edits_are_undone_in_reverse_order() {
    let mut r = rng();
    let mut q = Queue::default();
    q.append([TrackId(1), TrackId(2), TrackId(3)], Reason::Added);
    q.swap(0, 2);
    q.remove(1);
    q.play_context("album".into(), ids(2), 0, false, &mut r);
    q.clear();
    assert!(q.up_next.is_empty() && q.context.is_none());
    assert!(q.undo());
    assert!(q.context.is_some());
    assert!(q.undo());
    assert!(q.context.is_none());
    assert_eq!(
        q.up_next.iter().map(|e| e.track.0).collect::<Vec<_>>(),
        [3, 1]
    );
    assert!(q.undo());
    assert!(q.undo());
    assert_eq!(
        q.up_next.iter().map(|e| e.track.0).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(q.undo());
    assert!(q.up_next.is_empty());
    assert!(!q.undo());
    // At least 20 levels.
    for i in 0..30 {
        q.append([TrackId(i)], Reason::Added);
    }
    for _ in 0..30 {
        assert!(q.undo());
    }
    assert!(q.up_next.is_empty());
}

#[test]
fn removing_context_tracks_and_missing_files() {
    let mut r = rng();
    let mut q = Queue::default();
    q.play_context("album".into(), ids(5), 1, false, &mut r);
    assert!(!q.remove_from_context(1), "not the playing track");
    assert!(q.remove_from_context(3));
    assert_eq!(q.upcoming(), vec![TrackId(2), TrackId(4)]);
    q.append([TrackId(9)], Reason::Added);
    q.retain(|t| t != TrackId(2) && t != TrackId(9));
    assert_eq!(q.upcoming(), vec![TrackId(4)]);
    // A saved order that does not fit is replaced by list order.
    let c = Context::from_parts("x".into(), ids(3), vec![0, 0, 1], Some(5));
    assert_eq!(c.current(), None);
    assert_eq!(c.remaining().collect::<Vec<_>>(), ids(3));
}

#[test]
fn up_next_has_a_bound_and_says_what_fitted() {
    let mut q = Queue::default();
    assert_eq!(
        q.append(ids(MAX_UP_NEXT as u64 - 2), Reason::Added),
        MAX_UP_NEXT - 2
    );
    assert_eq!(q.append(ids(5), Reason::Added), 2, "only what fits");
    assert!(q.is_full());
    assert_eq!(q.append(ids(1), Reason::Added), 0);
    assert_eq!(q.insert_next(ids(3), Reason::Added), 0);
    assert_eq!(
        q.extend_quietly([QueueEntry::new(TrackId(1), Reason::Added)]),
        0
    );
    assert_eq!(q.up_next.len(), MAX_UP_NEXT);
    // What was refused left no undo step: one undo empties it.
    assert!(q.undo() && q.undo());
    assert!(q.up_next.is_empty());
    // A context longer than the bound plays from its start, as much as it holds.
    let mut r = rng();
    q.play_context(
        "all".into(),
        ids(MAX_CONTEXT as u64 + 10),
        20,
        false,
        &mut r,
    );
    let c = q.context.as_ref().unwrap();
    assert_eq!(c.tracks.len(), MAX_CONTEXT);
    assert_eq!(q.current_track(), Some(TrackId(20)));
    // Restored from a state file: the same bounds.
    let many: Vec<QueueEntry> = (0..MAX_UP_NEXT as u64 + 7)
        .map(|i| QueueEntry::new(TrackId(i), Reason::Added))
        .collect();
    q.restore(many, None, None);
    assert_eq!(q.up_next.len(), MAX_UP_NEXT);
}

#[test]
fn undo_keeps_within_its_memory_and_shares_an_unchanged_context() {
    let mut r = rng();
    let mut q = Queue::default();
    // A library-sized context and a full up next, then fifty more edits.
    q.play_context("all".into(), ids(50_000), 0, false, &mut r);
    q.append(
        ids(MAX_UP_NEXT as u64 - 60),
        Reason::From("a long label".repeat(4)),
    );
    for i in 0..50 {
        q.append([TrackId(i)], Reason::Added);
    }
    let bytes = q.undo.bytes();
    assert!(bytes <= UNDO_BYTES, "{bytes} bytes of undo");
    assert!(q.undo.len() >= 10, "{} steps left", q.undo.len());
    // Every step shares the one copy of the context.
    let first = q
        .undo
        .iter()
        .next()
        .unwrap()
        .context
        .as_ref()
        .unwrap()
        .0
        .clone();
    assert!(
        q.undo
            .iter()
            .all(|s| std::sync::Arc::ptr_eq(&s.context.as_ref().unwrap().0, &first))
    );
    // Undo still goes back step by step.
    let before = q.up_next.len();
    assert!(q.undo());
    assert_eq!(q.up_next.len(), before - 1);
    assert_eq!(q.context.as_ref().unwrap().tracks.len(), 50_000);
    // Without sharing (a context changed before each step) the budget still holds.
    let mut q = Queue::default();
    for k in 0..UNDO_LEVELS as u64 {
        q.play_context(format!("ctx {k}"), ids(60_000), 0, false, &mut r);
    }
    assert!(q.undo.bytes() <= UNDO_BYTES, "{}", q.undo.bytes());
    assert!(q.undo());
    assert_eq!(
        q.context.as_ref().unwrap().label,
        format!("ctx {}", UNDO_LEVELS - 2)
    );
}

#[test]
fn the_whole_queue_is_the_current_track_then_what_follows() {
    let mut r = rng();
    let mut q = Queue::default();
    assert!(q.tracks().is_empty(), "an empty queue has no tracks");
    q.append([TrackId(10)], Reason::Added);
    assert_eq!(
        q.tracks(),
        [TrackId(10)],
        "nothing plays yet: up next alone"
    );
    q.play_context("album".into(), ids(3), 1, false, &mut r);
    assert_eq!(q.tracks(), [TrackId(1), TrackId(10), TrackId(2)]);
    q.stop();
    assert_eq!(q.current_track(), None);
    assert_eq!(q.tracks(), q.upcoming(), "stopped: only what follows");
}

#[test]
fn redo_brings_back_what_undo_took_and_a_new_change_forgets_it() {
    let mut r = rng();
    let mut q = Queue::default();
    let tracks = |q: &Queue| q.up_next.iter().map(|e| e.track.0).collect::<Vec<_>>();
    q.append([TrackId(1), TrackId(2), TrackId(3)], Reason::Added);
    q.remove(1);
    q.play_context("album".into(), ids(4), 1, false, &mut r);
    assert!(q.undo() && q.undo());
    assert_eq!(tracks(&q), [1, 2, 3]);
    assert!(q.context.is_none());
    assert!(q.can_redo());
    assert!(q.redo());
    assert_eq!(tracks(&q), [1, 3], "the removal is back");
    assert!(q.redo());
    assert_eq!(
        q.context.as_ref().map(|c| c.tracks.len()),
        Some(4),
        "the context is back"
    );
    assert!(!q.redo(), "nothing more to redo");
    // Undo and redo alternate as often as one likes.
    assert!(q.undo() && q.redo() && q.undo());
    assert_eq!(tracks(&q), [1, 3]);
    assert!(q.context.is_none());
    // A new change after an undo forgets what redo had.
    q.append([TrackId(9)], Reason::Added);
    assert!(!q.can_redo());
    assert!(!q.redo());
    assert_eq!(tracks(&q), [1, 3, 9]);
    // An entry that played since the undo does not come back with a redo.
    q.append([TrackId(5)], Reason::Added);
    assert!(q.undo());
    assert_eq!(tracks(&q), [1, 3, 9]);
    assert_eq!(
        q.advance(false, Repeat::Off, false, &mut r),
        Some(TrackId(1))
    );
    assert!(q.redo());
    assert_eq!(tracks(&q), [3, 9, 5], "the played entry stays out");
}
