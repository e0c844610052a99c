#![allow(clippy::unwrap_used, clippy::expect_used)]
//! No import circles between the crate's files. ARCHITECTURE.md promises that imports only go
//! down the list of rooms and that no two files import each other, directly or round a longer
//! circle. These tests read `src/` (see `graph.rs`) and fail on any circle that the allow-list
//! below does not hold, naming the files and the names that tie them.
//!
//! The test reads source text only: it does not use the genreplay crate, so this binary links
//! in a moment.

mod graph;

use std::collections::BTreeSet;
use std::path::Path;

use graph::{Graph, circles, describe};

/// Import circles allowed to remain: none (issue 28 removed the last seven: audio/container ↔
/// decode, commands/ctl ↔ mod, config/mod ↔ theme, model/calibrate ↔ job, app/catalog ↔
/// search, the app's event circle, model/config → open_set → store). Never add one: move the
/// shared item to a module both import, or the payload type next to its user.
const ALLOWED: &[&[&str]] = &[];

fn src_graph() -> Graph {
    graph::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).expect("reading src/")
}

fn allowed() -> Vec<BTreeSet<&'static str>> {
    ALLOWED
        .iter()
        .map(|c| c.iter().copied().collect())
        .collect()
}

/// Whether `circle` lies within one allowed circle.
fn is_allowed(circle: &[String], allowed: &[BTreeSet<&str>]) -> bool {
    allowed
        .iter()
        .any(|a| circle.iter().all(|f| a.contains(f.as_str())))
}

#[test]
fn no_import_circle_between_files_outside_the_allow_list() {
    let g = src_graph();
    // The reader must have found the crate, or an empty graph would pass.
    assert!(g.len() > 50, "only {} files read under src/", g.len());
    assert!(g.contains_key("src/lib.rs") && g.contains_key("src/app/mod.rs"));
    let allowed = allowed();
    let new: Vec<String> = circles(&g)
        .iter()
        .filter(|c| !is_allowed(c, &allowed))
        .map(|c| describe(&g, c))
        .collect();
    assert!(
        new.is_empty(),
        "import circles between files (move the shared item to a module both import, or \
         the payload type next to its user):\n{}",
        new.join("\n")
    );
}

#[test]
fn the_allow_list_holds_only_circles_that_still_exist() {
    let g = src_graph();
    let found = circles(&g);
    let stale: Vec<String> = ALLOWED
        .iter()
        .filter(|a| {
            // Still (at least partly) there: some circle lies within it.
            !found
                .iter()
                .any(|c| c.iter().all(|f| a.contains(&f.as_str())))
        })
        .map(|a| a.join(" ↔ "))
        .collect();
    assert!(
        stale.is_empty(),
        "these allowed circles are gone: delete their entries from ALLOWED in {}:\n{}",
        file!(),
        stale.join("\n")
    );
}

#[test]
fn the_reader_finds_a_circle_made_on_purpose() {
    // Two files of a made-up crate that import each other, one through a group and a
    // re-export, one through an inline path; and a third that only imports.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod c;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "pub mod x;\npub mod y;\npub use y::Why;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("a/x.rs"),
        "use crate::a::{Why, y::other};\n// use crate::c::Not; (a comment)\npub struct Ex;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("a/y.rs"),
        "pub struct Why;\npub fn other() -> super::x::Ex { super::x::Ex }\n\
         #[cfg(test)]\nmod tests { use crate::c::Sea; }\n",
    )
    .unwrap();
    std::fs::write(src.join("c.rs"), "use crate::a::x::Ex;\npub struct Sea;\n").unwrap();
    let g = graph::graph(src).unwrap();
    assert_eq!(
        circles(&g),
        vec![vec!["src/a/x.rs".to_string(), "src/a/y.rs".to_string()]]
    );
    assert!(g["src/a/x.rs"]["src/a/y.rs"].contains("Why"));
    assert!(g["src/a/y.rs"]["src/a/x.rs"].contains("Ex"));
    // The test module's import and the comment are not edges.
    assert!(!g["src/a/y.rs"].contains_key("src/c.rs"));
    assert!(!g["src/a/x.rs"].contains_key("src/c.rs"));
    assert!(!is_allowed(&circles(&g)[0], &allowed()));
}
