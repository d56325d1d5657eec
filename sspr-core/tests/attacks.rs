//! Attacks on the guarantees of docs/threat-model.md, each replayed against the engine with
//! threads held at chosen points, slow counters, failing stores and tampered records. Test
//! names carry the guarantee they attack: g1 count before compare, g3 no plain identifier
//! stored, g4 revocation, g5 proof before change, g6 notices, g7 decoys, g8 the password
//! applied once, g10 distinct factors, g11 nothing secret logged, g12 no panic.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier, Mutex};

use common::{World, world, wrong};
use sspr_core::engine::{Engine, SecurityInfoImport};
use sspr_core::memory::*;
use sspr_core::otp::OtpParams;
use sspr_core::ports::*;
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, BEN, BEN_APP_SECRET, CAPTCHA, T0};
use sspr_core::testing::internals::totp;
use sspr_core::{
    DirectoryUser, Method, Policy, PortError, PortName, Reason, ResetOption, SecretString, UserId,
    otp::SecretBytes,
};

const PW: &str = "quiet lantern orchard 4417";
const PW2: &str = "amber kestrel harbour 9031";
const EVIL: &str = "velvet marmot quarry 7720";

fn new_password(p: &str) -> ResetInput {
    ResetInput::NewPassword {
        password: SecretString::new(p),
        confirm: SecretString::new(p),
    }
}

