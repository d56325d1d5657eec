//! The engine over the in-memory ports: races, failing ports, persisted JSON, invariants.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sspr_core::audit::AuditEvent;
use sspr_core::engine::{Engine, EngineOptions, Ports, ResetOutcome};
use sspr_core::memory::*;
use sspr_core::ports::{
    AuditSink, CounterState, CounterStore, Directory, FlowStore, PasswordChange, Record,
    SecurityInfoStore,
};
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures;
use sspr_core::testing::internals::security_info::SecurityInfo;
use sspr_core::{
    DirectoryUser, EmailAddress, Error, PhoneNumber, Policy, PortError, PortName, Reason,
    ResetOption, SecretString, UserId,
};

const T0: u64 = 1_750_000_000;

/// Fails the next `n` calls with "unavailable".
#[derive(Default)]
struct Faults(AtomicU32);
impl Faults {
    fn arm(&self, n: u32) {
        self.0.store(n, Ordering::SeqCst);
    }
    fn hit(&self, port: PortName) -> Result<(), PortError> {
        let armed = self.0.load(Ordering::SeqCst);
        if armed > 0 {
            self.0.store(armed - 1, Ordering::SeqCst);
            return Err(PortError::unavailable(port, "injected fault"));
        }
        Ok(())
    }
}

#[derive(Default)]
struct FlakyFlows {
    inner: MemoryFlowStore,
    save_faults: Faults,
    conflicts: AtomicU32,
}
impl FlowStore for FlakyFlows {
    fn load(&self, id: String) -> Result<Option<Record>, PortError> {
        self.inner.load(id)
    }
    fn save(
        &self,
        id: String,
        data: String,
        expected: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        self.save_faults.hit(PortName::FlowStore)?;
        if self.conflicts.load(Ordering::SeqCst) > 0 {
            self.conflicts.fetch_sub(1, Ordering::SeqCst);
            return Err(PortError::conflict(PortName::FlowStore));
        }
        self.inner.save(id, data, expected, expires_at)
    }
    fn delete(&self, id: String) -> Result<(), PortError> {
        self.inner.delete(id)
    }
}

