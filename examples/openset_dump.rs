use genreplay::audio::clip::load_clip;
use genreplay::model::backend::inference_device;
use genreplay::model::infer::Classifier;
use genreplay::model::registry;
use std::io::Write;

fn mean(rows: &[f32], dims: usize) -> Vec<f32> {
    genreplay::util::maths::mean_rows(rows, dims)
}

fn main() -> anyhow::Result<()> {
    let device = inference_device();
    let model = registry::load(None, &device)?;
    let clf = Classifier::new(model, device).with_threads(2);
    let spec = clf.model().config.clip_spec();
    let rate = spec.sample_rate_hz;
    let mut out = std::io::BufWriter::new(std::fs::File::create("/tmp/os_dump.tsv")?);
    let mut pout = std::io::BufWriter::new(std::fs::File::create("/tmp/os_patch.tsv")?);
    let mut emit =
        |set: &str, name: &str, label: &str, split: &str, samples: &[f32]| -> anyhow::Result<()> {
            let segs = clf.segments_of(samples);
            let Some(f) = clf.trunk_features_of(&segs) else {
                return Ok(());
            };
            let m = mean(&f.data, f.dims);
            for row in f.data.chunks_exact(f.dims) {
                let r: Vec<String> = row[..200].iter().map(|v| format!("{v}")).collect();
                writeln!(pout, "{set}\t{name}\t{label}\t{split}\t{}", r.join(","))?;
            }
            let p = clf.classify_samples(samples);
            let g: Vec<String> = p.vector.iter().map(|v| format!("{v}")).collect();
            let ff: Vec<String> = m.iter().map(|v| format!("{v}")).collect();
            writeln!(
                out,
                "{set}\t{name}\t{label}\t{split}\t{}\t{}",
                g.join(","),
                ff.join(",")
            )?;
            Ok(())
        };
    let idx = std::fs::read_to_string("../shared/data/gtzan-dev/INDEX.tsv")?;
    for line in idx.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        let p = std::path::Path::new("../shared/data/gtzan-dev").join(c[0]);
        let clip = load_clip(&p, &spec)?;
        emit("gtzan", c[0], c[1], c[2], &clip.samples)?;
    }
    for e in walkdir::WalkDir::new("../shared/data/library-sample").sort_by_file_name() {
        let e = e?;
        if !e.file_type().is_file() || !genreplay::audio::is_audio_path(e.path()) {
            continue;
        }
        match load_clip(e.path(), &spec) {
            Ok(clip) => {
                let set = if e.path().to_string_lossy().contains("/Misc/") {
                    "misc"
                } else {
                    "lib"
                };
                emit(set, &e.path().to_string_lossy(), "-", "-", &clip.samples)?
            }
            Err(err) => eprintln!("{err}"),
        }
    }
    for secs in [10.0f32, 30.0] {
        for s in genreplay::audio::synth::non_music_set(rate, secs) {
            emit(
                "synth",
                &format!("{} {secs}s", s.name),
                "-",
                "-",
                &s.samples,
            )?;
        }
    }
    Ok(())
}
