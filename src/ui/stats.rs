//! The Stats view: pictures of the listening figures the view holds (`app::views::stats`),
//! made elsewhere and only drawn here. From the top: the period's totals and the period
//! switch, minutes heard per day (a bar per day, today last), the period's top genres, styles
//! and artists by time heard and the share of skips per genre (horizontal bars), and what the
//! feedback says in words. Bar values are written in the theme's highlight text colour on the
//! bar colour; the empty part of a bar keeps the view's background.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Wrap};

use super::widgets::{base, block, fit};
use crate::app::App;
use crate::config::Theme;
use crate::keys::Action;
use crate::recommend::stats::{Period, PeriodStats, Stats, Top};

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let view = &app.views.stats;
    let keys = app.keymap();
    let title = format!(
        " Stats · {} · {}/{} switch ",
        view.period.label(),
        keys.hint(Action::Collapse),
        keys.hint(Action::Expand)
    );
    let b = block(fit(&title, area.width.saturating_sub(2) as usize), t);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(stats) = &view.stats else {
        f.render_widget(
            Paragraph::new("reading the listen log…").style(Style::default().fg(t.dim)),
            inner,
        );
        return;
    };
    let Some(p) = stats.period(view.period) else {
        return;
    };
    let taste_h: u16 = if inner.width >= 100 { 1 } else { 2 };
    let free = inner.height.saturating_sub(2 + taste_h);
    let days_h = (free / 3).clamp(3, 14);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(days_h),
            Constraint::Length(1),
            Constraint::Min(2),
            Constraint::Length(taste_h),
        ])
        .split(inner);
    draw_header(f, t, view.period, p, rows[0]);
    draw_days(f, t, stats, rows[1], rows[2]);
    if stats.listens == 0 {
        f.render_widget(
            Paragraph::new(
                "Nothing counted yet. A track counts as played after half of it (or 4 minutes) \
                 is heard, as skipped when it is left within 30 s.",
            )
            .wrap(Wrap { trim: true })
            .style(Style::default().fg(t.dim)),
            rows[3],
        );
    } else {
        draw_tops(f, t, stats, p, rows[3]);
    }
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Learned: ", Style::default().fg(t.dim)),
            Span::styled(
                stats.taste.words.as_str(),
                Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
            ),
        ]))
        .wrap(Wrap { trim: true })
        .style(base(t)),
        rows[4],
    );
}

/// "42 min heard · 12 plays · 3 skips" and the period switch, the shown period highlighted.
fn draw_header(f: &mut Frame, t: &Theme, shown: Period, p: &PeriodStats, area: Rect) {
    let mut spans = vec![Span::styled(
        format!(
            "{} heard · {} · {}   ",
            heard(p.secs),
            counted(p.plays, "play"),
            counted(p.skips, "skip")
        ),
        Style::default().fg(t.foreground),
    )];
    for period in Period::ALL {
        let style = if period == shown {
            Style::default()
                .fg(t.highlight_fg)
                .bg(t.highlight_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.dim)
        };
        spans.push(Span::styled(format!(" {} ", period.label()), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(base(t)), area);
}

/// "1 play", "3 plays".
fn counted(n: u32, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Time heard as "1 h 05 min", "12 min" (to the nearest minute), "40 s".
pub fn heard(secs: u64) -> String {
    match minutes(secs) {
        _ if secs < 60 => format!("{secs} s"),
        m @ 0..60 => format!("{m} min"),
        m => format!("{} h {:02} min", m / 60, m % 60),
    }
}

/// Minutes heard per day: one bar each (a day with any listening shows at least a sliver), the
/// minutes written on a bar and the day of the month under it when the bars are wide enough;
/// under the chart the first day and today, at its two ends.
fn draw_days(f: &mut Frame, t: &Theme, stats: &Stats, area: Rect, legend: Rect) {
    let n = stats.days.len().max(1) as u16;
    let gap = u16::from(area.width >= 2 * n);
    let width = ((area.width + gap) / n).saturating_sub(gap).max(1);
    let labelled = width >= 2 && area.height >= 4;
    let bars: Vec<Bar> = stats
        .days
        .iter()
        .map(|d| {
            let m = minutes(d.secs);
            let text = m.to_string();
            let mut bar = Bar::default().value(m).text_value(
                if m > 0 && text.chars().count() as u16 <= width {
                    text
                } else {
                    String::new()
                },
            );
            if labelled {
                bar = bar.label(Line::from(d.date.get(8..10).unwrap_or("").to_string()));
            }
            bar
        })
        .collect();
    // The chart as wide as its bars, so its ends are the legend's.
    let used = (n * width + (n - 1) * gap).min(area.width);
    let chart = Rect {
        width: used,
        ..area
    };
    f.render_widget(
        BarChart::default()
            .data(BarGroup::new(bars))
            .bar_width(width)
            .bar_gap(gap)
            .bar_style(Style::default().fg(t.bar))
            .value_style(Style::default().fg(t.highlight_fg).bg(t.bar))
            .label_style(Style::default().fg(t.dim))
            .style(base(t)),
        chart,
    );
    let most = stats.days.iter().map(|d| d.secs).max().unwrap_or(0);
    let first = stats.days.first().map(|d| d.date.as_str()).unwrap_or("");
    let right = format!("most {} · today", heard(most));
    let left = format!("{first} · minutes heard per day");
    let room = (used as usize).max(left.chars().count() + right.chars().count() + 1);
    let pad = room.saturating_sub(left.chars().count() + right.chars().count());
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(left),
            Span::raw(" ".repeat(pad.max(1))),
            Span::raw(right),
        ]))
        .style(Style::default().fg(t.dim).bg(t.background)),
        legend,
    );
}

