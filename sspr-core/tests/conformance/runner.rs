//! The runner shared by every backend's conformance test: files, suites, the closing line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

/// Runs every vector file under `SSPR_CONFORMANCE_DIR` (default: the project's `conformance/`),
/// flows on the ports `backend` makes of the reference in-memory ones.
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
    if let Err(e) = files(&dir, &mut paths) {
        println!("cannot read {}: {e}", dir.display());
        println!("0 passed, 1 failed");
        return ExitCode::FAILURE;
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &paths {
        let shown = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        let doc: Value = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                println!("FAIL {shown}: unreadable: {e}");
                failed += 1;
                continue;
            }
        };
        if doc["format"] != 1 {
            println!("FAIL {shown}: format {} is not 1", doc["format"]);
            failed += 1;
            continue;
        }
        let suite = doc["suite"].as_str().unwrap_or("");
        let run: fn(&Value) -> Outcome = match suite {
            "policy" => crate::policy::run,
            "hotp" => crate::otp::hotp,
            "totp" => crate::otp::totp,
            "password" => crate::password::run,
            "flow" => crate::flow::run,
            other => {
                println!("FAIL {shown}: unknown suite `{other}`");
                failed += 1;
                continue;
            }
        };
        let Some(cases) = doc["cases"].as_array() else {
            println!("FAIL {shown}: no `cases` list");
            failed += 1;
            continue;
        };
        for case in cases {
            let name = case["name"].as_str().unwrap_or("<unnamed>");
            match std::panic::catch_unwind(|| run(case)).unwrap_or_else(|_| Err("panicked".into()))
            {
                Ok(()) => passed += 1,
                Err(why) => {
                    println!("FAIL {shown} / {name}: {why}");
                    failed += 1;
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
