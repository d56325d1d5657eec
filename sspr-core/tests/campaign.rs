//! The registration campaign: "not now" at sign-in (`Engine::snooze_registration`), the
//! policy's `registration.snooze_days` and `registration.snoozes`, administrators never.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sspr_core::audit::AuditKind;
use sspr_core::engine::{Engine, SignInCheck};
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::Clock;
use sspr_core::registration::RegistrationInput;
use sspr_core::testing::fixtures::{self, ALICE, DemoUser};
use sspr_core::{Policy, Reason, ResetOption, SecretString};

const DAY: u64 = 86_400;

const CAROL: DemoUser = DemoUser {
    id: "u-carol",
    username: "carol@contoso.example",
    first_name: "Carol",
    last_name: "Jones",
    password: "Amber-Violin-73",
    admin: false,
};

const DAN: DemoUser = DemoUser {
    id: "u-dan",
    username: "dan@contoso.example",
    first_name: "Dan",
    last_name: "Admin",
    password: "Copper-Signal-92",
    admin: true,
};

struct W {
    engine: Engine,
    mem: MemoryPorts,
}

fn world(policy: &str) -> W {
    let mem = fixtures::memory_ports(5);
    for u in [CAROL, DAN] {
        mem.directory.add_user(u.directory_user(), u.password);
    }
    let engine = fixtures::engine(Policy::parse(policy).unwrap(), mem.ports());
    W { engine, mem }
}

impl W {
    fn sign_in(&self, who: DemoUser) -> SignInCheck {
        let c = self
            .engine
            .sign_in_check(who.username, &SecretString::new(who.password), None)
            .unwrap();
        assert_eq!(c.rejection, None);
        c
    }

    fn snooze(&self, who: DemoUser) -> sspr_core::engine::SnoozeOutcome {
        self.engine.snooze_registration(who.username).unwrap()
    }

    fn now(&self) -> u64 {
        self.mem.clock.now().unwrap()
    }

    fn snoozed_events(&self) -> usize {
        self.mem
            .audit
            .events()
            .iter()
            .filter(|e| e.kind == AuditKind::RegistrationSnoozed)
            .count()
    }
}

#[test]
fn entra_defaults_one_day_three_times() {
    let p = Policy::default();
    assert_eq!(p.registration().snooze_days, 1);
    assert_eq!(p.registration().snoozes, 3);
    let w = world("{}");
    for round in 0..3u32 {
        let c = w.sign_in(CAROL);
        assert!(c.registration_required, "round {round}");
        assert!(c.may_snooze, "round {round}");
        assert_eq!(c.snoozes_left, Some(3 - round));
        let s = w.snooze(CAROL);
        assert_eq!(s.rejection, None);
        assert_eq!(s.snoozed_until, Some(w.now() + DAY));
        assert_eq!(s.snoozes_left, Some(2 - round));
        // Snoozed: sign-in lets her through, and a second snooze is refused.
        let c = w.sign_in(CAROL);
        assert!(!c.registration_required && !c.may_snooze);
        let again = w.snooze(CAROL);
        assert_eq!(again.rejection, Some(Reason::SnoozeUnavailable));
        assert_eq!(again.snoozed_until, None);
        w.mem.clock.advance(DAY);
    }
    // Three used: registering is required now.
    let c = w.sign_in(CAROL);
    assert!(c.registration_required);
    assert!(!c.may_snooze);
    assert_eq!(c.snoozes_left, Some(0));
    assert_eq!(w.snooze(CAROL).rejection, Some(Reason::SnoozeUnavailable));
    assert_eq!(w.snoozed_events(), 3);
    // The audit event names the user and nothing secret.
    let ev = w
        .mem
        .audit
        .events()
        .into_iter()
        .find(|e| e.kind == AuditKind::RegistrationSnoozed)
        .unwrap();
    assert_eq!(ev.user.as_ref().map(|u| u.as_str()), Some("u-carol"));
}