// ---------------------------------------------------------------------------------------------
// A harness with hooks: a directory that can hold a named thread inside `user()` or
// `set_password()`, and a security-info store whose saves can fail.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Hooks {
    /// Held inside `Directory::user` (thread name, barrier waited twice).
    user_hold: Mutex<Option<(&'static str, Arc<Barrier>)>>,
    /// Held inside `Directory::set_password` before applying.
    set_hold: Mutex<Option<(&'static str, Arc<Barrier>)>>,
}

fn hold(slot: &Mutex<Option<(&'static str, Arc<Barrier>)>>) {
    let me = std::thread::current().name().map(str::to_owned);
    let b = {
        let mut g = slot.lock().unwrap();
        match &*g {
            Some((name, _)) if me.as_deref() == Some(*name) => g.take().map(|(_, b)| b),
            _ => None,
        }
    };
    if let Some(b) = b {
        b.wait(); // the other side may go
        b.wait(); // the other side is done
    }
}

struct HookDir {
    inner: Arc<MemoryDirectory>,
    hooks: Arc<Hooks>,
    checks: AtomicU32,
}

impl Directory for HookDir {
    fn find_user(&self, identifier: String) -> Result<Option<DirectoryUser>, PortError> {
        self.inner.find_user(identifier)
    }
    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError> {
        hold(&self.hooks.user_hold);
        self.inner.user(id)
    }
    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError> {
        self.inner.administrators()
    }
    fn check_password(&self, id: UserId, p: SecretString) -> Result<bool, PortError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.inner.check_password(id, p)
    }
    fn set_password(&self, id: UserId, c: PasswordChange) -> Result<(), PortError> {
        hold(&self.hooks.set_hold);
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
struct FlakyInfo {
    inner: MemorySecurityInfoStore,
    fail_saves: AtomicU32,
}

impl SecurityInfoStore for FlakyInfo {
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError> {
        self.inner.load(user)
    }
    fn save(&self, user: UserId, data: String, expected: u64) -> Result<(), PortError> {
        if self
            .fail_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(PortError::unavailable(
                PortName::SecurityInfoStore,
                "injected",
            ));
        }
        self.inner.save(user, data, expected)
    }
}

struct H {
    engine: Engine,
    mem: MemoryPorts,
    dir: Arc<HookDir>,
    hooks: Arc<Hooks>,
    info: Arc<FlakyInfo>,
}

fn hooked(policy: &str) -> H {
    let mem = fixtures::memory_ports(7);
    let hooks = Arc::new(Hooks::default());
    let dir = Arc::new(HookDir {
        inner: mem.directory.clone(),
        hooks: hooks.clone(),
        checks: AtomicU32::new(0),
    });
    let info = Arc::new(FlakyInfo::default());
    for (u, i) in [(ALICE, fixtures::alice_info()), (BEN, fixtures::ben_info())] {
        info.inner
            .save(u.user_id(), fixtures::sealed(&u.user_id(), &i), 0)
            .unwrap();
    }
    let mut ports = mem.ports();
    ports.directory = dir.clone();
    ports.security_info = info.clone();
    let engine = Engine::new(Policy::parse(policy).unwrap(), ports, fixtures::options()).unwrap();
    H {
        engine,
        mem,
        dir,
        hooks,
        info,
    }
}

impl H {
    fn last_code(&self) -> String {
        self.mem
            .notifier
            .messages()
            .iter()
            .rev()
            .find_map(|m| m.code.as_ref().map(|c| c.expose().to_owned()))
            .expect("a code was delivered")
    }
    fn step(&self, id: &str, i: ResetInput) -> sspr_core::engine::ResetOutcome {
        self.engine.reset_step(id, i).unwrap()
    }
    fn start(&self, who: &str) -> String {
        self.engine
            .start_reset(who, CAPTCHA, None)
            .unwrap()
            .view
            .unwrap()
            .flow_id
    }
    /// Alice's reset flow, through the email gate, at "new password".
    fn alice_at_new_password(&self) -> String {
        let id = self.start(ALICE.username);
        self.step(&id, ResetInput::Choose(ResetOption::Email));
        let o = self.step(&id, World::code(&self.last_code()));
        assert_eq!(o.view.unwrap().state, "new_password", "{:?}", o.rejection);
        id
    }
    fn complete_reset(&self, pw: &str) {
        let id = self.alice_at_new_password();
        let o = self.step(&id, new_password(pw));
        assert_eq!(o.view.unwrap().state, "completed", "{:?}", o.rejection);
    }
    fn password_is(&self, user: &UserId, pw: &str) -> bool {
        self.mem
            .directory
            .check_password(user.clone(), SecretString::new(pw))
            .unwrap()
    }
    /// A "this wasn't me" token of Alice's, from a notice about a change of her info.
    fn alice_notice_token(&self) -> String {
        let id = proved_registration_with(&self.engine, || self.last_code());
        let o = self
            .engine
            .registration_step(&id, RegistrationInput::SetDefault(Method::Email))
            .unwrap();
        assert_eq!(o.rejection, None);
        self.mem
            .notifier
            .messages()
            .iter()
            .rev()
            .find_map(|m| m.revoke_token.as_ref().map(|t| t.expose().to_owned()))
            .expect("a notice with a token")
    }
}

fn proved_registration_with(engine: &Engine, code: impl Fn() -> String) -> String {
    let o = engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.state, "prove_identity");
    let id = v.flow_id;
    engine
        .registration_step(&id, RegistrationInput::Prove(ResetOption::Email))
        .unwrap();
    let o = engine
        .registration_step(&id, RegistrationInput::Verify(SecretString::new(code())))
        .unwrap();
    assert_eq!(o.view.unwrap().state, "registering", "{:?}", o.rejection);
    id
}

fn carol() -> DirectoryUser {
    DirectoryUser {
        id: UserId::new("u-carol"),
        username: "carol".into(),
        first_name: "Carol".into(),
        last_name: "Jones".into(),
        org_name: fixtures::ORG.into(),
        groups: vec![],
        admin: false,
    }
}
const CAROL_PW: &str = "Pebble-Orchid-77";

// =============================================================================================
// Guarantee 1: count before compare; per-user limit; failures in a row.
// =============================================================================================

/// A user locked after too many failures in a row (here 3) stays subject to the per-user
/// failure limit (5 an hour) when re-authenticating with the password: the lock lives on its
/// own key, so it neither swallows the hourly block nor opens unlimited password guessing.
#[test]
fn g1_a_locked_user_still_has_a_per_user_limit_on_password_guesses() {
    let h = hooked(r#"{"limits": {"consecutive_failures": 3}}"#);
    for i in 0..3 {
        let c = h
            .engine
            .sign_in_check(
                ALICE.username,
                &sspr_core::SecretString::new(format!("wrong-{i}")),
                None,
            )
            .unwrap();
        assert!(c.rejection.is_some());
    }
    let before = h.dir.checks.load(Ordering::SeqCst);
    for i in 0..30 {
        h.engine
            .sign_in_check(
                ALICE.username,
                &sspr_core::SecretString::new(format!("guess-{i}")),
                None,
            )
            .unwrap();
    }
    let compared = h.dir.checks.load(Ordering::SeqCst) - before;
    let right = h
        .engine
        .sign_in_check(
            ALICE.username,
            &sspr_core::SecretString::new(ALICE.password),
            None,
        )
        .unwrap();
    assert!(
        compared <= 5,
        "{compared} password guesses compared while the user was locked; the right one then \
         gave {:?}",
        right.rejection
    );
}

/// Same with the default policy (100 in a row): a burst of concurrent wrong re-auths over a
/// slow counter store all pass the block check before any block lands; the per-user limit
/// still holds after the burst.
#[test]
fn g1_a_burst_that_locks_the_user_does_not_open_unlimited_password_guessing() {
    let w = world("");
    w.counters.slow(20);
    std::thread::scope(|s| {
        for i in 0..110 {
            let w = &w;
            s.spawn(move || {
                let _ = w.engine.sign_in_check(
                    ALICE.username,
                    &sspr_core::SecretString::new(format!("b-{i}")),
                    None,
                );
            });
        }
    });
    w.counters.on.store(false, Ordering::SeqCst);
    let in_burst = w.directory.password_checks.load(Ordering::SeqCst);
    let subject = sspr_core::testing::internals::reference(
        &fixtures::identity_key(),
        "subject",
        "user:u-alice",
    );
    let fail = CounterStore::get(
        &w.counters.inner,
        format!("sspr/v2/fail/{subject}"),
        w.now(),
    )
    .unwrap();
    let row =
        CounterStore::get(&w.counters.inner, format!("sspr/v2/row/{subject}"), w.now()).unwrap();
    let before = w.directory.password_checks.load(Ordering::SeqCst);
    for i in 0..30 {
        w.engine
            .sign_in_check(
                ALICE.username,
                &sspr_core::SecretString::new(format!("guess-{i}")),
                None,
            )
            .unwrap();
    }
    let compared = w.directory.password_checks.load(Ordering::SeqCst) - before;
    assert!(
        compared == 0,
        "{compared} password guesses compared after the burst (fail key {fail:?}, row key \
         {row:?}); {in_burst} of the 110 in the burst were compared"
    );
}

/// A right authenticator code whose flow save loses the compare-and-set is re-run; the re-run
/// recognises the time step its own first run recorded and passes, instead of counting the
/// right code as a replay.
#[test]
fn g1_a_right_app_code_that_loses_the_flow_race_is_not_a_failure() {
    let w = world("");
    let id = w.start(BEN.username);
    w.step(&id, ResetInput::Choose(ResetOption::AppCode));
    let secret = SecretBytes::from_base32(BEN_APP_SECRET).unwrap();
    let code = totp::totp(secret.expose(), w.now(), &OtpParams::default()).unwrap();
    w.flows.conflicts.store(1, Ordering::SeqCst);
    let o = w.step(&id, World::code(&code));
    assert_eq!(
        o.rejection, None,
        "the right app code was turned into {:?} by the re-run",
        o.rejection
    );
    assert_eq!(o.view.unwrap().gate, 2);
}

/// A right delivered code entered as the code's last allowed attempt, whose flow save loses
/// the compare-and-set: the re-run reuses the first run's reservation, so it does not find
/// the challenge spent by itself.
#[test]
fn g1_a_right_last_attempt_that_loses_the_flow_race_still_passes() {
    let w = world("");
    let id = w.alice_at_code();
    let right = w.last_code();
    for i in 0..2 {
        w.step(&id, World::code(&wrong(&right, i)));
    }
    w.flows.conflicts.store(1, Ordering::SeqCst);
    let o = w.step(&id, World::code(&right));
    assert_eq!(
        o.rejection, None,
        "the right code (3rd attempt) was refused as {:?} after a lost race",
        o.rejection
    );
}

/// The counter store contract: `release` takes back an increment of the window open at
/// `now` only. A right attempt reserved at the end of one window and released after another
/// process rolled the window must not erase a failure of the new window.
#[test]
fn g1_a_release_does_not_erase_a_failure_of_a_later_window() {
    let c = MemoryCounterStore::new();
    let k = "sspr/v2/fail/x".to_owned();
    // A right attempt reserves at t=1000 (window 1000..4600).
    c.increment(k.clone(), 1000, 3600).unwrap();
    // Another process, at t=4600, counts a wrong attempt: a new window 4600..8200, count 1.
    assert_eq!(c.increment(k.clone(), 4600, 3600).unwrap().count, 1);
    // The right attempt settles with its own `now` (1000) and gives its place back.
    c.release(k.clone(), 1000).unwrap();
    assert_eq!(
        c.get(k, 4600).unwrap().count,
        1,
        "the release of a window-1 reservation erased a window-2 failure"
    );
}

// =============================================================================================
// Guarantee 4: a completed reset, a change of info and a report end every other open flow.
// =============================================================================================

/// "This wasn't me" redeemed while the attacker's reset flow is in its password step (after
/// it loaded the security info, before the directory call): the epoch compare-and-set fails,
/// the attacker's password is never applied, and the report's block stays.
#[test]
fn g4_a_report_during_the_attackers_password_step_stops_it() {
    let h = hooked("");
    let token = h.alice_notice_token();
    let attacker = h.alice_at_new_password();
    let b = Arc::new(Barrier::new(2));
    *h.hooks.user_hold.lock().unwrap() = Some(("attacker", b.clone()));
    let out = std::thread::scope(|s| {
        let t = std::thread::Builder::new()
            .name("attacker".into())
            .spawn_scoped(s, || h.engine.reset_step(&attacker, new_password(EVIL)))
            .unwrap();
        b.wait();
        let r = h.engine.report_not_me(&token).unwrap();
        assert_eq!(r.rejection, None);
        b.wait();
        t.join().unwrap()
    });
    let after = h.engine.start_reset(ALICE.username, CAPTCHA, None).unwrap();
    assert!(
        !h.password_is(&ALICE.user_id(), EVIL),
        "the attacker's password was applied after the report (step said {:?}); a new reset \
         now gets {:?}",
        out.map(|o| o.view.map(|v| v.state)),
        after.rejection
    );
    assert_eq!(after.rejection, Some(Reason::UserBlocked));
}

/// The victim completes a reset while the attacker's flow is inside its own password step:
/// the attacker's flow ends and does not overwrite the victim's new password.
#[test]
fn g4_a_reset_completed_during_another_flows_password_step_ends_that_flow() {
    let h = hooked("");
    let attacker = h.alice_at_new_password();
    let b = Arc::new(Barrier::new(2));
    *h.hooks.user_hold.lock().unwrap() = Some(("attacker", b.clone()));
    let out = std::thread::scope(|s| {
        let t = std::thread::Builder::new()
            .name("attacker".into())
            .spawn_scoped(s, || h.engine.reset_step(&attacker, new_password(EVIL)))
            .unwrap();
        b.wait();
        h.complete_reset(PW);
        b.wait();
        t.join().unwrap().unwrap()
    });
    assert!(
        h.password_is(&ALICE.user_id(), PW),
        "the victim's fresh password was overwritten by an older flow (state {:?})",
        out.view.map(|v| v.state)
    );
}

/// An import raises the epoch: a flow ended by an earlier reset (epoch 1) does not come back
/// to life after an import (an administrator re-importing a user's contacts after an
/// incident, say).
#[test]
fn g4_an_import_does_not_bring_back_a_flow_a_reset_ended() {
    let h = hooked("");
    let stale = h.start(ALICE.username);
    h.mem.clock.advance(1);
    h.complete_reset(PW);
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        mobile: Some("+14255550100".into()),
        ..Default::default()
    };
    h.engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();
    let o = h.step(&stale, ResetInput::Choose(ResetOption::Email));
    assert_eq!(
        o.rejection,
        Some(Reason::FlowExpired),
        "a flow the reset ended is alive again after an import: {:?}",
        o.view.map(|v| v.state)
    );
}

/// An import is a change of security info and ends open flows: a registration opened with
/// the password alone (nothing registered, so no proof) cannot go on to remove the methods
/// the administrator then imports.
#[test]
fn g4_g5_an_import_ends_a_registration_opened_without_proof() {
    let h = hooked("");
    h.mem.directory.add_user(carol(), CAROL_PW);
    let o = h
        .engine
        .start_registration("carol", &SecretString::new(CAROL_PW), None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.state, "registering");
    let import = SecurityInfoImport {
        email: Some("carol.jones@fabrikam.example".into()),
        mobile: Some("+14255550177".into()),
        ..Default::default()
    };
    h.engine.import_security_info(&carol().id, &import).unwrap();
    let o = h
        .engine
        .registration_step(&v.flow_id, RegistrationInput::Remove(Method::MobilePhone))
        .unwrap();
    assert!(
        matches!(
            o.rejection,
            Some(Reason::FlowExpired | Reason::ProofRequired)
        ),
        "imported mobile removed without proof: {:?} / {:?}",
        o.rejection,
        o.view.map(|v| v.state)
    );
}

// =============================================================================================
// Guarantee 5: changing security info needs proof of a registered method.
// =============================================================================================

/// A user whose only registered method is security questions must answer them before any
/// change: having questions is not "first registration", so the password alone cannot
/// replace them or add the attacker's own phone.
#[test]
fn g5_a_user_with_only_security_questions_must_prove_before_a_change() {
    let policy = r#"{"reset": {"methods": ["email", "mobile_phone", "security_questions"],
        "methods_required": 1}}"#;
    let h = hooked(policy);
    h.mem.directory.add_user(carol(), CAROL_PW);
    let import = SecurityInfoImport {
        questions: [
            ("What was the name of your first pet?", "Rex"),
            ("What was your first job?", "paper round"),
            ("What is your favourite food?", "pho"),
        ]
        .iter()
        .map(|(q, a)| ((*q).to_owned(), SecretString::new(*a)))
        .collect(),
        ..Default::default()
    };
    h.engine.import_security_info(&carol().id, &import).unwrap();
    // Carol is a real user for a reset (questions are a registered method)...
    let r = h.engine.start_reset("carol", CAPTCHA, None).unwrap();
    assert!(
        r.view
            .unwrap()
            .options
            .iter()
            .any(|o| o.option == ResetOption::SecurityQuestions)
    );
    // ...but the wizard opens without proof.
    let o = h
        .engine
        .start_registration("carol", &SecretString::new(CAROL_PW), None)
        .unwrap();
    let v = o.view.unwrap();
    let removed = h
        .engine
        .registration_step(
            &v.flow_id,
            RegistrationInput::Remove(Method::SecurityQuestions),
        )
        .unwrap();
    assert_eq!(
        v.state, "prove_identity",
        "password alone opened the wizard for a registered user; removing the questions gave \
         {:?}",
        removed.rejection
    );
}

