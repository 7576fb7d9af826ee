//! What the catalog's data folders share (`lists/`, `lookups/`, beside the
//! saved searches): each file read once, capped in size, checked into a
//! value and findings; a file with errors left out of runs, its errors
//! said once at the file.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::catalog::yaml;
use crate::lang::diagnostic::{Located, Severity};

/// One file of a data folder, read and checked, with what `flowq check`
/// says of it.
#[derive(Debug)]
pub struct CatalogFile<T> {
    /// The file's stem: what queries call it (`@corp-nets`, `lookup enis`).
    pub name: String,
    pub path: PathBuf,
    /// What could be read; None when the file could not be.
    pub content: Option<T>,
    /// Some entry (or the file) has an error: the file is left out of
    /// runs, and `flowq check` checks searches against what was read.
    pub has_errors: bool,
    pub findings: Vec<Located>,
}

impl<T> CatalogFile<T> {
    /// What the file holds, when it has no errors: what runs may use.
    pub fn usable(&self) -> Option<&T> {
        self.content.as_ref().filter(|_| !self.has_errors)
    }

    /// The file at `path`, named by its stem, nothing read yet.
    pub fn at(path: &Path) -> CatalogFile<T> {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        CatalogFile {
            name: name.to_string(),
            path: path.to_path_buf(),
            content: None,
            has_errors: false,
            findings: Vec::new(),
        }
    }

    /// The one finding for a folder that could not be listed.
    pub fn unlistable(dir: &Path, what: &str, error: &std::io::Error) -> CatalogFile<T> {
        let origin = dir.display().to_string();
        let message = format!("cannot list the {what} of this folder: {error}");
        CatalogFile {
            has_errors: true,
            findings: vec![Located::error(&origin, "", (1, 1), message, None)],
            name: String::new(),
            ..CatalogFile::at(dir)
        }
    }
}

/// The data folder `name` of a catalog: beside the saved-search folder.
pub fn beside(searches: &Path, name: &str) -> PathBuf {
    searches
        .parent()
        .map_or_else(|| PathBuf::from(name), |root| root.join(name))
}

/// The errors among the findings of every file.
pub fn errors<T>(files: &[CatalogFile<T>]) -> Vec<Located> {
    files
        .iter()
        .flat_map(|f| f.findings.iter())
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect()
}

/// Every file of `dir` with one of `extensions`, by name, each read once
/// by `load_one`. A missing folder has no files; a folder that cannot be
/// listed is one file with that error (`what` names its files).
pub fn load_all<T>(
    dir: &Path,
    extensions: &[&str],
    what: &str,
    load_one: impl Fn(&Path) -> CatalogFile<T>,
) -> Vec<CatalogFile<T>> {
    match files_with(dir, extensions) {
        Ok(paths) => paths.iter().map(|path| load_one(path)).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => vec![CatalogFile::unlistable(dir, what, &e)],
    }
}

/// The files of `dir` whose extension is one of `extensions`, by name.
pub fn files_with(dir: &Path, extensions: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let known = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e));
        if known && !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// A file's text, read once: at most `max_bytes`, UTF-8, line ends and a
/// byte-order mark normalised as for YAML. `what` names the file in the
/// message ("the list", "the lookup table").
pub fn read_capped(path: &Path, max_bytes: usize, what: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max_bytes as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if bytes.len() > max_bytes {
        return Err(format!(
            "{what} is larger than {} MiB, the most flowq reads",
            max_bytes >> 20
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{what} is not UTF-8 text"))?;
    Ok(yaml::normalize(&text).into_owned())
}
