//! Track-level evaluation: accuracy, per-class precision/recall, confusion matrix.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassReport {
    pub label: String,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    /// True tracks of this class.
    pub support: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvalReport {
    pub tracks: usize,
    pub accuracy: f64,
    pub labels: Vec<String>,
    pub per_class: Vec<ClassReport>,
    /// `confusion[true][predicted]` track counts.
    pub confusion: Vec<Vec<usize>>,
}

/// Builds the report from (true, predicted) label indices.
pub fn report(labels: &[String], pairs: &[(usize, usize)]) -> EvalReport {
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for &(t, p) in pairs {
        if t < k && p < k {
            confusion[t][p] += 1;
        }
    }
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let total: usize = confusion.iter().flatten().sum();
    let per_class = (0..k)
        .map(|i| {
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = (0..k).map(|t| confusion[t][i]).sum();
            ClassReport {
                label: labels[i].clone(),
                precision: (predicted > 0).then(|| confusion[i][i] as f64 / predicted as f64),
                recall: (support > 0).then(|| confusion[i][i] as f64 / support as f64),
                support,
            }
        })
        .collect();
    EvalReport {
        tracks: total,
        accuracy: if total == 0 {
            0.0
        } else {
            correct as f64 / total as f64
        },
        labels: labels.to_vec(),
        per_class,
        confusion,
    }
}

impl EvalReport {
    /// A readable table: accuracy, per-class figures, confusion matrix.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "tracks: {}   accuracy: {:.3} ({} correct)",
            self.tracks,
            self.accuracy,
            (self.accuracy * self.tracks as f64).round() as usize
        );
        let _ = writeln!(
            s,
            "\n{:<14} {:>9} {:>7} {:>8}",
            "class", "precision", "recall", "tracks"
        );
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
        for c in &self.per_class {
            let _ = writeln!(
                s,
                "{:<14} {:>9} {:>7} {:>8}",
                c.label,
                pct(c.precision),
                pct(c.recall),
                c.support
            );
        }
        let w = self
            .labels
            .iter()
            .map(|l| l.len().min(5))
            .max()
            .unwrap_or(3)
            .max(3);
        let _ = write!(
            s,
            "\nconfusion (rows: true, columns: predicted)\n{:<14}",
            ""
        );
        for l in &self.labels {
            let _ = write!(s, " {:>w$}", l.chars().take(w).collect::<String>());
        }
        s.push('\n');
        for (l, row) in self.labels.iter().zip(&self.confusion) {
            let _ = write!(s, "{:<14}", l);
            for v in row {
                let _ = write!(s, " {v:>w$}");
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_figures() {
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let pairs = [(0, 0), (0, 0), (0, 1), (1, 1), (2, 1)];
        let r = report(&labels, &pairs);
        assert_eq!(r.tracks, 5);
        assert!((r.accuracy - 0.6).abs() < 1e-12);
        assert_eq!(
            r.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 0], vec![0, 1, 0]]
        );
        assert_eq!(r.per_class[0].recall, Some(2.0 / 3.0));
        assert_eq!(r.per_class[1].precision, Some(1.0 / 3.0));
        assert_eq!(r.per_class[2].precision, None);
        assert_eq!(r.per_class[2].recall, Some(0.0));
        assert!(r.to_text().contains("accuracy: 0.600"));
    }
}
