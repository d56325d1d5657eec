//! The whole product on the embedded default, SQLite in a file: a user signs in and is sent to
//! register security info ("keep your account secure"), registers an alternate email and the
//! authenticator app, later forgets the password and gets back in alone ("get back into your
//! account") through two verification gates, and chooses a new password. Every screen and every
//! message is printed.
//!
//! The database (`sspr-walkthrough/sspr.db` in the cargo target directory, `CARGO_TARGET_DIR`
//! or `target/`, or the path given) and a state file beside it (the example's keys, the
//! phone's authenticator secret, the example's clock) outlive the run: a second run finds
//! Alice registered, shows what the first one left, re-confirms her security info when it
//! falls due, and resets again. The directory stays in memory.
//!
//! Run: `cargo run -p sspr-examples --bin walkthrough [DATABASE]`
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;

use sspr_core::engine::{Engine, EngineOptions, RegistrationOutcome, ResetOutcome};
use sspr_core::memory::*;
use sspr_core::otp::OtpParams;
use sspr_core::ports::{Clock, Message};
use sspr_core::registration::RegistrationInput;
use sspr_core::registration::RegistrationScreen;
use sspr_core::reset::ResetInput;
use sspr_core::reset::ResetScreen;
use sspr_core::testing::fixtures::ALICE;
use sspr_core::testing::internals::totp;
use sspr_core::{IdentityKey, KeyRing};
use sspr_core::{Method, Policy, Reason, ResetOption, SecretString};
use sspr_stores::{Backend as _, Prefix, SqliteOptions, SqliteStores};

const POLICY: &str = r#"
[reset]
methods = ["email", "mobile_phone", "app_code", "app_notification"]
methods_required = 2

[password]
banned = ["contoso", "fabrikam"]
min_guesses_log10 = 8
"#;

/// What a reset option's line says on the "choose a contact method" screen.
fn option_label(option: ResetOption) -> &'static str {
    match option {
        ResetOption::Email => "Email my alternate email",
        ResetOption::MobileText => "Text my mobile phone",
        ResetOption::MobileCall => "Call my mobile phone",
        ResetOption::OfficeCall => "Call my office phone",
        ResetOption::AppCode => "Enter a code from my authenticator app",
        ResetOption::AppNotification => "Approve a notification on my authenticator app",
        ResetOption::SecurityQuestions => "Answer my security questions",
        ResetOption::RecoveryCode => "Enter one of my recovery codes",
    }
}

/// What a registered method is called on the "keep your account secure" screens.
fn method_label(method: Method) -> &'static str {
    match method {
        Method::Email => "Authentication email",
        Method::MobilePhone => "Authentication phone",
        Method::OfficePhone => "Office phone",
        Method::AppCode => "Authenticator app (code)",
        Method::AppNotification => "Authenticator app (notification)",
        Method::SecurityQuestions => "Security questions",
        Method::RecoveryCodes => "Recovery codes",
    }
}

/// The sentence the user reads for a refusal, from sspr's English catalog.
fn say(reason: Reason) -> String {
    sspr_text::Catalog::new(sspr_text::Locale::English).reason(reason)
}

fn show_reset(title: &str, o: &ResetOutcome) {
    println!("\n── Get back into your account · {title}");
    if let Some(r) = o.rejection {
        println!("   ✗ {}", say(r));
    }
    let Some(v) = &o.view else {
        return;
    };
    match v.state {
        ResetScreen::ChooseMethod => {
            println!(
                "   verification step {} of {} › choose the contact method we should use",
                v.gate, v.gates
            );
            for opt in &v.options {
                println!(
                    "   ( ) {:<48} {}",
                    option_label(opt.option),
                    opt.masked.as_deref().unwrap_or("")
                );
            }
            for opt in &v.unavailable {
                println!("   ( ) {:<48} (not set up)", option_label(*opt));
            }
        }
        ResetScreen::ConfirmNumber => println!(
            "   verification step {} of {} › to protect your account, enter your complete phone number",
            v.gate, v.gates
        ),
        ResetScreen::EnterCode => println!(
            "   verification step {} of {} › enter your verification code",
            v.gate, v.gates
        ),
        ResetScreen::NewPassword => println!("   choose a new password › enter it twice"),
        ResetScreen::Completed => println!("   ✓ Your password has been reset."),
        other => println!("   {}", other.id().replace('_', " ")),
    }
    if let Some(p) = &o.password {
        let strength = ["very weak", "weak", "fair", "strong", "very strong"];
        println!(
            "   strength: {}",
            strength.get(usize::from(p.meter)).unwrap_or(&"very strong")
        );
        for s in &p.feedback.suggestions {
            println!("   tip: {}", sspr_core::password::feedback::english(*s));
        }
    }
}

