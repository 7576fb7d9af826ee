//! `flowq check`: validates the config and every saved search, in tiers,
//! and reports every problem at once (Sigma's `sigma check`, for flow
//! logs):
//!
//! 1. YAML and schema (unknown keys, wrong types, missing fields, names);
//! 2. the query (parse errors, unknown fields, fields not in the source's
//!    format, window misuse);
//! 3. parameters (used but undeclared, declared but unused, defaults that
//!    fail their type);
//! 4. compilation against the search's source with its defaults;
//! 5. lints: scans with no window start, duplicate titles or queries,
//!    missing tags, deprecated searches;
//! 6. the named lists under lists/ (catalog/lists.rs): bad entries as
//!    errors, duplicates and overlaps as warnings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::catalog::config::{Config, EngineName, Source};
use crate::catalog::search::{self, Search, Status};
use crate::catalog::{lists, lookups};
use crate::lang::ast::{self, Span, ValueKind};
use crate::lang::check::{self, CheckContext};
use crate::lang::diagnostic::{Diagnostic, Located, Severity};
use crate::lang::ir::{Lists, Lookups};
use crate::lang::{parse, print};
use crate::sql::render as sql;
use crate::time::Time;

#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Located>,
    pub searches: usize,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The findings rendered for people, then a count.
    pub fn render(&self) -> String {
        let mut out: String = self.findings.iter().map(|f| f.render() + "\n").collect();
        out.push_str(&format!(
            "checked {} search{}: {} error{}, {} warning{}\n",
            self.searches,
            plural_es(self.searches),
            self.errors(),
            plural(self.errors()),
            self.warnings(),
            plural(self.warnings())
        ));
        out
    }

    /// The findings as a JSON array, for CI tools.
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self.findings.iter().map(Located::to_json).collect();
        format!("[{}]\n", items.join(",\n "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn plural_es(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "es"
    }
}

/// Checks the searches in `paths` (files or folders; the catalog folder
/// when empty) against the config's sources, at `now`.
pub fn check_catalog(config: &Config, paths: &[PathBuf], now: Time) -> Report {
    let mut report = Report::default();
    let (_, list_files) = lists::load_lists(&lists::folder_for(&config.catalog));
    // Searches are checked against every list, with the entries of a list
    // that has errors that could be read: its errors are reported once,
    // at the list, and a search that uses it is still checked.
    let mut lists = Lists::default();
    for file in list_files {
        if let Some(list) = file.content {
            lists.insert(&file.name, list);
        }
        report.findings.extend(file.findings);
    }
    let (_, lookup_files) = lookups::load_lookups(&lookups::folder_for(&config.catalog));
    let mut tables = Lookups::default();
    for file in lookup_files {
        if let Some(table) = file.content {
            tables.insert(&file.name, table);
        }
        report.findings.extend(file.findings);
    }
    let files = files_to_check(config, paths, &mut report);
    let mut searches = Vec::new();
    for path in files {
        match search::load_search(&path) {
            Ok(search) => searches.push(search),
            Err(mut errors) => {
                report.searches += 1;
                report.findings.append(&mut errors);
            }
        }
    }
    for search in &searches {
        report.searches += 1;
        check_search(search, config, now, (&lists, &tables), &mut report.findings);
    }
    lint_catalog(&searches, &mut report.findings);
    report
        .findings
        .sort_by(|a, b| (&a.origin, a.line, a.column).cmp(&(&b.origin, b.line, b.column)));
    report
}

fn files_to_check(config: &Config, paths: &[PathBuf], report: &mut Report) -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![config.catalog.clone()]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for root in roots {
        if root.is_dir() {
            match search::search_files(&root) {
                Ok(found) if found.is_empty() => report.findings.push(no_searches_in(&root)),
                Ok(found) => files.extend(found),
                Err(e) => report.findings.push(search::listing_error(&root, &e)),
            }
        } else if root.is_file() {
            files.push(root);
        } else if paths.is_empty() {
            let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
            report.findings.push(search::listing_error(&root, &missing));
        } else {
            let help = Some(
                "give saved-search files or folders, or none for the catalog folder".to_string(),
            );
            let message = "no such file or folder".to_string();
            report.findings.push(Located::error(
                &root.display().to_string(),
                "",
                (1, 1),
                message,
                help,
            ));
        }
    }
    files
}

