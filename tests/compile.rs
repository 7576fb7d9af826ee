//! Snapshot tests of the compiler over the query corpus: one snapshot per
//! file under tests/queries (explain output: canonical query, window,
//! partitions and SQL) and per file under tests/errors (the rendered
//! diagnostics). Each snapshot's header holds the query file's text.

mod common;

use common::Case;
use flowq::lang::diagnostic::{self, SourceText};

#[test]
fn every_query_compiles_to_reviewed_sql() {
    insta::glob!("queries/*.flowq", |path| {
        let case = Case::read(&std::fs::read_to_string(path).unwrap());
        let compiled = flowq::sql::compile(&case.text, &case.context()).unwrap_or_else(|errors| {
            panic!(
                "{} does not compile:\n{}",
                path.display(),
                diagnostic::render_all(&errors, "query", &SourceText::new(&case.text))
            )
        });
        let explained = flowq::sql::explain::explain(&compiled, &case.table);
        insta::with_settings!({ description => case.text.clone(), omit_expression => true }, {
            insta::assert_snapshot!(explained);
        });
    });
}

#[test]
fn every_bad_query_gets_a_located_error() {
    insta::glob!("errors/*.flowq", |path| {
        let case = Case::read(&std::fs::read_to_string(path).unwrap());
        let errors = match flowq::sql::compile(&case.text, &case.context()) {
            Ok(compiled) => panic!("{} compiled:\n{}", path.display(), compiled.sql),
            Err(errors) => errors,
        };
        assert!(errors.iter().any(|e| e.is_error()));
        let rendered = diagnostic::render_all(&errors, "query", &SourceText::new(&case.text));
        insta::with_settings!({ description => case.text.clone(), omit_expression => true }, {
            insta::assert_snapshot!(rendered);
        });
    });
}

#[test]
fn the_same_query_gives_byte_identical_sql() {
    let case = Case::read("src 10.0.0.0/8 and dport {22, 3389} | top 5 srcaddr\n");
    let first = flowq::sql::compile(&case.text, &case.context())
        .unwrap()
        .sql;
    let second = flowq::sql::compile(&case.text, &case.context())
        .unwrap()
        .sql;
    assert_eq!(first, second);
}

#[test]
fn an_injected_parameter_stays_inside_its_literal() {
    // A string-typed place: the value is a literal, quotes doubled.
    let mut case = Case::read("vpc-id = $v last 1h\n");
    case.params.insert("v", "vpc-1' OR '1'='1").unwrap();
    let errors = flowq::sql::compile(&case.text, &case.context()).unwrap_err();
    assert!(
        errors[0].message.contains("is not a valid vpc-id"),
        "{errors:?}"
    );
    let mut case = Case::read("sublocation-id = $v last 1h\n");
    case.params.insert("v", "x' OR '1'='1").unwrap();
    let sql = flowq::sql::compile(&case.text, &case.context())
        .unwrap()
        .sql;
    assert!(
        sql.contains("NULLIF(\"sublocation_id\", '-') = 'x'' OR ''1''=''1'"),
        "{sql}"
    );
}

#[test]
fn every_corpus_query_round_trips_through_its_canonical_form() {
    insta::glob!("queries/*.flowq", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let parsed = flowq::lang::parse::parse(&text).unwrap();
        let canonical = flowq::lang::print::canonical(&parsed);
        assert_eq!(
            flowq::lang::parse::parse(&canonical).unwrap(),
            parsed,
            "{canonical}"
        );
    });
}

#[test]
fn sql_past_athenas_limit_is_refused_not_sent() {
    let addresses: Vec<String> = (0..20_000)
        .map(|i| format!("10.{}.{}.1", i / 256, i % 256))
        .collect();
    let mut case = Case::read("src $many last 1h\n");
    case.params
        .insert("many", &format!("{{{}}}", addresses.join(", ")))
        .unwrap();
    let errors = flowq::sql::compile(&case.text, &case.context()).unwrap_err();
    assert!(
        errors[0].message.contains("over Athena's limit of 262144"),
        "{}",
        errors[0].message
    );
}