#[test]
fn snoozes_zero_is_without_limit_and_snooze_days_zero_is_never() {
    let w = world(r#"{"registration": {"snooze_days": 14, "snoozes": 0}}"#);
    for _ in 0..6 {
        let c = w.sign_in(CAROL);
        assert!(c.may_snooze);
        assert_eq!(c.snoozes_left, None);
        let s = w.snooze(CAROL);
        assert_eq!(s.rejection, None);
        assert_eq!(s.snoozes_left, None);
        assert_eq!(s.snoozed_until, Some(w.now() + 14 * DAY));
        w.mem.clock.advance(13 * DAY);
        assert!(!w.sign_in(CAROL).registration_required);
        w.mem.clock.advance(DAY);
    }
    let w = world(r#"{"registration": {"snooze_days": 0}}"#);
    let c = w.sign_in(CAROL);
    assert!(c.registration_required && !c.may_snooze);
    assert_eq!(c.snoozes_left, Some(0));
    assert_eq!(w.snooze(CAROL).rejection, Some(Reason::SnoozeUnavailable));
    assert_eq!(w.snoozed_events(), 0);
}

#[test]
fn administrators_never_snooze() {
    let w = world("{}");
    let c = w.sign_in(DAN);
    assert!(c.registration_required);
    assert!(!c.may_snooze);
    assert_eq!(c.snoozes_left, Some(0));
    assert_eq!(w.snooze(DAN).rejection, Some(Reason::SnoozeUnavailable));
    assert!(w.sign_in(DAN).registration_required);
}

#[test]
fn nothing_to_put_off_is_refused() {
    let w = world("{}");
    // Alice has enough registered and nothing is due.
    let c = w.sign_in(ALICE);
    assert!(!c.registration_required && !c.may_snooze);
    assert_eq!(w.snooze(ALICE).rejection, Some(Reason::SnoozeUnavailable));
    // Out of scope: nothing asked, nothing put off.
    let w = world(r#"{"reset": {"enabled_for": "none"}}"#);
    assert_eq!(w.snooze(CAROL).rejection, Some(Reason::SnoozeUnavailable));
    // A name not in the directory is the host's mistake.
    assert!(
        w.engine
            .snooze_registration("nobody@contoso.example")
            .is_err()
    );
}

#[test]
fn reconfirmation_may_be_put_off_and_finishing_starts_the_count_over() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone"]}, "registration": {"reconfirm_days": 180}}"#,
    );
    let mut info = fixtures::alice_info();
    info.confirmed_at = Some(fixtures::T0);
    fixtures::overwrite_info(w.mem.security_info.as_ref(), &ALICE.user_id(), &info);
    w.mem.clock.advance(181 * DAY);
    let c = w.sign_in(ALICE);
    assert!(c.reconfirm_due && c.registration_required && c.may_snooze);
    assert_eq!(w.snooze(ALICE).snoozes_left, Some(2));
    let c = w.sign_in(ALICE);
    assert!(c.reconfirm_due && !c.registration_required);
    w.mem.clock.advance(DAY);
    assert_eq!(w.sign_in(ALICE).snoozes_left, Some(2));
    // She re-confirms: the campaign starts over for the next time.
    let o = w
        .engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap();
    let id = o.view.unwrap().flow_id;
    w.engine
        .registration_step(&id, RegistrationInput::Prove(ResetOption::Email))
        .unwrap();
    let code = w
        .mem
        .notifier
        .take()
        .iter()
        .rev()
        .find_map(|m| m.code.as_ref().map(|c| c.expose().to_owned()))
        .unwrap();
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::Verify(SecretString::new(code)))
        .unwrap();
    assert_eq!(o.view.unwrap().state, "reconfirm");
    let o = w
        .engine
        .registration_step(&id, RegistrationInput::Finish)
        .unwrap();
    assert_eq!(o.view.unwrap().state, "done");
    let c = w.sign_in(ALICE);
    assert!(!c.reconfirm_due && !c.registration_required);
    w.mem.clock.advance(181 * DAY);
    let c = w.sign_in(ALICE);
    assert!(c.registration_required);
    assert_eq!(c.snoozes_left, Some(3));
}

#[test]
fn records_without_a_snooze_and_with_one_load() {
    use sspr_core::testing::internals::security_info::SecurityInfo;
    let old = r#"{"v":1,"info":{"email":"carol@fabrikam.example"}}"#;
    assert_eq!(SecurityInfo::from_record(old).unwrap().snooze, None);
    let new = r#"{"v":1,"info":{"snooze":{"count":2,"until":1750086400}}}"#;
    let s = SecurityInfo::from_record(new).unwrap().snooze.unwrap();
    assert_eq!((s.count, s.until), (2, 1_750_086_400));
    let tampered = r#"{"v":1,"info":{"snooze":{"count":4000000000,"until":1}}}"#;
    assert!(SecurityInfo::from_record(tampered).is_err());
}
