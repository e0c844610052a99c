//! The import graph between the crate's source files, and its circles.
//!
//! This reads `src/` as text — `use` declarations and inline `crate::`/`super::`/`self::` paths
//! outside `#[cfg(test)]` items, following `pub use` re-exports to the file that defines the
//! item — and finds the strongly connected components of the file graph (Tarjan). Text, not
//! the compiler: a macro that builds a path, or a path spelled through a `use` alias of a
//! module, is not seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its module path (`["app", "catalog"]`) and its code with comments, string
/// literals and `#[cfg(test)]` modules blanked out.
struct SourceFile {
    rel: String,
    module: Vec<String>,
    is_mod_root: bool,
    code: String,
}

/// An edge: `from` takes `names` from `to`.
pub type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Reads every `.rs` under `src` (but `main.rs`) and returns the file import graph.
pub fn graph(src: &Path) -> std::io::Result<Graph> {
    let mut files = Vec::new();
    collect(src, src, &mut files)?;
    let by_module: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect();
    let reexports: Vec<Vec<(String, Vec<String>)>> = files
        .iter()
        .map(|f| {
            use_trees(&f.code, true)
                .into_iter()
                .filter_map(|p| {
                    let abs = absolute(f, &p, &by_module)?;
                    Some((p.1.last()?.clone(), abs))
                })
                .collect()
        })
        .collect();
    let mut graph = Graph::new();
    for f in &files {
        let edges = graph.entry(f.rel.clone()).or_default();
        let mut paths = use_trees(&f.code, false);
        paths.extend(inline_paths(&f.code));
        for p in paths {
            let Some(abs) = absolute(f, &p, &by_module) else {
                continue;
            };
            let Some((target, name)) = resolve(&abs, &files, &by_module, &reexports, 0) else {
                continue;
            };
            if files[target].rel != f.rel {
                edges
                    .entry(files[target].rel.clone())
                    .or_default()
                    .insert(name);
            }
        }
    }
    Ok(graph)
}

/// The circles (strongly connected components of more than one file), each sorted.
pub fn circles(graph: &Graph) -> Vec<Vec<String>> {
    // Tarjan's algorithm, iterative enough for a few hundred files (recursion depth = files).
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        on: BTreeSet<&'a str>,
        stack: Vec<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(edges) = t.g.get(v) {
            for w in edges.keys() {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low[v];
                    t.low.insert(v, lv.min(lw));
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low[v];
                    t.low.insert(v, lv.min(iw));
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v.as_str());
        }
    }
    t.out.sort();
    t.out
}

/// Describes a circle: each edge inside it with the names it carries.
pub fn describe(graph: &Graph, circle: &[String]) -> String {
    let mut s = format!("circle of {} files:", circle.len());
    for a in circle {
        for (b, names) in &graph[a] {
            if circle.contains(b) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                s.push_str(&format!("\n  {a} -> {b}: {}", names.join(", ")));
            }
        }
    }
    s
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(root, &p, out)?;
            continue;
        }
        if p.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let rel_path = p.strip_prefix(root).unwrap_or(&p);
        let mut parts: Vec<String> = rel_path
            .iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        let file = parts.pop().unwrap_or_default();
        let stem = file.trim_end_matches(".rs").to_string();
        if parts.is_empty() && stem == "main" {
            continue;
        }
        let is_mod_root = stem == "mod" || (parts.is_empty() && stem == "lib");
        if !is_mod_root {
            parts.push(stem);
        }
        let text = std::fs::read_to_string(&p)?;
        out.push(SourceFile {
            rel: format!("src/{}", rel_path.to_string_lossy()),
            module: parts,
            is_mod_root,
            code: strip_tests(&blank(&text)),
        });
    }
    Ok(())
}

