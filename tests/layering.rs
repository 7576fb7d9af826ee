//! The layering rule of ARCHITECTURE.md, checked on the source text:
//! every `crate::` path in a file under src/ must name a module of the
//! same or a lower layer, and the files' imports must not form a cycle.
//!
//! Layers, lowest first: the flat vocabulary modules (schema, table, ...);
//! lang; sql; engine and sample; catalog; cli. A file may use paths of
//! its own folder and of lower layers, never of a higher one, and
//! nothing but main.rs may name the cli.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layer of a top-level module (`crate::<name>`).
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "schema" | "table" | "units" | "time" | "ports" | "suggest" | "json" => 0,
        "lang" => 1,
        "sql" => 2,
        "engine" | "sample" => 3,
        "catalog" => 4,
        "cli" => 5,
        _ => return None,
    })
}

/// Every `crate::a::b...` path in `text`, outside comments, with `use
/// crate::{a, b::c}` groups expanded to their first segments.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let path = segments(item.trim());
                    if !path.is_empty() {
                        paths.push(path);
                    }
                }
            } else {
                paths.push(segments(rest));
            }
        }
    }
    paths
}

fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        out.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(next) if next.starts_with(|c: char| c.is_alphabetic() || c == '_') => rest = next,
            _ => break,
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The module path of a file: src/engine/local/mod.rs -> [engine, local].
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file a path refers to: the longest prefix of it that is a module
/// file (src/a/b.rs or src/a/b/mod.rs).
fn file_of(src: &Path, path: &[String]) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|n| {
        let base = path[..n].iter().fold(src.to_path_buf(), |p, s| p.join(s));
        let file = base.with_extension("rs");
        let module = base.join("mod.rs");
        [file, module].into_iter().find(|f| f.is_file())
    })
}

/// The upward imports in the tree under `src`: (file, line of text).
fn upward_imports(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(src) {
        let own = module_of(src, &file);
        let Some(own_layer) = own.first().map_or(Some(u8::MAX), |m| layer(m)) else {
            found.push(format!(
                "{}: module '{}' has no layer in tests/layering.rs",
                file.display(),
                own[0]
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for path in crate_paths(&text) {
            let Some(target) = path.first() else { continue };
            if own.first() == Some(target) {
                continue;
            }
            match layer(target) {
                Some(l) if l < own_layer || (own_layer == 0 && l == 0) => {}
                Some(_) => found.push(format!(
                    "{}: crate::{} is not below {}",
                    file.display(),
                    path.join("::"),
                    own.first().map_or("the crate root", String::as_str)
                )),
                None => found.push(format!(
                    "{}: crate::{} names no layered module (use the module path, not a re-export)",
                    file.display(),
                    path.join("::")
                )),
            }
        }
    }
    found
}

/// Cycles among files, following `crate::` and `super::` imports.
fn import_cycles(src: &Path) -> Vec<String> {
    let mut graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in rust_files(src) {
        let whole = std::fs::read_to_string(&file).unwrap();
        // A file's unit tests (`super` is the file itself there) are left out.
        let text = whole.split("#[cfg(test)]").next().unwrap_or("");
        let own = module_of(src, &file);
        let mut targets = BTreeSet::new();
        for path in crate_paths(text) {
            if let Some(target) = file_of(src, &path) {
                targets.insert(target);
            }
        }
        for path in child_paths(text) {
            let full: Vec<String> = own.iter().cloned().chain(path).collect();
            if let Some(target) = file_of(src, &full) {
                targets.insert(target);
            }
        }
        for path in super_paths(text) {
            // `super` of src/a/b.rs and of src/a/b/mod.rs is `a`.
            let mut full = own.clone();
            full.pop();
            full.extend(path);
            if let Some(target) = file_of(src, &full) {
                targets.insert(target);
            }
        }
        targets.remove(&file);
        graph.insert(file, targets);
    }
    let mut cycles = Vec::new();
    for (a, targets) in &graph {
        for b in targets {
            if a < b && reaches(&graph, b, a) {
                cycles.push(format!("{} <-> {}", a.display(), b.display()));
            }
        }
    }
    cycles
}

/// Paths of `use child::...` where `mod child;` is declared in the file.
fn child_paths(text: &str) -> Vec<Vec<String>> {
    let children: BTreeSet<String> = text
        .lines()
        .filter_map(|l| {
            let l = l
                .trim()
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect();
    let mut paths = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        let Some(rest) = code
            .strip_prefix("use ")
            .or_else(|| code.strip_prefix("pub use "))
        else {
            continue;
        };
        let path = segments(rest);
        if path.first().is_some_and(|c| children.contains(c)) {
            let group = rest
                .split_once("::{")
                .map(|(_, g)| g.split('}').next().unwrap_or(""));
            match group {
                Some(items) => paths.extend(items.split(',').map(|i| {
                    let mut p = path.clone();
                    p.extend(segments(i.trim()));
                    p
                })),
                None => paths.push(path),
            }
        }
    }
    paths
}

/// `use super::...` at the top level of the file (an inline module's
/// `super` is the file itself, and its lines are indented).
fn super_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("").trim_end();
        let Some(rest) = code
            .strip_prefix("use super::")
            .or_else(|| code.strip_prefix("pub use super::"))
        else {
            continue;
        };
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            paths.extend(inner.split(',').map(|i| segments(i.trim())));
        } else {
            paths.push(segments(rest));
        }
    }
    paths
}

fn reaches(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>, from: &Path, to: &Path) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_path_buf()];
    while let Some(node) = stack.pop() {
        if node == to {
            return true;
        }
        if seen.insert(node.clone()) {
            stack.extend(graph.get(&node).into_iter().flatten().cloned());
        }
    }
    false
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_imports_a_higher_layer() {
    let found = upward_imports(&src());
    assert!(found.is_empty(), "upward imports:\n{}", found.join("\n"));
}

#[test]
fn no_files_import_each_other() {
    let found = import_cycles(&src());
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

/// The checks themselves: a planted upward import and a planted cycle
/// in a scratch tree are found.
#[test]
fn the_checks_find_a_planted_upward_import_and_cycle() {
    let dir = std::env::temp_dir().join(format!("flowq-layering-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in [
        ("lib.rs", "pub mod lang;\npub mod cli;\npub mod table;\n"),
        ("table.rs", "use crate::lang::ast::Query;\n"),
        ("lang/mod.rs", "pub mod ast;\npub mod parse;\n"),
        ("lang/ast.rs", "use crate::lang::parse::parse;\n"),
        (
            "lang/parse.rs",
            "use super::ast::Query;\nuse crate::cli::main;\n",
        ),
        ("cli/mod.rs", "use crate::lang::{ast, parse};\n"),
    ] {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let upward = upward_imports(&dir);
    let cycles = import_cycles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        upward.len(),
        2,
        "expected table.rs -> lang and lang/parse.rs -> cli: {upward:#?}"
    );
    assert!(upward.iter().any(|u| u.contains("table.rs")));
    assert!(upward
        .iter()
        .any(|u| u.contains("parse.rs") && u.contains("cli")));
    assert_eq!(cycles.len(), 1, "{cycles:#?}");
    assert!(cycles[0].contains("ast.rs") && cycles[0].contains("parse.rs"));
}
