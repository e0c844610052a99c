//! The Training view: the retrain form, the folder preview, live curves, and the result.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, Gauge, GraphType, LegendPosition, Paragraph, Wrap};

use super::widgets::block;
use crate::app::App;
use crate::app::retrain::{After, Field, Form, Labels, Outcome, Preview, Progress, Stage};
use crate::app::session::tracks_n;
use crate::config::Theme;
use crate::keys::{Action, Keymap};
use crate::model::job::TrainMode;
use crate::model::train::EpochReport;
use crate::util::time::fmt_time;

fn genres_n(n: usize) -> String {
    format!("{n} genre{}", if n == 1 { "" } else { "s" })
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let keys = app.keymap();
    let model = app
        .session
        .model
        .as_ref()
        .map(|(id, name)| format!("{name} ({id})"))
        .unwrap_or_else(|| "built-in".into());
    let title = format!(
        " Training · active model: {model} · {} retrains, {} switches back to the built-in model ",
        keys.hint(Action::Retrain),
        keys.hint(Action::UseBuiltInModel)
    );
    let outer = block(title, t);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let stage = app.views.training.retrain.as_ref().map(|r| &r.stage);
    match stage {
        None => {
            let text = vec![
                Line::from(
                    "Make the genres yours: point genreplay at a folder of music sorted by genre",
                ),
                Line::from(format!(
                    "(one subfolder per genre, or files with genre tags) and press {}.",
                    keys.hint(Action::Retrain)
                )),
                Line::from(""),
                Line::from(Span::styled(
                    "quick: a genre head on the pretrained network (seconds to a minute)",
                    Style::default().fg(t.dim),
                )),
                Line::from(Span::styled(
                    "full: a whole CNN trained from scratch (minutes)",
                    Style::default().fg(t.dim),
                )),
            ];
            let parts = Layout::default()
                .direction(Direction::Vertical)
                .constraints([Constraint::Length(6), Constraint::Min(0)])
                .split(inner);
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), parts[0]);
            draw_models(f, app, parts[1]);
        }
        Some(Stage::Form(form)) | Some(Stage::Preparing(form)) => {
            let preparing = matches!(stage, Some(Stage::Preparing(_)));
            draw_form(f, t, form, preparing, inner);
        }
        Some(Stage::Preview(form, p)) => draw_preview(f, t, form, p, inner),
        Some(Stage::Training(p)) => draw_progress(f, t, keys, p, inner),
        Some(Stage::Done(o)) => {
            let rt = app.views.training.retrain.as_ref();
            let (forcing, naming) = rt.map_or((false, false), |r| (r.forcing, r.naming));
            draw_outcome(f, t, keys, o, forcing, naming, inner)
        }
        Some(Stage::Failed(e)) => {
            let text = vec![
                Line::from(Span::styled(e.clone(), Style::default().fg(t.error))),
                Line::from(""),
                Line::from(format!(
                    "Nothing changed: the previous model is still active. Esc closes, {} starts again.",
                    keys.hint(Action::Retrain)
                )),
            ];
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
        }
    }
}