/// `Finish` before proof does not save a new `confirmed_at`: the periodic re-confirmation
/// needs a proof like any other change.
#[test]
fn g5_finish_before_proof_does_not_reconfirm_the_info() {
    let h = hooked("");
    let o = h
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    let v = o.view.unwrap();
    assert_eq!(v.state, "prove_identity");
    let o = h
        .engine
        .registration_step(&v.flow_id, RegistrationInput::Finish)
        .unwrap();
    let rec = h.info.inner.load(ALICE.user_id()).unwrap().unwrap();
    let info = fixtures::opened(&ALICE.user_id(), &rec.data);
    assert_eq!(
        info.confirmed_at,
        None,
        "re-confirmed without proof (step: {:?}, state {:?})",
        o.rejection,
        o.view.map(|v| v.state)
    );
}

// =============================================================================================
// Guarantee 6: notices, and the "this wasn't me" token.
// =============================================================================================

/// `report_not_me` raises the epoch, revokes sessions and blocks before it consumes the
/// token: a transient store failure in between leaves the token for a retry.
#[test]
fn g6_a_report_that_fails_midway_can_be_retried() {
    let h = hooked("");
    let token = h.alice_notice_token();
    h.info.fail_saves.store(1, Ordering::SeqCst);
    assert!(h.engine.report_not_me(&token).is_err());
    let again = h.engine.report_not_me(&token).unwrap();
    assert_eq!(
        again.rejection, None,
        "the token was burnt by a report that did not take effect"
    );
}

