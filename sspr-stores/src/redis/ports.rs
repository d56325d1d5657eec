//! The five ports on Redis, each call one command: a script for every read-modify-write,
//! `HMGET` for reads (a pipeline of them for several counters), `SET NX` for consume-once,
//! `XADD` for audit events. One round trip, after the pool's `PING` that checks the connection
//! on checkout.

use std::sync::Arc;

use ::redis::Value;
use sspr_core::audit::AuditEvent;
use sspr_core::ports::{
    AuditSink, ConsumeOnceSet, CounterState, CounterStore, FlowStore, Record, SecurityInfoStore,
};
use sspr_core::{PortError, PortErrorKind, PortName, UserId};

use super::scripts::{BLOCK, FLOW_SAVE, INCREMENT, INFO_SAVE, RELEASE};
use super::{Inner, port_error};
use crate::purged::PURGE_GRACE_S;

pub(crate) struct RedisFlowStore(pub(crate) Arc<Inner>);
pub(crate) struct RedisSecurityInfoStore(pub(crate) Arc<Inner>);
pub(crate) struct RedisCounterStore(pub(crate) Arc<Inner>);
pub(crate) struct RedisConsumeOnceSet(pub(crate) Arc<Inner>);
pub(crate) struct RedisAuditSink(pub(crate) Arc<Inner>);

/// "For ever" as the scripts see it: the largest whole number a Lua double holds exactly.
/// Stored times at or past it read back as `u64::MAX`.
const FOREVER: u64 = (1 << 53) - 1;

fn to_lua(t: u64) -> u64 {
    t.min(FOREVER)
}

fn from_lua(t: u64) -> u64 {
    if t >= FOREVER { u64::MAX } else { t }
}

fn contract(port: PortName, what: &str) -> PortError {
    PortError::new(port, PortErrorKind::Contract, format!("Redis: {what}"))
}

/// A stored whole number, `None` if the field is absent.
fn number(port: PortName, v: Option<String>) -> Result<Option<u64>, PortError> {
    v.map(|s| {
        s.parse::<u64>()
            .map_err(|_| contract(port, "a stored value is not a whole number"))
    })
    .transpose()
}

/// A script's integer reply.
fn whole(port: PortName, v: &Value) -> Result<u64, PortError> {
    match v {
        Value::Int(n) => u64::try_from(*n).map_err(|_| contract(port, "a negative number")),
        _ => Err(contract(port, "a reply of the wrong type")),
    }
}

/// A record from a hash's `d` and `v` fields (`None` if the hash does not exist).
fn record(
    port: PortName,
    data: Option<String>,
    version: Option<String>,
) -> Result<Option<Record>, PortError> {
    match (data, number(port, version)?) {
        (None, None) => Ok(None),
        (Some(data), Some(version)) if version > 0 => Ok(Some(Record { data, version })),
        _ => Err(contract(port, "a record without its data or version")),
    }
}

