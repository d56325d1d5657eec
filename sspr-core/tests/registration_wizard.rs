//! The "keep your account secure" wizard as the seeds walk it: resend and back, the default
//! method, the success screen, reconfirmation, the authenticator's test approval.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sspr_core::engine::{Engine, RegistrationOutcome};
use sspr_core::memory::MemoryPorts;
use sspr_core::ports::{Channel, Message, MessageKind};
use sspr_core::registration::{RegistrationInput, Via};
use sspr_core::testing::fixtures::{self, ALICE, DemoUser};
use sspr_core::{Method, Policy, Reason, ResetOption, SecretString};

/// Carol: in the directory, nothing registered.
const CAROL: DemoUser = DemoUser {
    id: "u-carol",
    username: "carol@contoso.example",
    first_name: "Carol",
    last_name: "Jones",
    password: "Amber-Violin-73",
    admin: false,
};

const POLICY: &str = r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone",
    "app_code", "app_notification", "security_questions"], "methods_required": 1},
    "limits": {"resend_cooldown_s": 60}}"#;

struct W {
    engine: Engine,
    mem: MemoryPorts,
}

fn world(policy: &str) -> W {
    let mem = fixtures::memory_ports(11);
    let engine = fixtures::engine(Policy::parse(policy).unwrap(), mem.ports());
    W { engine, mem }
}

impl W {
    fn start(&self, who: DemoUser) -> (String, RegistrationOutcome) {
        let o = self
            .engine
            .start_registration(who.username, &SecretString::new(who.password), None)
            .unwrap();
        (o.view.as_ref().unwrap().flow_id.clone(), o)
    }

    fn step(&self, id: &str, input: RegistrationInput) -> RegistrationOutcome {
        self.engine.registration_step(id, input).unwrap()
    }

    fn sent(&self) -> Vec<Message> {
        self.mem.notifier.take()
    }

    fn code_of(sent: &[Message]) -> SecretString {
        SecretString::new(
            sent.iter()
                .rev()
                .find_map(|m| m.code.as_ref().map(|c| c.expose().to_owned()))
                .expect("a code was sent"),
        )
    }

    /// Alice's wizard, proved with her alternate email: `registering`.
    fn alice_registering(&self) -> String {
        let (id, o) = self.start(ALICE);
        assert_eq!(o.view.unwrap().state, "prove_identity");
        let o = self.step(&id, RegistrationInput::Prove(ResetOption::Email));
        assert_eq!(o.rejection, None);
        let code = Self::code_of(&self.sent());
        let o = self.step(&id, RegistrationInput::Verify(code));
        assert_eq!(o.view.unwrap().state, "registering");
        id
    }

    /// Carol's wizard (nothing registered yet: `registering` at once).
    fn carol_registering(&self) -> String {
        self.mem
            .directory
            .add_user(CAROL.directory_user(), CAROL.password);
        let (id, o) = self.start(CAROL);
        assert_eq!(o.view.unwrap().state, "registering");
        id
    }

    /// Registers and verifies a method that sends a code.
    fn register(&self, id: &str, input: RegistrationInput) -> RegistrationOutcome {
        let o = self.step(id, input);
        assert_eq!(o.rejection, None);
        assert_eq!(o.view.unwrap().state, "verifying");
        let o = self.step(id, RegistrationInput::Verify(Self::code_of(&self.sent())));
        assert_eq!(o.rejection, None, "verify");
        self.sent();
        o
    }

    /// The options `who`'s reset offers, in screen order.
    fn reset_options(&self, who: &str) -> Vec<ResetOption> {
        let o = self
            .engine
            .start_reset(who, fixtures::CAPTCHA, None)
            .unwrap();
        o.view.unwrap().options.iter().map(|o| o.option).collect()
    }

    fn advance(&self, s: u64) {
        self.mem.clock.advance(s);
    }
}

