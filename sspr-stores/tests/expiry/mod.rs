//! Expiry on every backend: records are invisible at their end at once, by the store's clock;
//! a purge (on the SQL backends) deletes them, consumed values and counter windows only
//! [`PURGE_GRACE_S`] later, never a lock for ever.

use std::sync::Arc;

use sspr_core::PortErrorKind;
use sspr_core::memory::TestClock;
use sspr_core::ports::Clock;
use sspr_stores::{Backend, PURGE_GRACE_S, Purged};

fn ok<T>(r: Result<T, sspr_core::PortError>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_owned()) }
}

/// Runs the scenario on `s`, whose clock is `clock`. `purges`: whether `purge` deletes (the
/// SQL backends) or Redis's TTLs do.
pub fn expired_records_are_invisible_at_once_and_purged_later(
    s: &dyn Backend,
    clock: &Arc<TestClock>,
    purges: bool,
) -> Result<(), String> {
    let t0 = ok(clock.now())?;
    let (flows, once, counters) = (s.flow_store(), s.consume_once_set(), s.counter_store());
    ok(flows.save("f".into(), "x".into(), 0, t0 + 10))?;
    check(
        ok(once.consume("ns".into(), "v".into(), t0 + 10))?,
        "a first consume",
    )?;
    check(
        !ok(once.consume("ns".into(), "v".into(), t0 + 10))?,
        "a second consume",
    )?;
    ok(counters.increment("c".into(), t0, 10))?;
    ok(counters.block("locked".into(), u64::MAX))?;
    clock.advance(10);
    check(
        ok(flows.load("f".into()))?.is_none(),
        "invisible at its expiry",
    )?;
    match flows.save("f".into(), "y".into(), 1, t0 + 99) {
        Err(e) if e.kind == PortErrorKind::Conflict => {}
        other => return Err(format!("an expired flow saved on: {other:?}")),
    }
    check(
        !ok(once.consume("ns".into(), "v".into(), t0 + 99))?,
        "a consumed value stays consumed past its expiry",
    )?;
    let nothing = Purged::default();
    let kept = if purges {
        Purged {
            flows: 1,
            ..nothing
        }
    } else {
        nothing
    };
    check(
        ok(s.purge())? == kept,
        "values and windows are kept an hour",
    )?;
    clock.advance(PURGE_GRACE_S);
    let gone = if purges {
        Purged {
            flows: 0,
            consumed: 1,
            counters: 1,
        }
    } else {
        nothing
    };
    check(
        ok(s.purge())? == gone,
        "the grace's end purges, the lock (for ever) is kept",
    )?;
    if purges {
        check(
            ok(once.consume("ns".into(), "v".into(), t0 + 99_999))?,
            "purged, it is free",
        )?;
    }
    let t = ok(clock.now())?;
    check(
        ok(counters.get("locked".into(), t))?.blocked_until == Some(u64::MAX),
        "a lock for ever survives",
    )?;
    // A new flow may take an expired key.
    ok(flows.save("g".into(), "x".into(), 0, t + 1))?;
    clock.advance(5);
    ok(flows.save("g".into(), "fresh".into(), 0, t + 99))?;
    check(
        ok(flows.load("g".into()))?.is_some_and(|r| r.version == 1 && r.data == "fresh"),
        "a new flow on an expired key starts at version 1",
    )
}
