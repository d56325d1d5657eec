//! The runner shared by every backend's conformance test: files, suites, the closing line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};
use serde_json::Value;

/// A case's outcome: `Err` holds why it failed.
pub type Outcome = Result<(), String>;

/// Fails on any `expect` key outside `known`.
pub fn check_expect_keys(expect: &Value, known: &[&str]) -> Outcome {
    let obj = expect.as_object().ok_or("`expect` is not an object")?;
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown expect key `{k}`")),
        None => Ok(()),
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            files(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// One vector file read and checked: its path as shown, its runner and its cases, or why it
/// cannot run.
type Suite = Result<(fn(&Value) -> Outcome, Vec<Value>), String>;

fn suite(path: &Path) -> Suite {
    let doc: Value = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        .map_err(|e| format!("unreadable: {e}"))?;
    if doc["format"] != 1 {
        return Err(format!("format {} is not 1", doc["format"]));
    }
    let run: fn(&Value) -> Outcome = match doc["suite"].as_str().unwrap_or("") {
        "policy" => crate::policy::run,
        "hotp" => crate::otp::hotp,
        "totp" => crate::otp::totp,
        "password" => crate::password::run,
        "flow" => crate::flow::run,
        other => return Err(format!("unknown suite `{other}`")),
    };
    let cases = doc["cases"].as_array().ok_or("no `cases` list")?.clone();
    Ok((run, cases))
}

/// Runs every vector file under `SSPR_CONFORMANCE_DIR` (default: the project's `conformance/`),
/// flows on the ports `backend` makes of the reference in-memory ones: one test per case,
/// named `<file> / <case>` (filter them as any test: `-- flow/reset`), closing with
/// `N passed, N failed`.
pub fn main_with(backend: crate::Backend) -> ExitCode {
    crate::flow::set_backend(backend);
    // cargo runs tests from the package directory: a relative SSPR_CONFORMANCE_DIR is taken
    // relative to the workspace root, where the README's commands run.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = match std::env::var_os("SSPR_CONFORMANCE_DIR").map(PathBuf::from) {
        Some(d) if d.is_relative() && !d.exists() => root.join(d),
        Some(d) => d,
        None => root.join("conformance"),
    };
    let mut paths = Vec::new();
    let mut trials = Vec::new();
    if let Err(e) = files(&dir, &mut paths) {
        let why = format!("cannot read {}: {e}", dir.display());
        trials.push(Trial::test("the vector directory", move || Err(why.into())));
    }
    for path in &paths {
        let shown = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        match suite(path) {
            Ok((run, cases)) => {
                for case in cases {
                    let name = case["name"].as_str().unwrap_or("<unnamed>").to_owned();
                    trials.push(Trial::test(format!("{shown} / {name}"), move || {
                        run(&case).map_err(Into::into)
                    }));
                }
            }
            Err(why) => trials.push(Trial::test(shown, move || Err(why.into()))),
        }
    }
    if trials.is_empty() {
        trials.push(Trial::test("at least one vector", || {
            Err("no vector found".into())
        }));
    }
    let conclusion = libtest_mimic::run(&Arguments::from_args(), trials);
    println!(
        "{} passed, {} failed",
        conclusion.num_passed, conclusion.num_failed
    );
    if conclusion.has_failed() || conclusion.num_passed == 0 && conclusion.num_filtered_out == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