fn state(o: &RegistrationOutcome) -> String {
    o.view.as_ref().unwrap().state.id().to_owned()
}

#[test]
fn resend_sends_the_new_methods_code_again_after_the_cooldown() {
    let w = world(POLICY);
    let id = w.alice_registering();
    let o = w.step(&id, RegistrationInput::Office("+14255550177".into()));
    assert_eq!(state(&o), "verifying");
    // "We just sent a code to +1 XXXXXXXX77": where it went, masked.
    let to = o.view.as_ref().unwrap().pending_to.clone().unwrap();
    assert!(to.ends_with("77") && !to.contains("55501"), "{to}");
    let first = w.sent();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].channel, Channel::Voice);
    let first_code = W::code_of(&first);

    // Within the cooldown: refused with the seconds left, nothing sent, still verifying.
    w.advance(20);
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, Some(Reason::SendCooldown));
    assert_eq!(o.retry_after, Some(40));
    assert_eq!(state(&o), "verifying");
    assert!(w.sent().is_empty());
    // Registering the same number again is a resend too.
    let o = w.step(&id, RegistrationInput::Office("+14255550177".into()));
    assert_eq!(o.rejection, Some(Reason::SendCooldown));

    // After it: a new code to the same number; the first one no longer works.
    w.advance(40);
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, None);
    assert_eq!(state(&o), "verifying");
    let second = w.sent();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].to, "+14255550177");
    assert_eq!(second[0].kind, MessageKind::Code);
    let second_code = W::code_of(&second);
    if first_code.expose() != second_code.expose() {
        let o = w.step(&id, RegistrationInput::Verify(first_code));
        assert_eq!(o.rejection, Some(Reason::CodeMismatch));
    }
    let o = w.step(&id, RegistrationInput::Verify(second_code));
    assert_eq!(o.rejection, None);
    assert_eq!(state(&o), "registering");
    assert_eq!(o.view.as_ref().unwrap().pending_to, None);
    assert!(
        o.view
            .unwrap()
            .registered
            .contains(&sspr_core::Method::OfficePhone)
    );
}

#[test]
fn resend_of_a_mobile_keeps_its_way_and_counts_sends() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone"], "methods_required": 1},
        "limits": {"resend_cooldown_s": 0, "phone_sends": {"max": 3, "window_s": 3600, "block_s": 3600}}}"#,
    );
    let id = w.alice_registering();
    // Replace her mobile: text, then calls.
    let o = w.step(
        &id,
        RegistrationInput::Mobile {
            number: "+14255550123".into(),
            via: Via::Call,
        },
    );
    assert_eq!(o.rejection, None);
    let mut refused = None;
    for i in 0..6 {
        let sent = w.sent();
        assert!(sent.iter().all(|m| m.channel == Channel::Voice), "{i}");
        let o = w.step(&id, RegistrationInput::Resend);
        if o.rejection.is_some() {
            refused = o.rejection;
            break;
        }
    }
    // The send limit stops resends as it stops a reset's.
    assert!(
        matches!(refused, Some(Reason::UserBlocked | Reason::SendCooldown)),
        "{refused:?}"
    );
}

#[test]
fn resend_resends_the_proofs_code() {
    let w = world(POLICY);
    let (id, _) = w.start(ALICE);
    let o = w.step(&id, RegistrationInput::Prove(ResetOption::MobileText));
    assert_eq!(state(&o), "proving");
    let first = w.sent();
    assert_eq!(first[0].channel, Channel::Sms);
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, Some(Reason::SendCooldown));
    assert_eq!(o.retry_after, Some(60));
    w.advance(60);
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, None);
    let second = w.sent();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].channel, Channel::Sms);
    let o = w.step(&id, RegistrationInput::Verify(W::code_of(&second)));
    assert_eq!(state(&o), "registering");
}