#[derive(Default)]
struct FlakyDirectory {
    inner: MemoryDirectory,
    set_faults: Faults,
}
impl Directory for FlakyDirectory {
    fn find_user(&self, i: String) -> Result<Option<DirectoryUser>, PortError> {
        self.inner.find_user(i)
    }
    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError> {
        self.inner.user(id)
    }
    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError> {
        self.inner.administrators()
    }
    fn check_password(&self, id: UserId, p: SecretString) -> Result<bool, PortError> {
        self.inner.check_password(id, p)
    }
    fn set_password(&self, id: UserId, c: PasswordChange) -> Result<(), PortError> {
        self.set_faults.hit(PortName::Directory)?;
        self.inner.set_password(id, c)
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

#[derive(Default)]
struct FlakyCounters {
    inner: MemoryCounterStore,
    faults: Faults,
}
impl CounterStore for FlakyCounters {
    fn increment(&self, k: String, now: u64, w: u64) -> Result<CounterState, PortError> {
        self.faults.hit(PortName::CounterStore)?;
        self.inner.increment(k, now, w)
    }
    fn get(&self, k: String, now: u64) -> Result<CounterState, PortError> {
        self.inner.get(k, now)
    }
    fn release(&self, k: String, now: u64) -> Result<(), PortError> {
        self.inner.release(k, now)
    }
    fn block(&self, k: String, until: u64) -> Result<u64, PortError> {
        self.inner.block(k, until)
    }
    fn clear(&self, k: String) -> Result<(), PortError> {
        self.inner.clear(k)
    }
}

#[derive(Default)]
struct FlakyAudit {
    inner: MemoryAuditSink,
    faults: Faults,
}
impl AuditSink for FlakyAudit {
    fn record(&self, e: AuditEvent) -> Result<(), PortError> {
        self.faults.hit(PortName::Audit)?;
        self.inner.record(e)
    }
}

struct World {
    engine: Engine,
    clock: Arc<TestClock>,
    flows: Arc<FlakyFlows>,
    directory: Arc<FlakyDirectory>,
    counters: Arc<FlakyCounters>,
    notifier: Arc<RecordingNotifier>,
    audit: Arc<FlakyAudit>,
    info: Arc<MemorySecurityInfoStore>,
}

const ALICE: &str = "alice@contoso.example";

fn world(policy: &str) -> World {
    world_with(policy, |_| {})
}

fn world_with(policy: &str, tune: impl FnOnce(&mut EngineOptions)) -> World {
    let clock = Arc::new(TestClock::new(T0));
    let directory = Arc::new(FlakyDirectory::default());
    let info = Arc::new(MemorySecurityInfoStore::new());
    let alice = UserId::new("u-alice");
    directory.inner.add_user(
        DirectoryUser {
            id: alice.clone(),
            username: ALICE.into(),
            first_name: "Alice".into(),
            last_name: "Smith".into(),
            org_name: "Contoso".into(),
            groups: vec![],
            admin: false,
        },
        "Winter-Lantern-58",
    );
    let si = SecurityInfo {
        email: Some(EmailAddress::parse("alice.smith@fabrikam.example").unwrap()),
        mobile: Some(PhoneNumber::parse("+14255550100").unwrap()),
        ..Default::default()
    };
    info.save(alice.clone(), fixtures::sealed(&alice, &si), 0)
        .unwrap();
    let flows = Arc::new(FlakyFlows::default());
    let counters = Arc::new(FlakyCounters::default());
    let notifier = Arc::new(RecordingNotifier::new());
    let audit = Arc::new(FlakyAudit::default());
    let ports = Ports {
        directory: directory.clone(),
        security_info: info.clone(),
        flows: flows.clone(),
        counters: counters.clone(),
        consume_once: Arc::new(MemoryConsumeOnceSet::new()),
        notifier: notifier.clone(),
        captcha: Arc::new(TestCaptcha::reusable(["ok".to_owned()])),
        breach: None,
        audit: Some(audit.clone()),
        clock: clock.clone(),
        randomness: Arc::new(TestRandomness::new(5)),
    };
    let mut options = fixtures::options();
    tune(&mut options);
    World {
        engine: Engine::new(Policy::parse(policy).unwrap(), ports, options).unwrap(),
        clock,
        flows,
        directory,
        counters,
        notifier,
        audit,
        info,
    }
}

fn last_code(w: &World) -> String {
    w.notifier
        .messages()
        .iter()
        .rev()
        .find_map(|m| m.code.as_ref().map(|c| c.expose().to_owned()))
        .expect("a code was delivered")
}

fn to_code_entry(w: &World) -> String {
    let o = w.engine.start_reset(ALICE, "ok", None).unwrap();
    let id = o.view.unwrap().flow_id;
    w.clock.advance(5);
    let o = w
        .engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    assert_eq!(o.view.unwrap().state, "enter_code");
    id
}

fn state(o: &ResetOutcome) -> &'static str {
    o.view.as_ref().unwrap().state.id()
}

#[test]
fn racing_submissions_of_one_code_pass_the_gate_once() {
    let w = world("");
    let id = to_code_entry(&w);
    let code = last_code(&w);
    let outcomes: Vec<ResetOutcome> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..12)
            .map(|_| {
                s.spawn(|| {
                    w.engine
                        .reset_step(&id, ResetInput::EnterCode(SecretString::new(code.clone())))
                        .unwrap()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners = outcomes.iter().filter(|o| o.rejection.is_none()).count();
    assert_eq!(
        winners,
        1,
        "{:?}",
        outcomes.iter().map(|o| o.rejection).collect::<Vec<_>>()
    );
    for o in outcomes.iter().filter(|o| o.rejection.is_some()) {
        assert!(
            matches!(
                o.rejection,
                Some(Reason::CodeMismatch | Reason::FlowInvalidStep)
            ),
            "{:?}",
            o.rejection
        );
    }
    assert_eq!(w.engine.reset_view_of(&id).unwrap().state, "new_password");
}

#[test]
fn a_failing_notifier_leaves_the_flow_as_it_was() {
    let w = world("");
    let id = w
        .engine
        .start_reset(ALICE, "ok", None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    w.notifier.fail_next(1);
    let err = w
        .engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Port(PortError {
                port: PortName::Notifier,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(w.engine.reset_view_of(&id).unwrap().state, "choose_method");
    // Retrying straight away works: the failed send did not start a cooldown.
    let o = w
        .engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    assert_eq!(state(&o), "enter_code");
    assert_eq!(w.notifier.messages().len(), 1);
}

#[test]
fn a_failing_flow_store_loses_nothing_and_a_lost_compare_and_set_is_retried() {
    let w = world("");
    let id = to_code_entry(&w);
    let code = last_code(&w);
    w.flows.save_faults.arm(1);
    let err = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(code.clone())))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Port(PortError {
                port: PortName::FlowStore,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(w.engine.reset_view_of(&id).unwrap().state, "enter_code");
    // Nothing of the failed step stands: the same code works on the retry (the flow's
    // compare-and-set, not a consumed mark, is what makes it single-use).
    let o = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(code.clone())))
        .unwrap();
    assert_eq!(o.rejection, None);
    assert_eq!(state(&o), "new_password");
    // ... and only once: the flow no longer waits for it.
    let o = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(code)))
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
    // A lost compare-and-set is invisible to the caller.
    let w = world("");
    let id = to_code_entry(&w);
    w.clock.advance(60);
    w.flows.conflicts.store(2, Ordering::SeqCst);
    let o = w.engine.reset_step(&id, ResetInput::Resend).unwrap();
    assert_eq!(o.rejection, None);
    let o = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(last_code(&w))))
        .unwrap();
    assert_eq!(state(&o), "new_password");
}

#[test]
fn a_failing_directory_at_completion_keeps_the_flow_retryable_and_sets_the_password_once() {
    let w = world("");
    let id = to_code_entry(&w);
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(last_code(&w))))
        .unwrap();
    let pw = || ResetInput::NewPassword {
        password: SecretString::new("quiet lantern orchard 4417"),
        confirm: SecretString::new("quiet lantern orchard 4417"),
    };
    w.directory.set_faults.arm(1);
    let err = w.engine.reset_step(&id, pw()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Port(PortError {
                port: PortName::Directory,
                ..
            })
        ),
        "{err}"
    );
    // The directory may or may not have applied it: the flow keeps the change pending.
    assert_eq!(
        w.engine.reset_view_of(&id).unwrap().state,
        "setting_password"
    );
    assert!(
        w.directory
            .inner
            .password_of(&UserId::new("u-alice"))
            .unwrap()
            .ct_eq("Winter-Lantern-58")
    );
    let o = w.engine.reset_step(&id, pw()).unwrap();
    assert_eq!(state(&o), "completed");
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert!(
        w.directory
            .inner
            .password_of(&UserId::new("u-alice"))
            .unwrap()
            .ct_eq("quiet lantern orchard 4417")
    );
    assert_eq!(
        w.directory
            .inner
            .password_history(UserId::new("u-alice"), 10)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        w.directory.inner.sessions_revoked(&UserId::new("u-alice")),
        1
    );
    // Never signs the user in, and the completed flow accepts nothing more.
    assert_eq!(
        w.engine.reset_step(&id, pw()).unwrap().rejection,
        Some(Reason::FlowInvalidStep)
    );
}