fn show_registration(title: &str, o: &RegistrationOutcome) {
    println!("\n── Keep your account secure · {title}");
    if let Some(r) = o.rejection {
        println!("   ✗ {}", say(r));
    }
    if let Some(v) = &o.view {
        if v.state == RegistrationScreen::Done {
            println!("   ✓ Success! You have set up your security info.");
        }
        for m in &v.registered {
            println!("   ✓ {}", method_label(*m));
        }
        if v.still_needed > 0 {
            println!(
                "   {} more method{} to set up",
                v.still_needed,
                if v.still_needed == 1 { "" } else { "s" }
            );
        }
    }
}

fn inbox(notifier: &RecordingNotifier) -> Vec<Message> {
    let messages = notifier.take();
    for m in &messages {
        let what = match m.kind.id() {
            "code" => "your verification code",
            "password_changed" => "your password was changed",
            "admin_password_changed" => "an administrator's password was changed",
            "security_info_changed" => "your security info was changed",
            other => other,
        };
        let code = m
            .code
            .as_ref()
            .map(|c| format!(": {}", c.expose()))
            .unwrap_or_default();
        let how = match m.channel.id() {
            "sms" => "text",
            "voice" => "call",
            other => other,
        };
        println!("   ✉ {how} to {} · {what}{code}", m.to);
    }
    messages
}

fn code_in(messages: &[Message]) -> Result<SecretString, Box<dyn Error>> {
    messages
        .iter()
        .find_map(|m| m.code.clone())
        .ok_or_else(|| "no code was delivered".into())
}

/// What the example keeps between runs, beside the database. A real deployment keeps its keys
/// in a secret store, never in a file next to the data.
struct State {
    path: std::path::PathBuf,
    code_key: Vec<u8>,
    identity_key: Vec<u8>,
    phone_secret: Option<String>,
    clock: u64,
}

impl State {
    fn load_or_create(path: std::path::PathBuf) -> Result<(Self, bool), Box<dyn Error>> {
        let hex = data_encoding::HEXLOWER;
        if let Ok(text) = std::fs::read_to_string(&path) {
            let v: serde_json::Value = serde_json::from_str(&text)?;
            let field = |k: &str| {
                v[k].as_str()
                    .ok_or(format!("{k} missing in the state file"))
            };
            return Ok((
                Self {
                    code_key: hex.decode(field("code_key")?.as_bytes())?,
                    identity_key: hex.decode(field("identity_key")?.as_bytes())?,
                    phone_secret: v["phone_secret"].as_str().map(str::to_owned),
                    clock: v["clock"].as_u64().unwrap_or(0),
                    path,
                },
                true,
            ));
        }
        Ok((
            Self {
                path,
                code_key: OsRandomness.bytes_vec(32)?,
                identity_key: OsRandomness.bytes_vec(32)?,
                phone_secret: None,
                clock: 0,
            },
            false,
        ))
    }

