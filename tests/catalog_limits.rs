//! Hostile and careless catalog files (issue 10): configs and saved
//! searches that are too large, too deep, start with a byte-order mark, or
//! hold values that would empty every query. Each is refused (or read) with
//! a located message, in bounded time and memory.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use flowq::catalog::config::Config;
use flowq::catalog::search;
use flowq::lang::diagnostic::Located;

/// A fresh folder under the target directory.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("catalog-limits")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `work` on another thread and fails the test when it takes longer
/// than `seconds` (the work is left running: the test process ends soon).
fn within<T: Send + 'static>(seconds: u64, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(work());
    });
    finished
        .recv_timeout(Duration::from_secs(seconds))
        .unwrap_or_else(|_| panic!("took over {seconds} s"))
}

fn one_error(errors: &[Located]) -> &Located {
    assert_eq!(errors.len(), 1, "{errors:#?}");
    &errors[0]
}

const SEARCH_HEAD: &str = "title: x\ndescription: y\nquery: dport 22 last 1h\n";

// ------------------------------------------------------------------ size

#[test]
fn a_config_over_one_mebibyte_is_refused_before_parsing() {
    let dir = folder("config-too-large");
    // A regular file of zero bytes, then the endless devices: each stops
    // at the cap instead of reading (and holding) all of it.
    let zeros = dir.join("flowq.yaml");
    std::fs::write(&zeros, vec![0u8; 2 << 20]).unwrap();
    for path in [
        zeros,
        PathBuf::from("/dev/zero"),
        PathBuf::from("/dev/urandom"),
    ] {
        let shown = path.display().to_string();
        let errors = within(10, move || Config::load(&path).unwrap_err());
        let e = one_error(&errors);
        assert_eq!(
            (e.origin.as_str(), e.line, e.column),
            (shown.as_str(), 1, 1)
        );
        assert!(
            e.message.contains("larger than 1 MiB"),
            "{shown}: {}",
            e.message
        );
    }
}

#[test]
fn a_search_over_one_mebibyte_is_refused() {
    let dir = folder("search-too-large");
    let path = dir.join("big.yaml");
    let filler = format!("# {}\n", "x".repeat(1000)).repeat(1100);
    std::fs::write(&path, format!("{SEARCH_HEAD}{filler}")).unwrap();
    let Err(errors) = search::load_search(&path) else {
        panic!("a search over 1 MiB was read");
    };
    let e = one_error(&errors);
    assert!(e.message.contains("larger than 1 MiB"), "{}", e.message);
    // Just under the cap is read.
    let filler = format!("# {}\n", "x".repeat(1000)).repeat(1000);
    std::fs::write(&path, format!("{SEARCH_HEAD}{filler}")).unwrap();
    assert!(search::load_search(&path).is_ok());
}

#[test]
fn a_file_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    let dir = folder("not-utf8");
    let path = dir.join("latin1.yaml");
    std::fs::write(&path, b"title: x\ndescription: caf\xe9\nquery: dport 22\n").unwrap();
    let errors = search::load_search(&path).unwrap_err();
    let e = one_error(&errors);
    assert_eq!((e.line, e.column), (2, 17), "{e:?}");
    assert!(e.message.contains("not UTF-8"), "{}", e.message);
}

// ------------------------------------------------------------------ nesting

#[test]
fn deep_nesting_is_refused_in_linear_time_at_its_place() {
    let dir = folder("nesting");
    let deep = 200_000;
    let cases = [
        // (tags: value, the column of the 65th level on line 4)
        ("[".repeat(deep), 6 + 64),
        ("{a: ".repeat(deep / 4), 6 + 4 * 63 + 1),
        (format!("\n{}x", "- ".repeat(deep / 2)), 0),
        (format!("[{}", "'a', [".repeat(deep / 6)), 6 + 1 + 6 * 63),
    ];
    for (i, (value, column)) in cases.into_iter().enumerate() {
        let path = dir.join(format!("deep-{i}.yaml"));
        std::fs::write(&path, format!("{SEARCH_HEAD}tags: {value}\n")).unwrap();
        let shown = path.display().to_string();
        let errors = within(10, move || search::load_search(&path).unwrap_err());
        let e = one_error(&errors);
        assert!(
            e.message.contains("nested more than 64 levels deep"),
            "{shown}: {}",
            e.message
        );
        if column > 0 {
            assert_eq!((e.line, e.column), (4, column), "{shown}");
        } else {
            // `tags:` on line 4, the dashes on line 5: the 64th dash
            // opens the 65th level (the file's mapping is the first).
            assert_eq!((e.line, e.column), (5, 2 * 63 + 1), "{shown}");
        }
    }
}