#[test]
fn failures_after_the_commit_are_warnings() {
    let w = world("");
    let id = to_code_entry(&w);
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(last_code(&w))))
        .unwrap();
    w.notifier.fail_next(5);
    w.audit.faults.arm(5);
    let o = w
        .engine
        .reset_step(
            &id,
            ResetInput::NewPassword {
                password: SecretString::new("quiet lantern orchard 4417"),
                confirm: SecretString::new("quiet lantern orchard 4417"),
            },
        )
        .unwrap();
    assert_eq!(state(&o), "completed");
    assert!(
        o.warnings.iter().any(|e| e.port == PortName::Notifier),
        "{:?}",
        o.warnings
    );
    assert!(
        o.warnings.iter().any(|e| e.port == PortName::Audit),
        "{:?}",
        o.warnings
    );
}

#[test]
fn a_failing_counter_store_refuses_the_step_without_changing_the_flow() {
    let w = world("");
    let id = to_code_entry(&w);
    w.counters.faults.arm(1);
    let err = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new("00000000")))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Port(PortError {
            port: PortName::CounterStore,
            ..
        })
    ));
    let o = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(last_code(&w))))
        .unwrap();
    assert_eq!(state(&o), "new_password");
}

#[test]
fn hostile_flow_ids_get_typed_errors() {
    let w = world("");
    assert!(matches!(
        w.engine.reset_step("no-such-flow", ResetInput::Cancel),
        Err(Error::Input(_))
    ));
    assert!(matches!(
        w.engine.reset_step(&"x".repeat(10_000), ResetInput::Cancel),
        Err(Error::Input(_))
    ));
    w.flows
        .inner
        .save("garbage".into(), "{not json".into(), 0, u64::MAX)
        .unwrap();
    assert!(matches!(
        w.engine.reset_step("garbage", ResetInput::Cancel),
        Err(Error::Input(_))
    ));
    assert!(matches!(
        w.engine.start_reset(&"a".repeat(300), "ok", None),
        Err(Error::Input(_))
    ));
    let reg = w
        .engine
        .start_registration(ALICE, &SecretString::new("Winter-Lantern-58"), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    assert!(matches!(
        w.engine.reset_step(&reg, ResetInput::Cancel),
        Err(Error::Input(_))
    ));
}

#[test]
fn unblock_lifts_a_block() {
    let w = world(r#"{"limits": {"verify_failures": {"max": 1, "window_s": 60, "block_s": 600}}}"#);
    let id = to_code_entry(&w);
    let o = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new("00000000")))
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
    assert_eq!(o.retry_after, Some(600));
    let fails: Vec<String> = w
        .counters
        .inner
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("sspr/v2/fail/"))
        .collect();
    assert_eq!(
        fails.len(),
        1,
        "one failure counter, keyed by the user: {fails:?}"
    );
    assert_eq!(
        w.counters.inner.get(fails[0].clone(), T0 + 5).unwrap(),
        CounterState {
            count: 1,
            blocked_until: Some(T0 + 5 + 600)
        }
    );
    assert_eq!(
        state(&w.engine.start_reset(ALICE, "ok", None).unwrap()),
        "blocked"
    );
    w.engine
        .unblock(" Alice@Contoso.example ", "helpdesk-7")
        .unwrap();
    assert_eq!(
        state(&w.engine.start_reset(ALICE, "ok", None).unwrap()),
        "choose_method"
    );
}