/// Every model, the active one marked; Enter makes the selected one active.
fn draw_models(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let view = &app.views.training;
    let active = app.session.model.as_ref().map(|(id, _)| id.as_str());
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "Models · {} makes the selected one active",
            app.keymap().hint(Action::Activate)
        ),
        Style::default().fg(t.dim),
    ))];
    for (i, m) in view.models.iter().enumerate() {
        let mark = if Some(m.id.as_str()) == active {
            "●"
        } else {
            " "
        };
        let acc = m.valid_accuracy.map_or(String::new(), |a| {
            format!(" · validation {:.0}%", a * 100.0)
        });
        let from = if m.built_in {
            "built in".to_string()
        } else {
            m.source.clone().unwrap_or_default()
        };
        let text = format!(
            "{mark} {}  {}{acc} · {} classified · {from}",
            m.name,
            genres_n(m.genres),
            view.classified(m, &app.session)
        );
        let style = if i == view.cursor {
            Style::default()
                .fg(t.accent)
                .add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    if view.models.is_empty() {
        lines.push(Line::from(Span::styled(
            "reading the models…",
            Style::default().fg(t.dim),
        )));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_form(f: &mut Frame, t: &Theme, form: &Form, preparing: bool, area: Rect) {
    let field = |name: &str, value: String, which: Field| -> Line<'static> {
        let focused = form.focus == which;
        Line::from(vec![
            Span::styled(format!("{name:>14}  "), Style::default().fg(t.dim)),
            Span::styled(
                value,
                if focused {
                    Style::default().fg(t.highlight_fg).bg(t.highlight_bg)
                } else {
                    Style::default()
                },
            ),
        ])
    };
    let mut lines = vec![
        Line::from(Span::styled(
            "Retrain the genre model",
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
        field("folder", format!("{}▏", form.folder), Field::Folder),
    ];
    if !form.completions.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("{:>16}{}", "", form.completions.join("  ")),
            Style::default().fg(t.dim),
        )));
    }
    if let Some(n) = &form.note {
        lines.push(Line::from(Span::styled(
            n.clone(),
            Style::default().fg(t.warning),
        )));
    }
    lines.extend([
        field(
            "genres from",
            match form.labels {
                Labels::Folders => "subfolder names  (◂ ▸)".into(),
                Labels::Tags => "the files' genre tags  (◂ ▸)".into(),
                Labels::LibraryTags => form.library.as_ref().map_or_else(
                    || "the genre tags in my library  (◂ ▸)".to_string(),
                    |l| {
                        format!(
                            "the genre tags in my library: {}, {}  (◂ ▸)",
                            tracks_n(l.tagged),
                            genres_n(l.genres.len())
                        )
                    },
                ),
            },
            Field::Labels,
        ),
        field(
            "min. per genre",
            format!("{}{}", form.min_count, if form.uses_tags() { "" } else { "  (tags only)" }),
            Field::MinCount,
        ),
        field(
            "mode",
            match form.mode {
                TrainMode::Quick => "quick: a head on the pretrained network  (◂ ▸)".into(),
                TrainMode::Full => "full: a whole CNN from scratch  (◂ ▸)".into(),
            },
            Field::Mode,
        ),
        field("epochs", form.epochs.clone(), Field::Epochs),
        Line::from(""),
        Line::from(Span::styled(
            if preparing {
                "looking at the folder…".to_string()
            } else {
                "Tab completes the folder / next field · ↑↓ fields · ◂ ▸ change · Enter looks at the folder · Esc closes"
                    .to_string()
            },
            Style::default().fg(t.dim),
        )),
    ]);
    if let Some(e) = &form.error {
        lines.push(Line::from(Span::styled(
            e.clone(),
            Style::default().fg(t.error),
        )));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn draw_preview(f: &mut Frame, t: &Theme, form: &Form, p: &Preview, area: Rect) {
    let mut lines = vec![
        Line::from(Span::styled(
            format!("{} · {}", form.folder, genres_n(p.counts.len())),
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
    ];
    let max = p.counts.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    for (g, n) in &p.counts {
        let bar = "█".repeat((n * 30).div_ceil(max));
        lines.push(Line::from(vec![
            Span::raw(format!("{g:>16} {n:>4}  ")),
            Span::styled(
                bar,
                Style::default().fg(if *n < 5 { t.warning } else { t.bar }),
            ),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(format!(
        "{} to train on, {} to validate (split by artist where tagged){}",
        tracks_n(p.train_tracks),
        p.valid_tracks,
        match (p.skipped, form.uses_tags()) {
            (0, _) => String::new(),
            (n, true) => format!(
                "; {n} files left out (no genre tag, or a genre under the minimum): once the model is accepted it classifies them too, \"?\" where it is unsure"
            ),
            (n, false) => format!("; {n} files left out"),
        }
    )));
    for w in &p.warnings {
        lines.push(Line::from(Span::styled(
            format!("warning: {w}"),
            Style::default().fg(t.warning),
        )));
    }
    lines.push(Line::from(""));
    if p.counts.len() < 2 {
        lines.push(Line::from(Span::styled(
            "Training needs at least 2 genres. Esc goes back.",
            Style::default().fg(t.error),
        )));
    } else {
        lines.push(Line::from(Span::styled(
            "Enter starts training (it runs in the background; the music keeps playing) · Esc goes back",
            Style::default().fg(t.accent),
        )));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn draw_progress(f: &mut Frame, t: &Theme, keys: &Keymap, p: &Progress, area: Rect) {
    let cancel_hint = format!("{} cancels", keys.hint(Action::CancelTraining));
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(3), Constraint::Min(6)])
        .split(area);
    let (ratio, label) = progress_gauge(p);
    let head = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .split(rows[0]);
    f.render_widget(
        Paragraph::new(format!(
            "training ({} mode) on {} · {} · {}",
            match p.spec.mode {
                TrainMode::Quick => "quick",
                TrainMode::Full => "full",
            },
            p.spec.folder.display(),
            fmt_time(p.started.elapsed().as_secs_f64()),
            if p.cancelling {
                "cancelling…"
            } else {
                &cancel_hint
            }
        )),
        head[0],
    );
    f.render_widget(
        Gauge::default()
            .gauge_style(Style::default().fg(t.bar).bg(t.border))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label),
        head[1],
    );
    draw_epoch_charts(f, t, &p.epochs, Direction::Horizontal, rows[1]);
}

/// How far training is and what it is doing: comparing with the active model, fitting the
/// rule, analysing the tracks, the epoch under way (its batches, its validation), or the last
/// epoch's figures. Never a phase that is over: each one says it started.
pub fn progress_gauge(p: &Progress) -> (f64, String) {
    let last = p.epochs.last().map(|e| {
        format!(
            "loss {:.3} · valid acc {} · ETA {}",
            e.loss,
            e.valid_track_accuracy
                .map_or("-".into(), |a| format!("{:.0}%", a * 100.0)),
            p.eta_secs().map_or("-".into(), fmt_time)
        )
    });
    match (p.after, p.step, p.epochs.last()) {
        (After::Comparing, ..) => (
            1.0,
            "comparing it with the active model on the validation tracks…".to_string(),
        ),
        (After::Calibrating, ..) => (
            1.0,
            "fitting the model's \"?\" rule on its training and validation tracks…".to_string(),
        ),
        (After::Training, Some(s), _) => {
            let within = s.done as f64 / s.total.max(1) as f64;
            let what = if s.validating {
                "scoring the validation tracks".to_string()
            } else {
                format!("batch {}/{}", s.done, s.total)
            };
            (
                (s.epoch.saturating_sub(1) as f64 + within) / s.epochs.max(1) as f64,
                match last {
                    Some(l) => format!("epoch {}/{}: {what} · last epoch: {l}", s.epoch, s.epochs),
                    None => format!("epoch {}/{}: {what}", s.epoch, s.epochs),
                },
            )
        }
        (After::Training, None, None) => {
            let r = if p.features_total > 0 {
                p.features_done as f64 / p.features_total as f64
            } else {
                0.0
            };
            let label = if p.features_total > 0 && p.features_done >= p.features_total {
                format!(
                    "analysed {}; starting to train…",
                    tracks_n(p.features_total)
                )
            } else {
                format!(
                    "analysing {}/{}",
                    p.features_done,
                    tracks_n(p.features_total)
                )
            };
            (r, label)
        }
        (After::Training, None, Some(e)) => (
            e.epoch as f64 / e.epochs.max(1) as f64,
            format!(
                "epoch {}/{} · {} · {:.0} segments/s",
                e.epoch,
                e.epochs,
                last.unwrap_or_default(),
                e.segments_per_sec,
            ),
        ),
    }
}

/// The loss and accuracy charts over the epochs so far, side by side.
fn draw_epoch_charts(
    f: &mut Frame,
    t: &Theme,
    epochs: &[EpochReport],
    side: Direction,
    area: Rect,
) {
    // A line needs two points: until then, say what there is instead of two empty charts.
    if epochs.len() < 2 {
        let pct = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{:.0}%", a * 100.0));
        let text = match epochs.first() {
            None => "the loss and accuracy curves start after the second epoch".to_string(),
            Some(e) => format!(
                "epoch 1: loss {:.3}, validation {}; the curves start after the second epoch",
                e.loss,
                pct(e.valid_track_accuracy)
            ),
        };
        let para = Paragraph::new(Span::styled(text, Style::default().fg(t.dim)))
            .wrap(Wrap { trim: true })
            .block(block(" curves ", t));
        f.render_widget(para, area);
        return;
    }
    let x_title = "epoch";
    let charts = Layout::default()
        .direction(side)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(area);
    let loss: Vec<(f64, f64)> = epochs.iter().map(|e| (e.epoch as f64, e.loss)).collect();
    let train_acc: Vec<(f64, f64)> = epochs
        .iter()
        .map(|e| (e.epoch as f64, e.train_segment_accuracy))
        .collect();
    let valid_acc: Vec<(f64, f64)> = epochs
        .iter()
        .filter_map(|e| e.valid_track_accuracy.map(|a| (e.epoch as f64, a)))
        .collect();
    let max_epoch = epochs.last().map_or(1, |e| e.epochs).max(1) as f64;
    let max_loss = loss.iter().map(|x| x.1).fold(0.1, f64::max);
    let loss_set = Dataset::default()
        .name("training loss")
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::default().fg(t.warning))
        .data(&loss);
    f.render_widget(
        chart(
            t,
            " loss ",
            vec![loss_set],
            max_epoch,
            max_loss,
            vec!["0".into(), format!("{max_loss:.2}")],
            x_title,
        ),
        charts[0],
    );
    let sets = vec![
        Dataset::default()
            .name("train (segments)")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(t.dim))
            .data(&train_acc),
        Dataset::default()
            .name("validation (tracks)")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::default().fg(t.accent))
            .data(&valid_acc),
    ];
    f.render_widget(
        chart(
            t,
            " accuracy ",
            sets,
            max_epoch,
            1.0,
            vec!["0".into(), "1".into()],
            x_title,
        ),
        charts[1],
    );
}

fn chart<'a>(
    t: &Theme,
    title: &'a str,
    sets: Vec<Dataset<'a>>,
    max_epoch: f64,
    ymax: f64,
    ylabels: Vec<String>,
    x_title: &'a str,
) -> Chart<'a> {
    Chart::new(sets)
        .block(block(title, t))
        // Every line named, however small the chart (ratatui hides the legend of a chart
        // below a quarter of its size by default).
        .legend_position(Some(LegendPosition::BottomRight))
        .hidden_legend_constraints((Constraint::Percentage(100), Constraint::Percentage(100)))
        .x_axis(
            Axis::default()
                .title(x_title)
                .bounds([1.0, max_epoch])
                .labels(vec!["1".to_string(), format!("{}", max_epoch as usize)])
                .style(Style::default().fg(t.dim)),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, ymax])
                .labels(ylabels)
                .style(Style::default().fg(t.dim)),
        )
}

