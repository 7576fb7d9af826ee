//! Saved searches: one YAML file per search under the catalog folder
//! (`searches/<name>.yaml`), reviewed in git like code. docs/catalog.md
//! documents the format.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::catalog::yaml;
use crate::lang::ast::{Value, ValueKind};
use crate::lang::check;
use crate::lang::diagnostic::{line_of, Code, Diagnostic, Located, Severity, SourceText};
use crate::lang::ir::Params;
use crate::lang::parse;
use crate::{suggest, units};

// ------------------------------------------------------------------ file

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchFile {
    title: String,
    description: String,
    query: String,
    #[serde(default)]
    params: BTreeMap<String, ParamFile>,
    source: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    owner: Option<String>,
    status: Option<Status>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    #[serde(rename = "type")]
    ty: ParamType,
    default: Option<Scalar>,
    description: Option<String>,
}

/// A YAML scalar or list, as a parameter default may be written.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    List(Vec<Scalar>),
}

impl Scalar {
    /// The default as the language would write it: a list is a set.
    fn to_value_text(&self) -> String {
        match self {
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Text(t) => t.clone(),
            Scalar::List(items) => {
                let items: Vec<String> = items.iter().map(Scalar::to_value_text).collect();
                format!("{{{}}}", items.join(", "))
            }
        }
    }
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Experimental,
    Test,
    Stable,
    Deprecated,
}

/// The declared type of a parameter; a value must pass it before it is
/// substituted (and then the place where it stands checks it again).
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// One address.
    Ip,
    /// One address or network.
    Cidr,
    /// A set of addresses and networks (or one).
    Addresses,
    /// One port number or name.
    Port,
    /// Ports, ranges and names, one or a set.
    Ports,
    Int,
    Size,
    Duration,
    String,
    /// An AWS identifier: letters, digits, `-`, `_`, `.`, `:`.
    Id,
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = format!("{self:?}").to_ascii_lowercase();
        f.write_str(&name)
    }
}

impl ParamType {
    /// A value of the type, to check and snapshot a search whose parameter
    /// has no default (a required parameter).
    pub fn example(self) -> &'static str {
        match self {
            ParamType::Ip => "192.0.2.10",
            ParamType::Cidr => "192.0.2.0/24",
            ParamType::Addresses => "{192.0.2.0/24, 2001:db8::/32}",
            ParamType::Port => "443",
            ParamType::Ports => "{22, 3389}",
            ParamType::Int => "10",
            ParamType::Size => "1M",
            ParamType::Duration => "1h",
            ParamType::String => "example",
            ParamType::Id => "example-id",
        }
    }

    /// Whether `text` is a value of this type.
    pub fn check(self, text: &str) -> Result<(), String> {
        let value = parse::parse_value(text)?;
        let members: Vec<&Value> = match &value.kind {
            ValueKind::Set(members) => members.iter().collect(),
            _ => vec![&value],
        };
        let is_set = matches!(value.kind, ValueKind::Set(_));
        let one = |ok: Result<(), String>| {
            if is_set {
                Err(format!("a {self} is one value, not a set"))
            } else {
                ok
            }
        };
        let word = |v: &Value| match &v.kind {
            ValueKind::Word(w) | ValueKind::Text(w) => Ok(w.clone()),
            _ => Err(format!("'{text}' is not a {self}")),
        };
        let each = |f: &dyn Fn(&Value) -> Result<(), String>| members.iter().try_for_each(|m| f(m));
        match self {
            ParamType::Ip => one(check::address(&value)
                .map_err(|d| d.message)
                .and_then(|net| {
                    if net.prefix_len() == net.max_prefix_len() {
                        Ok(())
                    } else {
                        Err(format!("'{text}' is a network, not one address"))
                    }
                })),
            ParamType::Cidr => one(check::address(&value).map(|_| ()).map_err(|d| d.message)),
            // A list (`@corp-nets`) passes here; the query's check makes
            // sure it is a list of the right kind.
            ParamType::Addresses => each(&|m| {
                if matches!(m.kind, ValueKind::List(_)) {
                    return Ok(());
                }
                check::address(m).map(|_| ()).map_err(|d| d.message)
            }),
            ParamType::Port => {
                one(check::port_range(&value)
                    .map_err(|d| d.message)
                    .and_then(|(lo, hi)| {
                        if lo == hi {
                            Ok(())
                        } else {
                            Err(format!("'{text}' is a range, not one port"))
                        }
                    }))
            }
            ParamType::Ports => each(&|m| {
                if matches!(m.kind, ValueKind::List(_)) {
                    return Ok(());
                }
                check::port_range(m).map(|_| ()).map_err(|d| d.message)
            }),
            ParamType::Int => one(word(&value)?
                .parse::<i64>()
                .map(|_| ())
                .map_err(|_| format!("'{text}' is not a whole number"))),
            ParamType::Size => one(units::parse_size(&word(&value)?).map(|_| ())),
            ParamType::Duration => one(units::parse_duration(&word(&value)?, true).map(|_| ())),
            ParamType::String => one(word(&value).map(|_| ())),
            ParamType::Id => one(word(&value).and_then(|w| {
                let ok = !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "'{w}' is not an identifier (letters, digits, - _ . :)"
                    ))
                }
            })),
        }
    }
}