#[test]
fn a_client_address_is_limited_across_identifiers() {
    let w = world_with(r#"{"reset": {"confirm_phone_number": false}}"#, |o| {
        o.client_limit = Some(sspr_core::policy::Limit::new(2, 3600, 900))
    });
    let ip = Some("198.51.100.23");
    for (i, who) in ["someone@contoso.example", "another@contoso.example"]
        .iter()
        .enumerate()
    {
        let view = w.engine.start_reset(who, "ok", ip).unwrap().view.unwrap();
        let id = view.flow_id;
        // A decoy's screen is drawn per identifier: take the first option that asks a code.
        let code_option = view
            .options
            .iter()
            .map(|o| o.option)
            .find(|o| {
                !matches!(
                    o,
                    ResetOption::AppNotification | ResetOption::SecurityQuestions
                )
            })
            .unwrap();
        w.engine
            .reset_step(&id, ResetInput::Choose(code_option))
            .unwrap();
        let o = w
            .engine
            .reset_step(&id, ResetInput::EnterCode(SecretString::new("00000000")))
            .unwrap();
        if i == 0 {
            assert_eq!(o.rejection, Some(Reason::CodeMismatch));
        } else {
            assert_eq!(
                o.rejection,
                Some(Reason::UserBlocked),
                "the second identifier from the same client is blocked"
            );
            assert_eq!(o.retry_after, Some(900));
        }
    }
    // The same address is blocked for a third identifier; another address is not.
    assert_eq!(
        state(
            &w.engine
                .start_reset("third@contoso.example", "ok", ip)
                .unwrap()
        ),
        "blocked"
    );
    assert_eq!(
        state(
            &w.engine
                .start_reset("third@contoso.example", "ok", Some("192.0.2.1"))
                .unwrap()
        ),
        "choose_method"
    );
}

