//! The registration wizard's challenges under attack. They go through the same
//! `challenge::Limits` as the reset wizard's; these bursts check that every
//! registration challenge (a proof code, a code verifying a new method, an authenticator proof,
//! a new authenticator being set up, a push number) still allows at most `max_attempts`
//! comparisons under 24 threads and a counter store that takes 50 ms a call, that a right
//! answer arriving during the burst does not pass once the budget is spent, and that an
//! authenticator's budget is shared between reset and registration flows of one user.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{World, world, wrong};
use sspr_core::audit::AuditKind;
use sspr_core::engine::RegistrationOutcome;
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{ALICE, BEN, BEN_APP_SECRET};
use sspr_core::{Error, Reason, ResetOption, SecretString};

/// Per-user limits high enough that only the per-challenge limit (3) applies.
const HIGH: &str = r#"{"reset": {"methods": ["email", "mobile_phone", "app_code", "app_notification"]},
    "limits": {"verify_failures": {"max": 1000, "window_s": 3600, "block_s": 60},
               "consecutive_failures": 300, "resend_cooldown_s": 0}}"#;

fn code_at(secret_b32: &str, t: u64) -> String {
    sspr_core::otp::Credential::from_base32(secret_b32, "SHA1", 6, 30)
        .unwrap()
        .at(t)
        .unwrap()
}

fn start_reg(w: &World, who: sspr_core::testing::fixtures::DemoUser) -> String {
    let o = w
        .engine
        .start_registration(who.username, &SecretString::new(who.password), None)
        .unwrap();
    assert_eq!(o.rejection, None);
    o.view.unwrap().flow_id
}

fn reg(w: &World, id: &str, input: RegistrationInput) -> RegistrationOutcome {
    w.engine.registration_step(id, input).unwrap()
}

