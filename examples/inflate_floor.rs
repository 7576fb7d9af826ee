//! The decompression floor of the benchmark (bench/run.py, docs/benchmarks.md):
//! inflates every `.log.gz` file under a folder with the inflate library
//! flowq uses (flate2 on zlib-rs), spread over all cores, and throws the
//! text away. No engine that reads these files can be faster than this.
//!
//! cargo run --release --example inflate_floor -- DIR [THREADS]
//!
//! Prints `files=N compressed=BYTES inflated=BYTES seconds=S threads=T`.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use flate2::read::MultiGzDecoder;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: inflate_floor DIR [THREADS]");
        std::process::exit(2);
    };
    let threads = match args.next() {
        Some(n) => n.parse().expect("THREADS is a number"),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let began = Instant::now();
    let mut files = Vec::new();
    gz_files(Path::new(&dir), &mut files).expect("list the folder");
    // Largest first, so that no thread is left with a big file at the end.
    let mut sized: Vec<(u64, PathBuf)> = files
        .into_iter()
        .map(|p| (p.metadata().map_or(0, |m| m.len()), p))
        .collect();
    sized.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let next = AtomicUsize::new(0);
    let inflated = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut buffer = vec![0u8; 256 * 1024];
                while let Some((_, path)) = sized.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let n = inflate(path, &mut buffer).expect("inflate a file");
                    inflated.fetch_add(n, Ordering::Relaxed);
                }
            });
        }
    });
    let compressed: u64 = sized.iter().map(|(n, _)| n).sum();
    println!(
        "files={} compressed={compressed} inflated={} seconds={:.3} threads={threads}",
        sized.len(),
        inflated.load(Ordering::Relaxed),
        began.elapsed().as_secs_f64()
    );
}

fn inflate(path: &Path, buffer: &mut [u8]) -> io::Result<usize> {
    let mut decoder = MultiGzDecoder::new(File::open(path)?);
    let mut total = 0;
    loop {
        match decoder.read(buffer)? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

fn gz_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            gz_files(&path, out)?;
        } else if path.to_string_lossy().ends_with(".log.gz") {
            out.push(path);
        }
    }
    Ok(())
}