// ------------------------------------------------------------------ model

#[derive(Clone, Debug)]
pub struct Search {
    /// The file stem: `[a-z0-9][a-z0-9-]*`, unique by construction.
    pub name: String,
    pub path: PathBuf,
    /// The file's text, to locate messages.
    pub text: String,
    pub title: String,
    pub description: String,
    pub query: String,
    pub params: BTreeMap<String, Param>,
    pub source: Option<String>,
    pub tags: Vec<String>,
    pub owner: Option<String>,
    pub status: Option<Status>,
    pub references: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub ty: ParamType,
    /// The default, as value text (`{22, 3389}` for a list).
    pub default: Option<String>,
    pub description: Option<String>,
}

/// A search that could not be read, with why.
pub type LoadErrors = Vec<Located>;

impl Search {
    pub fn origin(&self) -> String {
        self.path.display().to_string()
    }

    /// The query's place in the file, so query errors point into it.
    pub fn query_source(&self) -> SourceText<'_> {
        match yaml::locate(&self.text, &["query"]) {
            Some(loc) if !loc.lines.is_empty() => {
                SourceText::fragment_lines(&self.query, &self.text, loc.lines)
            }
            Some(loc) => SourceText::fragment(&self.query, &self.text, loc.key.0, loc.key.1),
            None => SourceText::new(&self.query),
        }
    }

    /// A query diagnostic, located in this file.
    pub fn locate(&self, d: &Diagnostic) -> Located {
        d.locate(&self.origin(), &self.query_source())
    }

    /// A message about a key of this file (`["params", "ip", "default"]`).
    pub fn at_key(
        &self,
        path: &[&str],
        severity: Severity,
        message: String,
        help: Option<String>,
    ) -> Located {
        let location = yaml::locate(&self.text, path);
        let (line, column) = match &location {
            Some(l) if path.last() == Some(&"default") && !l.lines.is_empty() => l.lines[0],
            Some(l) => l.key,
            None => (1, 1),
        };
        Located {
            origin: self.origin(),
            line,
            column,
            width: path.last().map_or(1, |k| k.len()),
            source_line: line_of(&self.text, line),
            code: match severity {
                Severity::Warning => Code::Lint,
                Severity::Error => Code::Catalog,
            },
            severity,
            message,
            help,
        }
    }

    /// Given values for the required parameters: each type's example. Used
    /// to check and snapshot a search as a whole.
    pub fn example_params(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .filter(|(_, p)| p.default.is_none())
            .map(|(name, p)| (name.clone(), p.ty.example().to_string()))
            .collect()
    }

    /// The parameter values for a run: given ones (checked against their
    /// declared type), else defaults. Every problem is reported.
    pub fn params(&self, given: &[(String, String)]) -> Result<Params, Vec<String>> {
        let mut errors = Vec::new();
        let mut params = Params::default();
        for (name, _) in given {
            if !self.params.contains_key(name) {
                let declared: Vec<&str> = self.params.keys().map(String::as_str).collect();
                let guess = suggest::did_you_mean(name, declared.iter().copied());
                let hint = if !guess.is_empty() {
                    guess
                } else if declared.is_empty() {
                    "it declares none".into()
                } else {
                    format!("it declares: {}", declared.join(", "))
                };
                errors.push(format!(
                    "search '{}' has no parameter '{name}': {hint}",
                    self.name
                ));
            }
        }
        for (name, param) in &self.params {
            let value = given
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| param.default.clone());
            match value {
                Some(value) => {
                    if let Err(why) = param
                        .ty
                        .check(&value)
                        .and_then(|()| params.insert(name, &value))
                    {
                        errors.push(format!("parameter '{name}' ({}): {why}", param.ty));
                    }
                }
                None => errors.push(format!(
                    "parameter '{name}' has no value and no default: pass -p {name}=VALUE"
                )),
            }
        }
        if errors.is_empty() {
            Ok(params)
        } else {
            Err(errors)
        }
    }
}

/// Whether a name can be a search's name.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Reads one search file.
pub fn load_search(path: &Path) -> Result<Search, LoadErrors> {
    let origin = path.display().to_string();
    let error = |line: usize, column: usize, text: &str, message: String, help: Option<String>| {
        Located::error(&origin, text, (line, column), message, help)
    };
    let text = yaml::read_file(path).map_err(|e| {
        vec![match e {
            yaml::ReadError::Io(e) => {
                let message = match std::fs::read_link(path) {
                    Ok(target) => format!(
                        "cannot read the search: it is a symlink to {}, which cannot be read: {e}",
                        target.display()
                    ),
                    Err(_) => format!("cannot read the search: {e}"),
                };
                error(1, 1, "", message, None)
            }
            yaml::ReadError::Content(e) => error(e.line, e.column, "", e.message, e.help),
        }]
    })?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    let mut errors = Vec::new();
    if !is_valid_name(&name) {
        errors.push(error(
            1,
            1,
            &text,
            format!("'{name}' is not a valid search name"),
            Some("name the file with lowercase letters, digits and '-', starting with a letter or digit, e.g. rejected-ssh.yaml".into()),
        ));
    }
    let file: SearchFile = match yaml::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            errors.push(error(e.line, e.column, &text, e.message, e.help));
            return Err(errors);
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let params = file
        .params
        .into_iter()
        .map(|(name, p)| {
            let param = Param {
                ty: p.ty,
                default: p.default.as_ref().map(Scalar::to_value_text),
                description: p.description,
            };
            (name, param)
        })
        .collect();
    Ok(Search {
        name,
        path: path.to_path_buf(),
        text,
        title: file.title,
        description: file.description,
        query: file.query,
        params,
        source: file.source,
        tags: file.tags,
        owner: file.owner,
        status: file.status,
        references: file.references,
    })
}

