//! The SQLite stores: the store conformance suite at 8 threads, migrations, prefixes, expiry,
//! purging, secrets sealed at rest, and what bad input and a broken database get.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod expiry;

use std::sync::Arc;

use r2d2_sqlite::rusqlite::Connection;
use sspr_core::memory::TestClock;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA, T0};
use sspr_core::testing::store_conformance::{StoreSet, run};
use sspr_core::{Policy, PortErrorKind, ResetOption, SecretString};
use sspr_stores::{Backend as _, Prefix, SqliteOptions, SqliteStores, StoreError};

fn open(path: &std::path::Path, prefix: &str, clock: Arc<TestClock>) -> SqliteStores {
    let mut o = SqliteOptions::new(Prefix::new(prefix).unwrap());
    o.clock = clock;
    SqliteStores::open_with(path, o).unwrap()
}

#[test]
fn the_store_conformance_suite_passes_at_8_threads() {
    let dir = tempfile::tempdir().unwrap();
    let stores = open(
        &dir.path().join("s.db"),
        "sspr_",
        Arc::new(TestClock::new(T0)),
    );
    let (f, i, c, o) = (
        stores.flow_store(),
        stores.security_info_store(),
        stores.counter_store(),
        stores.consume_once_set(),
    );
    let set = StoreSet {
        flows: f.as_ref(),
        security_info: i.as_ref(),
        counters: c.as_ref(),
        consume_once: o.as_ref(),
    };
    let report = run(&set, "conformance", 8);
    assert!(report.all_passed(), "{report}");
    assert!(report.checks.len() >= 14);
}

#[test]
fn migrations_apply_once_and_prefixes_keep_tenants_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let clock = Arc::new(TestClock::new(T0));
    let a = open(&path, "tenant_a_", clock.clone());
    let b = open(&path, "tenant_b_", clock.clone());
    assert_eq!(a.schema_version().unwrap(), 1);
    // Opening again (another process, a restart) applies nothing new and keeps the data.
    a.flow_store()
        .save("k".into(), "A".into(), 0, T0 + 60)
        .unwrap();
    let again = open(&path, "tenant_a_", clock);
    assert_eq!(again.schema_version().unwrap(), 1);
    assert_eq!(
        again.flow_store().load("k".into()).unwrap().unwrap().data,
        "A"
    );
    assert!(
        b.flow_store().load("k".into()).unwrap().is_none(),
        "tenants share nothing"
    );
    // A schema newer than this release is refused rather than misread.
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE tenant_b_schema SET version = 99", [])
        .unwrap();
    let mut o = SqliteOptions::new(Prefix::new("tenant_b_").unwrap());
    o.pool_size = 1;
    assert!(matches!(
        SqliteStores::open_with(&path, o),
        Err(StoreError::SchemaTooNew {
            found: 99,
            known: 1
        })
    ));
    assert!(matches!(
        Prefix::new("x; DROP TABLE y"),
        Err(StoreError::BadPrefix { .. })
    ));
}

#[test]
fn expired_records_are_invisible_at_once_and_purged_later() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(TestClock::new(T0));
    let s = open(&dir.path().join("e.db"), "sspr_", clock.clone());
    expiry::expired_records_are_invisible_at_once_and_purged_later(&s, &clock, true).unwrap();
}

#[test]
fn security_info_is_sealed_in_the_table_and_a_whole_reset_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db");
    let mem = fixtures::memory_ports(3);
    let mut o = SqliteOptions::new(Prefix::default());
    o.clock = mem.clock.clone();
    let stores = SqliteStores::open_with(&path, o).unwrap();
    let ports = stores.ports(mem.ports());
    let engine = fixtures::engine(Policy::default(), ports);
    let import = sspr_core::engine::SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        ..Default::default()
    };
    engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();
    let id = engine
        .start_reset(ALICE.username, CAPTCHA, None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    let code = mem
        .notifier
        .take()
        .into_iter()
        .find_map(|m| m.code)
        .unwrap();
    engine.reset_step(&id, ResetInput::EnterCode(code)).unwrap();
    let pw = SecretString::new("quiet lantern orchard 4417");
    let done = engine
        .reset_step(
            &id,
            ResetInput::NewPassword {
                password: pw.clone(),
                confirm: pw,
            },
        )
        .unwrap();
    assert_eq!(done.view.unwrap().state, "completed");
    // What a reader of the file sees: ciphertext, keyed references, no address or flow id.
    let conn = Connection::open(&path).unwrap();
    let data: String = conn
        .query_row("SELECT data FROM sspr_security_info", [], |r| r.get(0))
        .unwrap();
    assert!(data.starts_with("sspr-sealed.v1.") && !data.contains("fabrikam"));
    let keys: Vec<String> = conn
        .prepare("SELECT key FROM sspr_flows UNION ALL SELECT key FROM sspr_counters")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!keys.is_empty());
    for k in &keys {
        assert!(
            !k.contains(&id) && !k.contains("alice") && !k.contains("fabrikam"),
            "{k}"
        );
    }
    let events = stores.audit_events(100).unwrap();
    assert!(events.iter().any(|e| e.contains("password_changed")));
    assert!(events.iter().all(|e| !e.contains(&id)));
}

#[test]
fn a_broken_database_gets_typed_errors_and_a_retry_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let clock = Arc::new(TestClock::new(T0));
    let s = open(&path, "sspr_", clock.clone());
    let flows = s.flow_store();
    flows.save("f".into(), "x".into(), 0, T0 + 60).unwrap();
    // Another process holds the write lock past the busy timeout: the save is Unavailable
    // and changes nothing; once the lock is gone the same save goes through.
    let mut o = SqliteOptions::new(Prefix::default());
    o.busy_timeout = std::time::Duration::from_millis(50);
    o.clock = clock;
    let impatient = SqliteStores::open_with(&path, o).unwrap().flow_store();
    let blocker = Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = impatient
        .save("f".into(), "y".into(), 1, T0 + 60)
        .unwrap_err();
    assert_eq!(err.kind, PortErrorKind::Unavailable, "{err}");
    assert!(
        !err.to_string().contains("UPDATE"),
        "no SQL in errors: {err}"
    );
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(flows.load("f".into()).unwrap().unwrap().data, "x");
    impatient.save("f".into(), "y".into(), 1, T0 + 60).unwrap();
    assert_eq!(flows.load("f".into()).unwrap().unwrap().version, 2);
    // A row tampered with (a negative version, a count of the wrong type): a contract error.
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE sspr_flows SET version = -3", [])
        .unwrap();
    assert_eq!(
        flows.load("f".into()).unwrap_err().kind,
        PortErrorKind::Contract
    );
    let counters = s.counter_store();
    counters.increment("c".into(), T0, 60).unwrap();
    conn.execute("UPDATE sspr_counters SET count = 'many'", [])
        .unwrap();
    assert_eq!(
        counters.get("c".into(), T0).unwrap_err().kind,
        PortErrorKind::Contract
    );
    conn.execute("UPDATE sspr_counters SET count = -1", [])
        .unwrap();
    assert_eq!(
        counters.get("c".into(), T0).unwrap_err().kind,
        PortErrorKind::Contract
    );
    let info = s.security_info_store();
    assert!(info.load(ALICE.user_id()).unwrap().is_none());
}
