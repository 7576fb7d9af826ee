//! Regression tests for the file-handling items of issue 10: what flowq may
//! delete or replace (the demo's folder, `--output`), how it walks a
//! source (symlinks, depth, one file), catalog checks that passed having
//! checked nothing, and limits that were missing. Each test is named after
//! what its item expects; the item's number is in the comment above it.
//!
//! Unix only: FIFOs, device nodes, file modes, symlinks and signals.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-27T03:00:00Z";
const V2_HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
/// 2026-11-27T02:00:00Z.
const T: i64 = 1_795_744_800;

// ------------------------------------------------------------------ helpers

/// A fresh folder, named after the test, under the system's temporary
/// folder: flowq looks for a flowq.yaml in its working folder and every
/// folder above, and the default target folder (`tests/run` without
/// CARGO_TARGET_DIR, as the README gives it) is inside the repository,
/// whose own flowq.yaml the catalog tests then found instead of theirs.
fn scratch(test: &str) -> PathBuf {
    let base = std::env::temp_dir().join("flowq-hardening-files");
    let stray = base.ancestors().find(|d| d.join("flowq.yaml").is_file());
    assert!(
        stray.is_none(),
        "a flowq.yaml above the tests' folder: {stray:?}"
    );
    let dir = base.join(test);
    if dir.exists() {
        // A run that failed may have left a folder without permissions.
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+rwx")
            .arg(&dir)
            .status();
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `flowq` in `dir`, away from the developer's config and demo folder.
fn flowq(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flowq"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("FLOWQ_CONFIG")
        .env_remove("FLOWQ_DEMO_DIR")
        .env_remove("XDG_CACHE_HOME");
    command
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `command` to its end, failing the test if that takes longer than
/// `limit` (the process is killed first).
fn run_within(mut command: Command, limit: Duration) -> Ran {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("start flowq");
    finish_within(&mut child, limit)
}

fn finish_within(child: &mut Child, limit: Duration) -> Ran {
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("flowq did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran {
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn run(command: Command) -> Ran {
    run_within(command, Duration::from_secs(30))
}

/// Writes a plain-text v2 flow-log file of `records` records, all in the
/// hour before [`NOW`].
fn write_log(path: &Path, records: usize) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = format!("{V2_HEADER}\n");
    for i in 0..records {
        text.push_str(&format!(
            "2 111111111111 eni-a 10.0.0.{} 10.0.1.5 40000 22 6 10 800 {} {} ACCEPT OK\n",
            i % 250 + 1,
            T,
            T + 60
        ));
    }
    fs::write(path, text).unwrap();
}

/// A flow-log file name stamped `stamp` (`20261127T0210Z`).
fn log_name(stamp: &str) -> String {
    format!("111111111111_vpcflowlogs_eu-west-1_fl-a_{stamp}_a0.log")
}

/// `flowq run --source SOURCE 'last 2h | count'` as CSV, run in `dir`.
fn count(dir: &Path, source: &Path, extra: &[&str]) -> Command {
    let mut command = flowq(
        dir,
        &[
            "run",
            "--source",
            source.to_str().unwrap(),
            "--now",
            NOW,
            "last 2h | count",
            "--format",
            "csv",
        ],
    );
    command.args(extra);
    command
}

/// Every file below `dir` with its bytes (symlinks as their target text).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let kind = fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                found.insert(path, target.to_string_lossy().as_bytes().to_vec());
            } else if kind.is_dir() {
                found.insert(path.clone(), b"<folder>".to_vec());
                pending.push(path);
            } else {
                found.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    found
}

/// Names in `dir` that look like `--output`'s temporary files.
fn temporaries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".flowq-"))
        .collect()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// A saved search that checks clean against the built-in source.
const GOOD_SEARCH: &str = "title: Good\ndescription: A search that checks clean.\nquery: dport 22 last 1h\ntags: [test]\n";

// ------------------------------------------------------------------ 3. demo folders

#[test]
fn demo_refuses_a_folder_it_did_not_write() {
    let dir = scratch("demo_refuses_a_folder_it_did_not_write");
    write_log(&dir.join("flowlogs/mine.log"), 2);
    fs::create_dir_all(dir.join("searches")).unwrap();
    fs::write(dir.join("searches/port-scans.yaml"), "my own search\n").unwrap();
    let before = snapshot(&dir);
    let out = run(flowq(
        &dir,
        &["demo", "--dir", dir.to_str().unwrap(), "--now", NOW],
    ));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains(&dir.display().to_string())
            && out.stderr.contains("not a flowq demo folder")
            && out.stderr.contains("--dir"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&dir), before, "the folder was changed");
}