#[test]
fn resend_where_nothing_was_sent_is_an_invalid_step() {
    let w = world(POLICY);
    let (id, _) = w.start(ALICE);
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
    assert_eq!(state(&o), "prove_identity");
    let id = w.alice_registering();
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
    let o = w.step(&id, RegistrationInput::App { device_id: None });
    assert_eq!(state(&o), "verifying");
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
}

#[test]
fn back_drops_the_pending_method_and_a_different_method_follows() {
    let w = world(POLICY);
    let id = w.alice_registering();
    // The seed's "I want to set up a different method": the app was offered first.
    let o = w.step(&id, RegistrationInput::App { device_id: None });
    assert_eq!(state(&o), "verifying");
    assert_eq!(o.view.unwrap().pending, Some(sspr_core::Method::AppCode));
    let o = w.step(&id, RegistrationInput::Back);
    assert_eq!(o.rejection, None);
    let v = o.view.unwrap();
    assert_eq!(v.state, "registering");
    assert_eq!(v.pending, None);
    // Nothing of the app was saved.
    assert!(!v.registered.contains(&sspr_core::Method::AppCode));
    let o = w.step(&id, RegistrationInput::Office("+14255550177".into()));
    assert_eq!(state(&o), "verifying");
    let o = w.step(&id, RegistrationInput::Verify(W::code_of(&w.sent())));
    assert_eq!(state(&o), "registering");
    // Back where there is nowhere to go back to.
    let o = w.step(&id, RegistrationInput::Back);
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
    assert_eq!(state(&o), "registering");
}

#[test]
fn back_from_a_proof_offers_the_proof_options_again() {
    let w = world(POLICY);
    let (id, _) = w.start(ALICE);
    let o = w.step(&id, RegistrationInput::Prove(ResetOption::Email));
    assert_eq!(state(&o), "proving");
    let emailed = W::code_of(&w.sent());
    let o = w.step(&id, RegistrationInput::Back);
    assert_eq!(o.rejection, None);
    let v = o.view.unwrap();
    assert_eq!(v.state, "prove_identity");
    assert!(!v.proof_options.is_empty());
    // The dropped challenge's code proves nothing now.
    let o = w.step(&id, RegistrationInput::Verify(emailed));
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
    // Another option proves.
    let o = w.step(&id, RegistrationInput::Prove(ResetOption::MobileText));
    assert_eq!(state(&o), "proving");
    let o = w.step(&id, RegistrationInput::Verify(W::code_of(&w.sent())));
    assert_eq!(state(&o), "registering");
}

#[test]
fn the_first_method_registered_becomes_the_default_and_leads_the_reset_screen() {
    let w = world(POLICY);
    let id = w.carol_registering();
    let o = w.register(
        &id,
        RegistrationInput::Mobile {
            number: "+14255550123".into(),
            via: Via::Text,
        },
    );
    assert_eq!(o.view.unwrap().default_method, Some(Method::MobilePhone));
    // A second method leaves the default alone, though it comes first in the policy.
    let o = w.register(
        &id,
        RegistrationInput::Email("carol.j@fabrikam.example".into()),
    );
    let v = o.view.unwrap();
    assert_eq!(v.default_method, Some(Method::MobilePhone));
    assert_eq!(v.registered, [Method::Email, Method::MobilePhone]);
    assert_eq!(
        w.reset_options(CAROL.username),
        [
            ResetOption::MobileText,
            ResetOption::MobileCall,
            ResetOption::Email
        ]
    );
    // Changing it changes the screen's order.
    let o = w.step(&id, RegistrationInput::SetDefault(Method::Email));
    assert_eq!(o.rejection, None);
    assert_eq!(o.view.unwrap().default_method, Some(Method::Email));
    assert_eq!(
        w.reset_options(CAROL.username),
        [
            ResetOption::Email,
            ResetOption::MobileText,
            ResetOption::MobileCall
        ]
    );
    // A method not registered cannot be the default.
    let o = w.step(&id, RegistrationInput::SetDefault(Method::OfficePhone));
    assert_eq!(o.rejection, Some(Reason::MethodInvalid));
}