/// Seconds as whole minutes, to the nearest; any listening at all is at least one.
fn minutes(secs: u64) -> u64 {
    if secs == 0 {
        0
    } else {
        ((secs + 30) / 60).max(1)
    }
}

/// The period's top genres, styles and artists by time heard, and the share of skips per genre:
/// four bar lists, side by side when the view is wide, two by two when not.
fn draw_tops(f: &mut Frame, t: &Theme, stats: &Stats, p: &PeriodStats, area: Rect) {
    let wide = area.width >= 140;
    let cells: Vec<Rect> = if wide {
        Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Ratio(1, 4); 4])
            .split(area)
            .to_vec()
    } else {
        let halves = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Ratio(1, 2); 2])
            .split(area);
        halves
            .iter()
            .flat_map(|h| {
                Layout::default()
                    .direction(Direction::Horizontal)
                    .constraints([Constraint::Ratio(1, 2); 2])
                    .split(*h)
                    .to_vec()
            })
            .collect()
    };
    let lists: [(&str, Vec<BarRow>); 4] = [
        ("Genres", tops(&p.genres_by_time)),
        ("Artists", tops(&p.artists_by_time)),
        ("Styles", tops(&p.styles_by_time)),
        (
            "Skipped (all time)",
            stats
                .skip_share
                .iter()
                .map(|s| {
                    let pct = (s.share * 100.0).round() as u64;
                    (s.genre.clone(), pct, format!("{pct}% of {}", s.listens))
                })
                .collect(),
        ),
    ];
    for ((title, rows), cell) in lists.iter().zip(cells) {
        let max = (*title == "Skipped (all time)").then_some(100);
        draw_bar_list(f, t, title, rows, max, cell);
    }
}

/// A bar of a list: the name, the value, what the bar says.
type BarRow = (String, u64, String);

/// A top list as bars (their text ASCII: ratatui places the part of a horizontal bar's text
/// past the bar by its bytes).
fn tops(list: &[Top]) -> Vec<BarRow> {
    list.iter()
        .map(|x| {
            (
                x.name.clone(),
                x.secs,
                format!("{}, {}", heard(x.secs), counted(x.plays, "play")),
            )
        })
        .collect()
}

/// One titled list of horizontal bars, as many as fit.
fn draw_bar_list(
    f: &mut Frame,
    t: &Theme,
    title: &str,
    rows: &[BarRow],
    max: Option<u64>,
    area: Rect,
) {
    if area.height == 0 || area.width < 8 {
        return;
    }
    let w = area.width.saturating_sub(1);
    let title_area = Rect {
        height: 1,
        width: w,
        ..area
    };
    f.render_widget(
        Paragraph::new(fit(title, w as usize)).style(
            Style::default()
                .fg(t.accent)
                .bg(t.background)
                .add_modifier(Modifier::BOLD),
        ),
        title_area,
    );
    let list_area = Rect {
        y: area.y + 1,
        height: area.height - 1,
        width: w,
        ..area
    };
    if rows.is_empty() {
        f.render_widget(
            Paragraph::new("—").style(Style::default().fg(t.dim).bg(t.background)),
            list_area,
        );
        return;
    }
    let label_w = (w as usize / 3).clamp(4, 16);
    let bars: Vec<Bar> = rows
        .iter()
        .take(list_area.height as usize)
        .map(|(name, value, text)| {
            Bar::default()
                .value(*value)
                .label(Line::from(fit(name, label_w)))
                .text_value(text.clone())
        })
        .collect();
    let mut chart = BarChart::default()
        .direction(Direction::Horizontal)
        .data(BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_style(Style::default().fg(t.bar))
        .value_style(Style::default().fg(t.highlight_fg).bg(t.bar))
        .label_style(Style::default().fg(t.foreground))
        .style(base(t));
    if let Some(m) = max {
        chart = chart.max(m);
    }
    f.render_widget(chart, list_area);
}