/// Password checks count against the client's limit too: one client trying one password
/// over many accounts (sign-in check, registration, change password) is refused uncompared
/// once its limit is spent, while another client still gets through.
#[test]
fn a_client_spraying_passwords_over_many_accounts_is_limited() {
    let w = world_with("{}", |o| {
        o.client_limit = Some(sspr_core::policy::Limit::new(3, 900, 900))
    });
    let ip = Some("198.51.100.7");
    let guess = SecretString::new("Summer2026!");
    let c = w
        .engine
        .sign_in_check("one@contoso.example", &guess, ip)
        .unwrap();
    assert_eq!(c.rejection, Some(Reason::ReauthFailed));
    let r = w
        .engine
        .start_registration("two@contoso.example", &guess, ip)
        .unwrap();
    assert_eq!(r.rejection, Some(Reason::ReauthFailed));
    let p = w
        .engine
        .change_password(ALICE, &guess, &guess, &guess, ip)
        .unwrap();
    assert_eq!(p.rejection, Some(Reason::ReauthFailed));
    // The limit is spent: Alice's right password from that client is refused uncompared.
    let right = SecretString::new("Winter-Lantern-58");
    let p = w
        .engine
        .change_password(ALICE, &right, &guess, &guess, ip)
        .unwrap();
    assert_eq!(p.rejection, Some(Reason::UserBlocked));
    assert_eq!(p.retry_after, Some(900));
    let c = w.engine.sign_in_check(ALICE, &right, ip).unwrap();
    assert_eq!(c.rejection, Some(Reason::UserBlocked));
    // From another address her password checks out.
    let c = w
        .engine
        .sign_in_check(ALICE, &right, Some("192.0.2.44"))
        .unwrap();
    assert_eq!(c.rejection, None);
    // A client string over its maximum size is an input error, not a check.
    let long = "x".repeat(4096);
    assert!(matches!(
        w.engine.sign_in_check(ALICE, &right, Some(&long)),
        Err(sspr_core::Error::Input(_))
    ));
}

#[test]
fn a_country_budget_stops_toll_fraud() {
    let w = world_with(
        r#"{"limits": {"resend_cooldown_s": 0}, "reset": {"confirm_phone_number": false}}"#,
        |o| {
            o.country_budget = Some(sspr_core::engine::CountryBudget {
                max: 2,
                window_s: 3600,
            })
        },
    );
    let id = w
        .engine
        .start_reset(ALICE, "ok", None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    for _ in 0..2 {
        let o = w
            .engine
            .reset_step(&id, ResetInput::Choose(ResetOption::MobileText))
            .unwrap();
        assert_eq!(o.rejection, None);
    }
    let o = w
        .engine
        .reset_step(&id, ResetInput::Choose(ResetOption::MobileCall))
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
    assert_eq!(
        w.notifier.messages().len(),
        2,
        "nothing sent once the budget is spent"
    );
}

#[test]
fn completing_a_reset_revokes_the_users_other_flows() {
    let w = world("");
    let other = w
        .engine
        .start_reset(ALICE, "ok", None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    w.clock.advance(1);
    let id = to_code_entry(&w);
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(last_code(&w))))
        .unwrap();
    let pw = "quiet lantern orchard 4417";
    w.engine
        .reset_step(
            &id,
            ResetInput::NewPassword {
                password: SecretString::new(pw),
                confirm: SecretString::new(pw),
            },
        )
        .unwrap();
    let o = w
        .engine
        .reset_step(&other, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::FlowExpired));
    assert_eq!(state(&o), "expired");
}

#[test]
fn the_store_holds_the_flow_under_its_reference_with_its_expiry() {
    let w = world("");
    let view = w
        .engine
        .start_reset(ALICE, "ok", None)
        .unwrap()
        .view
        .unwrap();
    // The store holds the flow under its reference, never under the id (a bearer token).
    assert!(w.flows.inner.load(view.flow_id.clone()).unwrap().is_none());
    let rec = w.flows.inner.load(view.flow_ref.clone()).unwrap().unwrap();
    assert!(!rec.data.contains(&view.flow_id));
    let v: serde_json::Value = serde_json::from_str(&rec.data).unwrap();
    assert_eq!(v["reset"]["expires_at"], T0 + 900);
    assert_eq!(view.expires_at, T0 + 900);
}

