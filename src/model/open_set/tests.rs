use super::*;

#[test]
fn temperature_scaling_keeps_the_order_and_flattens_or_sharpens() {
    let p = [0.7, 0.2, 0.1];
    assert!((scale(&p, 1.0)[0] - 0.7).abs() < 1e-6);
    let flat = scale(&p, 3.0);
    let sharp = scale(&p, 0.5);
    assert!(flat[0] < 0.7 && flat[0] > flat[1] && flat[1] > flat[2]);
    assert!(sharp[0] > 0.7);
    assert!((flat.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn fitted_temperature_undoes_overconfidence() {
    // Always 90% sure, right 60% of the time: the fitted T flattens the top towards 0.6.
    let mut v = Vec::new();
    for i in 0..100 {
        let truth = if i % 10 < 6 { 0 } else { 1 };
        v.push((vec![0.9, 0.05, 0.05], truth));
    }
    let t = fit_temperature(&v);
    assert!(t > 1.0, "{t}");
    let top = scale(&[0.9, 0.05, 0.05], t)[0];
    assert!((top - 0.6).abs() < 0.05, "{top}");
    assert!(ece(&v, 10) > 0.25);
    let scaled: Vec<(Vec<f32>, usize)> = v.iter().map(|(p, l)| (scale(p, t), *l)).collect();
    assert!(ece(&scaled, 10) < 0.05, "{}", ece(&scaled, 10));
    assert!(nll(&v, t) < nll(&v, 1.0));
}

#[test]
fn mahalanobis_distance_follows_the_spread() {
    // x varies ten times more than y: a step of 1 in y is further than a step of 1 in x.
    let rows: Vec<Vec<f32>> = (0..200)
        .map(|i| {
            let a = ((i * 37) % 101) as f32 / 101.0 - 0.5;
            let b = ((i * 53) % 97) as f32 / 97.0 - 0.5;
            vec![10.0 * a, b]
        })
        .collect();
    let d = Density::fit(&rows, 0.0).unwrap();
    let dx = d.distance(&[1.0, 0.0]).unwrap();
    let dy = d.distance(&[0.0, 1.0]).unwrap();
    assert!(dy > 5.0 * dx, "{dx} {dy}");
    assert!(d.distance(&[0.0]).is_none());
    assert!(Density::fit(&rows[..1], 0.5).is_err());
}

/// A two-dimensional rule: confidence 0.5, distance 3, music 0.5, no trust level.
fn toy_rule() -> OpenSetConfig {
    let rows: Vec<Vec<f32>> = (0..50)
        .map(|i| vec![(i % 7) as f32 / 7.0, (i % 5) as f32 / 5.0])
        .collect();
    OpenSetConfig {
        temperature: 1.0,
        min_confidence: 0.5,
        max_distance: 3.0,
        trust_confidence: None,
        genre_tags: vec![],
        min_music: Some(0.5),
        density: Density::fit(&rows, 0.3).unwrap(),
        fitted: String::new(),
    }
}

#[test]
fn the_rule_needs_every_cue() {
    let rule = toy_rule();
    rule.validate().unwrap();
    assert!(
        rule.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.9), None)
            .known
    );
    assert!(
        !rule
            .judge(&[0.4, 0.35, 0.25], Some(&[0.4, 0.4]), Some(0.9), None)
            .known
    );
    assert!(
        !rule
            .judge(&[0.8, 0.2], Some(&[40.0, -30.0]), Some(0.9), None)
            .known
    );
    // Speech: confident and close to the music, but not music-like.
    assert!(
        !rule
            .judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.3), None)
            .known
    );
    // A missing cue does not count against the track; a rule without the floor ignores it.
    assert!(rule.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), None, None).known);
    let old = OpenSetConfig {
        min_music: None,
        ..rule.clone()
    };
    assert!(
        old.judge(&[0.8, 0.2], Some(&[0.4, 0.4]), Some(0.3), None)
            .known
    );
    let old_json = serde_json::to_string(&old).unwrap();
    assert!(!old_json.contains("min_music"), "{old_json}");
    assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
    let json = serde_json::to_string(&rule).unwrap();
    let back: OpenSetConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rule);
    let bad = json.replace(r#""precision":""#, r#""precision":"zz"#);
    assert!(serde_json::from_str::<OpenSetConfig>(&bad).is_err());
    assert_eq!(quantile(&[], 0.5), None);
}