/// A folder with no saved searches checks nothing: a warning, so that
/// `--strict` fails on it.
fn no_searches_in(folder: &Path) -> Located {
    let mut finding = Located::error(
        &folder.display().to_string(),
        "",
        (1, 1),
        "no saved searches in this folder: nothing was checked".into(),
        Some("add NAME.yaml files (docs/catalog.md), or run `flowq init` in an empty folder for a starter catalog".into()),
    );
    finding.severity = Severity::Warning;
    finding
}

/// Tiers 2 to 4 and the per-search lints for one search.
fn check_search(
    search: &Search,
    config: &Config,
    now: Time,
    (lists, tables): (&Lists, &Lookups),
    out: &mut Vec<Located>,
) {
    let query = match parse::parse(&search.query) {
        Ok(q) => q,
        Err(d) => return out.push(search.locate(&d)),
    };
    if !check_params(search, &query, out) {
        return; // compiling would only repeat the parameter errors
    }
    let source = match config.source(search.source.as_deref()) {
        Ok(s) => s,
        Err(message) => {
            let path: &[&str] = if search.source.is_some() {
                &["source"]
            } else {
                &["query"]
            };
            return out.push(search.at_key(path, Severity::Error, message, None));
        }
    };
    // Required parameters take an example of their type; a default that
    // fails its type was reported by check_params.
    let Ok(mut params) = search.params(&search.example_params()) else {
        return;
    };
    params.set_lists(lists.clone());
    params.set_lookups(tables.clone());
    let ctx = CheckContext {
        table: &source.table,
        now,
        params: &params,
    };
    match check::check(&query, &ctx) {
        Ok(checked) => {
            if checked.window.is_unbounded() {
                out.push(
                    search.locate(
                        &Diagnostic::warning(
                            query.window.as_ref().map_or(Span::default(), |w| w.span),
                            "this search has no window start: it scans every partition",
                        )
                        .with_help(
                            "give it a window like 'last $window' with a duration parameter",
                        ),
                    ),
                );
            }
            if uses_sql(&source) {
                if let Err(e) = sql::render(&checked, &source.table) {
                    out.push(search.at_key(&["query"], Severity::Error, e.to_string(), None));
                }
            }
        }
        Err(errors) => out.extend(errors.iter().map(|d| search.locate(d))),
    }
    lint_search(search, out);
}

fn uses_sql(source: &Source) -> bool {
    source.engine != EngineName::Local
}

/// Reports parameter problems; false when the query cannot be compiled
/// for them (a parameter used but not declared).
fn check_params(search: &Search, query: &ast::Query, out: &mut Vec<Located>) -> bool {
    let used = params_in(query);
    let mut compilable = true;
    for (name, span) in &used {
        if !search.params.contains_key(name) {
            compilable = false;
            out.push(
                search.locate(
                    &Diagnostic::error(*span, format!("parameter '${name}' is not declared"))
                        .with_help(format!(
                            "declare it under 'params:', e.g. {name}: {{ type: string }}"
                        )),
                ),
            );
        }
    }
    for (name, param) in &search.params {
        if !used.contains_key(name) {
            out.push(search.at_key(
                &["params", name],
                Severity::Warning,
                format!("parameter '{name}' is declared but not used"),
                Some(format!("use it as ${name} in the query, or remove it")),
            ));
        }
        if let Some(default) = &param.default {
            if let Err(why) = param.ty.check(default) {
                out.push(search.at_key(
                    &["params", name, "default"],
                    Severity::Error,
                    format!(
                        "the default of '{name}' does not fit its type {}: {why}",
                        param.ty
                    ),
                    None,
                ));
            }
        }
    }
    compilable
}