/// Persisted JSON of every flow state and of the security-info record, compared with the
/// snapshots in `tests/snapshots/`: the stored format must stay readable.
#[test]
fn persisted_json_matches_the_snapshots() {
    let w = world(r#"{"reset": {"methods": ["email", "mobile_phone"], "methods_required": 2}}"#);
    let mut shots: Vec<(&str, String)> = Vec::new();
    let grab = |w: &World, id: &str| {
        let key = sspr_core::testing::internals::reference(&fixtures::identity_key(), "flow", id);
        let rec = w.flows.inner.load(key).unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_str(&rec.data).unwrap();
        serde_json::to_string_pretty(&v).unwrap()
    };
    let id = w
        .engine
        .start_reset(ALICE, "ok", None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    shots.push(("reset-choose_method", grab(&w, &id)));
    w.engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    shots.push(("reset-enter_code", grab(&w, &id)));
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(last_code(&w))))
        .unwrap();
    w.engine
        .reset_step(&id, ResetInput::Choose(ResetOption::MobileText))
        .unwrap();
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(last_code(&w))))
        .unwrap();
    shots.push(("reset-new_password", grab(&w, &id)));
    let reg = w
        .engine
        .start_registration(ALICE, &SecretString::new("Winter-Lantern-58"), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    shots.push(("registration-prove_identity", grab(&w, &reg)));
    let o = w
        .engine
        .registration_step(
            &reg,
            sspr_core::registration::RegistrationInput::Prove(ResetOption::Email),
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "proving");
    shots.push(("registration-proving", grab(&w, &reg)));
    let o = w
        .engine
        .registration_step(
            &reg,
            sspr_core::registration::RegistrationInput::Verify(SecretString::new(last_code(&w))),
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "registering");
    let o = w
        .engine
        .registration_step(
            &reg,
            sspr_core::registration::RegistrationInput::Mobile {
                number: "+14255550188".into(),
                via: sspr_core::registration::Via::Text,
            },
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "verifying");
    shots.push(("registration-verifying", grab(&w, &reg)));
    let sealed = w.info.load(UserId::new("u-alice")).unwrap().unwrap().data;
    assert!(
        sealed.starts_with("sspr-sealed.v1.identity."),
        "stored sealed"
    );
    assert!(!sealed.contains("fabrikam") && !sealed.contains("4255550"));
    let info = sspr_core::SealingKeys::derived(&fixtures::identity_key())
        .open("u-alice", &sealed)
        .unwrap()
        .plaintext
        .to_string();
    shots.push((
        "security-info",
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&info).unwrap())
            .unwrap(),
    ));
    // Reviewed with `cargo insta review` (or `INSTA_UPDATE=always`) after a deliberate format
    // change. A change old records cannot be read under bumps the record's `v`; a field with a
    // default (as `question_draws`) does not.
    for (name, json) in shots {
        insta::assert_snapshot!(name, json);
    }
}

#[test]
fn every_step_is_audited_with_masked_data_only() {
    let w = world("");
    let id = w
        .engine
        .start_reset(ALICE, "ok", Some("203.0.113.9"))
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new("1")))
        .unwrap();
    w.engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    w.engine.reset_step(&id, ResetInput::Resend).unwrap();
    let code = last_code(&w);
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new("00000000")))
        .unwrap();
    w.engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(code.clone())))
        .unwrap();
    let pw = "quiet lantern orchard 4417";
    w.engine
        .reset_step(
            &id,
            ResetInput::NewPassword {
                password: SecretString::new(pw),
                confirm: SecretString::new(pw),
            },
        )
        .unwrap();
    w.engine
        .sign_in_check(ALICE, &sspr_core::SecretString::new("wrong"), None)
        .unwrap();
    let events = w.audit.inner.events();
    let reasons: Vec<Option<Reason>> = events
        .iter()
        .filter(|e| e.kind == sspr_core::audit::AuditKind::StepRejected)
        .map(|e| e.reason)
        .collect();
    for r in [
        Reason::FlowInvalidStep,
        Reason::SendCooldown,
        Reason::CodeMismatch,
        Reason::ReauthFailed,
    ] {
        assert!(reasons.contains(&Some(r)), "{r} not audited: {reasons:?}");
    }
    use sspr_core::audit::AuditKind::*;
    let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
    for k in [
        ResetStarted,
        OptionChosen,
        ChallengeSent,
        FactorVerified,
        PasswordChanged,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
    let shown = format!("{events:?}");
    for secret in ["alice.smith@fabrikam.example", "5550100", code.as_str(), pw] {
        assert!(!shown.contains(secret), "audit shows {secret}");
    }
    assert!(shown.contains("al*********@fabrikam.example"));
}