/// Every contact registered before a change is told of it, the office phone too: a user
/// whose sign-in name is not an address and who has only an office phone registered hears of
/// an address the attacker adds.
#[test]
fn g6_the_old_office_phone_is_told_of_a_change() {
    let policy = r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone"],
        "methods_required": 1}}"#;
    let h = hooked(policy);
    h.mem.directory.add_user(carol(), CAROL_PW);
    let import = SecurityInfoImport {
        office: Some("+14255550123".into()),
        ..Default::default()
    };
    h.engine.import_security_info(&carol().id, &import).unwrap();
    let o = h
        .engine
        .start_registration("carol", &SecretString::new(CAROL_PW), None)
        .unwrap();
    let id = o.view.unwrap().flow_id;
    let o = h
        .engine
        .registration_step(&id, RegistrationInput::Prove(ResetOption::OfficeCall))
        .unwrap();
    assert_eq!(
        o.rejection,
        None,
        "{:?}",
        o.view.map(|v| (v.state, v.proof_options))
    );
    let o = h
        .engine
        .registration_step(
            &id,
            RegistrationInput::Verify(SecretString::new(h.last_code())),
        )
        .unwrap();
    assert_eq!(o.view.unwrap().state, "registering", "{:?}", o.rejection);
    h.engine
        .registration_step(
            &id,
            RegistrationInput::Email("evil@attacker.example".into()),
        )
        .unwrap();
    let code = h.last_code();
    h.mem.notifier.take();
    let o = h
        .engine
        .registration_step(&id, RegistrationInput::Verify(SecretString::new(code)))
        .unwrap();
    assert_eq!(o.rejection, None);
    let notices: Vec<(Channel, String)> = h
        .mem
        .notifier
        .messages()
        .iter()
        .filter(|m| m.kind == MessageKind::SecurityInfoChanged)
        .map(|m| (m.channel, m.to.clone()))
        .collect();
    assert!(
        notices.iter().any(|(_, to)| to.contains("14255550123")),
        "the registered office phone was not told; notices went to {notices:?}"
    );
}