/// The search files of a folder, by name: every entry named `*.yaml` or
/// `*.yml` that is not a folder, so that a symlink that leads nowhere (or
/// into a loop) is loaded and fails, located, rather than left out.
pub fn search_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if yaml && !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Why the searches of a folder could not be listed, located at it.
pub fn listing_error(dir: &Path, error: &std::io::Error) -> Located {
    let (message, help) = if error.kind() == std::io::ErrorKind::NotFound {
        (
            "the catalog folder does not exist".to_string(),
            "create it (`flowq init` writes a starter catalog), or point 'catalog:' in flowq.yaml at the folder of your searches",
        )
    } else {
        (
            format!("cannot list the searches of this folder: {error}"),
            "give flowq permission to read the folder, or point 'catalog:' in flowq.yaml at another",
        )
    };
    Located::error(
        &dir.display().to_string(),
        "",
        (1, 1),
        message,
        Some(help.to_string()),
    )
}

/// Every search of a folder that loads, and the errors of those that
/// don't (or why the folder could not be listed).
pub fn load_all(dir: &Path) -> (Vec<Search>, Vec<Located>) {
    let files = match search_files(dir) {
        Ok(files) => files,
        Err(e) => return (Vec::new(), vec![listing_error(dir, &e)]),
    };
    let mut searches = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        match load_search(&path) {
            Ok(s) => searches.push(s),
            Err(mut e) => errors.append(&mut e),
        }
    }
    (searches, errors)
}

/// The file of the search named `name` in the catalog folder `dir`, if
/// there is one. Only a valid name names a search: a path (`../x`, `/x`)
/// never does, so no command reads YAML from outside the catalog.
pub fn file_of(dir: &Path, name: &str) -> Option<PathBuf> {
    if !is_valid_name(name) {
        return None;
    }
    ["yaml", "yml"]
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|path| path.is_file())
}

/// Finds a saved search by name in the catalog folder.
pub fn find(dir: &Path, name: &str) -> Result<Search, Vec<Located>> {
    if !is_valid_name(name) {
        return Err(vec![Located::error(
            &dir.display().to_string(),
            "",
            (1, 1),
            format!("'{name}' is not a search name"),
            Some(format!(
                "a saved search is named by its file in {}, without '.yaml': lowercase letters, digits and '-', e.g. rejected-ssh; a path is not a name",
                dir.display()
            )),
        )]);
    }
    if let Some(path) = file_of(dir, name) {
        return load_search(&path);
    }
    let names: Vec<String> = search_files(dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
        .collect();
    let guess = suggest::did_you_mean(name, names.iter().map(String::as_str));
    let help = if guess.is_empty() {
        "`flowq list` shows the saved searches; use --query for an ad-hoc query".to_string()
    } else {
        guess
    };
    let message = format!("no saved search named '{name}'");
    Err(vec![Located::error(
        &dir.display().to_string(),
        "",
        (1, 1),
        message,
        Some(help),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_types_accept_their_values_only() {
        assert!(ParamType::Ip.check("10.0.0.1").is_ok());
        assert!(ParamType::Ip.check("10.0.0.0/8").is_err());
        assert!(ParamType::Cidr.check("10.0.0.0/8").is_ok());
        assert!(ParamType::Addresses
            .check("{10.0.0.1, 2001:db8::/32}")
            .is_ok());
        assert!(ParamType::Port.check("ssh").is_ok());
        assert!(ParamType::Port.check("1-2").is_err());
        assert!(ParamType::Ports.check("{22, 8000-8999}").is_ok());
        assert!(ParamType::Duration.check("24h").is_ok());
        assert!(ParamType::Duration.check("24").is_err());
        assert!(ParamType::Size.check("10M").is_ok());
        assert!(ParamType::Int.check("x").is_err());
        assert!(ParamType::Id.check("vpc-0abc").is_ok());
        assert!(ParamType::Id.check("x' OR '1'='1").is_err());
        assert!(ParamType::String.check("x' OR '1'='1").is_ok());
    }

    #[test]
    fn names_are_lowercase_words() {
        assert!(is_valid_name("rejected-ssh") && is_valid_name("3rd-party"));
        assert!(
            !is_valid_name("Rejected")
                && !is_valid_name("-x")
                && !is_valid_name("a_b")
                && !is_valid_name("")
        );
    }
}