fn draw_outcome(
    f: &mut Frame,
    t: &Theme,
    keys: &Keymap,
    o: &Outcome,
    forcing: bool,
    naming: bool,
    area: Rect,
) {
    let pct = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{:.0}%", a * 100.0));
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "Validation track accuracy: {} on {} (trained on {}, best epoch {}, {})",
                pct(o.valid_accuracy),
                tracks_n(o.valid_tracks),
                o.train_tracks,
                o.best_epoch,
                fmt_time(o.secs)
            ),
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::from(match &o.active {
            Some((name, acc, n)) => format!(
                "the active model ({name}) on the same {}: {:.0}%",
                tracks_n(*n),
                acc * 100.0
            ),
            None => {
                "the active model knows none of these genres, so there is nothing to compare".into()
            }
        }),
        Line::from(o.open_set.describe()),
        Line::from(Span::styled(o.curves(), Style::default().fg(t.dim))),
        Line::from(""),
        Line::from(Span::styled("recall per genre", Style::default().fg(t.dim))),
    ];
    for (l, r, n) in &o.recall {
        lines.push(Line::from(format!(
            "{l:>16}  {:>5}  ({})",
            pct(*r),
            tracks_n(*n)
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "confusion (rows: true, columns: predicted)",
        Style::default().fg(t.dim),
    )));
    let w = 5;
    let mut head = format!("{:>16} ", "");
    for l in &o.labels {
        head.push_str(&format!(
            "{:>w$}",
            l.chars().take(w - 1).collect::<String>()
        ));
    }
    lines.push(Line::from(head));
    for (l, row) in o.labels.iter().zip(&o.confusion) {
        let mut s = format!("{l:>16} ");
        for v in row {
            s.push_str(&format!("{v:>w$}"));
        }
        lines.push(Line::from(s));
    }
    lines.push(Line::from(""));
    let mut name = vec![
        Span::styled("saved as: ", Style::default().fg(t.dim)),
        Span::styled(
            o.name.clone(),
            Style::default().add_modifier(Modifier::BOLD),
        ),
    ];
    if naming {
        name.push(Span::styled("▏", Style::default().fg(t.accent)));
        name.push(Span::styled(
            "  (Enter keeps the name)",
            Style::default().fg(t.dim),
        ));
    } else {
        name.push(Span::styled(
            "  (Tab edits the name)",
            Style::default().fg(t.dim),
        ));
    }
    lines.push(Line::from(name));
    let blockers = o.blockers();
    for why in &blockers {
        lines.push(Line::from(Span::styled(
            format!("not offered: {why}"),
            Style::default().fg(t.warning),
        )));
    }
    let mut offer = o.offer(
        &keys.hint(Action::AcceptModel),
        &keys.hint(Action::DiscardModel),
        forcing,
    );
    if blockers.is_empty() {
        offer.push_str(" — accepted, it becomes active and the library is re-classified");
    }
    lines.push(Line::from(Span::styled(
        offer,
        Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
    )));
    // Wide enough, the curves beside the figures (a quick training is over in seconds: this
    // is where its curves are seen).
    let area = if area.width >= 110 && o.epochs.len() >= 2 {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Min(72), Constraint::Percentage(38)])
            .split(area);
        draw_epoch_charts(f, t, &o.epochs, Direction::Vertical, cols[1]);
        cols[0]
    } else {
        area
    };
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
