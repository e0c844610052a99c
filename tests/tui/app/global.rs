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
    // It does not scroll past its last line.
    let last = genreplay::ui::help_lines(&app).len() - 1;
    press(&mut app, &"j".repeat(100));
    assert_eq!(app.help.scroll, last);
    press_code(&mut app, KeyCode::PageDown);
    assert_eq!(app.help.scroll, last);
    press(&mut app, "k");
    assert_eq!(app.help.scroll, last - 1);
    press_code(&mut app, KeyCode::PageUp);
    assert_eq!(app.help.scroll, last - 1 - app.session.list_height);
    // Page by page back to the top (however long help is), never past it.
    for _ in 0..=last / app.session.list_height {
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
