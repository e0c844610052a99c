//! `genreplay stats`: the listening figures (`recommend::stats`, gathered by `service::stats`
//! as the Stats view's are) as text, or JSON with `--json`. While a player runs, it runs there
//! (`forward`) with the player's database.

use std::process::ExitCode;

use super::library::open_store;
use crate::cli::StatsArgs;
use crate::paths::Paths;
use crate::recommend::stats::{Period, Stats, Top};

pub fn run(args: &StatsArgs, json: bool, paths: &Paths) -> anyhow::Result<ExitCode> {
    let store = open_store(paths)?;
    let stats = crate::service::stats::gather(&store, crate::store::now_unix(), args.days)?;
    if json {
        super::print_json(&stats)?;
    } else {
        print_text(&stats);
    }
    Ok(ExitCode::SUCCESS)
}

/// Time heard to the nearest minute ("1 h 05 min", "12 min"), or in seconds under a minute.
fn minutes(secs: u64) -> String {
    let m = (secs + 30) / 60;
    match secs {
        0..60 => format!("{secs} s"),
        _ if m >= 60 => format!("{} h {:02} min", m / 60, m % 60),
        _ => format!("{m} min"),
    }
}

/// One line per entry of a top list: "  jazz  1 h 02 min, 14 plays".
fn print_top(title: &str, list: &[Top]) {
    if list.is_empty() {
        return;
    }
    println!("  {title}:");
    for t in list.iter().take(5) {
        println!(
            "    {:<24} {:>12}  {:>4} plays  {:>4} skips",
            t.name,
            minutes(t.secs),
            t.plays,
            t.skips
        );
    }
}

fn print_text(stats: &Stats) {
    println!(
        "{} listens in the log (a day is local time; the JSON has every figure)",
        stats.listens
    );
    println!("Time heard per day:");
    let most = stats.days.iter().map(|d| d.secs).max().unwrap_or(0).max(1);
    for d in &stats.days {
        let bar = "█".repeat((d.secs * 40).div_ceil(most) as usize);
        println!("  {}  {:>10}  {bar}", d.date, minutes(d.secs));
    }
    for p in Period::ALL {
        let Some(s) = stats.period(p) else {
            continue;
        };
        println!(
            "{}: {} heard, {} plays, {} skips",
            p.label(),
            minutes(s.secs),
            s.plays,
            s.skips
        );
        print_top("genres", &s.genres_by_time);
        print_top("styles", &s.styles_by_time);
        print_top("artists", &s.artists_by_time);
    }
    if !stats.skip_share.is_empty() {
        println!("Share of skips per genre:");
        for s in &stats.skip_share {
            println!(
                "  {:<24} {:>4.0}%  ({} of {})",
                s.genre,
                s.share * 100.0,
                s.skips,
                s.listens
            );
        }
    }
    println!("Learned: {}", stats.taste.words);
}