#[test]
fn confident_music_the_tagger_agrees_with_is_trusted_however_far_it_lies() {
    // Genre 0 is named by tag 2; genre 1 by no tag.
    let rule = OpenSetConfig {
        trust_confidence: Some(0.95),
        genre_tags: vec![Some(2), None],
        ..toy_rule()
    };
    rule.validate().unwrap();
    let far = [40.0, -30.0];
    let agrees = [0.1, 0.2, 0.7];
    let hears_other = [0.7, 0.2, 0.1];
    // Far, 99 % sure, and the tagger's top tag names the genre: the model's word wins.
    let v = rule.judge(&[0.99, 0.01], Some(&far), Some(0.9), Some(&agrees));
    assert!(v.known && v.distance > 3.0, "{v:?}");
    // The same without the tagger's agreement (or without tags): unsure, and why.
    for tags in [Some(&hears_other[..]), None] {
        let e = rule.evidence(&[0.99, 0.01], Some(&far), Some(0.9), tags);
        assert!(!e.tagger_agrees);
        assert_eq!(rule.unsure_why(&e), Some(Unsure::Far));
    }
    // A genre no tag names is never trusted beyond the distance.
    assert!(
        !rule
            .judge(&[0.01, 0.99], Some(&far), Some(0.9), Some(&agrees))
            .known
    );
    // Far at a middling confidence, the tagger agreeing: unsure.
    let e = rule.evidence(&[0.8, 0.2], Some(&far), Some(0.9), Some(&agrees));
    assert!(e.tagger_agrees);
    assert_eq!(rule.unsure_why(&e), Some(Unsure::Far));
    // Trust never overrules the other cues.
    let sure = |music, confidence| Evidence {
        confidence,
        distance: 10.0,
        music,
        tagger_agrees: true,
    };
    assert_eq!(
        rule.unsure_why(&sure(Some(0.2), 0.99)),
        Some(Unsure::NotMusic)
    );
    let high_floor = OpenSetConfig {
        min_confidence: 0.98,
        ..rule.clone()
    };
    assert_eq!(
        high_floor.unsure_why(&sure(Some(0.9), 0.96)),
        Some(Unsure::LowConfidence)
    );
    assert_eq!(rule.unsure_why(&sure(None, 0.96)), None);
    // Without a trust level (rules fitted before it) the distance always counts.
    let old = OpenSetConfig {
        trust_confidence: None,
        genre_tags: vec![],
        ..rule.clone()
    };
    assert!(
        !old.judge(&[0.99, 0.01], Some(&far), Some(0.9), Some(&agrees))
            .known
    );
    let old_json = serde_json::to_string(&old).unwrap();
    assert!(!old_json.contains("trust") && !old_json.contains("genre_tags"));
    let back: OpenSetConfig = serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
    assert_eq!(back, rule);
    // No density (a model without a trunk embedding): the distance cue is off.
    let plain = OpenSetConfig {
        density: Density::none(),
        ..rule.clone()
    };
    plain.validate().unwrap();
    assert!(plain.judge(&[0.8, 0.2], Some(&far), Some(0.9), None).known);
    assert!(plain.judge(&[0.8, 0.2], None, None, None).known);
    for bad in [
        OpenSetConfig {
            trust_confidence: Some(f32::NAN),
            ..rule.clone()
        },
        OpenSetConfig {
            genre_tags: vec![Some(50), None],
            ..rule
        },
    ] {
        assert!(bad.validate().is_err());
    }
}

#[test]
fn a_density_pools_with_more_rows_as_if_fitted_on_both() {
    let a: Vec<Vec<f32>> = (0..80)
        .map(|i| {
            let x = ((i * 37) % 101) as f32 / 101.0;
            let y = ((i * 53) % 97) as f32 / 97.0;
            vec![x, 0.5 * x + y, 2.0 - y]
        })
        .collect();
    let b: Vec<Vec<f32>> = (0..40)
        .map(|i| {
            let x = ((i * 29) % 89) as f32 / 89.0;
            vec![3.0 + x, 1.0 - x, 0.2 * x]
        })
        .collect();
    let both: Vec<Vec<f32>> = a.iter().chain(&b).cloned().collect();
    let direct = Density::fit(&both, 0.0).unwrap();
    let pooled = Density::fit(&a, 0.0).unwrap().pooled_with(&b, 0.0).unwrap();
    assert_eq!((direct.rows, pooled.rows), (120, 120));
    for (x, y) in direct.mean.iter().zip(&pooled.mean) {
        assert!((x - y).abs() < 1e-4, "{x} {y}");
    }
    for p in [[0.5, 0.5, 1.5], [3.5, 0.5, 0.1], [10.0, -4.0, 3.0]] {
        let (x, y) = (direct.distance(&p).unwrap(), pooled.distance(&p).unwrap());
        // Equal up to the small ridge, added once more when pooling.
        assert!((x - y).abs() < 1e-2 * x.max(1.0), "{p:?}: {x} {y}");
    }
    // Far from `a` alone is near once `b` is in.
    let alone = Density::fit(&a, 0.3).unwrap();
    let with_b = alone.pooled_with(&b, 0.3).unwrap();
    assert!(with_b.distance(&[3.5, 0.5, 0.1]).unwrap() < alone.distance(&[3.5, 0.5, 0.1]).unwrap());
    // Not poolable: no row count, other dimensions.
    let old = Density {
        rows: 0,
        ..alone.clone()
    };
    assert!(old.pooled_with(&b, 0.3).is_none());
    assert!(alone.pooled_with(&[vec![1.0, 2.0]], 0.3).is_none());
    let json = serde_json::to_string(&old).unwrap();
    assert!(!json.contains("rows"), "{json}");
}
