//! `genreplay config check`: reads the settings as the player does (`Settings::load`) and
//! says, file by file, what is in force and what is wrong; exit 1 when something is.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::ConfigAction;
use crate::config::Settings;
use crate::paths::Paths;

pub fn run(action: &ConfigAction, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    match action {
        ConfigAction::Check => check(json, paths),
    }
}

fn check(json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let dir = &paths.config_dir;
    let settings = Settings::load(dir);
    let (_, threads_note) =
        crate::analysis::budget::clamp_threads(settings.config.analysis_threads);
    let notes: Vec<String> = threads_note.into_iter().collect();
    let errors = settings.errors.len();
    if json {
        super::print_json(&json!({
            "config_dir": dir.to_string_lossy(),
            "ok": errors == 0,
            "files": settings.files.iter().map(|f| json!({
                "path": f.file.to_string_lossy(),
                "found": f.found,
                "ok": f.errors.is_empty(),
                "errors": f.errors.iter().map(|e| json!({
                    "line": e.line,
                    "message": e.message,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "notes": notes,
        }))?;
    } else {
        println!("settings in {}", dir.display());
        for f in &settings.files {
            if !f.found {
                println!("  -      {} (not there: the defaults)", f.file.display());
            } else if f.errors.is_empty() {
                println!("  ok     {}", f.file.display());
            }
            for e in &f.errors {
                println!("  error  {e}");
            }
        }
        for n in &notes {
            println!("  note   {n}");
        }
        match errors {
            0 => println!("no errors"),
            1 => println!("1 error: the defaults are used in its place"),
            n => println!("{n} errors: the defaults are used in their place"),
        }
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