#[test]
fn a_first_authenticator_app_is_the_default_by_its_notification() {
    let w = world(POLICY);
    let id = w.carol_registering();
    let o = w.step(&id, RegistrationInput::App { device_id: None });
    let secret = o.provisioning.unwrap().secret_b32;
    let now = sspr_core::ports::Clock::now(w.mem.clock.as_ref()).unwrap();
    let code = sspr_core::otp::Credential::from_base32(secret.expose(), "SHA1", 6, 30)
        .unwrap()
        .at(now)
        .unwrap();
    let o = w.step(&id, RegistrationInput::Verify(SecretString::new(code)));
    assert_eq!(o.rejection, None);
    assert_eq!(
        o.view.unwrap().default_method,
        Some(Method::AppNotification)
    );
    let o = w.register(&id, RegistrationInput::Office("+14255550177".into()));
    assert_eq!(
        o.view.unwrap().default_method,
        Some(Method::AppNotification)
    );
    let first = w.reset_options(CAROL.username)[0];
    assert_eq!(first, ResetOption::AppNotification);
    // The proof of a later wizard offers the default first too.
    let (_, o) = w.start(CAROL);
    assert_eq!(
        o.view.unwrap().proof_options[0].option,
        ResetOption::AppNotification
    );
}

#[test]
fn a_record_without_a_default_keeps_the_order_it_showed() {
    let w = world(POLICY);
    // Alice's record predates stored defaults: her screen led with the email.
    assert_eq!(w.reset_options(ALICE.username)[0], ResetOption::Email);
    let id = w.alice_registering();
    let o = w.register(&id, RegistrationInput::Office("+14255550177".into()));
    assert_eq!(o.view.unwrap().default_method, Some(Method::Email));
    assert_eq!(w.reset_options(ALICE.username)[0], ResetOption::Email);
    // Removing the default falls back to the first registered method in the policy's order.
    let o = w.step(&id, RegistrationInput::SetDefault(Method::OfficePhone));
    assert_eq!(o.view.unwrap().default_method, Some(Method::OfficePhone));
    assert_eq!(w.reset_options(ALICE.username)[0], ResetOption::OfficeCall);
    let o = w.step(&id, RegistrationInput::Remove(Method::OfficePhone));
    assert_eq!(o.view.unwrap().default_method, Some(Method::Email));
    assert_eq!(w.reset_options(ALICE.username)[0], ResetOption::Email);
}

#[test]
fn decoys_lead_with_any_of_their_methods_as_real_users_do() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone", "app_code",
        "app_notification"], "methods_required": 1}}"#,
    );
    let mut first = std::collections::BTreeMap::<Method, u32>::new();
    let mut led_by_policy_first = 0;
    for i in 0..600 {
        let who = format!("nobody{i}@contoso.example");
        let a = w.reset_options(&who);
        // Stable per identifier, as a real user's screen is.
        assert_eq!(a, w.reset_options(&who), "{who}");
        *first.entry(a[0].method()).or_default() += 1;
        // The first option leads its method's options (text before call).
        if a[0] == ResetOption::MobileCall {
            panic!("{who}: a call before the text");
        }
        let policy_order: Vec<Method> = [
            Method::Email,
            Method::MobilePhone,
            Method::OfficePhone,
            Method::AppCode,
            Method::AppNotification,
        ]
        .into_iter()
        .filter(|m| a.iter().any(|o| o.method() == *m))
        .collect();
        if a[0].method() == policy_order[0] {
            led_by_policy_first += 1;
        }
    }
    // Every method leads some screens (the app by its notification, as a real user's first
    // app does), and not only the policy's first.
    for m in [
        Method::Email,
        Method::MobilePhone,
        Method::OfficePhone,
        Method::AppNotification,
    ] {
        assert!(first.get(&m).copied().unwrap_or(0) > 40, "{m:?}: {first:?}");
    }
    assert!(!first.contains_key(&Method::AppCode), "{first:?}");
    assert!(led_by_policy_first < 500, "{led_by_policy_first}");
}