/// a token works once, not across kinds of record, not as a flow id, not after 7 days.
#[test]
fn g6_tokens_are_single_use_and_expire() {
    let h = hooked("");
    let token = h.alice_notice_token();
    // Not a flow id.
    assert!(h.engine.reset_step(&token, ResetInput::Cancel).is_err());
    // Two concurrent redemptions: one wins.
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| h.engine.report_not_me(&token).unwrap().rejection))
            .collect();
        hs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_none()).count(), 1);
    // Another token, after 7 days.
    h.mem.clock.advance(86_400 + 1);
    let t2 = h.alice_notice_token();
    h.mem.clock.advance(7 * 86_400);
    assert_eq!(
        h.engine.report_not_me(&t2).unwrap().rejection,
        Some(Reason::NoticeInvalid)
    );
    // A flow id is not a token either.
    let fid = h.start(ALICE.username);
    assert_eq!(
        h.engine.report_not_me(&fid).unwrap().rejection,
        Some(Reason::NoticeInvalid)
    );
}

// =============================================================================================
// Guarantee 7: decoys cannot be told apart.
// =============================================================================================

/// a decoy's redraw of questions counts as a failure, as a real user's does; decoys
/// with different identifiers never share a block.
#[test]
fn g7_decoy_counters_are_their_own() {
    let policy = r#"{"reset": {"methods": ["email", "mobile_phone", "security_questions"],
        "methods_required": 1}, "limits": {"resend_cooldown_s": 0}}"#;
    let w = world(policy);
    let a = w.start("ghost-a@contoso.example");
    for i in 0..12u64 {
        w.step(&a, World::code(&format!("{i:08}")));
        let o = w.step(&a, ResetInput::Choose(ResetOption::Email));
        let _ = o;
        w.step(&a, World::code(&format!("{i:08}")));
    }
    let b = w
        .engine
        .start_reset("ghost-b@contoso.example", CAPTCHA, None)
        .unwrap();
    assert_eq!(b.rejection, None, "an unrelated decoy shares a block");
}