/// Runs `n` concurrent submissions of `guess(i)` (the last one, the right answer, 100 ms
/// late) with the counter store slowed to 50 ms a call.
fn burst(
    w: &World,
    n: usize,
    submit: impl Fn(usize) -> Result<RegistrationOutcome, Error> + Sync,
) -> Vec<Result<Option<Reason>, String>> {
    w.counters.slow(50);
    let out = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let submit = &submit;
                s.spawn(move || {
                    if i == n - 1 {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    submit(i).map(|o| o.rejection).map_err(|e| e.to_string())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    w.counters
        .on
        .store(false, std::sync::atomic::Ordering::SeqCst);
    out
}

fn proven(w: &World) -> usize {
    w.audit()
        .iter()
        .filter(|e| e.kind == AuditKind::IdentityProven)
        .count()
}

fn registered(w: &World) -> usize {
    w.audit()
        .iter()
        .filter(|e| e.kind == AuditKind::MethodRegistered)
        .count()
}

#[test]
fn a_burst_at_one_registration_proof_code_is_compared_at_most_three_times() {
    let w = world(HIGH);
    let id = start_reg(&w, ALICE);
    let o = reg(&w, &id, RegistrationInput::Prove(ResetOption::Email));
    assert_eq!(o.view.unwrap().state, "proving");
    let right = w.last_code();
    let outcomes = burst(&w, 24, |i| {
        let guess = if i == 23 {
            right.clone()
        } else {
            wrong(&right, i as u64)
        };
        w.engine
            .registration_step(&id, RegistrationInput::Verify(SecretString::new(guess)))
    });
    assert_ne!(
        outcomes[23],
        Ok(None),
        "the right proof passed: {outcomes:?}"
    );
    assert_eq!(proven(&w), 0, "{outcomes:?}");
    let compared = w.compared_failures(None);
    assert!(
        (1..=3).contains(&compared),
        "{compared} proof guesses compared: {outcomes:?}"
    );
}

#[test]
fn a_burst_at_the_code_verifying_a_new_email_is_compared_at_most_three_times() {
    let w = world(HIGH);
    let id = start_reg(&w, ALICE);
    reg(&w, &id, RegistrationInput::Prove(ResetOption::Email));
    let c = w.last_code();
    let o = reg(&w, &id, RegistrationInput::Verify(SecretString::new(c)));
    assert_eq!(o.view.unwrap().state, "registering");
    let o = reg(
        &w,
        &id,
        RegistrationInput::Email("alice.new@fabrikam.example".into()),
    );
    assert_eq!(o.view.unwrap().state, "verifying", "{:?}", o.rejection);
    let right = w.last_code();
    let before = w.compared_failures(None);
    let outcomes = burst(&w, 24, |i| {
        let guess = if i == 23 {
            right.clone()
        } else {
            wrong(&right, i as u64)
        };
        w.engine
            .registration_step(&id, RegistrationInput::Verify(SecretString::new(guess)))
    });
    assert_ne!(outcomes[23], Ok(None), "{outcomes:?}");
    assert_eq!(registered(&w), 0, "{outcomes:?}");
    let compared = w.compared_failures(None) - before;
    assert!(
        (1..=3).contains(&compared),
        "{compared} compared: {outcomes:?}"
    );
}

#[test]
fn a_burst_at_a_new_authenticator_being_set_up_is_compared_at_most_three_times() {
    let w = world(HIGH);
    let id = start_reg(&w, ALICE);
    reg(&w, &id, RegistrationInput::Prove(ResetOption::Email));
    let c = w.last_code();
    reg(&w, &id, RegistrationInput::Verify(SecretString::new(c)));
    let o = reg(
        &w,
        &id,
        RegistrationInput::App {
            device_id: Some("alice-phone".into()),
        },
    );
    let secret = o.provisioning.unwrap().secret_b32.expose().to_owned();
    let right = code_at(&secret, w.now());
    let before = w.compared_failures(None);
    let outcomes = burst(&w, 24, |i| {
        let guess = if i == 23 {
            right.clone()
        } else {
            wrong(&right, i as u64)
        };
        w.engine
            .registration_step(&id, RegistrationInput::Verify(SecretString::new(guess)))
    });
    assert_ne!(outcomes[23], Ok(None), "{outcomes:?}");
    assert_eq!(registered(&w), 0, "{outcomes:?}");
    let compared = w.compared_failures(None) - before;
    assert!(
        (1..=3).contains(&compared),
        "{compared} compared: {outcomes:?}"
    );
}

#[test]
fn a_burst_at_registration_push_numbers_is_compared_at_most_three_times() {
    let w = world(HIGH);
    let id = start_reg(&w, BEN);
    let o = reg(
        &w,
        &id,
        RegistrationInput::Prove(ResetOption::AppNotification),
    );
    assert_eq!(o.view.unwrap().state, "proving");
    let push = w
        .mem
        .notifier
        .messages()
        .into_iter()
        .find_map(|m| m.approval)
        .unwrap();
    let outcomes = burst(&w, 24, |i| {
        let number = if i == 23 {
            push.number
        } else {
            10 + (push.number - 10 + 1 + (i as u8 % 89)) % 90
        };
        w.engine.registration_step(
            &id,
            RegistrationInput::Approve {
                request_id: push.request_id.clone(),
                number,
                approve: true,
            },
        )
    });
    assert_ne!(outcomes[23], Ok(None), "{outcomes:?}");
    assert_eq!(proven(&w), 0, "{outcomes:?}");
    let compared = w.compared_failures(None);
    assert!(
        (1..=3).contains(&compared),
        "{compared} compared: {outcomes:?}"
    );
}

/// One budget per user and window for authenticator codes, whichever wizard asks: 12 reset
/// flows and 12 registration flows of Ben guessing at once compare at most 3 codes between
/// them, and the right code (in a registration flow) does not pass.
#[test]
fn authenticator_guesses_across_both_wizards_share_one_budget() {
    let w = world(HIGH);
    let resets: Vec<String> = (0..12)
        .map(|_| {
            let id = w.start(BEN.username);
            let o = w.step(&id, ResetInput::Choose(ResetOption::AppCode));
            assert_eq!(o.view.unwrap().state, "enter_code");
            id
        })
        .collect();
    let regs: Vec<String> = (0..12)
        .map(|_| {
            let id = start_reg(&w, BEN);
            let o = reg(&w, &id, RegistrationInput::Prove(ResetOption::AppCode));
            assert_eq!(o.view.unwrap().state, "proving");
            id
        })
        .collect();
    let right = code_at(BEN_APP_SECRET, w.now());
    w.counters.slow(50);
    let outcomes: Vec<Option<Reason>> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (i, id) in resets.iter().enumerate() {
            let (w, guess) = (&w, wrong(&right, i as u64));
            handles.push(s.spawn(move || {
                w.engine
                    .reset_step(id, World::code(&guess))
                    .unwrap()
                    .rejection
            }));
        }
        for (i, id) in regs.iter().enumerate() {
            let w = &w;
            let guess = if i == 11 {
                right.clone()
            } else {
                wrong(&right, 12 + i as u64)
            };
            handles.push(s.spawn(move || {
                if i == 11 {
                    std::thread::sleep(Duration::from_millis(150));
                }
                w.engine
                    .registration_step(id, RegistrationInput::Verify(SecretString::new(guess)))
                    .unwrap()
                    .rejection
            }));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    w.counters
        .on
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let compared = w.compared_failures(None);
    assert!(
        (1..=3).contains(&compared),
        "{compared} compared: {outcomes:?}"
    );
    assert_eq!(proven(&w), 0, "{outcomes:?}");
    assert_ne!(outcomes[23], None, "{outcomes:?}");
}

/// A registration flow's block refuses sends and verifications but still lets the user read
/// the screen; the refusal names the block (`user.blocked`) and when to come back, and a lock
/// (failures in a row) has no retry time.
#[test]
fn a_block_in_force_refuses_registration_proofs_with_its_retry_time() {
    let w = world(
        r#"{"reset": {"methods": ["email", "mobile_phone"]},
            "limits": {"verify_failures": {"max": 3, "window_s": 3600, "block_s": 600},
                       "resend_cooldown_s": 0}}"#,
    );
    let id = start_reg(&w, ALICE);
    reg(&w, &id, RegistrationInput::Prove(ResetOption::Email));
    for i in 0..3 {
        reg(
            &w,
            &id,
            RegistrationInput::Verify(SecretString::new(format!("1234567{i}"))),
        );
    }
    let o = reg(&w, &id, RegistrationInput::Prove(ResetOption::MobileText));
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
    let retry = o.retry_after.unwrap();
    assert!(retry > 0 && retry <= 600, "{retry}");
    let c = w.last_code();
    let o = reg(&w, &id, RegistrationInput::Verify(SecretString::new(c)));
    assert_eq!(o.rejection, Some(Reason::UserBlocked));
    assert_eq!(proven(&w), 0);
}

/// `PasswordRules::check` without a breach checker under a policy that checks breaches is a
/// misuse error, never a silent skip, just as the engine's new-password step without a breach
/// port.
#[test]
fn a_policy_that_checks_breaches_needs_a_checker_everywhere() {
    use sspr_core::password::{PasswordRules, UserFacts};
    let policy = sspr_core::Policy::parse(r#"{"password": {"breached": true}}"#).unwrap();
    let pw = "quiet lantern orchard 4417";
    let checked = PasswordRules::new(policy.password()).check(
        pw,
        pw,
        &UserFacts::default(),
        |_| panic!("nothing is evaluated before the misuse is refused"),
        None,
    );
    assert!(matches!(checked, Err(Error::Misuse(_))), "{checked:?}");

    // The engine, same policy, no breach port: the new-password step is a misuse error.
    let mem = sspr_core::testing::fixtures::memory_ports(3);
    let mut ports = mem.ports();
    ports.breach = None;
    let engine = sspr_core::testing::fixtures::engine(policy, ports);
    let id = engine
        .start_reset(ALICE.username, sspr_core::testing::fixtures::CAPTCHA, None)
        .unwrap()
        .view
        .unwrap()
        .flow_id;
    engine
        .reset_step(&id, ResetInput::Choose(ResetOption::Email))
        .unwrap();
    let c = mem
        .notifier
        .messages()
        .iter()
        .rev()
        .find_map(|m| m.code.as_ref().map(|c| c.expose().to_owned()))
        .unwrap();
    let o = engine
        .reset_step(&id, ResetInput::EnterCode(SecretString::new(c)))
        .unwrap();
    assert_eq!(o.view.unwrap().state, "new_password");
    let r = engine.reset_step(
        &id,
        ResetInput::NewPassword {
            password: SecretString::new(pw),
            confirm: SecretString::new(pw),
        },
    );
    assert!(matches!(r, Err(Error::Misuse(_))), "{r:?}");
}

/// An empty authenticator secret, whose codes anyone can compute, is refused.
#[test]
fn a_credential_refuses_an_empty_secret() {
    use sspr_core::InputError;
    use sspr_core::otp::Credential;
    assert!(matches!(
        Credential::from_base32("", "SHA1", 6, 30),
        Err(InputError::Malformed {
            what: "base32 secret",
            ..
        })
    ));
    assert!(Credential::from_base32(BEN_APP_SECRET, "SHA1", 6, 30).is_ok());
}

/// Proving with security questions again, after a wrong answer, asks a new draw with its own
/// budget: the right answers then pass (they were refused uncompared when every proof started
/// again at the first, spent draw).
#[test]
fn proving_with_questions_again_asks_a_fresh_draw() {
    use sspr_core::engine::SecurityInfoImport;
    let w = world(
        r#"{"reset": {"methods": ["email", "security_questions"]},
            "security_questions": {"to_register": 3, "to_reset": 3},
            "limits": {"verify_failures": {"max": 50, "window_s": 3600, "block_s": 60}}}"#,
    );
    let qs = [
        ("What was the name of your first pet?", "Rex"),
        ("What was your first job?", "paper round"),
        ("What is your favourite food?", "pho"),
    ];
    let answers = |right: bool| {
        qs.iter()
            .map(|(q, a)| {
                (
                    (*q).to_owned(),
                    SecretString::new(if right { *a } else { "no" }),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    w.engine
        .import_security_info(
            &ALICE.user_id(),
            &SecurityInfoImport {
                questions: answers(true),
                ..SecurityInfoImport::default()
            },
        )
        .unwrap();
    let id = start_reg(&w, ALICE);
    reg(
        &w,
        &id,
        RegistrationInput::Prove(ResetOption::SecurityQuestions),
    );
    let o = reg(&w, &id, RegistrationInput::Answer(answers(false)));
    assert_eq!(o.rejection, Some(Reason::AnswersWrong));
    // Choosing questions again asks a draw not asked before; its answer is compared.
    reg(
        &w,
        &id,
        RegistrationInput::Prove(ResetOption::SecurityQuestions),
    );
    let o = reg(&w, &id, RegistrationInput::Answer(answers(true)));
    assert_eq!(o.rejection, None, "right answers pass");
    assert_eq!(proven(&w), 1);
}
