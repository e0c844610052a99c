//! The Now playing view: the track, its progress, and its genre vector as bars.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Gauge, Paragraph, Wrap};

use super::widgets::{base, block, hint_name};
use crate::app::App;
use crate::app::views::now_playing::{CoverState, LyricsState};
use crate::keys::Action;
use crate::library::TrackId;
use crate::util::time::fmt_time;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let s = &app.session;
    let outer = block(" Now playing ", app.theme());
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let Some(id) = s.playback.track else {
        draw_nothing_playing(f, app, inner);
        return;
    };
    let [fields, gauge, bottom] = now_playing_parts(app, inner);
    let bottom = bars_area(app, bottom);
    f.render_widget(Paragraph::new(track_fields(app, id)), fields);
    draw_position(f, app, id, Rect { height: 1, ..gauge });
    // The spectrum (when on) above the genre vector's bars.
    let genre_area = if app.visualiser.on(s) {
        let [spectrum, genre] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(bottom);
        draw_spectrum(f, app, spectrum);
        genre
    } else {
        bottom
    };
    draw_bars(f, app, id, genre_area);
}

/// What to do when nothing plays.
fn draw_nothing_playing(f: &mut Frame, app: &App, area: Rect) {
    let keys = app.keymap();
    f.render_widget(
        Paragraph::new(format!(
            "Nothing is playing. Pick something in the Library ({}) or Genres ({}) view and press {}.",
            keys.hint(Action::ViewLibrary),
            keys.hint(Action::ViewGenres),
            hint_name(&keys.hint(Action::Activate)),
        ))
        .style(Style::default().fg(app.theme().dim))
        .wrap(Wrap { trim: true }),
        area,
    );
}

/// The playing track's lines: title, artist, album (and how often it was heard), genre,
/// style, file.
fn track_fields(app: &App, id: TrackId) -> Vec<Line<'static>> {
    let t = app.theme();
    let s = &app.session;
    let info = s.lib.track(id);
    vec![
        Line::from(Span::styled(
            info.map(|i| i.title.clone()).unwrap_or_default(),
            Style::default().fg(t.playing).add_modifier(Modifier::BOLD),
        )),
        // An untagged file: where it is instead of "Unknown artist".
        Line::from(
            info.map(|i| {
                if i.has_artist() {
                    i.artist.clone()
                } else {
                    format!("(no artist tag) in {}/", i.folder)
                }
            })
            .unwrap_or_default(),
        ),
        Line::from(vec![
            Span::styled(
                info.filter(|i| i.has_album())
                    .map(|i| i.album.clone())
                    .unwrap_or_default(),
                Style::default().fg(t.dim),
            ),
            Span::styled(heard_text(app, id), Style::default().fg(t.accent)),
        ]),
        Line::from(vec![
            Span::styled("genre: ", Style::default().fg(t.dim)),
            Span::styled(genre_text(app, id), Style::default().fg(t.accent)),
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
        Line::from(vec![
            Span::styled("style: ", Style::default().fg(t.dim)),
            Span::styled(style_text(app, id), Style::default().fg(t.accent)),
        ]),
        Line::from(Span::styled(
            info.map(|i| i.path.display().to_string())
                .unwrap_or_default(),
            Style::default().fg(t.dim),
        )),
    ]
}

/// The track's genre and confidence, or the top guesses when the model is unsure.
fn genre_text(app: &App, id: TrackId) -> String {
    let lib = &app.session.lib;
    if lib.vector_of(id).is_some() && !lib.is_known(id) {
        let guesses: Vec<String> = lib
            .top_guesses(id, 3)
            .iter()
            .map(|(g, p)| format!("{g} {:.0}%", p * 100.0))
            .collect();
        format!(
            "? unsure: none of the model's genres (top guesses: {})",
            guesses.join(", ")
        )
    } else {
        lib.genre_of(id)
            .map(|(g, p)| format!("{g} ({:.0}%)", p * 100.0))
            .unwrap_or_else(|| "not classified yet".into())
    }
}

/// The track's styles with their probabilities ("—" before the trunk's tags are known).
fn style_text(app: &App, id: TrackId) -> String {
    let lib = &app.session.lib;
    let styles = lib.styles_of(id);
    if styles.is_empty() {
        if lib.styles.contains_key(&id) {
            "no clear style".to_string()
        } else {
            "—".to_string()
        }
    } else {
        let parts: Vec<String> = styles
            .iter()
            .map(|(n, p)| format!("{n} {:.0}%", p * 100.0))
            .collect();
        parts.join(", ")
    }
}

/// The position gauge: time, length, volume, pause and the gain applied.
fn draw_position(f: &mut Frame, app: &App, id: TrackId, area: Rect) {
    let t = app.theme();
    let s = &app.session;
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
        area,
    );
}