#[test]
fn demo_treats_an_empty_flowq_demo_dir_as_unset() {
    let dir = scratch("demo_treats_an_empty_flowq_demo_dir_as_unset");
    let work = dir.join("work");
    write_log(&work.join("flowlogs/mine.log"), 2);
    // The default demo folder holds a file of the user's, so the demo
    // stops before writing anything: enough to see which folder it chose.
    let home = dir.join("home");
    let default = home.join(".cache/flowq/demo");
    fs::create_dir_all(&default).unwrap();
    fs::write(default.join("notes.txt"), "mine").unwrap();
    let before = snapshot(&dir);
    let mut command = flowq(&work, &["demo", "--now", NOW]);
    command
        .env("FLOWQ_DEMO_DIR", "")
        .env("XDG_CACHE_HOME", "")
        .env("HOME", &home);
    let out = run(command);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains(&default.display().to_string()),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&dir), before, "a folder was changed");
}

#[test]
fn demo_reuses_and_rewrites_only_its_own_folder() {
    let dir = scratch("demo_reuses_and_rewrites_only_its_own_folder");
    let demo = dir.join("demo");
    let args = ["demo", "--dir", demo.to_str().unwrap(), "--now", NOW];
    let first = run(flowq(&dir, &args));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    // A later "now" makes the sample stale: the demo rewrites its own
    // folder without asking.
    let later = run(flowq(
        &dir,
        &[
            "demo",
            "--dir",
            demo.to_str().unwrap(),
            "--now",
            "2026-11-27T05:00:00Z",
        ],
    ));
    assert_eq!(later.code, Some(0), "{}", later.stderr);
    assert!(later.stderr.contains("wrote"), "{}", later.stderr);
    assert!(demo.join("flowlogs/AWSLogs").is_dir());
}

// ------------------------------------------------------------------ 12. concurrent demos

/// The lines of a demo's stderr that say what each search read, without
/// their times.
fn scan_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("scanned"))
        .map(|l| {
            l.rsplit_once(" in ")
                .map_or(l, |(head, _)| head)
                .to_string()
        })
        .collect()
}

#[test]
fn concurrent_demos_never_see_a_half_written_sample() {
    let dir = scratch("concurrent_demos_never_see_a_half_written_sample");
    let home = dir.join("home");
    fs::create_dir_all(&home).unwrap();
    // Staggered, so that later ones start while the first is writing.
    let mut children = Vec::new();
    for _ in 0..3 {
        let mut command = flowq(&dir, &["demo", "--now", NOW]);
        command
            .env("HOME", &home)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        children.push(command.spawn().expect("start flowq"));
        std::thread::sleep(Duration::from_millis(400));
    }
    let runs: Vec<Ran> = children
        .iter_mut()
        .map(|c| finish_within(c, Duration::from_secs(120)))
        .collect();
    for run in &runs {
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert_eq!(scan_lines(&run.stderr).len(), 6, "{}", run.stderr);
    }
    let first = &runs[0];
    for run in &runs[1..] {
        assert_eq!(scan_lines(&run.stderr), scan_lines(&first.stderr));
        assert_eq!(
            run.stdout.replace(" (reused)", ""),
            first.stdout.replace(" (reused)", "")
        );
    }
}

// ------------------------------------------------------------------ 4. --output

/// A source of two records and the `--output` run over it.
fn output_run(dir: &Path, output: &Path) -> Ran {
    let source = dir.join("logs");
    if !source.exists() {
        write_log(&source.join(log_name("20261127T0210Z")), 2);
    }
    run(count(dir, &source, &["--output", output.to_str().unwrap()]))
}

const ROWS: &str = "flows\r\n2\r\n";

#[test]
fn output_keeps_the_mode_of_the_file_it_replaces() {
    let dir = scratch("output_keeps_the_mode_of_the_file_it_replaces");
    for wanted in [0o600, 0o640] {
        let target = dir.join(format!("rows-{wanted:o}.csv"));
        fs::write(&target, "old").unwrap();
        chmod(&target, wanted);
        let out = output_run(&dir, &target);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert_eq!(fs::read_to_string(&target).unwrap(), ROWS);
        assert_eq!(mode(&target), wanted, "{}", target.display());
    }
}