#[test]
fn flows_of_an_unknown_format_version_are_refused() {
    let w = world("");
    let id = w
        .engine
        .start_reset(ALICE, "ok", None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    let key = sspr_core::testing::internals::reference(&fixtures::identity_key(), "flow", &id);
    let rec = w.flows.inner.load(key).unwrap().unwrap();
    let future = rec.data.replace("\"v\":2", "\"v\":3");
    assert_ne!(future, rec.data);
    let future_key =
        sspr_core::testing::internals::reference(&fixtures::identity_key(), "flow", "future");
    w.flows.inner.save(future_key, future, 0, u64::MAX).unwrap();
    let err = w
        .engine
        .reset_step("future", ResetInput::Cancel)
        .unwrap_err();
    assert!(matches!(err, Error::Input(_)), "{err}");
    assert!(
        err.to_string().contains("format 3 is not supported"),
        "{err}"
    );
}

#[test]
fn a_resend_replaces_the_earlier_code() {
    let w = world("");
    let id = to_code_entry(&w);
    let first = last_code(&w);
    w.clock.advance(31);
    assert_eq!(
        w.engine
            .reset_step(&id, ResetInput::Resend)
            .unwrap()
            .rejection,
        None
    );
    let second = last_code(&w);
    assert_ne!(first, second);
    let o = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(first)))
        .unwrap();
    assert_eq!(
        o.rejection,
        Some(Reason::CodeMismatch),
        "the first code died with the resend"
    );
    let o = w
        .engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(second)))
        .unwrap();
    assert_eq!(state(&o), "new_password");
}

/// Importing security info: each bad field gets a typed input error and nothing is stored; a
/// good import is what a reset then offers.
#[test]
fn import_validates_every_field_and_stores_nothing_on_error() {
    use sspr_core::engine::{AppImport, SecurityInfoImport};
    let mem = MemoryPorts::for_tests(T0, 7, "pass");
    let id = UserId::new("ann@contoso.example");
    mem.directory.add_user(
        DirectoryUser {
            id: id.clone(),
            username: "ann@contoso.example".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            org_name: "Contoso".into(),
            groups: vec![],
            admin: false,
        },
        "Correct horse battery 9",
    );
    let engine = fixtures::engine(Policy::default(), mem.ports());
    let good = SecurityInfoImport {
        email: Some("ann.home@fabrikam.example".into()),
        mobile: Some("+14255550100".into()),
        ..Default::default()
    };
    let bad_inputs: Vec<(&str, SecurityInfoImport)> = vec![
        (
            "email",
            SecurityInfoImport {
                email: Some("not an address".into()),
                ..good.clone()
            },
        ),
        (
            "phone",
            SecurityInfoImport {
                mobile: Some("0425 555".into()),
                ..good.clone()
            },
        ),
        (
            "short answer",
            SecurityInfoImport {
                questions: [("q".to_owned(), SecretString::new("a"))].into(),
                ..good.clone()
            },
        ),
        (
            "short secret",
            SecurityInfoImport {
                app: Some(AppImport::standard(
                    SecretString::new("JBSWY3DPEHPK3PXP"),
                    "dev",
                )),
                ..good.clone()
            },
        ),
        (
            "not base32",
            SecurityInfoImport {
                app: Some(AppImport::standard(SecretString::new("not base32!"), "dev")),
                ..good.clone()
            },
        ),
        (
            "empty device",
            SecurityInfoImport {
                app: Some(AppImport::standard(
                    SecretString::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
                    " ",
                )),
                ..good.clone()
            },
        ),
    ];
    for (what, import) in bad_inputs {
        let err = engine.import_security_info(&id, &import).unwrap_err();
        assert!(matches!(err, Error::Input(_)), "{what}: {err}");
        assert!(
            mem.security_info.load(id.clone()).unwrap().is_none(),
            "{what} stored something"
        );
    }
    let stranger = engine
        .import_security_info(&UserId::new("nobody"), &good)
        .unwrap_err();
    assert!(matches!(stranger, Error::Input(_)));
    assert!(
        !format!("{:?}", good).contains("fabrikam"),
        "Debug shows no address"
    );

    engine.import_security_info(&id, &good).unwrap();
    let started = engine
        .start_reset("ann@contoso.example", "pass", None)
        .unwrap();
    let mut offered: Vec<_> = started
        .view
        .unwrap()
        .options
        .iter()
        .map(|o| o.option)
        .collect();
    offered.sort_by_key(|o| o.id());
    assert_eq!(
        offered,
        [
            ResetOption::Email,
            ResetOption::MobileCall,
            ResetOption::MobileText
        ]
    );
}