#[test]
fn old_records_without_the_new_fields_still_load() {
    let old = r#"{"v":1,"info":{"email":"alice.smith@fabrikam.example","mobile":"+14255550100","confirmed_at":1750000000}}"#;
    let info =
        sspr_core::testing::internals::security_info::SecurityInfo::from_record(old).unwrap();
    assert_eq!(info.default_method, None);
    assert!(info.email.is_some());
}

#[test]
fn the_success_screen_lists_every_method_masked_with_the_default_first() {
    let w = world(POLICY);
    let id = w.carol_registering();
    w.register(&id, RegistrationInput::Office("+14255550177".into()));
    w.register(
        &id,
        RegistrationInput::Email("carol.j@fabrikam.example".into()),
    );
    let o = w.step(&id, RegistrationInput::Finish);
    assert_eq!(o.rejection, None);
    let v = o.view.unwrap();
    assert_eq!(v.state, "done");
    assert_eq!(v.default_method, Some(Method::OfficePhone));
    assert_eq!(v.registered, [Method::Email, Method::OfficePhone]);
    let listed: Vec<(Method, Option<&str>, bool)> = v
        .methods
        .iter()
        .map(|m| (m.method, m.masked.as_deref(), m.default))
        .collect();
    assert_eq!(
        listed,
        [
            (Method::OfficePhone, Some("+1 XXXXXXXX77"), true),
            (Method::Email, Some("ca*****@fabrikam.example"), false),
        ]
    );
    // Nothing unmasked in the view's JSON or Debug.
    let json = serde_json::to_string(&v).unwrap();
    let debug = format!("{v:?}");
    for shown in [&json, &debug] {
        assert!(!shown.contains("5550177"), "{shown}");
        assert!(!shown.contains("carol.j@"), "{shown}");
    }
}

const RECONFIRM: &str = r#"{"reset": {"methods": ["email", "mobile_phone", "office_phone"],
    "methods_required": 1}, "registration": {"reconfirm_days": 180}}"#;

/// Alice, confirmed at T0, 181 days later.
fn alice_due() -> W {
    let w = world(RECONFIRM);
    let mut info = fixtures::alice_info();
    info.confirmed_at = Some(fixtures::T0);
    fixtures::overwrite_info(w.mem.security_info.as_ref(), &ALICE.user_id(), &info);
    w.advance(181 * 86_400);
    w
}

fn sign_in(w: &W) -> sspr_core::engine::SignInCheck {
    w.engine
        .sign_in_check(ALICE.username, &SecretString::new(ALICE.password), None)
        .unwrap()
}

fn prove_email(w: &W, id: &str) -> RegistrationOutcome {
    w.step(id, RegistrationInput::Prove(ResetOption::Email));
    w.step(id, RegistrationInput::Verify(W::code_of(&w.sent())))
}