#[test]
fn output_refuses_a_read_only_file() {
    let dir = scratch("output_refuses_a_read_only_file");
    let target = dir.join("rows.csv");
    fs::write(&target, "old").unwrap();
    chmod(&target, 0o444);
    let out = output_run(&dir, &target);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("read-only") && out.stderr.contains("rows.csv"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "old");
    assert_eq!(mode(&target), 0o444);
    assert_eq!(temporaries(&dir), Vec::<String>::new());
}

#[test]
fn output_through_a_symlink_replaces_its_target() {
    let dir = scratch("output_through_a_symlink_replaces_its_target");
    fs::create_dir_all(dir.join("real")).unwrap();
    let target = dir.join("real/rows.csv");
    fs::write(&target, "old").unwrap();
    chmod(&target, 0o600);
    let link = dir.join("rows.csv");
    std::os::unix::fs::symlink("real/rows.csv", &link).unwrap();
    let out = output_run(&dir, &link);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("real/rows.csv"));
    assert_eq!(fs::read_to_string(&target).unwrap(), ROWS);
    assert_eq!(mode(&target), 0o600);
    assert_eq!(temporaries(&dir), Vec::<String>::new());
    assert_eq!(temporaries(&dir.join("real")), Vec::<String>::new());
}

#[test]
fn output_to_a_character_device_writes_through() {
    let dir = scratch("output_to_a_character_device_writes_through");
    // A node of the null device in the test's own folder (as root), so
    // that code which replaced it would not touch the machine's /dev/null.
    let node = dir.join("null");
    let made = Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let device = if made {
        node
    } else {
        PathBuf::from("/dev/null")
    };
    let out = output_run(&dir, &device);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        fs::symlink_metadata(&device)
            .unwrap()
            .file_type()
            .is_char_device(),
        "{} is no longer a device",
        device.display()
    );
    assert_eq!(temporaries(&dir), Vec::<String>::new());
}

#[test]
fn output_to_a_fifo_reaches_its_reader() {
    let dir = scratch("output_to_a_fifo_reaches_its_reader");
    let fifo = dir.join("rows.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (sender, received) = std::sync::mpsc::channel();
    let reading = fifo.clone();
    std::thread::spawn(move || {
        let _ = sender.send(fs::read_to_string(&reading));
    });
    let out = output_run(&dir, &fifo);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = received
        .recv_timeout(Duration::from_secs(5))
        .expect("the FIFO's reader got nothing");
    assert_eq!(text.unwrap(), ROWS);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(temporaries(&dir), Vec::<String>::new());
}

#[test]
fn output_to_dev_fd_writes_through_to_the_open_file() {
    let dir = scratch("output_to_dev_fd_writes_through_to_the_open_file");
    // Standard output is a pipe here: it gets the rows, as `| cat` would.
    let out = output_run(&dir, Path::new("/dev/fd/1"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, ROWS);
}

#[test]
fn output_refuses_a_folder() {
    let dir = scratch("output_refuses_a_folder");
    let folder = dir.join("results");
    fs::create_dir_all(&folder).unwrap();
    let out = output_run(&dir, &folder);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("is a folder") && out.stderr.contains("results"),
        "{}",
        out.stderr
    );
    assert!(folder.is_dir());
    assert_eq!(temporaries(&dir), Vec::<String>::new());
}

/// A sample big enough that a grouped query over it runs for a while.
fn big_sample() -> &'static Path {
    static SAMPLE: OnceLock<PathBuf> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = scratch("big-sample");
        let out = run(flowq(
            &dir,
            &[
                "sample",
                "--out",
                "logs",
                "--start",
                "2026-11-27T00:00:00Z",
                "--end",
                "2026-11-27T02:00:00Z",
                "--flows-per-minute",
                "2000",
            ],
        ));
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        dir.join("logs")
    })
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}

