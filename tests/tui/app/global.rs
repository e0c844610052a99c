//! Global keys: help, themes, quit.

use super::*;

#[test]
fn help_opens_and_closes() {
    let mut app = app();
    press(&mut app, "?");
    assert!(app.help.open);
    // While it is open, keys do not reach the player or the views.
    let fx = press(&mut app, "n+2");
    assert!(fx.is_empty());
    assert_eq!(app.view, View::Library);
    assert_eq!(app.session.playback.volume, 80);
    press(&mut app, "jj");
    assert_eq!(app.help.scroll, 2);
    press(&mut app, "k");
    assert_eq!(app.help.scroll, 1);
    // It stops when its last line reaches the bottom of the popup (the terminal's 40 rows
    // less the border), not when that line is the only one left.
    let page = 38;
    let lines = genreplay::ui::help_lines(&app).len();
    assert!(lines > page, "{lines} help lines fit on one page");
    let last = lines - page;
    press(&mut app, &"j".repeat(100));
    assert_eq!(app.help.scroll, last);
    press_code(&mut app, KeyCode::PageDown);
    assert_eq!(app.help.scroll, last);
    press(&mut app, "k");
    assert_eq!(app.help.scroll, last - 1);
    press_code(&mut app, KeyCode::PageUp);
    assert_eq!(app.help.scroll, (last - 1).saturating_sub(page));
    // Page by page back to the top (however long help is), never past it.
    for _ in 0..=last / page {
        press_code(&mut app, KeyCode::PageUp);
    }
    assert_eq!(app.help.scroll, 0);
    press_code(&mut app, KeyCode::Esc);
    assert!(!app.help.open);
    app.update(Event::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)));
    assert!(app.help.open);
    assert_eq!(app.help.scroll, 0, "help opens at the top");
    press(&mut app, "?");
    assert!(!app.help.open);
    // q closes the help rather than quitting.
    press(&mut app, "?q");
    assert!(!app.help.open);
    assert!(!app.should_quit);
}

#[test]
fn help_lists_every_action_with_its_keys() {
    let app = app();
    let lines = genreplay::ui::help_lines(&app);
    assert_eq!(lines.len(), Action::ALL.len() + 1);
    assert!(lines.contains(&("q, ctrl-c".into(), "Quit genreplay".into())));
    assert!(lines.contains(&("?, f1".into(), "Show or hide this help".into())));
    assert!(lines.contains(&("+, =".into(), "Volume up".into())));
}

#[test]
fn t_cycles_the_themes() {
    let mut app = app();
    assert_eq!(app.theme().name, "dark");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "light");
    assert_eq!(app.session.status.as_ref().unwrap().text, "theme: light");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "terminal");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "dark");
    // An unknown theme name starts on the first theme; no themes at all falls back.
    let app = App::new(library(), Keymap::defaults(), Theme::built_in(), "nope", 80);
    assert_eq!(app.theme().name, "dark");
    let mut app = App::new(library(), Keymap::defaults(), vec![], "dark", 80);
    assert_eq!(app.theme().name, "terminal");
    press(&mut app, "t");
    assert_eq!(app.theme().name, "terminal");
}

#[test]
fn q_quits() {
    let mut app = app();
    let fx = press(&mut app, "q");
    assert_eq!(fx, [Effect::Quit]);
    assert!(app.should_quit);
}

#[test]
fn the_messages_popup_keeps_the_last_messages_whole() {
    let mut app = app();
    let long = format!("{} the end of a long message", "word ".repeat(40));
    for text in ["first", "first", long.as_str(), "an error"] {
        app.update(Event::Status {
            text: text.into(),
            error: text == "an error",
        });
    }
    // Said twice in a row: one line of the log.
    let texts: Vec<&str> = app
        .session
        .messages
        .iter()
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(texts, ["first", long.as_str(), "an error"]);
    press(&mut app, "N");
    assert!(app.help.open && app.help.messages);
    // Keys scroll it, one message at a time, and stop at the oldest.
    press(&mut app, &"j".repeat(10));
    assert_eq!(app.help.scroll, 2);
    press(&mut app, "g");
    assert_eq!(app.help.scroll, 0);
    // N again (or Esc) closes it; ? then shows the keys, not the messages.
    press(&mut app, "N");
    assert!(!app.help.open);
    press(&mut app, "?");
    assert!(app.help.open && !app.help.messages);
    press_code(&mut app, KeyCode::Esc);
    // The log is bounded.
    for i in 0..500 {
        app.update(Event::Status {
            text: format!("message {i}"),
            error: false,
        });
    }
    assert_eq!(
        app.session.messages.len(),
        genreplay::app::session::MESSAGE_LOG
    );
    assert_eq!(app.session.messages.back().unwrap().text, "message 499");
}
