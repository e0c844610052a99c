#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `genreplay completions bash|zsh|fish` and `genreplay man`: what each shell and troff expect,
//! checked by the shells and by groff themselves where they are installed.

use std::process::Command;

use crate::common;

/// The subcommands `genreplay --help` lists (what the scripts and the page must all know).
fn subcommands() -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let out = common::genreplay(dir.path())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<String> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(str::to_string)
        .collect();
    assert!(commands.len() >= 12, "{commands:?}");
    commands
}

fn run(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = common::genreplay(&data).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !data.exists(),
        "{args:?} made the data folder; it needs none"
    );
    String::from_utf8(out.stdout).unwrap()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `shell -n file` (parse without running): `None` when the shell is not installed.
fn parses(shell: &str, script: &str) -> Option<(bool, String)> {
    if !have(shell) {
        common::skipped(format!(
            "{shell} is not installed: its script is not parsed"
        ));
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("completion");
    std::fs::write(&file, script).unwrap();
    let flag = if shell == "fish" {
        "--no-execute"
    } else {
        "-n"
    };
    let out = Command::new(shell).arg(flag).arg(&file).output().unwrap();
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn bash_completion_defines_its_function_and_parses() {
    let script = run(&["completions", "bash"]);
    assert!(script.contains("_genreplay()"), "{script}");
    assert!(script.contains("complete -F _genreplay"), "{script}");
    for sub in subcommands() {
        assert!(script.contains(&sub), "bash completion lacks {sub}");
    }
    // The nested ctl actions complete too.
    assert!(
        script.contains("genreplay__subcmd__ctl__subcmd__next"),
        "no ctl completion"
    );
    if let Some((ok, err)) = parses("bash", &script) {
        assert!(ok, "bash -n: {err}");
    }
}

#[test]
fn zsh_completion_is_a_compdef_and_parses() {
    let script = run(&["completions", "zsh"]);
    assert!(script.starts_with("#compdef genreplay"), "{script}");
    for sub in subcommands() {
        assert!(
            script.contains(&format!("'{sub}:")),
            "zsh completion lacks {sub}"
        );
    }
    if let Some((ok, err)) = parses("zsh", &script) {
        assert!(ok, "zsh -n: {err}");
    }
}

#[test]
fn fish_completion_completes_every_command_and_parses() {
    let script = run(&["completions", "fish"]);
    assert!(script.contains("complete -c genreplay"), "{script}");
    for sub in subcommands() {
        assert!(
            script.contains(&format!("-a \"{sub}\"")),
            "fish lacks {sub}"
        );
    }
    if let Some((ok, err)) = parses("fish", &script) {
        assert!(ok, "fish --no-execute: {err}");
    }
}

#[test]
fn an_unknown_shell_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::genreplay(dir.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bash"));
}

#[test]
fn man_page_is_roff_with_every_command_and_formats_cleanly() {
    let page = run(&["man"]);
    assert!(page.is_ascii(), "the page should be plain ASCII roff");
    assert!(page.contains(".TH genreplay 1"), "{page}");
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "COMMANDS",
        "ENVIRONMENT",
        "FILES",
    ] {
        assert!(page.contains(&format!(".SH {section}")), "no {section}");
    }
    for sub in subcommands() {
        assert!(
            page.contains(&format!("genreplay {sub}")),
            "the page lacks {sub}"
        );
    }
    for nested in [
        "genreplay ctl next",
        "genreplay ctl volume",
        "genreplay models use",
    ] {
        assert!(page.contains(nested), "the page lacks {nested}");
    }
    if !have("groff") {
        common::skipped("groff is not installed: the man page is not formatted");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("genreplay.1");
    std::fs::write(&file, &page).unwrap();
    // -ww: every warning; -z: no output, only the check.
    let out = Command::new("groff")
        .args(["-man", "-ww", "-z"])
        .arg(&file)
        .output()
        .unwrap();
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && warnings.trim().is_empty(),
        "{warnings}"
    );
    let rendered = Command::new("groff")
        .args(["-man", "-Tutf8"])
        .arg(&file)
        .env("GROFF_NO_SGR", "1")
        .output()
        .unwrap();
    // The terminal rendering in plain text (bold is "c\bc" overstrikes).
    let mut text: Vec<char> = vec![];
    for c in String::from_utf8_lossy(&rendered.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    let text: String = text.into_iter().collect();
    assert!(
        text.contains("COMMANDS") && text.contains("genreplay ctl next"),
        "{text}"
    );
}