#[test]
fn ordinary_nesting_and_brackets_in_text_are_read() {
    let dir = folder("shallow");
    let path = dir.join("shallow.yaml");
    let text = format!(
        "title: x\ndescription: |\n  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n\
         query: 'dport {{22, 3389}} # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n\
         owner: \"{}\"\n\
         tags: {}x{}\n",
        "{".repeat(70),
        "[".repeat(60),
        "]".repeat(60)
    );
    std::fs::write(&path, text).unwrap();
    let errors = search::load_search(&path).unwrap_err();
    // Sixty levels are allowed: the error is serde's, about the type.
    let e = one_error(&errors);
    assert!(e.message.contains("tags"), "{}", e.message);
    assert!(!e.message.contains("nested"), "{}", e.message);
}

// ------------------------------------------------------------------ BOM

#[test]
fn a_byte_order_mark_is_read_past() {
    let dir = folder("bom");
    std::fs::create_dir_all(dir.join("searches")).unwrap();
    let config = dir.join("flowq.yaml");
    std::fs::write(
        &config,
        "\u{feff}default_source: prod\nsources:\n  prod:\n    engine: athena\n",
    )
    .unwrap();
    let loaded = Config::load(&config).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(loaded.default_source, "prod");

    let path = dir.join("searches/with-bom.yaml");
    std::fs::write(&path, format!("\u{feff}{SEARCH_HEAD}")).unwrap();
    let search = search::load_search(&path).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(search.description, "y");

    // Positions are the ones an editor shows, which hides the mark.
    std::fs::write(&path, format!("\u{feff}titel: x\n{}", &SEARCH_HEAD[9..])).unwrap();
    let errors = search::load_search(&path).unwrap_err();
    let e = one_error(&errors);
    assert_eq!((e.line, e.column), (1, 1), "{e:?}");
    assert!(e.message.contains("unknown field 'titel'"), "{}", e.message);
}

// ------------------------------------------------------------------ config ranges

fn config_errors(source_lines: &str) -> Vec<Located> {
    let text = format!("sources:\n  prod:\n{source_lines}");
    match Config::parse(&text, "flowq.yaml", Path::new("/repo")) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(errors) => errors,
    }
}

/// Issue 10, item 8: each value that would empty every query (or make a
/// nonsense table) is refused at its value, naming the allowed range.
#[test]
fn config_values_out_of_range_are_refused_at_their_value() {
    let cases = [
        ("    default_limit: 0\n", "1 to 1000000"),
        ("    default_limit: 99999999999\n", "1 to 1000000"),
        ("    default_window: 0s\n", "1m to 366d"),
        ("    default_window: 367d\n", "1m to 366d"),
        ("    lateness: 99999999999d\n", "0s to 7d"),
        ("    lateness: 8d\n", "0s to 7d"),
        ("    max_scan: 0\n", "at least 10M"),
        ("    max_scan: 1M\n", "at least 10M"),
        (
            "    projection: { enabled: true, start: 9999/99/99 }\n",
            "a date from 1970/01/01 to 2099/12/31",
        ),
        (
            "    projection: { enabled: true, start: 2026/02/30 }\n",
            "a date from 1970/01/01 to 2099/12/31",
        ),
        (
            "    projection: { enabled: true, start: 2100/01/01 }\n",
            "a date from 1970/01/01 to 2099/12/31",
        ),
    ];
    for (line, range) in cases {
        let errors = config_errors(&format!("    engine: athena\n{line}"));
        let e = one_error(&errors);
        // The value's own column on line 4.
        let value = line.split(": ").last().unwrap().trim_end();
        let value = value
            .split("start: ")
            .last()
            .unwrap()
            .trim_end_matches(" }");
        let column = line.find(value).unwrap() + 1;
        assert_eq!((e.line, e.column), (4, column), "{line}{e:?}");
        assert!(e.message.contains(range), "{line}{}", e.message);
    }
}

