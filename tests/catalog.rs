//! The catalog: every shipped search's SQL (snapshots, so a change to a
//! search or to the compiler is a reviewable diff), `flowq check` on a
//! corpus of broken catalogs (one folder per mistake), and `flowq ddl` for
//! every partitioning scheme. Their snapshots are in tests/snapshots/
//! catalog/, check/ and ddl/.

mod common;

use std::path::Path;

use flowq::catalog::config::Config;
use flowq::catalog::search as catalog;
use flowq::cli::commands::{self, QueryOptions, Target};

const NOW: &str = "2026-11-27T03:00:00Z";

/// A path relative to the crate, so snapshots read the same everywhere.
fn relative(path: &Path) -> &Path {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
}

fn repo_config() -> Config {
    Config::load(Path::new("flowq.yaml")).expect("the repo's flowq.yaml loads")
}

#[test]
fn every_shipped_search_compiles_to_reviewed_sql() {
    let config = repo_config();
    common::snapshots_in("catalog").bind(|| {
        // Based on searches/ itself: insta walks the whole base folder, and
        // from the repository's root that walk went into ./target (where
        // tests/run builds without CARGO_TARGET_DIR) and failed on a test's
        // dangling symlink there.
        insta::glob!(concat!(env!("CARGO_MANIFEST_DIR"), "/searches"), "*.yaml", |path| {
            let search = catalog::load_search(relative(path)).unwrap();
            let options = QueryOptions {
                now: Some(flowq::time::parse_now(NOW).unwrap()),
                params: search.example_params(),
                ..QueryOptions::default()
            };
            let (sql, _) =
                commands::compile(&config, &Target::Search(search.name.clone()), &options)
                    .unwrap_or_else(|f| panic!("{}", f.message));
            insta::with_settings!({ description => search.text.clone(), omit_expression => true }, {
                insta::assert_snapshot!(sql);
            });
        })
    });
}

#[test]
fn the_shipped_catalog_is_clean() {
    let config = repo_config();
    let (report, code) = commands::check(
        Ok(config),
        &[],
        flowq::time::parse_now(NOW).unwrap(),
        false,
        true,
    );
    assert_eq!(code, 0, "{report}");
    assert!(
        report.starts_with("checked 26 searches: 0 errors, 0 warnings"),
        "{report}"
    );
}

#[test]
fn every_broken_catalog_gets_located_findings() {
    common::snapshots_in("check").bind(|| {
        insta::glob!("catalogs/*/flowq.yaml", |path| {
            let path = relative(path);
            let config = Config::load(path);
            let now = flowq::time::parse_now(NOW).unwrap();
            let (report, code) = commands::check(config, &[], now, false, false);
            let clean = path.parent().unwrap().ends_with("clean");
            assert_eq!(code == 0, clean || !report.contains(": error["), "{report}");
            insta::with_settings!({ omit_expression => true }, {
                insta::assert_snapshot!(report);
            });
        })
    });
}

#[test]
fn check_reports_json_for_ci_tools() {
    let config = Config::load(Path::new("tests/catalogs/query-parse-error/flowq.yaml"));
    let (json, code) = commands::check(config, &[], flowq::time::Time::EARLIEST, true, false);
    assert_eq!(code, 1);
    assert_eq!(
        json,
        "[{\"file\":\"tests/catalogs/query-parse-error/searches/rejected-ssh.yaml\",\"line\":3,\"column\":12,\"severity\":\"error\",\"code\":\"E001\",\"message\":\"expected an address or CIDR after 'src', found 'and'\",\"help\":null}]\n"
    );
}

fn day(text: &str) -> flowq::time::Instant {
    flowq::time::parse_instant(text).unwrap()
}

#[test]
fn ddl_for_every_scheme() {
    common::snapshots_in("ddl").bind(|| {
        insta::glob!("ddl/*.yaml", |path| {
            let config = Config::load(relative(path)).unwrap();
            let create =
                commands::ddl(&config, None, None).unwrap_or_else(|f| panic!("{}", f.message));
            let partitions = commands::ddl(&config, None, Some((day("2026-11-26"), day("2026-11-27"))))
                .unwrap_or_else(|f| f.message);
            let ddl = format!(
                "{create}\n-- flowq ddl --partitions --since 2026-11-26 --until 2026-11-27\n{partitions}"
            );
            insta::with_settings!({ omit_expression => true }, {
                insta::assert_snapshot!(ddl);
            });
        })
    });
}

#[test]
fn a_required_parameter_must_be_given() {
    let config = repo_config();
    let target = Target::Search("traffic-from-address".into());
    let options = QueryOptions {
        now: Some(flowq::time::parse_now(NOW).unwrap()),
        ..QueryOptions::default()
    };
    let failure = commands::compile(&config, &target, &options).err().unwrap();
    assert!(
        failure
            .message
            .contains("parameter 'address' has no value and no default: pass -p address=VALUE"),
        "{}",
        failure.message
    );
    let options = QueryOptions {
        params: vec![("address".into(), "10.0.0.0/33".into())],
        ..options
    };
    let failure = commands::compile(&config, &target, &options).err().unwrap();
    assert!(
        failure
            .message
            .contains("parameter 'address' (cidr): invalid prefix length '/33'"),
        "{}",
        failure.message
    );
}
