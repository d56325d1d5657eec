//! The attack harness shared by the hardening tests: port wrappers that add latency, record
//! calls, count comparisons or fail on demand, over the in-memory ports.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod recording;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sspr_core::audit::{AuditEvent, AuditKind};
use sspr_core::engine::{Engine, EngineOptions, Ports, ResetOutcome};
use sspr_core::memory::*;
use sspr_core::ports::*;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, CAPTCHA, T0};
use sspr_core::{
    DirectoryUser, Policy, PortError, PortName, Reason, ResetOption, SecretString, UserId,
};

/// A counter store that takes `latency` per call once switched on, as a networked store does.
#[derive(Default)]
pub struct SlowCounters {
    pub inner: MemoryCounterStore,
    pub on: AtomicBool,
    pub latency_ms: AtomicU64,
    pub calls: AtomicU32,
}

impl SlowCounters {
    pub fn slow(&self, ms: u64) {
        self.latency_ms.store(ms, Ordering::SeqCst);
        self.on.store(true, Ordering::SeqCst);
    }
    fn wait(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.on.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(
                self.latency_ms.load(Ordering::SeqCst),
            ));
        }
    }
}

impl CounterStore for SlowCounters {
    fn increment(&self, k: String, now: u64, w: u64) -> Result<CounterState, PortError> {
        self.wait();
        self.inner.increment(k, now, w)
    }
    fn get(&self, k: String, now: u64) -> Result<CounterState, PortError> {
        self.wait();
        self.inner.get(k, now)
    }
    fn release(&self, k: String, now: u64) -> Result<(), PortError> {
        self.wait();
        self.inner.release(k, now)
    }
    fn block(&self, k: String, until: u64) -> Result<u64, PortError> {
        self.wait();
        self.inner.block(k, until)
    }
    fn clear(&self, k: String) -> Result<(), PortError> {
        self.wait();
        self.inner.clear(k)
    }
}

/// A directory that resolves several spellings of one account, counts password comparisons,
/// records the change ids it is given, and can fail `set_password` on demand.
#[derive(Default)]
pub struct AliasDirectory {
    pub inner: MemoryDirectory,
    pub aliases: Mutex<BTreeMap<String, String>>,
    pub password_checks: AtomicU32,
    pub change_ids: Mutex<Vec<String>>,
    /// Fail the next n `set_password` calls *after* applying the change (a timeout after the
    /// directory accepted it).
    pub fail_after_apply: AtomicU32,
    /// Fail the next n `set_password` calls before applying anything.
    pub fail_before_apply: AtomicU32,
}