#[test]
fn output_leaves_no_temporary_after_sigint_or_sigterm() {
    let source = big_sample();
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let dir = scratch(&format!("output_leaves_no_temporary_after_sig{name}"));
        let target = dir.join("rows.csv");
        let mut command = flowq(
            &dir,
            &[
                "run",
                "--source",
                source.to_str().unwrap(),
                "--now",
                NOW,
                "last 4h | count by srcaddr, dstaddr, srcport",
                "--format",
                "csv",
                "--output",
                target.to_str().unwrap(),
            ],
        );
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let started = Instant::now();
        while temporaries(&dir).is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no temporary file appeared"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        // Stopped, the run cannot finish before the signal arrives.
        signal(&child, "STOP");
        assert!(
            child.try_wait().unwrap().is_none() && !temporaries(&dir).is_empty(),
            "the run finished before the signal: make the sample bigger"
        );
        signal(&child, name);
        signal(&child, "CONT");
        let out = finish_within(&mut child, Duration::from_secs(30));
        assert_eq!(out.code, Some(code), "SIG{name}: {}", out.stderr);
        assert_eq!(temporaries(&dir), Vec::<String>::new(), "SIG{name}");
        assert!(!target.exists(), "SIG{name}");
    }
}

// ------------------------------------------------------------------ 6, 7, 18. the folder walk