/// Every `$param` in a query, with where it first appears.
fn params_in(query: &ast::Query) -> BTreeMap<String, Span> {
    let mut found = BTreeMap::new();
    let mut visit = |v: &ast::Value| collect_params(v, &mut found);
    if let Some(filter) = &query.filter {
        visit_values(filter, &mut visit);
    }
    if let Some(window) = &query.window {
        match &window.kind {
            ast::WindowKind::Last(v)
            | ast::WindowKind::Since(v)
            | ast::WindowKind::Until(v)
            | ast::WindowKind::On(v) => visit(v),
            ast::WindowKind::SinceUntil(a, b) | ast::WindowKind::Between(a, b) => {
                visit(a);
                visit(b);
            }
            ast::WindowKind::AllTime => {}
        }
    }
    for stage in &query.stages {
        match &stage.kind {
            ast::StageKind::Limit(v) => visit(v),
            ast::StageKind::Top { n, .. } => visit(n),
            ast::StageKind::TimeChart { interval, .. } => visit(interval),
            _ => {}
        }
    }
    found
}

fn collect_params(value: &ast::Value, found: &mut BTreeMap<String, Span>) {
    match &value.kind {
        ValueKind::Param(name) => {
            found.entry(name.clone()).or_insert(value.span);
        }
        ValueKind::Set(members) => members.iter().for_each(|m| collect_params(m, found)),
        _ => {}
    }
}

/// Recurses once per level of nesting, which the parser bounds
/// (lang::limits::MAX_NESTING); a chain's operands are a loop.
fn visit_values(expr: &ast::Expr, visit: &mut dyn FnMut(&ast::Value)) {
    match expr {
        ast::Expr::And(parts) | ast::Expr::Or(parts) => {
            for part in parts {
                visit_values(part, visit);
            }
        }
        ast::Expr::Not(e) => visit_values(e, visit),
        ast::Expr::Predicate(p) => match &p.kind {
            ast::PredicateKind::Qualified { value, .. }
            | ast::PredicateKind::Compare { value, .. } => visit(value),
            ast::PredicateKind::Action(_) => {}
        },
    }
}

fn lint_search(search: &Search, out: &mut Vec<Located>) {
    if search.tags.is_empty() {
        out.push(search.at_key(
            &["title"],
            Severity::Warning,
            "the search has no tags".into(),
            Some("add tags: [security, ...] so `flowq list --tag` finds it".into()),
        ));
    }
    for tag in &search.tags {
        let ok = !tag.is_empty()
            && tag
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if !ok {
            out.push(search.at_key(
                &["tags"],
                Severity::Warning,
                format!("tag '{tag}' is not lowercase words (dots may namespace: attack.t1046)"),
                None,
            ));
        }
    }
    if search.status == Some(Status::Deprecated) {
        out.push(search.at_key(
            &["status"],
            Severity::Warning,
            "the search is deprecated".into(),
            Some("remove it, or say in its description what replaces it".into()),
        ));
    }
}

/// Lints across searches: duplicate titles and duplicate queries.
fn lint_catalog(searches: &[Search], out: &mut Vec<Located>) {
    let mut titles: BTreeMap<String, &Search> = BTreeMap::new();
    let mut queries: BTreeMap<(String, Option<String>), &Search> = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for search in searches {
        let title = search.title.trim().to_lowercase();
        if let Some(first) = titles.get(&title) {
            out.push(search.at_key(
                &["title"],
                Severity::Warning,
                format!("the same title as '{}'", first.name),
                Some("give each search a title that says how it differs".into()),
            ));
        } else {
            titles.insert(title, search);
        }
        let Ok(parsed) = parse::parse(&search.query) else {
            continue;
        };
        let key = (print::canonical(&parsed), search.source.clone());
        match queries.get(&key) {
            Some(first) if reported.insert(search.name.clone()) => {
                out.push(search.at_key(
                    &["query"],
                    Severity::Warning,
                    format!("the same query as '{}'", first.name),
                    Some("merge the two searches".into()),
                ));
            }
            Some(_) => {}
            None => {
                queries.insert(key, search);
            }
        }
    }
}