#[test]
fn reconfirmation_shows_the_methods_and_still_correct_confirms_them() {
    let w = alice_due();
    let c = sign_in(&w);
    assert!(c.reconfirm_due);
    assert!(c.registration_required, "sign-in sends her to the wizard");
    let (id, _) = w.start(ALICE);
    let o = prove_email(&w, &id);
    assert_eq!(o.rejection, None);
    let v = o.view.unwrap();
    assert_eq!(v.state, "reconfirm");
    let listed: Vec<(Method, Option<&str>)> = v
        .methods
        .iter()
        .map(|m| (m.method, m.masked.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [
            (Method::Email, Some("al*********@fabrikam.example")),
            (Method::MobilePhone, Some("+1 XXXXXXXX00")),
        ]
    );
    let o = w.step(&id, RegistrationInput::Finish);
    assert_eq!(o.rejection, None);
    assert_eq!(state(&o), "done");
    let c = sign_in(&w);
    assert!(!c.reconfirm_due && !c.registration_required);
    // Nothing changed, so nobody was told of a change.
    assert!(w.sent().is_empty());
}

#[test]
fn edit_on_the_reconfirmation_step_goes_to_registering() {
    let w = alice_due();
    let (id, _) = w.start(ALICE);
    assert_eq!(state(&prove_email(&w, &id)), "reconfirm");
    // "Edit": the security info page.
    let o = w.step(&id, RegistrationInput::Back);
    assert_eq!(o.rejection, None);
    assert_eq!(state(&o), "registering");
    // Still due until finished.
    assert!(sign_in(&w).reconfirm_due);
    let o = w.step(&id, RegistrationInput::Finish);
    assert_eq!(state(&o), "done");
    assert!(!sign_in(&w).reconfirm_due);

    // A change straight from the step edits too.
    let w = alice_due();
    let (id, _) = w.start(ALICE);
    assert_eq!(state(&prove_email(&w, &id)), "reconfirm");
    let o = w.step(&id, RegistrationInput::Remove(Method::MobilePhone));
    assert_eq!(o.rejection, None);
    assert_eq!(state(&o), "registering");
    assert_eq!(o.view.unwrap().registered, [Method::Email]);
    let o = w.step(&id, RegistrationInput::Office("+14255550177".into()));
    assert_eq!(state(&o), "verifying");
    let o = w.step(&id, RegistrationInput::Verify(W::code_of(&w.sent())));
    assert_eq!(state(&o), "registering");
    let o = w.step(&id, RegistrationInput::Finish);
    assert_eq!(state(&o), "done");
}

#[test]
fn a_wizard_not_due_goes_straight_to_registering() {
    let w = world(RECONFIRM);
    let mut info = fixtures::alice_info();
    info.confirmed_at = Some(fixtures::T0);
    fixtures::overwrite_info(w.mem.security_info.as_ref(), &ALICE.user_id(), &info);
    w.advance(179 * 86_400);
    assert!(!sign_in(&w).reconfirm_due);
    let (id, _) = w.start(ALICE);
    assert_eq!(state(&prove_email(&w, &id)), "registering");
    // Nor is a reconfirmation step offered by Back there.
    let o = w.step(&id, RegistrationInput::Back);
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
}

/// Carol's app being set up on `carol-phone`, a test notification sent: the flow, the request
/// id and the number shown.
fn carol_app_tested(w: &W) -> (String, String, u8) {
    let id = w.carol_registering();
    let o = w.step(
        &id,
        RegistrationInput::App {
            device_id: Some("carol-phone".into()),
        },
    );
    assert_eq!(state(&o), "verifying");
    assert!(o.provisioning.is_some());
    let o = w.step(&id, RegistrationInput::TestPush);
    assert_eq!(o.rejection, None);
    let v = o.view.unwrap();
    assert_eq!(v.state, "verifying");
    assert_eq!(v.pending, Some(Method::AppCode));
    let number = v.approval_number.expect("the number to show");
    let sent = w.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].channel, Channel::Push);
    assert_eq!(sent[0].to, "carol-phone");
    assert_eq!(sent[0].kind, MessageKind::ApprovalRequest);
    let approval = sent[0].approval.clone().unwrap();
    assert_eq!(approval.number, number);
    (id, approval.request_id, number)
}

fn approve(request_id: &str, number: u8, yes: bool) -> RegistrationInput {
    RegistrationInput::Approve {
        request_id: request_id.to_owned(),
        number,
        approve: yes,
    }
}