// =============================================================================================
// Guarantee 8: a new password is applied once and reported truthfully.
// =============================================================================================

/// A first password's directory call is held for two minutes; a second password submitted
/// meanwhile is refused as `password.change_pending` (never applied), and the first one
/// finishes: what is reported is what the directory holds.
#[test]
fn g8_a_slow_first_change_does_not_overwrite_a_reported_second_one() {
    let h = hooked("");
    let id = h.alice_at_new_password();
    let b = Arc::new(Barrier::new(2));
    *h.hooks.set_hold.lock().unwrap() = Some(("first", b.clone()));
    let (first, second) = std::thread::scope(|s| {
        let t = std::thread::Builder::new()
            .name("first".into())
            .spawn_scoped(s, || h.engine.reset_step(&id, new_password(PW)))
            .unwrap();
        b.wait();
        h.mem.clock.advance(120);
        let second = h.engine.reset_step(&id, new_password(PW2)).unwrap();
        b.wait();
        (t.join().unwrap(), second)
    });
    assert_eq!(second.rejection, Some(Reason::PasswordChangePending));
    let first = first.unwrap();
    assert_eq!(first.view.unwrap().state, "completed");
    assert!(
        h.password_is(&ALICE.user_id(), PW),
        "the first (reported) password is the one in force"
    );
    assert!(!h.password_is(&ALICE.user_id(), PW2));
}

// =============================================================================================
// Guarantee 10: two gates, distinct factors and destinations (holds).
// =============================================================================================

#[test]
fn g10_one_number_cannot_be_mobile_and_office() {
    let policy = r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone"],
        "methods_required": 2}}"#;
    let h = hooked(policy);
    let id = proved_registration_with(&h.engine, || h.last_code());
    for number in ["+14255550100", "+1 (425) 555-0100", " +1.425.555.0100 "] {
        let o = h
            .engine
            .registration_step(&id, RegistrationInput::Office(number.into()))
            .unwrap();
        assert_eq!(o.rejection, Some(Reason::MethodInvalid), "{number}");
    }
    let o = h
        .engine
        .registration_step(
            &id,
            RegistrationInput::Email("ALICE@contoso.example".into()),
        )
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::MethodInvalid));
}

// =============================================================================================
// Guarantee 12: bounded inputs, tampered records, u64::MAX (holds).
// =============================================================================================

#[test]
fn g12_registration_questions_are_bounded() {
    let policy = r#"{"reset": {"methods": ["email", "mobile_phone", "security_questions"],
        "methods_required": 1}}"#;
    let h = hooked(policy);
    let id = proved_registration_with(&h.engine, || h.last_code());
    let many: BTreeMap<String, SecretString> = (0..6)
        .map(|i| (format!("q{i}"), SecretString::new("a")))
        .collect();
    assert!(
        h.engine
            .registration_step(&id, RegistrationInput::Questions(many))
            .is_err()
    );
    let long: BTreeMap<String, SecretString> = [("q".repeat(10_000), SecretString::new("a"))]
        .into_iter()
        .collect();
    assert!(
        h.engine
            .registration_step(&id, RegistrationInput::Questions(long))
            .is_err()
    );
    let custom: BTreeMap<String, SecretString> = [
        ("Anything I like 1?".to_owned(), SecretString::new("aaa1")),
        ("Anything I like 2?".to_owned(), SecretString::new("aaa2")),
        ("Anything I like 3?".to_owned(), SecretString::new("aaa3")),
    ]
    .into_iter()
    .collect();
    let o = h
        .engine
        .registration_step(&id, RegistrationInput::Questions(custom))
        .unwrap();
    assert_eq!(o.rejection, Some(Reason::MethodInvalid));
}

