//! `genreplay completions SHELL` and `genreplay man`: the shell completion scripts and the
//! manual page, both made from the one clap definition in `cli.rs`. They need neither the data
//! folder nor the database, so `main` runs them before it touches either ([`run_early`]).

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use roff::{Roff, bold, italic, roman};

use crate::cli::{Cli, Command, ShellArg};

/// The command's name in scripts and on the page.
const BIN: &str = "genreplay";

/// Runs `completions` or `man` when `cli` names one (`None`: some other command).
pub fn run_early(cli: &Cli) -> Option<ExitCode> {
    let out = match &cli.command {
        Some(Command::Completions { shell }) => completions(*shell),
        Some(Command::Man) => man_page(),
        _ => return None,
    };
    let mut stdout = std::io::stdout().lock();
    Some(match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`genreplay man | head`) is the reader's choice, not an error to shout.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            std::eprintln!("error: writing to stdout: {e}");
            ExitCode::from(1)
        }
    })
}

/// The completion script for `shell`.
pub fn completions(shell: ShellArg) -> Vec<u8> {
    let shell = match shell {
        ShellArg::Bash => clap_complete::Shell::Bash,
        ShellArg::Zsh => clap_complete::Shell::Zsh,
        ShellArg::Fish => clap_complete::Shell::Fish,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut out);
    out
}

/// The manual page (section 1): clap_mangen's title, name, synopsis, description and options,
/// then every command and subcommand with its usage, arguments and options on this one page,
/// then the environment and files.
pub fn man_page() -> Vec<u8> {
    let mut cmd = Cli::command().bin_name(BIN).disable_help_subcommand(true);
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    let mut page = Roff::new();
    page.control("SH", ["COMMANDS"]);
    for sub in cmd.get_subcommands() {
        command_entry(&mut page, sub);
    }
    page.control("SH", ["ENVIRONMENT"]);
    for (name, what) in ENVIRONMENT {
        page.control("TP", [])
            .text([bold(*name)])
            .text([roman(*what)]);
    }
    page.control("SH", ["FILES"]);
    for (name, what) in FILES {
        page.control("TP", [])
            .text([italic(*name)])
            .text([roman(*what)]);
    }
    let _ = page.to_writer(&mut out);
    let _ = man.render_version_section(&mut out);
    ascii_roff(&String::from_utf8_lossy(&out)).into_bytes()
}

/// The page with every character beyond ASCII (the help's dashes, `±`) as a groff escape
/// (`\[u2013]`), so troff reads it whatever the input encoding it assumes.
fn ascii_roff(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out
}

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "GENREPLAY_LOG",
        "What the log records (tracing's filter syntax, default info).",
    ),
    (
        "GENREPLAY_NO_AUDIO",
        "When set, the player opens no audio device and plays silently.",
    ),
    (
        "GENREPLAY_CONFIG_DIR",
        "The folder of config.toml, keymap.toml and the themes (default: the XDG config folder).",
    ),
    (
        "GENREPLAY_KERNEL",
        "Force the musicnn kernel's instruction set: avx512, avx2, portable or scalar.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "~/.config/genreplay/config.toml",
        "The settings; `genreplay config check` reads it and says what is wrong in it.",
    ),
    (
        "~/.config/genreplay/keymap.toml",
        "Keys, overriding the defaults (the player's help, ?, lists them).",
    ),
    (
        "~/.local/share/genreplay/",
        "The database, the trained models, the log and the player's socket (genreplay.sock), \
         which genreplay ctl talks to.",
    ),
];

/// One command (and, below it, its own subcommands): usage in bold, its description, then its
/// arguments and options.
fn command_entry(page: &mut Roff, cmd: &clap::Command) {
    if cmd.is_hide_set() {
        return;
    }
    let usage = cmd
        .clone()
        .render_usage()
        .to_string()
        .trim_start_matches("Usage:")
        .trim()
        .to_string();
    page.control("TP", []).text([bold(usage)]);
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        for line in about.to_string().lines() {
            page.text([roman(line)]);
        }
    }
    let args: Vec<_> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set())
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .collect();
    if !args.is_empty() {
        page.control("RS", []);
        for arg in args {
            let name = match (arg.get_long(), arg.get_short()) {
                (Some(l), Some(s)) => format!("-{s}, --{l}"),
                (Some(l), None) => format!("--{l}"),
                (None, Some(s)) => format!("-{s}"),
                (None, None) => arg
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map_or_else(|| arg.get_id().to_string(), |v| v.to_string()),
            };
            let name = match arg.get_value_names().and_then(|v| v.first()) {
                Some(value) if arg.get_long().is_some() || arg.get_short().is_some() => {
                    format!("{name} <{value}>")
                }
                _ => name,
            };
            page.control("TP", []).text([bold(name)]);
            if let Some(help) = arg.get_long_help().or_else(|| arg.get_help()) {
                page.text([roman(help.to_string())]);
            }
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                page.text([roman(format!("One of: {}.", values.join(", ")))]);
            }
        }
        page.control("RE", []);
    }
    for sub in cmd.get_subcommands() {
        command_entry(page, sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_command_with_its_full_name() {
        // roff writes a hyphen as `\-` (`check\-token`).
        let page = String::from_utf8(man_page())
            .unwrap_or_default()
            .replace("\\-", "-");
        assert!(page.contains(".TH genreplay 1"), "{page}");
        let cmd = Cli::command();
        for sub in cmd.get_subcommands() {
            let name = format!("genreplay {}", sub.get_name());
            assert!(page.contains(&name), "{name} missing from the page");
            for nested in sub.get_subcommands() {
                let name = format!("genreplay {} {}", sub.get_name(), nested.get_name());
                assert!(page.contains(&name), "{name} missing from the page");
            }
        }
    }
}