#[test]
fn the_app_is_confirmed_by_approving_a_test_notification() {
    let w = world(POLICY);
    let (id, request, number) = carol_app_tested(&w);
    let o = w.step(&id, approve(&request, number, true));
    assert_eq!(o.rejection, None);
    let v = o.view.unwrap();
    assert_eq!(v.state, "registering");
    assert!(v.registered.contains(&Method::AppCode));
    assert!(v.registered.contains(&Method::AppNotification));
    assert_eq!(v.default_method, Some(Method::AppNotification));
    assert_eq!(v.approval_number, None);
    let audit = w.mem.audit.events();
    assert!(audit.iter().any(|e| {
        e.kind == sspr_core::audit::AuditKind::MethodRegistered
            && e.method == Some(Method::AppNotification)
    }));
    // Later pushes go to that device.
    assert_eq!(
        w.reset_options(CAROL.username)[0],
        ResetOption::AppNotification
    );
}

#[test]
fn a_wrong_number_counts_and_the_request_dies_after_max_attempts() {
    let w = world(POLICY);
    let (id, request, number) = carol_app_tested(&w);
    let wrong = if number == 99 { 10 } else { number + 1 };
    let o = w.step(&id, approve(&request, wrong, true));
    assert_eq!(o.rejection, Some(Reason::PushNumberMismatch));
    assert_eq!(state(&o), "verifying");
    let o = w.step(&id, approve(&request, wrong, true));
    assert_eq!(o.rejection, Some(Reason::PushNumberMismatch));
    let o = w.step(&id, approve(&request, wrong, true));
    assert_eq!(o.rejection, Some(Reason::CodeExhausted));
    assert_eq!(state(&o), "registering");
    let o = w.step(&id, approve(&request, number, true));
    assert_ne!(o.rejection, None);
    assert!(!o.view.unwrap().registered.contains(&Method::AppCode));
}

#[test]
fn a_denied_test_notification_registers_nothing_and_the_code_still_works() {
    let w = world(POLICY);
    let (id, request, number) = carol_app_tested(&w);
    let o = w.step(&id, approve(&request, number, false));
    assert_eq!(o.rejection, Some(Reason::PushDenied));
    let v = o.view.unwrap();
    assert_eq!(v.state, "registering");
    assert!(v.registered.is_empty());

    // The first code stays the other way: a test notification sent, then the code.
    let w = world(POLICY);
    let id = w.carol_registering();
    let o = w.step(
        &id,
        RegistrationInput::App {
            device_id: Some("carol-phone".into()),
        },
    );
    let secret = o.provisioning.unwrap().secret_b32;
    w.step(&id, RegistrationInput::TestPush);
    // Within the cooldown a second notification is refused; Resend is the same.
    let o = w.step(&id, RegistrationInput::TestPush);
    assert_eq!(o.rejection, Some(Reason::SendCooldown));
    let o = w.step(&id, RegistrationInput::Resend);
    assert_eq!(o.rejection, Some(Reason::SendCooldown));
    let now = sspr_core::ports::Clock::now(w.mem.clock.as_ref()).unwrap();
    let code = sspr_core::otp::Credential::from_base32(secret.expose(), "SHA1", 6, 30)
        .unwrap()
        .at(now)
        .unwrap();
    let o = w.step(&id, RegistrationInput::Verify(SecretString::new(code)));
    assert_eq!(o.rejection, None);
    assert!(o.view.unwrap().registered.contains(&Method::AppCode));
}

#[test]
fn no_test_notification_where_the_policy_has_no_app_notifications_or_nothing_is_set_up() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone", "app_code"], "methods_required": 1}}"#,
    );
    let id = w.carol_registering();
    let o = w.step(&id, RegistrationInput::TestPush);
    assert_eq!(o.rejection, Some(Reason::FlowInvalidStep));
    w.step(&id, RegistrationInput::App { device_id: None });
    let o = w.step(&id, RegistrationInput::TestPush);
    assert_eq!(o.rejection, Some(Reason::OptionUnavailable));
    assert!(w.sent().is_empty());
}
