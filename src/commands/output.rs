//! Where the commands' output goes: this process's stdout and stderr, or — while the running
//! player runs a command for another process (`forward::serve_command`) — that process's
//! connection. Text for a person is escaped for a terminal; JSON is written exactly.

use std::cell::RefCell;
use std::io::Write;

use crate::store::Store;

/// Where a command's output goes while the player runs it for another process.
struct Redirect {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    store: Store,
}

thread_local! {
    static REDIRECT: RefCell<Option<Redirect>> = const { RefCell::new(None) };
}

/// Removes the redirection when the command is done, however it ends.
pub(super) struct RedirectGuard;

impl Drop for RedirectGuard {
    fn drop(&mut self) {
        REDIRECT.with(|r| {
            if let Ok(mut r) = r.try_borrow_mut()
                && let Some(mut x) = r.take()
            {
                let _ = x.out.flush();
                let _ = x.err.flush();
            }
        });
    }
}

pub(super) fn redirect(out: Box<dyn Write>, err: Box<dyn Write>, store: Store) -> RedirectGuard {
    REDIRECT.with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            *r = Some(Redirect { out, err, store });
        }
    });
    RedirectGuard
}

/// The database handle the player lent to the command it runs on this thread.
pub(crate) fn lent_store() -> Option<Store> {
    REDIRECT.with(|r| {
        r.try_borrow()
            .ok()
            .and_then(|r| r.as_ref().map(|x| x.store.clone()))
    })
}

/// `println!`/`print!` of the commands: stdout, or the connection of the process the player
/// runs the command for. Write errors (a closed pipe) are ignored, as the command goes on.
/// What they print is for a person: control characters in it (from tags, file names, a
/// client's request) are shown as escapes (`util::text::escape_lines`).
pub(crate) fn out_fmt(args: std::fmt::Arguments, newline: bool) {
    write_to(false, &shown(args), newline);
}

/// `eprintln!`/`eprint!` of the commands.
pub(crate) fn err_fmt(args: std::fmt::Arguments, newline: bool) {
    write_to(true, &shown(args), newline);
}

/// A line of JSON (or other text for programs) on stdout, exactly as it is.
pub(crate) fn out_raw(text: &str) {
    write_to(false, text, true);
}

/// The formatted text, escaped for a terminal.
fn shown(args: std::fmt::Arguments) -> String {
    let text = match args.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(args.to_string()),
    };
    crate::util::text::escape_lines(&text).into_owned()
}

fn write_to(err: bool, text: &str, newline: bool) {
    let nl: &[u8] = if newline { b"\n" } else { b"" };
    let redirected = REDIRECT.with(|r| match r.try_borrow_mut() {
        Ok(mut r) => match r.as_mut() {
            Some(x) => {
                let w = if err { &mut x.err } else { &mut x.out };
                let _ = w.write_all(text.as_bytes());
                let _ = w.write_all(nl);
                true
            }
            None => false,
        },
        // Printing from inside a write of something being printed: drop it rather than reach
        // the player's terminal.
        Err(_) => true,
    });
    if redirected {
        return;
    }
    if err {
        let mut e = std::io::stderr().lock();
        let _ = e.write_all(text.as_bytes());
        let _ = e.write_all(nl);
    } else {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text.as_bytes());
        let _ = o.write_all(nl);
    }
}

/// Writes into the redirected stdout.
struct RedirectedOut;

impl Write for RedirectedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        REDIRECT.with(|r| match r.try_borrow_mut() {
            Ok(mut r) => match r.as_mut() {
                Some(x) => x.out.write(buf),
                None => std::io::stdout().write(buf),
            },
            Err(_) => Ok(buf.len()),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        REDIRECT.with(|r| match r.try_borrow_mut() {
            Ok(mut r) => match r.as_mut() {
                Some(x) => x.out.flush(),
                None => std::io::stdout().flush(),
            },
            Err(_) => Ok(()),
        })
    }
}

/// The commands' stdout for streaming writes (`writeln!`) of text for a person: the
/// terminal's, or the client's connection when the player runs the command; control
/// characters are shown as escapes, as `println!` shows them.
pub(crate) fn stdout() -> Box<dyn Write> {
    Box::new(crate::util::text::EscapingWriter::new(stdout_raw()))
}

/// The commands' stdout for output to programs (JSON), exactly as written.
pub(crate) fn stdout_raw() -> Box<dyn Write> {
    if lent_store().is_some() {
        Box::new(RedirectedOut)
    } else {
        Box::new(std::io::stdout().lock())
    }
}

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    out_raw(&serde_json::to_string_pretty(value)?);
    Ok(())
}