#[test]
fn config_values_at_the_ends_of_their_ranges_are_accepted() {
    for line in [
        "    default_limit: 1\n",
        "    default_limit: 1000000\n",
        "    default_window: 1m\n",
        "    default_window: 366d\n",
        "    lateness: 0s\n",
        "    lateness: 7d\n",
        "    max_scan: 10M\n",
        "    projection: { enabled: true, start: 1970/01/01 }\n",
        "    projection: { enabled: true, start: 2099-12-31 }\n",
    ] {
        let text = format!("sources:\n  prod:\n    engine: athena\n{line}");
        if let Err(e) = Config::parse(&text, "flowq.yaml", Path::new("/repo")) {
            panic!("{line}{e:#?}");
        }
    }
    // A local source may cap its scans lower: it is not billed per 10 MB.
    let text = "sources:\n  disk:\n    engine: local\n    path: ./logs\n    max_scan: 1\n";
    assert!(Config::parse(text, "flowq.yaml", Path::new("/repo")).is_ok());
    let text = "sources:\n  disk:\n    engine: local\n    path: ./logs\n    max_scan: 0\n";
    assert!(Config::parse(text, "flowq.yaml", Path::new("/repo")).is_err());
}

/// An S3 local source: `s3_concurrency` is 1 to 256, refused at its value
/// outside; it belongs to a local source whose path is `s3://...`; the
/// path is an S3 URI a bucket can have, refused at its key otherwise.
#[test]
fn s3_sources_check_their_path_and_concurrency() {
    let s3 = "    engine: local\n    path: s3://flow-logs/org/\n";
    for n in ["1", "256"] {
        let text = format!("sources:\n  prod:\n{s3}    s3_concurrency: {n}\n");
        let config = Config::parse(&text, "flowq.yaml", Path::new("/repo")).unwrap();
        let source = config.source(None).unwrap();
        let got = source.s3.expect("an S3 source");
        assert_eq!(got.prefix.uri(), "s3://flow-logs/org/");
        assert_eq!(got.concurrency.to_string(), n);
    }
    for n in ["0", "257"] {
        let errors = config_errors(&format!("{s3}    s3_concurrency: {n}\n"));
        let e = one_error(&errors);
        assert_eq!((e.line, e.column), (5, 21), "{e:?}");
        assert!(e.message.contains("give 1 to 256"), "{}", e.message);
    }
    let errors = config_errors("    engine: local\n    path: ./logs\n    s3_concurrency: 4\n");
    let e = one_error(&errors);
    assert_eq!((e.line, e.column), (5, 5), "{e:?}");
    assert!(
        e.message
            .contains("only a local source whose path is s3://"),
        "{}",
        e.message
    );
    for bad in ["s3://flow*logs/", "s3://", "s3://flow-logs//x/"] {
        let errors = config_errors(&format!("    engine: local\n    path: {bad}\n"));
        let e = one_error(&errors);
        assert_eq!((e.line, e.column), (4, 5), "{bad}: {e:?}");
        assert!(e.message.starts_with("path: "), "{bad}: {}", e.message);
    }
    // A local source keeps its max_scan, on a folder and in S3.
    for path in ["./logs", "s3://flow-logs/"] {
        let text =
            format!("sources:\n  prod:\n    engine: local\n    path: {path}\n    max_scan: 1K\n");
        let config = Config::parse(&text, "flowq.yaml", Path::new("/repo")).unwrap();
        assert_eq!(config.source(None).unwrap().max_scan, Some(1000), "{path}");
    }
}