/// The code with comments and string/char literals replaced by spaces (lines kept).
fn blank(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(prev(&b, i)) {
            // A raw string r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match b.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some('\n') => out.push('\n'),
                    _ => {}
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('a', '\n', '\u{1F}') — not a lifetime ('a without a closing ').
            let close = if next == Some('\\') {
                (i + 2..(i + 12).min(b.len())).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(j) => {
                    out.push_str("' '");
                    i = j + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev(b: &[char], i: usize) -> char {
    if i == 0 { ' ' } else { b[i - 1] }
}

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Removes `#[cfg(test)]` items (a module or a function with its braces, or a `use` line).
fn strip_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The item ends at the first `;` before any `{`, or at the `{`'s matching `}`.
        let semi = after.find(';');
        let brace = after.find('{');
        let end = match (semi, brace) {
            (Some(s), Some(b)) if s < b => s + 1,
            (_, Some(b)) => {
                let mut depth = 0usize;
                let mut end = after.len();
                for (k, ch) in after[b..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(s), None) => s + 1,
            (None, None) => after.len(),
        };
        out.extend(after[..end].chars().filter(|&c| c == '\n'));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// A module segment standing for an inline `mod x { … }` (never a file).
const INLINE: &str = "<inline>";

/// How many inline `mod name {` blocks enclose byte `pos` of the code.
fn inline_depth(code: &str, pos: usize) -> usize {
    let mut stack: Vec<bool> = Vec::new(); // per open brace: does it open an inline module?
    let b = code.as_bytes();
    let mut i = 0;
    while i < pos.min(b.len()) {
        match b[i] {
            b'{' => {
                let before = code[..i].trim_end();
                let is_mod = before
                    .rsplit(|c: char| c.is_whitespace())
                    .nth(1)
                    .is_some_and(|w| w == "mod");
                stack.push(is_mod);
            }
            b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack.iter().filter(|&&m| m).count()
}

/// The paths of every `use` declaration (`pub use` only, when `only_pub`), groups expanded.
fn use_trees(code: &str, only_pub: bool) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut search = 0;
    while let Some(found) = code[search..].find("use ") {
        let at = search + found;
        search = at + 4;
        if at > 0 && ident_char(bytes[at - 1] as char) {
            continue;
        }
        let line_start = code[..at].rfind('\n').map_or(0, |n| n + 1);
        let head = code[line_start..at].trim();
        let is_pub = head.starts_with("pub");
        // A `use` that starts its line, or `pub use`; only the latter when `only_pub`.
        if !is_pub && (only_pub || !head.is_empty()) {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            break;
        };
        let tree = code[at + 4..at + end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" ::", "::")
            .replace(":: ", "::")
            .replace("{ ", "{")
            .replace(" }", "}")
            .replace(", ", ",")
            .replace(" ,", ",");
        let mut paths = Vec::new();
        expand(&tree, Vec::new(), &mut paths);
        out.extend(paths.into_iter().map(|p| (at, p)));
        search = at + end;
    }
    out
}

/// Expands a use tree (`a::{b,c::{d,e}}`) into its paths; `self` inside a group is the prefix.
fn expand(tree: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let mut base = prefix;
        base.extend(
            tree[..open]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (k, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..k], base.clone(), out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], base, out);
        return;
    }
    let mut path = prefix;
    let tree = tree.split(" as ").next().unwrap_or(tree).trim();
    for seg in tree.split("::") {
        if seg.is_empty() || seg == "self" && !path.is_empty() {
            continue;
        }
        path.push(seg.to_string());
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// `crate::…`, `super::…` and `self::…` paths written inline in the code.
fn inline_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let b: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if ident_char(b[i]) && (i == 0 || !ident_char(b[i - 1]) && b[i - 1] != ':') {
            let mut j = i;
            let mut path = Vec::new();
            loop {
                let s = j;
                while j < b.len() && ident_char(b[j]) {
                    j += 1;
                }
                if s == j {
                    break;
                }
                path.push(b[s..j].iter().collect::<String>());
                if b.get(j) == Some(&':') && b.get(j + 1) == Some(&':') {
                    j += 2;
                } else {
                    break;
                }
            }
            // `crate::a::{…}` is the head of a use group: `use_trees` takes its items, and the
            // head alone would tie the file to `a`'s mod.rs whatever the items are.
            let group_head = b.get(j) == Some(&'{');
            if !group_head
                && path.len() > 1
                && matches!(path[0].as_str(), "crate" | "super" | "self")
            {
                out.push((b[..i].iter().map(|c| c.len_utf8()).sum(), path));
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// A path made absolute (`crate` first) from the file it is written in; None for other crates.
fn absolute(
    f: &SourceFile,
    (pos, path): &(usize, Vec<String>),
    by_module: &BTreeMap<Vec<String>, usize>,
) -> Option<Vec<String>> {
    // Inside an inline `mod x { … }` of this file, `self` and `super` start from there.
    let mut here = f.module.clone();
    here.extend((0..inline_depth(&f.code, *pos)).map(|_| INLINE.to_string()));
    let mut segs = path.iter().peekable();
    match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segs.next();
            here.clear();
        }
        Some("self") => {
            segs.next();
        }
        Some("super") => {
            while segs.peek().map(|s| s.as_str()) == Some("super") {
                segs.next();
                here.pop();
            }
        }
        Some(first) => {
            // A path relative to this module (a child module) — anything else is another crate.
            let mut child = here.clone();
            child.push(first.to_string());
            if !by_module.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    here.extend(segs.cloned());
    Some(here)
}

/// The file that defines what an absolute path names, and the name; follows `pub use`.
fn resolve(
    abs: &[String],
    files: &[SourceFile],
    by_module: &BTreeMap<Vec<String>, usize>,
    reexports: &[Vec<(String, Vec<String>)>],
    depth: usize,
) -> Option<(usize, String)> {
    let mut k = abs.len();
    while k > 0 && !by_module.contains_key(&abs[..k]) {
        k -= 1;
    }
    let file = *by_module.get(&abs[..k])?;
    let name = abs
        .get(k)
        .cloned()
        .unwrap_or_else(|| "(module)".to_string());
    if files[file].is_mod_root
        && depth < 8
        && let Some((_, target)) = reexports[file].iter().find(|(n, _)| *n == name)
        && target.as_slice() != abs
        && let Some(r) = resolve(target, files, by_module, reexports, depth + 1)
    {
        return Some(r);
    }
    Some((file, name))
}
