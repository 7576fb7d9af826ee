//! Every statement flowq generates must parse with SQL parsers that are
//! not flowq's: sqlglot's Athena dialect and trino-sql-validator. They run
//! in the Python virtual environment that .ci/run creates (.venv, or the
//! interpreter named by FLOWQ_PYTHON). Under tests/run and CI a missing
//! environment is a failure; a bare `cargo test` says why it did not run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Case;

fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FLOWQ_PYTHON") {
        return Some(PathBuf::from(path));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    venv.exists().then_some(venv)
}

#[test]
fn generated_sql_parses_as_athena_and_trino() {
    let Some(python) = python() else {
        assert!(
            !common::strict(),
            "no Python environment for the SQL syntax check: tests/run creates .venv"
        );
        eprintln!("skipped: no .venv with sqlglot and trino-sql-validator (run .ci/run once)");
        return;
    };
    let out = std::env::temp_dir().join(format!("flowq-sql-syntax-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut files = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("tests/queries")).unwrap() {
        let path = entry.unwrap().path();
        let case = Case::read(&std::fs::read_to_string(&path).unwrap());
        let sql = flowq::sql::compile(&case.text, &case.context())
            .unwrap()
            .sql;
        let file = out.join(path.with_extension("sql").file_name().unwrap());
        std::fs::write(&file, sql).unwrap();
        files.push(file);
    }
    let config = flowq::catalog::config::Config::load(&root.join("flowq.yaml")).unwrap();
    for path in flowq::catalog::search::search_files(&root.join("searches")).unwrap() {
        let search = flowq::catalog::search::load_search(&path).unwrap();
        let options = flowq::cli::commands::QueryOptions {
            now: Some(flowq::time::parse_now(common::DEFAULT_NOW).unwrap()),
            params: search.example_params(),
            ..Default::default()
        };
        let target = flowq::cli::commands::Target::Search(search.name.clone());
        let (sql, _) = flowq::cli::commands::compile(&config, &target, &options).unwrap();
        let file = out.join(format!("search-{}.sql", search.name));
        std::fs::write(&file, sql).unwrap();
        files.push(file);
    }
    files.sort();
    let output = Command::new(&python)
        .arg(root.join("tests/python/sql_syntax.py"))
        .args(&files)
        .output()
        .expect("run the SQL syntax checker");
    let report = String::from_utf8_lossy(&output.stdout);
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        output.status.success(),
        "generated SQL failed the syntax check:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains(&format!("{} passed, 0 failed", files.len())),
        "{report}"
    );
}