#[test]
fn symlinks_in_a_source_never_read_a_file_twice_nor_loop() {
    let dir = scratch("symlinks_in_a_source_never_read_a_file_twice_nor_loop");
    let source = dir.join("source");
    let file = source.join(log_name("20261127T0210Z"));
    write_log(&file, 2);
    let link = |target: &str, at: PathBuf| std::os::unix::fs::symlink(target, at);
    link(".", source.join("a")).unwrap();
    link(".", source.join("b")).unwrap();
    fs::create_dir_all(source.join("sub")).unwrap();
    link("..", source.join("sub/up")).unwrap();
    link(file.to_str().unwrap(), source.join("sub/again.log")).unwrap();
    fs::hard_link(&file, source.join("sub/hard.log")).unwrap();
    link("nowhere.log", source.join("sub/gone.log")).unwrap();
    let out = run_within(count(&dir, &source, &[]), Duration::from_secs(10));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "flows\r\n2\r\n", "{}", out.stderr);
    assert!(out.stderr.contains("scanned 1 file "), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("left out 5 links to files or folders already seen"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("left out 1 symlink that leads nowhere"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_bucket_copy_deep_below_the_source_is_read() {
    let dir = scratch("a_bucket_copy_deep_below_the_source_is_read");
    let source = dir.join("source");
    let mut day = source.clone();
    for level in 0..35 {
        day.push(format!("p{level}"));
    }
    day.push("AWSLogs/111111111111/vpcflowlogs/eu-west-1/2026/11/27");
    write_log(&day.join(log_name("20261127T0210Z")), 3);
    let out = run(count(&dir, &source, &[]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "flows\r\n3\r\n", "{}", out.stderr);
}

#[test]
fn a_single_file_source_is_read_and_pruned_by_its_name() {
    let dir = scratch("a_single_file_source_is_read_and_pruned_by_its_name");
    let inside = dir.join(log_name("20261127T0210Z"));
    write_log(&inside, 2);
    let out = run(count(&dir, &inside, &[]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "flows\r\n2\r\n", "{}", out.stderr);
    assert!(out.stderr.contains("scanned 1 file "), "{}", out.stderr);
    let outside = dir.join(log_name("20261120T0210Z"));
    write_log(&outside, 2);
    let out = run(count(&dir, &outside, &[]));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "flows\r\n0\r\n", "{}", out.stderr);
    assert!(
        out.stderr.contains("skipped 1 file ") && out.stderr.contains("outside the window"),
        "{}",
        out.stderr
    );
    // A file the engine would not read is refused, not ignored.
    let notes = dir.join("notes.txt");
    fs::write(&notes, "mine").unwrap();
    let out = run(count(&dir, &notes, &[]));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("not a flow-log file name"),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------ 20. the summary's grammar

#[test]
fn the_summary_counts_ignored_files_in_plain_english() {
    let dir = scratch("the_summary_counts_ignored_files_in_plain_english");
    let source = dir.join("source");
    write_log(&source.join(log_name("20261127T0210Z")), 2);
    fs::write(source.join("notes.txt"), "mine").unwrap();
    let out = run(count(&dir, &source, &[]));
    assert!(
        out.stderr
            .contains("ignored 1 file that is not a flow-log file"),
        "{}",
        out.stderr
    );
    fs::write(source.join("more-notes.txt"), "mine").unwrap();
    let out = run(count(&dir, &source, &[]));
    assert!(
        out.stderr
            .contains("ignored 2 files that are not flow-log files"),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------ 16. sample's span

#[test]
fn sample_refuses_a_span_beyond_its_limit() {
    let dir = scratch("sample_refuses_a_span_beyond_its_limit");
    let out = run_within(
        flowq(
            &dir,
            &[
                "sample",
                "--out",
                "logs",
                "--start",
                "1971-01-01",
                "--end",
                "2999-01-01",
                "--flows-per-minute",
                "1",
            ],
        ),
        Duration::from_secs(5),
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("files") && out.stderr.contains("shorten the window"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("logs").exists());
}

// ------------------------------------------------------------------ 17. check and list

/// Runs `command` without the capabilities that let root read any
/// folder, so that a folder without permissions is unreadable to it too.
fn without_root_override(command: &Command) -> Command {
    let mut wrapped = Command::new("setpriv");
    wrapped
        .args(["--bounding-set", "-dac_override,-dac_read_search", "--"])
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    wrapped
}

#[test]
fn check_fails_on_an_unreadable_catalog_folder() {
    let dir = scratch("check_fails_on_an_unreadable_catalog_folder");
    let searches = dir.join("searches");
    fs::create_dir_all(&searches).unwrap();
    fs::write(searches.join("good.yaml"), GOOD_SEARCH).unwrap();
    chmod(&searches, 0o000);
    let command = flowq(&dir, &["check"]);
    let command = if fs::read_dir(&searches).is_ok() {
        // Root reads it anyway; setpriv takes that power away.
        without_root_override(&command)
    } else {
        command
    };
    let out = run(command);
    chmod(&searches, 0o755);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("searches") && out.stdout.contains("cannot list"),
        "{}",
        out.stdout
    );
}

#[test]
fn check_reports_dangling_and_looping_yaml_symlinks() {
    let dir = scratch("check_reports_dangling_and_looping_yaml_symlinks");
    let searches = dir.join("searches");
    fs::create_dir_all(&searches).unwrap();
    fs::write(searches.join("good.yaml"), GOOD_SEARCH).unwrap();
    std::os::unix::fs::symlink("missing.yaml", searches.join("gone.yaml")).unwrap();
    std::os::unix::fs::symlink("loop.yaml", searches.join("loop.yaml")).unwrap();
    let out = run(flowq(&dir, &["check"]));
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    for name in ["gone.yaml", "loop.yaml"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.contains(&format!("searches/{name}:1:1: error[E003]:"))),
            "{name}: {}",
            out.stdout
        );
    }
}

#[test]
fn check_warns_on_an_empty_catalog_and_fails_under_strict() {
    let dir = scratch("check_warns_on_an_empty_catalog_and_fails_under_strict");
    fs::create_dir_all(dir.join("searches")).unwrap();
    let out = run(flowq(&dir, &["check"]));
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("warning") && out.stdout.contains("no saved searches"),
        "{}",
        out.stdout
    );
    let out = run(flowq(&dir, &["check", "--strict"]));
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
}

#[test]
fn list_without_a_catalog_folder_is_an_error() {
    let dir = scratch("list_without_a_catalog_folder_is_an_error");
    let out = run(flowq(&dir, &["list"]));
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains(&dir.join("searches").display().to_string()),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------ 19. show's names

#[test]
fn show_takes_only_search_names() {
    let dir = scratch("show_takes_only_search_names");
    fs::create_dir_all(dir.join("outside")).unwrap();
    fs::write(dir.join("outside/evil.yaml"), GOOD_SEARCH).unwrap();
    let project = dir.join("project");
    fs::create_dir_all(project.join("searches")).unwrap();
    let absolute = dir.join("outside/evil");
    for name in ["../../outside/evil", absolute.to_str().unwrap()] {
        let out = run(flowq(&project, &["show", name]));
        assert_eq!(out.code, Some(2), "{name}: {}", out.stdout);
        assert_eq!(out.stdout, "", "{name}");
        assert!(
            out.stderr.contains("not a search name"),
            "{name}: {}",
            out.stderr
        );
    }
}