/// Tampered flow records (times at u64::MAX, question_draws at u32::MAX, last_sends at
/// u64::MAX, gates 0 and 255, a decoy's question indices out of range) and a clock at
/// u64::MAX: every step returns, none panics.
#[test]
fn g12_tampered_records_do_not_panic() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone", "security_questions"],
        "methods_required": 1}}"#,
    );
    let ids = [w.start(ALICE.username), w.start("ghost@contoso.example")];
    let keys = w.flows.inner_keys();
    let tampers: [(&str, &str); 8] = [
        (
            r#""expires_at":\d+"#,
            r#""expires_at":18446744073709551615"#,
        ),
        (
            r#""created_at":\d+"#,
            r#""created_at":18446744073709551615"#,
        ),
        (r#""question_draws":\d+"#, r#""question_draws":4294967295"#),
        (r#""gates":\d+"#, r#""gates":0"#),
        (r#""gates":\d+"#, r#""gates":255"#),
        (r#""epoch":\d+"#, r#""epoch":18446744073709551615"#),
        (r#""questions":\[[^\]]*\]"#, r#""questions":[65535,40,0]"#),
        (
            r#""last_sends":\{\}"#,
            r#""last_sends":{"x":18446744073709551615}"#,
        ),
    ];
    for (pat, rep) in tampers {
        for key in &keys {
            let Some(rec) = w.flows.inner.load(key.clone()).unwrap() else {
                continue;
            };
            let re = simple_replace(&rec.data, pat, rep);
            let _ = w.flows.inner.save(key.clone(), re, rec.version, u64::MAX);
        }
        for id in &ids {
            for input in [
                ResetInput::Choose(ResetOption::Email),
                ResetInput::Choose(ResetOption::SecurityQuestions),
                ResetInput::Resend,
                World::code("12345678"),
                ResetInput::Answer(BTreeMap::new()),
            ] {
                let _ = w.engine.reset_step(id, input);
                let _ = w.engine.reset_view_of(id);
            }
        }
    }
    w.mem.clock.set(u64::MAX);
    for id in &ids {
        let _ = w
            .engine
            .reset_step(id, ResetInput::Choose(ResetOption::Email));
    }
    let _ = w.engine.start_reset(ALICE.username, CAPTCHA, None);
    let _ = w
        .engine
        .sign_in_check(ALICE.username, &sspr_core::SecretString::new("x"), None);
}

/// A tiny "regex": `\d+`, `[^\]]*` and `\{\}` only, enough for the tampering above.
fn simple_replace(s: &str, pat: &str, rep: &str) -> String {
    let (prefix, tail) = if let Some(p) = pat.strip_suffix(r"\d+") {
        (p.replace('\\', ""), "digits")
    } else if let Some(p) = pat.strip_suffix(r"[^\]]*\]") {
        (p.replace('\\', ""), "bracket")
    } else {
        return s.replace(&pat.replace('\\', ""), rep);
    };
    let Some(start) = s.find(&prefix) else {
        return s.to_owned();
    };
    let after = start + prefix.len();
    let end = match tail {
        "digits" => after + s[after..].chars().take_while(char::is_ascii_digit).count(),
        _ => after + s[after..].find(']').map_or(0, |i| i + 1),
    };
    format!("{}{}{}", &s[..start], rep, &s[end..])
}

trait Keys {
    fn inner_keys(&self) -> Vec<String>;
}
impl Keys for common::FlakyFlows {
    fn inner_keys(&self) -> Vec<String> {
        self.inner.keys()
    }
}

// =============================================================================================
// Guarantee 3 and 11 (holds): stored keys are keyed; no flow id in audit or Debug.
// =============================================================================================

#[test]
fn g3_g11_no_plain_identifier_or_flow_id_is_stored_or_logged() {
    let h = hooked("");
    let id = h.alice_at_new_password();
    h.step(&id, new_password(PW));
    let _ = h.engine.sign_in_check(
        "CONTOSO\\alice",
        &sspr_core::SecretString::new("nope"),
        None,
    );
    for k in h.mem.counters.keys() {
        for bad in ["alice", "u-alice", "4255550100", "fabrikam", "contoso"] {
            assert!(!k.to_lowercase().contains(bad), "{k}");
        }
    }
    for k in h.mem.flows.keys() {
        assert!(!k.contains(&id), "{k}");
    }
    for e in h.mem.audit.events() {
        assert!(!format!("{e:?}").contains(&id));
    }
    let _ = T0;
}

// =============================================================================================
// Bursts, notices on failing stores, imports and question draws.
// =============================================================================================

/// A burst of wrong codes at ONE flow over a slow counter store: every attempt passes the
/// block check before any block lands and reserves its place in the failures-in-a-row
/// counter; refused (uncompared) attempts give their place back, so one burst of ~100
/// requests cannot lock a known account's self-service. The row budget only counts attempts
/// that were compared.
#[test]
fn g1_refused_attempts_do_not_spend_the_in_a_row_budget() {
    let w = world("");
    let id = w.alice_at_code();
    let right = w.last_code();
    w.counters.slow(20);
    std::thread::scope(|s| {
        for i in 0..110u64 {
            let (w, id, right) = (&w, &id, &right);
            s.spawn(move || {
                let _ = w.engine.reset_step(id, World::code(&wrong(right, i)));
            });
        }
    });
    w.counters.on.store(false, Ordering::SeqCst);
    let subject = sspr_core::testing::internals::reference(
        &fixtures::identity_key(),
        "subject",
        "user:u-alice",
    );
    let row =
        CounterStore::get(&w.counters.inner, format!("sspr/v2/row/{subject}"), w.now()).unwrap();
    let fail = CounterStore::get(
        &w.counters.inner,
        format!("sspr/v2/fail/{subject}"),
        w.now(),
    )
    .unwrap();
    // Audited rejections are the compared attempts whose steps were saved; a comparison whose
    // step then lost its compare-and-set (and was re-run on a flow that no longer waited for
    // the code) stays counted without an event. So the row counter lies between the audited
    // rejections and the code's own limit of comparisons, never near the lock.
    let compared = w.compared_failures(None);
    let max = usize::from(sspr_core::Policy::default().codes().max_attempts);
    assert!(
        (compared..=max).contains(&(row.count as usize)) && fail.blocked_until != Some(u64::MAX),
        "{compared} audited, the code allows {max}, but the row counter is at {} and the fail \
         key is {:?}",
        row.count,
        fail
    );
}

/// A notice's "this wasn't me" record is saved before the change: when it cannot be saved,
/// the step fails with the change unmade, so no notice ever goes out without a token.
#[test]
fn g6_every_notice_carries_a_token() {
    let w = world("");
    let id = proved_registration_with(&w.engine, || w.last_code());
    w.mem.notifier.take();
    // Saves in the step: the notice record (1st flow-store save), then the flow (2nd).
    w.flows.fail_nth.store(1, Ordering::SeqCst);
    let before = SecurityInfoStore::load(&*w.mem.security_info, ALICE.user_id()).unwrap();
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::SetDefault(Method::Email));
    let notices: Vec<_> = w
        .mem
        .notifier
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::SecurityInfoChanged)
        .collect();
    match o {
        Err(e) => {
            assert!(matches!(e, sspr_core::Error::Port(ref p) if p.port == PortName::FlowStore));
            assert!(notices.is_empty(), "a failed step sends nothing");
            assert_eq!(
                SecurityInfoStore::load(&*w.mem.security_info, ALICE.user_id()).unwrap(),
                before,
                "a failed step changes nothing"
            );
        }
        Ok(o) => assert!(
            notices.iter().all(|m| m.revoke_token.is_some()),
            "{} notices sent without a token (warnings: {})",
            notices.iter().filter(|m| m.revoke_token.is_none()).count(),
            o.warnings.len()
        ),
    }
}

/// An imported authenticator secret is bounded like a stored one (16 to 128 bytes): a
/// 200-byte secret is refused at import rather than stored and then unreadable, which would
/// leave the user unable to reset, register or pass a sign-in check.
#[test]
fn g12_import_bounds_the_authenticator_secret() {
    let h = hooked("");
    let big = SecretBytes::new(vec![7u8; 200]).to_base32();
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        app: Some(sspr_core::engine::AppImport::standard(
            SecretString::new(big),
            "alice-phone",
        )),
        ..Default::default()
    };
    let imported = h.engine.import_security_info(&ALICE.user_id(), &import);
    let start = h.engine.start_reset(ALICE.username, CAPTCHA, None);
    assert!(
        imported.is_err() || start.is_ok(),
        "import accepted a record the engine then refuses to read: {:?}",
        start.err()
    );
}

/// Questions cannot be fished for: with 5 registered and 3 asked, seeing all 5 costs
/// failures. A new flow's first draw repeats the last one of the day.
#[test]
fn g7_questions_cannot_be_fished_for_across_flows() {
    let policy = r#"{"reset": {"methods": ["email", "mobile_phone", "security_questions"],
        "methods_required": 1},
        "security_questions": {"to_register": 5, "to_reset": 3}}"#;
    let h = hooked(policy);
    let qs = [
        "What was the name of your first pet?",
        "What was your first job?",
        "What is your favourite food?",
        "What was your childhood nickname?",
        "What is your father's middle name?",
    ];
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        questions: qs
            .iter()
            .map(|q| ((*q).to_owned(), SecretString::new("answer one")))
            .collect(),
        ..Default::default()
    };
    h.engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let id = h.start(ALICE.username);
        let o = h.step(&id, ResetInput::Choose(ResetOption::SecurityQuestions));
        seen.extend(o.view.unwrap().questions);
    }
    let subject = sspr_core::testing::internals::reference(
        &fixtures::identity_key(),
        "subject",
        "user:u-alice",
    );
    let fail = h
        .mem
        .counters
        .get(
            format!("sspr/v2/fail/{subject}"),
            h.mem.clock.now().unwrap(),
        )
        .unwrap();
    assert!(
        seen.len() <= 3 || fail.count > 0,
        "all {} registered questions seen at no cost",
        seen.len()
    );
}