    fn save(&self) -> Result<(), Box<dyn Error>> {
        let hex = data_encoding::HEXLOWER;
        let v = serde_json::json!({
            "code_key": hex.encode(&self.code_key),
            "identity_key": hex.encode(&self.identity_key),
            "phone_secret": self.phone_secret,
            "clock": self.clock,
        });
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        std::io::Write::write_all(&mut open.open(&self.path)?, v.to_string().as_bytes())?;
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // The cargo target directory (CARGO_TARGET_DIR, as `cargo run` was given it) keeps the
    // walkthrough's state unless a path is given.
    let db = std::env::args_os().nth(1).map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| "target".into(), std::path::PathBuf::from)
                .join("sspr-walkthrough/sspr.db")
        },
        std::path::PathBuf::from,
    );
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let (mut state, earlier) = State::load_or_create(db.with_extension("state.json"))?;
    let policy = Policy::from_toml(POLICY)?;
    // The example's clock goes on from where the last run left it (it skips weeks ahead).
    let start = SystemClock.now()?.max(state.clock.saturating_add(60));
    let mut mem = MemoryPorts::for_tests(start, 0, "captcha-ok");
    mem.randomness = Arc::new(OsRandomness);
    let (clock, directory, notifier) = (
        mem.clock.clone(),
        mem.directory.clone(),
        mem.notifier.clone(),
    );
    // Alice, the demo user every test, bench and example shares (`sspr_core::testing::fixtures`).
    directory.add_user(ALICE.directory_user(), ALICE.password);
    let mut options = SqliteOptions::new(Prefix::default());
    options.clock = clock.clone();
    let stores = SqliteStores::open_with(&db, options)?;
    let ports = stores.ports(mem.ports());
    let identity = IdentityKey::new(state.identity_key.clone())?;
    let engine = Engine::new(
        policy,
        ports,
        EngineOptions::new(
            KeyRing::single("2026-11", state.code_key.clone())?,
            identity,
            "Contoso",
        ),
    )?;
    let before = stores.audit_events(100_000)?.len();
    println!(
        "Contoso self-service password reset, on SQLite at {}",
        db.display()
    );
    if earlier {
        println!("   from an earlier run: {before} audit events");
    } else {
        println!(
            "   a new database (schema version {})",
            stores.schema_version()?
        );
    }
    println!(
        "   resets take {} verification steps; `policy-check` shows the whole policy",
        engine.policy().reset().methods_required
    );

    // ── Registration at sign-in
    let check = engine.sign_in_check(
        ALICE.username,
        &sspr_core::SecretString::new(ALICE.password),
        None,
    )?;
    println!(
        "\nAlice signs in. {}",
        if check.registration_required {
            "More information is required: she is asked to keep her account secure."
        } else if check.reconfirm_due {
            "It's time to confirm that her security info is still correct."
        } else {
            "Her security info is up to date."
        }
    );
    let secret = match state.phone_secret.clone() {
        Some(b32) if !check.registration_required => {
            println!("Alice registered on an earlier run: her security info is in the database.");
            sspr_core::otp::SecretBytes::from_base32(&b32)?
        }
        Some(b32) if check.reconfirm_due => {
            reconfirm(&engine, &notifier)?;
            sspr_core::otp::SecretBytes::from_base32(&b32)?
        }
        _ => {
            let secret = register(&engine, &notifier, clock.as_ref())?;
            state.phone_secret = Some(secret.to_base32());
            secret
        }
    };
    state.clock = clock.now()?;
    state.save()?;

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
        show_reset(&format!("new password \"{password}\""), &o);
        inbox(&notifier);
    }
    let now_set = directory
        .password_of(&ALICE.user_id())
        .ok_or("user vanished")?;
    println!(
        "\nThe directory now holds the new password: {}",
        now_set.ct_eq("quiet lantern orchard 4417")
    );
    println!(
        "Sessions revoked: {} · audit events in the database: {} ({} from this run)",
        directory.sessions_revoked(&ALICE.user_id()),
        stores.audit_events(100_000)?.len(),
        stores.audit_events(100_000)?.len().saturating_sub(before)
    );
    state.clock = clock.now()?;
    state.save()?;
    println!(
        "Run again to see the state this run left in {}.",
        db.display()
    );
    Ok(())
}

/// The first registration: an alternate email and the authenticator app. Returns the secret
/// the phone's app keeps.
fn register(
    engine: &Engine,
    notifier: &RecordingNotifier,
    clock: &dyn Clock,
) -> Result<sspr_core::otp::SecretBytes, Box<dyn Error>> {
    let o = engine.start_registration(ALICE.username, &SecretString::new(ALICE.password), None)?;
    show_registration("re-enter your password", &o);
    let reg = o.view.ok_or("no registration")?.flow_id;

    let o = engine.registration_step(
        &reg,
        RegistrationInput::Email("alice.smith@fabrikam.example".into()),
    )?;
    show_registration("authentication email", &o);
    let code = code_in(&inbox(notifier))?;
    let o = engine.registration_step(&reg, RegistrationInput::Verify(code))?;
    show_registration("verify", &o);
    inbox(notifier);

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
    let secret = sspr_core::otp::SecretBytes::from_base32(setup.secret_b32.expose())?;
    let app_code = totp::totp(secret.expose(), clock.now()?, &OtpParams::default())?;
    let o =
        engine.registration_step(&reg, RegistrationInput::Verify(SecretString::new(app_code)))?;
    show_registration("enter the app's code", &o);
    inbox(notifier);
    let o = engine.registration_step(&reg, RegistrationInput::Finish)?;
    show_registration("done", &o);
    Ok(secret)
}

/// The periodic re-confirmation: prove a registered method (a code to the alternate email),
/// then confirm the info as it stands.
fn reconfirm(engine: &Engine, notifier: &RecordingNotifier) -> Result<(), Box<dyn Error>> {
    let o = engine.start_registration(ALICE.username, &SecretString::new(ALICE.password), None)?;
    show_registration("time to re-confirm: re-enter your password", &o);
    let reg = o.view.ok_or("no registration")?.flow_id;
    let o = engine.registration_step(&reg, RegistrationInput::Prove(ResetOption::Email))?;
    show_registration("prove it's you: a code to your alternate email", &o);
    let code = code_in(&inbox(notifier))?;
    let o = engine.registration_step(&reg, RegistrationInput::Verify(code))?;
    show_registration("verify", &o);
    let o = engine.registration_step(&reg, RegistrationInput::Finish)?;
    show_registration("looks good", &o);
    inbox(notifier);
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
