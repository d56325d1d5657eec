//! Port wrappers that record every call, in order, with the size of every randomness draw:
//! what the decoy tests compare between a real user's flow and a decoy's.

use std::sync::{Arc, Mutex};

use sspr_core::audit::AuditEvent;
use sspr_core::engine::Ports;
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::*;
use sspr_core::{DirectoryUser, PortError, SecretString, UserId};

/// Every port call, with the size of every randomness draw.
#[derive(Default)]
pub struct Calls(Mutex<Vec<String>>);

impl Calls {
    /// Records one call.
    pub fn push(&self, c: impl Into<String>) {
        self.0.lock().unwrap().push(c.into());
    }
    /// The calls recorded since the last take.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// A port that records every call it passes on.
pub struct Rec<T: ?Sized> {
    inner: Arc<T>,
    calls: Arc<Calls>,
}

impl Directory for Rec<dyn Directory> {
    fn find_user(&self, i: String) -> Result<Option<DirectoryUser>, PortError> {
        self.calls.push("directory.find_user");
        self.inner.find_user(i)
    }
    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError> {
        self.calls.push("directory.user");
        self.inner.user(id)
    }
    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError> {
        self.calls.push("directory.administrators");
        self.inner.administrators()
    }
    fn check_password(&self, id: UserId, p: SecretString) -> Result<bool, PortError> {
        self.calls.push("directory.check_password");
        self.inner.check_password(id, p)
    }
    fn set_password(&self, id: UserId, c: PasswordChange) -> Result<(), PortError> {
        self.calls.push("directory.set_password");
        self.inner.set_password(id, c)
    }
    fn password_history(&self, id: UserId, n: u32) -> Result<Vec<String>, PortError> {
        self.calls.push("directory.password_history");
        self.inner.password_history(id, n)
    }
    fn unlock(&self, id: UserId) -> Result<(), PortError> {
        self.calls.push("directory.unlock");
        self.inner.unlock(id)
    }
    fn revoke_sessions(&self, id: UserId) -> Result<(), PortError> {
        self.calls.push("directory.revoke_sessions");
        self.inner.revoke_sessions(id)
    }
}
impl SecurityInfoStore for Rec<dyn SecurityInfoStore> {
    fn load(&self, u: UserId) -> Result<Option<Record>, PortError> {
        self.calls.push("security_info.load");
        self.inner.load(u)
    }
    fn save(&self, u: UserId, d: String, v: u64) -> Result<(), PortError> {
        self.calls.push("security_info.save");
        self.inner.save(u, d, v)
    }
}
impl FlowStore for Rec<dyn FlowStore> {
    fn load(&self, id: String) -> Result<Option<Record>, PortError> {
        self.calls.push("flows.load");
        self.inner.load(id)
    }
    fn save(&self, id: String, d: String, v: u64, e: u64) -> Result<(), PortError> {
        self.calls.push("flows.save");
        self.inner.save(id, d, v, e)
    }
    fn delete(&self, id: String) -> Result<(), PortError> {
        self.calls.push("flows.delete");
        self.inner.delete(id)
    }
}
impl CounterStore for Rec<dyn CounterStore> {
    fn increment(&self, k: String, n: u64, w: u64) -> Result<CounterState, PortError> {
        self.calls.push("counters.increment");
        self.inner.increment(k, n, w)
    }
    fn get(&self, k: String, n: u64) -> Result<CounterState, PortError> {
        self.calls.push("counters.get");
        self.inner.get(k, n)
    }
    fn release(&self, k: String, n: u64) -> Result<(), PortError> {
        self.calls.push("counters.release");
        self.inner.release(k, n)
    }
    fn block(&self, k: String, u: u64) -> Result<u64, PortError> {
        self.calls.push("counters.block");
        self.inner.block(k, u)
    }
    fn clear(&self, k: String) -> Result<(), PortError> {
        self.calls.push("counters.clear");
        self.inner.clear(k)
    }
}
impl ConsumeOnceSet for Rec<dyn ConsumeOnceSet> {
    fn consume(&self, n: String, k: String, e: u64) -> Result<bool, PortError> {
        self.calls.push("consume_once.consume");
        self.inner.consume(n, k, e)
    }
}
impl Notifier for Rec<dyn Notifier> {
    fn deliver(&self, m: Message) -> Result<(), PortError> {
        self.calls.push("notifier.deliver");
        self.inner.deliver(m)
    }
}
impl CaptchaVerifier for Rec<dyn CaptchaVerifier> {
    fn verify(&self, r: String, c: Option<String>) -> Result<bool, PortError> {
        self.calls.push("captcha.verify");
        self.inner.verify(r, c)
    }
}
impl AuditSink for Rec<dyn AuditSink> {
    fn record(&self, e: AuditEvent) -> Result<(), PortError> {
        self.calls.push("audit.record");
        self.inner.record(e)
    }
}
impl Clock for Rec<dyn Clock> {
    fn now(&self) -> Result<u64, PortError> {
        self.calls.push("clock.now");
        self.inner.now()
    }
}
impl Randomness for Rec<dyn Randomness> {
    fn bytes(&self, n: u32) -> Result<Vec<u8>, PortError> {
        self.calls.push(format!("randomness.bytes({n})"));
        self.inner.bytes(n)
    }
}

/// The in-memory ports of `mem`, each recording its calls into `calls`.
pub fn recorded(mem: &MemoryPorts, calls: &Arc<Calls>) -> Ports {
    let p = mem.ports();
    macro_rules! rec {
        ($field:expr, $t:ty) => {
            Arc::new(Rec::<$t> {
                inner: $field,
                calls: calls.clone(),
            })
        };
    }
    Ports {
        directory: rec!(p.directory, dyn Directory),
        security_info: rec!(p.security_info, dyn SecurityInfoStore),
        flows: rec!(p.flows, dyn FlowStore),
        counters: rec!(p.counters, dyn CounterStore),
        consume_once: rec!(p.consume_once, dyn ConsumeOnceSet),
        notifier: rec!(p.notifier, dyn Notifier),
        captcha: rec!(p.captcha, dyn CaptchaVerifier),
        breach: p.breach,
        audit: Some(rec!(p.audit.unwrap(), dyn AuditSink)),
        clock: rec!(p.clock, dyn Clock),
        randomness: rec!(p.randomness, dyn Randomness),
    }
}