impl FlowStore for RedisFlowStore {
    /// One `HMGET`; a record past its expiry at the clock's now is absent.
    fn load(&self, flow_id: String) -> Result<Option<Record>, PortError> {
        const P: PortName = PortName::FlowStore;
        let now = self.0.now()?;
        let mut c = self.0.conn(P)?;
        let (d, v, e): (Option<String>, Option<String>, Option<String>) = ::redis::cmd("HMGET")
            .arg(self.0.key("flow", &flow_id))
            .arg(&["d", "v", "e"])
            .query(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        match number(P, e)? {
            Some(e) if from_lua(e) <= now => Ok(None),
            None if d.is_some() || v.is_some() => Err(contract(P, "a flow without its expiry")),
            _ => record(P, d, v),
        }
    }

    /// One script: the version compared and the record replaced, with a TTL to its expiry.
    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        const P: PortName = PortName::FlowStore;
        if expected_version >= FOREVER {
            return Err(PortError::conflict(P));
        }
        let now = self.0.now()?;
        let expires = to_lua(expires_at);
        let ttl = if expires >= FOREVER {
            0
        } else {
            expires.saturating_sub(now).max(1)
        };
        let mut c = self.0.conn(P)?;
        let stored: Value = FLOW_SAVE
            .key(self.0.key("flow", &flow_id))
            .arg(data)
            .arg(expected_version)
            .arg(expires)
            .arg(to_lua(now))
            .arg(ttl)
            .invoke(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        match whole(P, &stored)? {
            1 => Ok(()),
            _ => Err(PortError::conflict(P)),
        }
    }

    /// One `DEL`.
    fn delete(&self, flow_id: String) -> Result<(), PortError> {
        const P: PortName = PortName::FlowStore;
        let mut c = self.0.conn(P)?;
        ::redis::cmd("DEL")
            .arg(self.0.key("flow", &flow_id))
            .query::<Value>(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        Ok(())
    }
}

impl SecurityInfoStore for RedisSecurityInfoStore {
    /// One `HMGET`.
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError> {
        const P: PortName = PortName::SecurityInfoStore;
        let mut c = self.0.conn(P)?;
        let (d, v): (Option<String>, Option<String>) = ::redis::cmd("HMGET")
            .arg(self.0.key("info", user.as_str()))
            .arg(&["d", "v"])
            .query(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        record(P, d, v)
    }

    /// One script: the version compared and the record replaced.
    fn save(&self, user: UserId, data: String, expected_version: u64) -> Result<(), PortError> {
        const P: PortName = PortName::SecurityInfoStore;
        if expected_version >= FOREVER {
            return Err(PortError::conflict(P));
        }
        let mut c = self.0.conn(P)?;
        let stored: Value = INFO_SAVE
            .key(self.0.key("info", user.as_str()))
            .arg(data)
            .arg(expected_version)
            .invoke(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        match whole(P, &stored)? {
            1 => Ok(()),
            _ => Err(PortError::conflict(P)),
        }
    }
}

/// A counter's state at `now` from its count, window end and block end.
fn state(count: u64, window_end: u64, blocked: u64, now: u64) -> Result<CounterState, PortError> {
    let count = u32::try_from(count)
        .map_err(|_| contract(PortName::CounterStore, "a count out of range"))?;
    let blocked = from_lua(blocked);
    Ok(CounterState {
        count: if now < from_lua(window_end) { count } else { 0 },
        blocked_until: Some(blocked).filter(|&b| b > now),
    })
}

impl CounterStore for RedisCounterStore {
    /// One script: the window checked and counted in, the key's TTL moved to its end.
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<CounterState, PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        let reply: Vec<Value> = INCREMENT
            .key(self.0.key("ctr", &key))
            .arg(to_lua(now))
            .arg(to_lua(now.saturating_add(window_s)))
            .arg(PURGE_GRACE_S)
            .arg(FOREVER)
            .invoke(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        match reply.as_slice() {
            [count, end, blocked] => {
                state(whole(P, count)?, whole(P, end)?, whole(P, blocked)?, now)
            }
            _ => Err(contract(P, "a reply of the wrong shape")),
        }
    }

    /// One `HMGET`.
    fn get(&self, key: String, now: u64) -> Result<CounterState, PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        let (count, end, blocked): (Option<String>, Option<String>, Option<String>) =
            ::redis::cmd("HMGET")
                .arg(self.0.key("ctr", &key))
                .arg(&["c", "e", "b"])
                .query(&mut *c)
                .map_err(|e| port_error(P, &e))?;
        state(
            number(P, count)?.unwrap_or(0),
            number(P, end)?.unwrap_or(0),
            number(P, blocked)?.unwrap_or(0),
            now,
        )
    }

    /// One pipeline of `HMGET`s: one round trip.
    fn get_many(&self, keys: Vec<String>, now: u64) -> Result<Vec<CounterState>, PortError> {
        const P: PortName = PortName::CounterStore;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = ::redis::pipe();
        for key in &keys {
            pipe.cmd("HMGET")
                .arg(self.0.key("ctr", key))
                .arg(&["c", "e", "b"]);
        }
        let mut c = self.0.conn(P)?;
        let replies: Vec<(Option<String>, Option<String>, Option<String>)> =
            pipe.query(&mut *c).map_err(|e| port_error(P, &e))?;
        if replies.len() != keys.len() {
            return Err(contract(P, "a reply of the wrong shape"));
        }
        replies
            .into_iter()
            .map(|(count, end, blocked)| {
                state(
                    number(P, count)?.unwrap_or(0),
                    number(P, end)?.unwrap_or(0),
                    number(P, blocked)?.unwrap_or(0),
                    now,
                )
            })
            .collect()
    }

    /// One script.
    fn release(&self, key: String, now: u64) -> Result<(), PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        RELEASE
            .key(self.0.key("ctr", &key))
            .arg(to_lua(now))
            .invoke::<Value>(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        Ok(())
    }

    /// One script: the later of the two blocks kept, the key's TTL moved to its end.
    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        const P: PortName = PortName::CounterStore;
        let now = self.0.now()?;
        let mut c = self.0.conn(P)?;
        let end: Value = BLOCK
            .key(self.0.key("ctr", &key))
            .arg(to_lua(until))
            .arg(to_lua(now))
            .arg(PURGE_GRACE_S)
            .arg(FOREVER)
            .invoke(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        Ok(from_lua(whole(P, &end)?))
    }

    /// One `DEL`.
    fn clear(&self, key: String) -> Result<(), PortError> {
        const P: PortName = PortName::CounterStore;
        let mut c = self.0.conn(P)?;
        ::redis::cmd("DEL")
            .arg(self.0.key("ctr", &key))
            .query::<Value>(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        Ok(())
    }
}

impl ConsumeOnceSet for RedisConsumeOnceSet {
    /// One `SET NX`; `true` if it took the pair. The key lives [`PURGE_GRACE_S`] past the
    /// value's expiry.
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError> {
        const P: PortName = PortName::ConsumeOnce;
        let now = self.0.now()?;
        // The namespace's length first, so that no namespace and key can spell another pair.
        let name = self
            .0
            .key("once", &format!("{}:{namespace}:{key}", namespace.len()));
        let mut cmd = ::redis::cmd("SET");
        cmd.arg(name).arg("1").arg("NX");
        if to_lua(expires_at) < FOREVER {
            cmd.arg("EX")
                .arg(expires_at.saturating_sub(now).saturating_add(PURGE_GRACE_S));
        }
        let mut c = self.0.conn(P)?;
        let taken: Value = cmd.query(&mut *c).map_err(|e| port_error(P, &e))?;
        match taken {
            Value::Nil => Ok(false),
            Value::Okay => Ok(true),
            Value::SimpleString(s) if s == "OK" => Ok(true),
            _ => Err(contract(P, "a reply of the wrong type")),
        }
    }
}

impl AuditSink for RedisAuditSink {
    /// One `XADD` to the capped stream.
    fn record(&self, event: AuditEvent) -> Result<(), PortError> {
        const P: PortName = PortName::Audit;
        let json = serde_json::to_string(&event)
            .map_err(|_| PortError::new(P, PortErrorKind::Contract, "an unserialisable event"))?;
        let kind = serde_json::to_value(event.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut c = self.0.conn(P)?;
        ::redis::cmd("XADD")
            .arg(self.0.key("audit", "events"))
            .arg("MAXLEN")
            .arg("~")
            .arg(self.0.audit_cap)
            .arg("*")
            .arg("at")
            .arg(event.at)
            .arg("kind")
            .arg(kind)
            .arg("event")
            .arg(json)
            .query::<Value>(&mut *c)
            .map_err(|e| port_error(P, &e))?;
        Ok(())
    }
}

/// The newest `limit` audit events, newest first.
pub(crate) fn newest_events(inner: &Inner, limit: u32) -> Result<Vec<String>, PortError> {
    const P: PortName = PortName::Audit;
    let mut c = inner.conn(P)?;
    let entries: Vec<(String, Vec<(String, String)>)> = ::redis::cmd("XREVRANGE")
        .arg(inner.key("audit", "events"))
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(limit)
        .query(&mut *c)
        .map_err(|e| port_error(P, &e))?;
    entries
        .into_iter()
        .map(|(_, fields)| {
            fields
                .into_iter()
                .find_map(|(k, v)| (k == "event").then_some(v))
                .ok_or_else(|| contract(P, "an audit entry without its event"))
        })
        .collect()
}