impl AliasDirectory {
    pub fn alias(&self, spelling: &str, username: &str) {
        self.aliases
            .lock()
            .unwrap()
            .insert(spelling.trim().to_lowercase(), username.to_owned());
    }
    fn take(flag: &AtomicU32) -> bool {
        flag.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

impl Directory for AliasDirectory {
    fn find_user(&self, identifier: String) -> Result<Option<DirectoryUser>, PortError> {
        let wanted = identifier.trim().to_lowercase();
        let name = self.aliases.lock().unwrap().get(&wanted).cloned();
        self.inner.find_user(name.unwrap_or(identifier))
    }
    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError> {
        self.inner.user(id)
    }
    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError> {
        self.inner.administrators()
    }
    fn check_password(&self, id: UserId, p: SecretString) -> Result<bool, PortError> {
        self.password_checks.fetch_add(1, Ordering::SeqCst);
        self.inner.check_password(id, p)
    }
    fn set_password(&self, id: UserId, c: PasswordChange) -> Result<(), PortError> {
        if Self::take(&self.fail_before_apply) {
            return Err(PortError::unavailable(PortName::Directory, "injected"));
        }
        self.change_ids.lock().unwrap().push(c.change_id.clone());
        self.inner.set_password(id, c)?;
        if Self::take(&self.fail_after_apply) {
            return Err(PortError::unavailable(
                PortName::Directory,
                "timed out (injected)",
            ));
        }
        Ok(())
    }
    fn password_history(&self, id: UserId, n: u32) -> Result<Vec<String>, PortError> {
        self.inner.password_history(id, n)
    }
    fn unlock(&self, id: UserId) -> Result<(), PortError> {
        self.inner.unlock(id)
    }
    fn revoke_sessions(&self, id: UserId) -> Result<(), PortError> {
        self.inner.revoke_sessions(id)
    }
}

/// A flow store whose saves can fail or lose on demand.
#[derive(Default)]
pub struct FlakyFlows {
    pub inner: MemoryFlowStore,
    pub fail_saves: AtomicU32,
    pub conflicts: AtomicU32,
    /// Fail only the n-th save from now (1-based), once.
    pub fail_nth: AtomicU32,
}

impl FlowStore for FlakyFlows {
    fn load(&self, id: String) -> Result<Option<Record>, PortError> {
        self.inner.load(id)
    }
    fn save(&self, id: String, d: String, v: u64, e: u64) -> Result<(), PortError> {
        if AliasDirectory::take(&self.fail_saves) {
            return Err(PortError::unavailable(PortName::FlowStore, "injected"));
        }
        if AliasDirectory::take(&self.conflicts) {
            return Err(PortError::conflict(PortName::FlowStore));
        }
        let n = self.fail_nth.load(Ordering::SeqCst);
        if n > 0 {
            self.fail_nth.store(n - 1, Ordering::SeqCst);
            if n == 1 {
                return Err(PortError::unavailable(PortName::FlowStore, "injected"));
            }
        }
        self.inner.save(id, d, v, e)
    }
    fn delete(&self, id: String) -> Result<(), PortError> {
        self.inner.delete(id)
    }
}

/// Everything a hardening test holds on to.
pub struct World {
    pub engine: Engine,
    pub mem: MemoryPorts,
    pub counters: Arc<SlowCounters>,
    pub directory: Arc<AliasDirectory>,
    pub flows: Arc<FlakyFlows>,
}

pub fn ports_of(
    mem: &MemoryPorts,
    counters: &Arc<SlowCounters>,
    directory: &Arc<AliasDirectory>,
    flows: &Arc<FlakyFlows>,
) -> Ports {
    let mut ports = mem.ports();
    ports.counters = counters.clone();
    ports.directory = directory.clone();
    ports.flows = flows.clone();
    ports
}

/// Alice and Ben seeded, the in-memory ports with the wrappers above.
pub fn world_with(policy: &str, tune: impl FnOnce(&mut EngineOptions)) -> World {
    let mem = fixtures::memory_ports(7);
    let directory = Arc::new(AliasDirectory::default());
    for u in [fixtures::ALICE, fixtures::BEN] {
        directory.inner.add_user(u.directory_user(), u.password);
    }
    let counters = Arc::new(SlowCounters::default());
    let flows = Arc::new(FlakyFlows::default());
    let ports = ports_of(&mem, &counters, &directory, &flows);
    let mut options = fixtures::options();
    tune(&mut options);
    let engine = Engine::new(Policy::parse(policy).unwrap(), ports, options).unwrap();
    World {
        engine,
        mem,
        counters,
        directory,
        flows,
    }
}

pub fn world(policy: &str) -> World {
    world_with(policy, |_| {})
}

impl World {
    pub fn start(&self, who: &str) -> String {
        self.engine
            .start_reset(who, CAPTCHA, None)
            .unwrap()
            .view
            .unwrap()
            .flow_id
    }

    pub fn step(&self, flow: &str, input: ResetInput) -> ResetOutcome {
        self.engine.reset_step(flow, input).unwrap()
    }

    pub fn code(s: &str) -> ResetInput {
        ResetInput::EnterCode(SecretString::new(s))
    }

    /// The last code delivered, and forget the messages.
    pub fn last_code(&self) -> String {
        self.mem
            .notifier
            .messages()
            .iter()
            .rev()
            .find_map(|m| m.code.as_ref().map(|c| c.expose().to_owned()))
            .expect("a code was delivered")
    }

    /// Alice's flow waiting for an emailed code.
    pub fn alice_at_code(&self) -> String {
        let id = self.start(ALICE.username);
        let o = self.step(&id, ResetInput::Choose(ResetOption::Email));
        assert_eq!(o.view.unwrap().state, "enter_code");
        id
    }

    pub fn audit(&self) -> Vec<AuditEvent> {
        self.mem.audit.events()
    }

    /// Wrong codes, answers and numbers that were compared (audited as rejected with a
    /// comparison's reason), in one flow or all.
    pub fn compared_failures(&self, flow_ref: Option<&str>) -> usize {
        self.audit()
            .iter()
            .filter(|e| e.kind == AuditKind::StepRejected)
            .filter(|e| {
                matches!(
                    e.reason,
                    Some(
                        Reason::CodeMismatch
                            | Reason::CodeExhausted
                            | Reason::AnswersWrong
                            | Reason::PushNumberMismatch
                    )
                )
            })
            .filter(|e| flow_ref.is_none_or(|r| e.flow_ref.as_deref() == Some(r)))
            .count()
    }

    pub fn now(&self) -> u64 {
        self.mem.clock.now().unwrap()
    }
}

/// A wrong code of the right shape for `right`.
pub fn wrong(right: &str, i: u64) -> String {
    let n: u64 = right.parse().unwrap_or(0);
    let m = 10u64.pow(u32::try_from(right.len()).unwrap());
    format!("{:0w$}", (n + 1 + i) % m, w = right.len())
}

pub const FAR: u64 = T0 + 10 * 365 * 86_400;