#[test]
fn a_registration_record_from_before_question_draws_still_reads() {
    let w = world("");
    let id = w
        .engine
        .start_registration(ALICE, &SecretString::new("Winter-Lantern-58"), None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    let key = sspr_core::testing::internals::reference(&fixtures::identity_key(), "flow", &id);
    let rec = w.flows.inner.load(key).unwrap().unwrap();
    let older = rec.data.replace(",\"question_draws\":0", "");
    assert_ne!(older, rec.data, "the field was there to remove");
    let old_key =
        sspr_core::testing::internals::reference(&fixtures::identity_key(), "flow", "older");
    w.flows.inner.save(old_key, older, 0, u64::MAX).unwrap();
    let o = w
        .engine
        .registration_step(
            "older",
            sspr_core::registration::RegistrationInput::Prove(ResetOption::Email),
        )
        .unwrap();
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().state, "proving");
}

#[test]
fn an_unknown_flow_id_is_its_own_error_and_changes_nothing() {
    let w = world("");
    let unknown = |r: Result<(), Error>| {
        assert!(
            matches!(r, Err(Error::Input(sspr_core::InputError::UnknownFlow))),
            "{r:?}"
        );
    };
    unknown(w.engine.reset_step("nope", ResetInput::Cancel).map(drop));
    unknown(w.engine.reset_view_of("nope").map(drop));
    unknown(
        w.engine
            .registration_step(
                "nope",
                sspr_core::registration::RegistrationInput::Prove(ResetOption::Email),
            )
            .map(drop),
    );
    // A flow that expired and was purged is unknown too; one still stored says so in its view.
    let id = w
        .engine
        .start_reset(ALICE, "ok", None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    let key = sspr_core::testing::internals::reference(&fixtures::identity_key(), "flow", &id);
    w.flows.inner.delete(key).unwrap();
    unknown(w.engine.reset_step(&id, ResetInput::Cancel).map(drop));
    assert!(w.notifier.messages().is_empty());
}

#[test]
fn a_registration_page_can_be_shown_again_without_a_step() {
    let mem = fixtures::memory_ports(3);
    let engine = fixtures::engine(Policy::default(), mem.ports());
    let o = engine
        .start_registration(
            fixtures::ALICE.username,
            &sspr_core::SecretString::new(fixtures::ALICE.password),
            None,
        )
        .unwrap();
    let v = o.view.unwrap();
    let again = engine.registration_view_of(&v.flow_id).unwrap();
    assert_eq!(again, v, "the same screen, nothing changed");
    // A reset flow's id is not a registration flow, and an unknown id is unknown.
    let reset = engine
        .start_reset(fixtures::ALICE.username, fixtures::CAPTCHA, None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    assert!(engine.registration_view_of(&reset).is_err());
    assert!(matches!(
        engine.registration_view_of("no-such-flow"),
        Err(sspr_core::Error::Input(sspr_core::InputError::UnknownFlow))
    ));
}
