//! The whole product on the in-memory ports: a user signs in and is sent to register security
//! info ("keep your account secure"), registers an alternate email and the authenticator app,
//! later forgets the password and gets back in alone ("get back into your account") through two
//! verification gates, and chooses a new password. Every screen and every message is printed.
//!
//! Run: `cargo run -p sspr-examples --bin walkthrough`
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;

use sspr_core::engine::{Engine, EngineOptions, RegistrationOutcome, ResetOutcome};
use sspr_core::keyring::{IdentityKey, KeyRing};
use sspr_core::memory::*;
use sspr_core::ports::{Clock, Message};
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::totp::{self, OtpParams};
use sspr_core::{DirectoryUser, Policy, ResetOption, SecretString, UserId};

const POLICY: &str = r#"
[reset]
methods = ["email", "mobile_phone", "app_code", "app_notification"]
methods_required = 2

[password]
banned = ["contoso", "fabrikam"]
min_guesses_log10 = 8
"#;

fn show_reset(title: &str, o: &ResetOutcome) {
    println!("\n── get back into your account · {title}");
    if let Some(v) = &o.view {
        println!(
            "   verification step {} of {} · screen: {}",
            v.gate, v.gates, v.state
        );
        for opt in &v.options {
            println!(
                "   ( ) {:<17} {}",
                opt.option.id(),
                opt.masked.as_deref().unwrap_or("")
            );
        }
    }
    if let Some(r) = o.rejection {
        println!("   ✗ {r}");
    }
    if let Some(p) = &o.password {
        println!(
            "   strength meter {}/4, banned-term score {:?}",
            p.meter, p.banned_score
        );
        for s in &p.feedback.suggestions {
            println!("   hint: {}", sspr_core::password::feedback::english(*s));
        }
    }
}

fn show_registration(title: &str, o: &RegistrationOutcome) {
    println!("\n── keep your account secure · {title}");
    if let Some(v) = &o.view {
        let names: Vec<&str> = v.registered.iter().map(|m| m.id()).collect();
        println!(
            "   screen: {} · registered: {names:?} · still needed: {}",
            v.state, v.still_needed
        );
    }
    if let Some(r) = o.rejection {
        println!("   ✗ {r}");
    }
}

fn inbox(notifier: &RecordingNotifier) -> Vec<Message> {
    let messages = notifier.take();
    for m in &messages {
        let code = m
            .code
            .as_ref()
            .map(|c| format!(" · code {}", c.expose()))
            .unwrap_or_default();
        println!(
            "   ✉ {} to {} · {}{code}",
            m.channel.id(),
            m.to,
            m.kind.id()
        );
    }
    messages
}

fn code_in(messages: &[Message]) -> Result<SecretString, Box<dyn Error>> {
    messages
        .iter()
        .find_map(|m| m.code.clone())
        .ok_or_else(|| "no code was delivered".into())
}