/// The spectrum visualiser: one bar per band, low frequencies on the left.
fn draw_spectrum(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let levels = &app.visualiser.levels;
    let title = if app.session.playback.silent.is_some() {
        " spectrum · silent: what would play "
    } else {
        " spectrum "
    };
    let block = Block::default().title(title).style(base(t));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let n = levels.len();
    if n == 0 || inner.width == 0 || inner.height == 0 {
        return;
    }
    let gap = u16::from(inner.width as usize >= 2 * n);
    let bar_w = ((inner.width as usize).saturating_sub(n.saturating_sub(1) * gap as usize) / n)
        .max(1) as u16;
    let bars: Vec<Bar> = levels
        .iter()
        .map(|&l| {
            Bar::default()
                .value((l.clamp(0.0, 1.0) * 100.0).round() as u64)
                .text_value(String::new())
                .style(Style::default().fg(t.accent))
        })
        .collect();
    f.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_w)
            .bar_gap(gap)
            .max(100),
        inner,
    );
}

fn draw_bars(f: &mut Frame, app: &App, id: TrackId, area: Rect) {
    let t = app.theme();
    let s = &app.session;
    match s.lib.vector_of(id) {
        Some((labels, v, previous)) => {
            let width = area.width as usize;
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
            f.render_widget(chart, area);
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
                area,
            );
        }
    }
}

/// The ReplayGain the player applies to the playing track: "RG +3.2 dB track",
/// "RG −1.0 dB est." (from the analysis' loudness), "RG off".
/// The listener's history of the track: "  · liked · played 3×, skipped 1×" (nothing when
/// there is none).
fn heard_text(app: &App, id: TrackId) -> String {
    let Some(h) = app.session.history_of(id) else {
        return String::new();
    };
    let mut parts = Vec::new();
    match h.rating {
        crate::app::Rating::Like => parts.push("♥ liked".to_string()),
        crate::app::Rating::Dislike => parts.push("✗ disliked".to_string()),
        crate::app::Rating::None => {}
    }
    if h.plays > 0 || h.skips > 0 {
        parts.push(format!("played {}×, skipped {}×", h.plays, h.skips));
    }
    parts.iter().map(|p| format!("  · {p}")).collect()
}

fn replaygain_label(app: &App, id: TrackId) -> String {
    app.session.gain_of(id).label()
}

// ---------------------------------------------------------------- cover and lyrics

/// The rows of the track's fields and of the progress gauge.
const FIELD_ROWS: u16 = 6;
const GAUGE_ROWS: u16 = 2;

/// Now playing's inside split into the fields, the gauge and what is below them (bars and
/// lyrics); the cover, when it is drawn, takes the top left and the fields move right of it.
fn now_playing_parts(app: &App, inner: Rect) -> [Rect; 3] {
    let (fields_area, bottom) = match cover_area(app, inner) {
        Some(cover) => {
            let top_h = cover.height.max(FIELD_ROWS + GAUGE_ROWS);
            let right = Rect {
                x: cover.right() + 1,
                y: inner.y,
                width: inner.width.saturating_sub(cover.width + 1),
                height: top_h,
            };
            let bottom = Rect {
                y: inner.y + top_h,
                height: inner.height.saturating_sub(top_h),
                ..inner
            };
            (right, bottom)
        }
        None => (inner, inner),
    };
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(FIELD_ROWS),
            Constraint::Length(GAUGE_ROWS),
            Constraint::Min(0),
        ])
        .split(fields_area);
    if fields_area == inner {
        // No cover: the bars take the rest, as before covers.
        [parts[0], parts[1], parts[2]]
    } else {
        [parts[0], parts[1], bottom]
    }
}

/// Where the cover goes, when covers are on and there is one to draw. While a cover loads
/// the fields keep their place (most tracks of a library without art never move).
fn cover_area(app: &App, inner: Rect) -> Option<Rect> {
    let v = &app.views.now_playing;
    if !v.covers || !matches!(v.art.cover, CoverState::Ready(_)) {
        return None;
    }
    crate::ui::layout::now_playing_cover(inner)
}

/// Draws the cover and the lyrics (in what is left of `bottom` beside the bars) and returns
/// where the bars go.
fn bars_area(app: &App, bottom: Rect) -> Rect {
    let v = &app.views.now_playing;
    if !matches!(
        v.art.lyrics,
        LyricsState::Ready(_) | LyricsState::Refused(_)
    ) {
        return bottom;
    }
    let dir = if bottom.width >= 60 {
        Direction::Horizontal
    } else {
        Direction::Vertical
    };
    Layout::default()
        .direction(dir)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(bottom)[0]
}

