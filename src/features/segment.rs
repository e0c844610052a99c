//! Cutting a log-mel spectrogram into the fixed-size segments the CNN classifies.

/// A log-mel spectrogram: `frames × n_mels`, row-major (one row per frame).
#[derive(Debug, Clone, PartialEq)]
pub struct LogMel {
    pub frames: usize,
    pub n_mels: usize,
    pub data: Vec<f32>,
}

/// A batch of equal segments, each `frames × n_mels` row-major, stored back to back.
#[derive(Debug, Clone, PartialEq)]
pub struct Segments {
    pub count: usize,
    pub frames: usize,
    pub n_mels: usize,
    pub data: Vec<f32>,
}

impl Segments {
    pub fn segment(&self, i: usize) -> &[f32] {
        let n = self.frames * self.n_mels;
        &self.data[i * n..(i + 1) * n]
    }
}

/// Start frames of up to `max_segments` non-overlapping segments of `seg_frames`, spread evenly
/// over `frames` (back to back when the clip holds exactly that many). At least one segment.
pub fn segment_starts(frames: usize, seg_frames: usize, max_segments: usize) -> Vec<usize> {
    if seg_frames == 0 {
        return vec![];
    }
    let fit = (frames / seg_frames).max(1);
    let n = fit.min(max_segments.max(1));
    if frames <= seg_frames || n == 1 {
        return vec![frames.saturating_sub(seg_frames) / 2];
    }
    let span = frames - seg_frames;
    (0..n)
        .map(|i| ((i as f64) * span as f64 / (n - 1) as f64).round() as usize)
        .collect()
}

/// Cuts `mel` into segments. A spectrogram shorter than one segment is tiled (repeat-padded).
pub fn segment(mel: &LogMel, seg_frames: usize, max_segments: usize) -> Segments {
    let n_mels = mel.n_mels;
    let src = if mel.frames >= seg_frames || mel.frames == 0 {
        std::borrow::Cow::Borrowed(mel)
    } else {
        let mut data = Vec::with_capacity(seg_frames * n_mels);
        while data.len() < seg_frames * n_mels {
            let need = seg_frames * n_mels - data.len();
            data.extend_from_slice(&mel.data[..need.min(mel.data.len())]);
        }
        std::borrow::Cow::Owned(LogMel {
            frames: seg_frames,
            n_mels,
            data,
        })
    };
    if src.frames == 0 {
        return Segments {
            count: 0,
            frames: seg_frames,
            n_mels,
            data: vec![],
        };
    }
    let starts = segment_starts(src.frames, seg_frames, max_segments);
    let mut data = Vec::with_capacity(starts.len() * seg_frames * n_mels);
    for &s in &starts {
        data.extend_from_slice(&src.data[s * n_mels..(s + seg_frames) * n_mels]);
    }
    Segments {
        count: starts.len(),
        frames: seg_frames,
        n_mels,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(frames: usize, n_mels: usize) -> LogMel {
        LogMel {
            frames,
            n_mels,
            data: (0..frames * n_mels).map(|i| (i / n_mels) as f32).collect(),
        }
    }

    #[test]
    fn back_to_back_when_exact() {
        assert_eq!(
            segment_starts(100, 10, 10),
            (0..10).map(|i| i * 10).collect::<Vec<_>>()
        );
        // A 60 s clip at hop 256 / 16 kHz holds 20 musicnn patches of 187 frames.
        let s = segment_starts(3751, 187, 20);
        assert_eq!(s.len(), 20);
        assert_eq!(s[0], 0);
        assert_eq!(s[19], 3751 - 187);
        for w in s.windows(2) {
            assert!(w[1] >= w[0] + 187);
        }
    }

    #[test]
    fn capped_and_spread() {
        let s = segment_starts(1000, 10, 5);
        assert_eq!(s, vec![0, 248, 495, 743, 990]);
        // Non-overlapping.
        for w in s.windows(2) {
            assert!(w[1] >= w[0] + 10);
        }
    }

    #[test]
    fn short_input_is_tiled() {
        let mel = ramp(3, 2);
        let seg = segment(&mel, 7, 4);
        assert_eq!(seg.count, 1);
        let frames: Vec<f32> = seg.segment(0).chunks(2).map(|c| c[0]).collect();
        assert_eq!(frames, vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0]);
    }

    #[test]
    fn segments_copy_the_right_frames() {
        let mel = ramp(40, 3);
        let seg = segment(&mel, 10, 10);
        assert_eq!(seg.count, 4);
        assert_eq!(seg.segment(2)[0], 20.0);
        assert_eq!(seg.segment(3)[29], 39.0);
        let empty = segment(&ramp(0, 3), 10, 10);
        assert_eq!(empty.count, 0);
    }
}