fn main() -> Result<(), Box<dyn Error>> {
    let policy = Policy::from_toml(POLICY)?;
    let mut mem = MemoryPorts::new(SystemClock.now()?, 0, "captcha-ok");
    mem.randomness = Arc::new(OsRandomness);
    let (clock, directory, notifier, audit) = (
        mem.clock.clone(),
        mem.directory.clone(),
        mem.notifier.clone(),
        mem.audit.clone(),
    );
    directory.add_user(
        DirectoryUser {
            id: UserId::new("u-1001"),
            username: "alice@contoso.example".into(),
            first_name: "Alice".into(),
            last_name: "Smith".into(),
            org_name: "Contoso".into(),
            groups: vec![],
            admin: false,
        },
        "Winter-Lantern-58",
    );
    let ports = mem.ports();
    let key = OsRandomness.bytes_vec(32)?;
    let identity = IdentityKey::new(OsRandomness.bytes_vec(32)?)?;
    let engine = Engine::new(
        policy,
        ports,
        EngineOptions::new(KeyRing::single("2026-11", key)?, identity, "Contoso"),
    )?;
    println!("Effective policy:\n{}", engine.policy().to_toml());

    // ── Registration at sign-in
    let check = engine.sign_in_check("alice@contoso.example", "Winter-Lantern-58")?;
    println!(
        "Sign-in: registration required = {}, re-confirmation due = {}",
        check.registration_required, check.reconfirm_due
    );
    let o = engine.start_registration(
        "alice@contoso.example",
        &SecretString::new("Winter-Lantern-58"),
    )?;
    show_registration("re-enter your password", &o);
    let reg = o.view.ok_or("no registration")?.flow_id;

    let o = engine.registration_step(
        &reg,
        RegistrationInput::Email("alice.smith@fabrikam.example".into()),
    )?;
    show_registration("authentication email", &o);
    let code = code_in(&inbox(&notifier))?;
    let o = engine.registration_step(&reg, RegistrationInput::Verify(code))?;
    show_registration("verify", &o);
    inbox(&notifier);

    let o = engine.registration_step(
        &reg,
        RegistrationInput::App {
            device_id: Some("alice-phone".into()),
        },
    )?;
    show_registration("scan the QR code", &o);
    let setup = o.provisioning.ok_or("no provisioning")?;
    println!(
        "   can't scan? enter this secret: {}",
        setup.secret_b32.expose()
    );
    println!("   otpauth URI: {}", setup.uri.expose());
    println!(
        "   QR code: {} bytes of SVG",
        setup.qr_svg.as_ref().map_or(0, String::len)
    );
    // The phone's authenticator app computes its first code.
    let secret = sspr_core::security_info::SecretBytes::from_base32(setup.secret_b32.expose())?;
    let app_code = totp::totp(secret.expose(), clock.now()?, &OtpParams::default())?;
    let o =
        engine.registration_step(&reg, RegistrationInput::Verify(SecretString::new(app_code)))?;
    show_registration("enter the app's code", &o);
    inbox(&notifier);
    let o = engine.registration_step(&reg, RegistrationInput::Finish)?;
    show_registration("done", &o);

    // ── Weeks later, the password is forgotten
    clock.advance(30 * 86_400);
    let o = engine.start_reset("Alice@Contoso.example", "captcha-ok", Some("203.0.113.7"))?;
    show_reset("who are you?", &o);
    let flow = o.view.ok_or("no flow")?.flow_id;

    let o = engine.reset_step(&flow, ResetInput::Choose(ResetOption::Email))?;
    show_reset("email my alternate address", &o);
    let code = code_in(&inbox(&notifier))?;
    let o = engine.reset_step(&flow, ResetInput::EnterCode(SecretString::new("00000000")))?;
    show_reset("a mistyped code", &o);
    let o = engine.reset_step(&flow, ResetInput::EnterCode(code))?;
    show_reset("enter your verification code", &o);

    clock.advance(30);
    let app_code = totp::totp(secret.expose(), clock.now()?, &OtpParams::default())?;
    engine.reset_step(&flow, ResetInput::Choose(ResetOption::AppCode))?;
    let o = engine.reset_step(&flow, ResetInput::EnterCode(SecretString::new(app_code)))?;
    show_reset("enter a code from my authenticator app", &o);

    for (password, confirm) in [
        ("Contoso2026!", "Contoso2026!"),
        ("quiet lantern orchard", "quiet lantern orchrd"),
        ("quiet lantern orchard 4417", "quiet lantern orchard 4417"),
    ] {
        let o = engine.reset_step(
            &flow,
            ResetInput::NewPassword {
                password: SecretString::new(password),
                confirm: SecretString::new(confirm),
            },
        )?;
        show_reset(&format!("choose a new password: {password:?}"), &o);
        inbox(&notifier);
    }
    let now_set = directory
        .password_of(&UserId::new("u-1001"))
        .ok_or("user vanished")?;
    println!(
        "\nThe directory now holds the new password: {}",
        now_set.ct_eq("quiet lantern orchard 4417")
    );
    println!(
        "Sessions revoked: {} · audit events recorded: {}",
        directory.sessions_revoked(&UserId::new("u-1001")),
        audit.events().len()
    );
    Ok(())
}

/// Fresh key material from the OS.
trait KeyBytes {
    fn bytes_vec(&self, n: u32) -> Result<Vec<u8>, sspr_core::PortError>;
}
impl KeyBytes for OsRandomness {
    fn bytes_vec(&self, n: u32) -> Result<Vec<u8>, sspr_core::PortError> {
        sspr_core::ports::Randomness::bytes(self, n)
    }
}