/// The lyrics pane: what [`bars_area`] left of `bottom`.
fn lyrics_area(app: &App, bottom: Rect) -> Option<Rect> {
    let bars = bars_area(app, bottom);
    if bars == bottom {
        return None;
    }
    Some(if bars.y == bottom.y {
        Rect {
            x: bars.right(),
            width: bottom.width - bars.width,
            ..bottom
        }
    } else {
        Rect {
            y: bars.bottom(),
            height: bottom.height - bars.height,
            ..bottom
        }
    })
}

/// The cover and the lyrics of the playing track, where [`now_playing_parts`] put them.
pub fn draw_art(f: &mut Frame, app: &App, area: Rect) {
    let inner = crate::ui::layout::now_playing_inner(area);
    if app.session.playback.track.is_none() {
        return;
    }
    if let Some(cover) = cover_area(app, inner) {
        draw_cover(f, app, cover);
    }
    let [_, _, bottom] = now_playing_parts(app, inner);
    if let Some(lyrics) = lyrics_area(app, bottom) {
        draw_lyrics(f, app, lyrics);
    }
}

/// The cover as the worker made it, centred in `area`; a note while it loads.
fn draw_cover(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    match &app.views.now_playing.art.cover {
        CoverState::Ready(c) => {
            let size = c.protocol.size();
            if size.width <= area.width && size.height <= area.height {
                let at = Rect {
                    x: area.x + (area.width - size.width) / 2,
                    y: area.y + (area.height - size.height) / 2,
                    width: size.width,
                    height: size.height,
                };
                f.render_widget(ratatui_image::Image::new(&c.protocol), at);
                return;
            }
            // Made for a larger area (the terminal shrank): the right size is on its way.
            loading(f, t, area);
        }
        CoverState::Loading => loading(f, t, area),
        CoverState::None | CoverState::Missing => {}
    }
}

fn loading(f: &mut Frame, t: &crate::config::Theme, area: Rect) {
    let mid = Rect {
        y: area.y + area.height / 2,
        height: 1,
        ..area
    };
    f.render_widget(
        Paragraph::new("loading cover…")
            .style(Style::default().fg(t.dim))
            .alignment(ratatui::layout::Alignment::Center),
        mid,
    );
}

/// The lyrics: timed ones with the line being sung marked (▸, bold) and kept in the middle of
/// the pane; unsynced ones as plain text.
fn draw_lyrics(f: &mut Frame, app: &App, area: Rect) {
    let t = app.theme();
    let (title, lyrics) = match &app.views.now_playing.art.lyrics {
        LyricsState::Ready(l) if l.synced => (" lyrics ", Ok(l)),
        LyricsState::Ready(l) => (" lyrics (not timed) ", Ok(l)),
        LyricsState::Refused(why) => (" lyrics ", Err(why)),
        _ => return,
    };
    let b = Block::default()
        .title(title)
        .borders(ratatui::widgets::Borders::LEFT)
        .border_style(Style::default().fg(t.border))
        .style(base(t));
    let inner = b.inner(area);
    f.render_widget(b, area);
    let lyrics = match lyrics {
        Ok(l) => l,
        Err(why) => {
            let line = Line::from(Span::styled(format!(" {why}"), Style::default().fg(t.dim)));
            f.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), inner);
            return;
        }
    };
    if !lyrics.synced {
        // Only what can show: a frame never wraps thousands of lines.
        let text: Vec<Line> = lyrics
            .lines
            .iter()
            .take(inner.height as usize)
            .map(|l| Line::from(format!(" {}", l.text)))
            .collect();
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
        return;
    }
    let h = inner.height as usize;
    let current = lyrics.current(app.session.playback.position_secs);
    let start = current.map_or(0, |c| c.saturating_sub(h / 2));
    let text: Vec<Line> = lyrics
        .lines
        .iter()
        .enumerate()
        .skip(start)
        .take(h)
        .map(|(i, l)| {
            if Some(i) == current {
                Line::from(Span::styled(
                    format!("▸ {}", l.text),
                    Style::default().fg(t.playing).add_modifier(Modifier::BOLD),
                ))
            } else {
                Line::from(Span::styled(
                    format!("  {}", l.text),
                    Style::default().fg(t.dim),
                ))
            }
        })
        .collect();
    f.render_widget(Paragraph::new(text), inner);
}
