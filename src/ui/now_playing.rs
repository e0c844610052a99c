//! The Now playing view: the track, its progress, and its genre vector as bars.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Gauge, Paragraph, Wrap};

use super::widgets::{base, block, hint_name};
use crate::app::App;
use crate::app::catalog::fmt_time;
use crate::keys::Action;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let s = &app.session;
    let outer = block(" Now playing ", t);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let Some(id) = s.playback.track else {
        let keys = app.keymap();
        f.render_widget(
            Paragraph::new(format!(
                "Nothing is playing. Pick something in the Library ({}) or Genres ({}) view and press {}.",
                keys.hint(Action::ViewLibrary),
                keys.hint(Action::ViewGenres),
                hint_name(&keys.hint(Action::Activate)),
            ))
            .style(Style::default().fg(t.dim))
            .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let info = s.lib.track(id);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(5),
            Constraint::Length(2),
            Constraint::Min(4),
        ])
        .split(inner);
    let title = info.map(|i| i.title.clone()).unwrap_or_default();
    let genre = if s.lib.vector_of(id).is_some() && !s.lib.is_known(id) {
        let guesses: Vec<String> = s
            .lib
            .top_guesses(id, 3)
            .iter()
            .map(|(g, p)| format!("{g} {:.0}%", p * 100.0))
            .collect();
        format!(
            "? unsure: none of the model's genres (top guesses: {})",
            guesses.join(", ")
        )
    } else {
        s.lib
            .genre_of(id)
            .map(|(g, p)| format!("{g} ({:.0}%)", p * 100.0))
            .unwrap_or_else(|| "not classified yet".into())
    };
    let text = vec![
        Line::from(Span::styled(
            title,
            Style::default().fg(t.playing).add_modifier(Modifier::BOLD),
        )),
        Line::from(info.map(|i| i.artist.clone()).unwrap_or_default()),
        Line::from(Span::styled(
            info.map(|i| i.album.clone()).unwrap_or_default(),
            Style::default().fg(t.dim),
        )),
        Line::from(vec![
            Span::styled("genre: ", Style::default().fg(t.dim)),
            Span::styled(genre, Style::default().fg(t.accent)),
            // A damaged file, classified from what decodes: say what is wrong.
            Span::styled(
                s.lib
                    .partial
                    .get(&id)
                    .map(|why| format!("  · partial: {why}"))
                    .unwrap_or_default(),
                Style::default().fg(t.dim),
            ),
        ]),
        Line::from(Span::styled(
            info.map(|i| i.path.display().to_string())
                .unwrap_or_default(),
            Style::default().fg(t.dim),
        )),
    ];
    f.render_widget(Paragraph::new(text), parts[0]);
    let dur = s.playback.duration_secs.unwrap_or(0.0);
    let ratio = if dur > 0.0 {
        (s.playback.position_secs / dur).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let label = format!(
        "{} / {}   vol {}%{}   {}",
        fmt_time(s.playback.position_secs),
        fmt_time(dur),
        s.playback.volume,
        if s.playback.paused { "   paused" } else { "" },
        replaygain_label(app, id),
    );
    f.render_widget(
        Gauge::default()
            .gauge_style(Style::default().fg(t.bar).bg(t.border))
            .ratio(ratio)
            .label(label),
        Rect {
            height: 1,
            ..parts[1]
        },
    );
    // The genre vector as bars.
    match s.lib.vector_of(id) {
        Some((labels, v, previous)) => {
            let width = parts[2].width as usize;
            let n = v.len().max(1);
            let bar_w = ((width.saturating_sub(n)) / n).clamp(3, 12) as u16;
            let bars: Vec<Bar> = labels
                .iter()
                .zip(v)
                .map(|(l, p)| {
                    let short: String = l.chars().take(bar_w as usize).collect();
                    Bar::default()
                        .value((p * 100.0).round() as u64)
                        .text_value(format!("{:.0}", p * 100.0))
                        .label(Line::from(short))
                        .style(Style::default().fg(t.bar))
                })
                .collect();
            let chart = BarChart::default()
                .block(
                    Block::default()
                        .title(if previous {
                            " genre vector (%) · from the previous model until the new one gets here "
                        } else {
                            " genre vector (%) "
                        })
                        .style(base(t)),
                )
                .data(BarGroup::default().bars(&bars))
                .bar_width(bar_w)
                .bar_gap(1)
                .max(100)
                .value_style(Style::default().fg(t.highlight_fg).bg(t.bar));
            f.render_widget(chart, parts[2]);
        }
        None => {
            let msg = match s.lib.failed.get(&id) {
                Some(reason) => format!("This track could not be analysed: {reason}"),
                None => "Analysing… its genre bars appear here when done.".to_string(),
            };
            f.render_widget(
                Paragraph::new(msg)
                    .style(Style::default().fg(t.dim))
                    .wrap(Wrap { trim: true }),
                parts[2],
            );
        }
    }
}

/// The ReplayGain the player applies to the playing track: "RG +3.2 dB track",
/// "RG −1.0 dB est." (from the analysis' loudness), "RG off".
fn replaygain_label(app: &App, id: crate::library::TrackId) -> String {
    app.session.gain_of(id).label()
}
