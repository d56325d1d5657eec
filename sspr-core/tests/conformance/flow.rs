//! Suite `flow`: whole reset and registration scenarios, over the in-memory reference ports or
//! the stores of a backend.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use sspr_core::engine::{
    AppImport, Engine, EngineOptions, HardwareTokenImport, RegistrationOutcome, ResetOutcome,
    SecurityInfoImport,
};
use sspr_core::hashing::{self, HashParams};
use sspr_core::memory::{MemoryDirectory, MemoryPorts, RecordingNotifier, TestClock};
use sspr_core::otp::OtpAlgorithm;
use sspr_core::otp::OtpParams;
use sspr_core::otp::SecretBytes;
use sspr_core::ports::Message;
use sspr_core::registration::{RegistrationInput, Via};
use sspr_core::reset::ResetInput;
use sspr_core::testing::internals::totp;
use sspr_core::{DirectoryUser, Method, Policy, Reason, ResetOption, SecretString, UserId};
use sspr_core::{IdentityKey, KeyRing};

use crate::{Outcome, check_expect_keys};

/// The backend flow cases run on (the in-memory ports unless a runner sets another).
static BACKEND: std::sync::OnceLock<crate::Backend> = std::sync::OnceLock::new();

/// Sets the backend; the first call wins.
pub fn set_backend(backend: crate::Backend) {
    let _ = BACKEND.set(backend);
}

const EXPECT_KEYS: &[&str] = &[
    "state",
    "options",
    "gate",
    "questions",
    "rejection",
    "sent",
    "retry_after",
    "registration_required",
    "reconfirm_due",
    "registered",
    "password_is",
    "must_change_password",
    "help_desk",
    "unavailable",
    "default_method",
    "first_option",
    "methods",
    "may_snooze",
    "snoozes_left",
];

struct World {
    engine: Engine,
    clock: Arc<TestClock>,
    directory: Arc<MemoryDirectory>,
    notifier: Arc<RecordingNotifier>,
    epoch: u64,
    answers: BTreeMap<String, BTreeMap<String, String>>,
    app_secrets: BTreeMap<String, SecretBytes>,
    reset_flow: Option<String>,
    reset_user: Option<String>,
    registration_flow: Option<String>,
    registration_user: Option<String>,
    last_code: Option<String>,
    /// The link token of the last email delivered (`confirm_link` `$delivered`).
    last_link: Option<String>,
    last_push: Option<String>,
    proof_options: Vec<ResetOption>,
    approval_shown: Option<u8>,
    last_token: Option<String>,
    /// The user an operation named last (`change_password`, `help_desk_reset`), for
    /// `password_is` and `must_change_password`.
    acted_user: Option<String>,
    /// The last temporary access pass issued (`$issued`).
    access_pass: Option<String>,
    /// The recovery codes last shown to each user (`$recovery0` … `$recovery9`).
    recovery: BTreeMap<String, Vec<String>>,
    /// Each user's phone numbers (mobile, office) as imported or last registered: what a
    /// `choose` types when the screen asks for the whole number.
    phones: BTreeMap<String, (Option<String>, Option<String>)>,
    /// Hardware tokens imported, by serial: seed, algorithm, digits, period (`$token:SERIAL`).
    tokens: BTreeMap<String, (SecretBytes, OtpAlgorithm, u8, u32)>,
}

/// The number a device answers with: `$shown`, `$wrong` (the next one), a literal, or (absent)
/// the one shown.
fn approval_number(v: &Value, shown: u8) -> Result<u8, String> {
    Ok(match v {
        Value::String(f) if f == "$shown" => shown,
        Value::String(f) if f == "$wrong" => {
            if shown >= 99 {
                10
            } else {
                shown + 1
            }
        }
        Value::Number(n) => u8::try_from(n.as_u64().unwrap_or(0)).unwrap_or(u8::MAX),
        Value::Null => shown,
        other => return Err(format!("bad number {other}")),
    })
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

/// Who acts in a help-desk step (`actor`, default `help desk`).
fn actor(step: &Value) -> String {
    step["actor"].as_str().unwrap_or("help desk").to_owned()
}

fn build(case: &Value) -> Result<World, String> {
    let policy = Policy::from_value(
        case.get("policy")
            .unwrap_or(&Value::Null)
            .as_object()
            .map_or(&serde_json::json!({}), |_| &case["policy"]),
    )
    .map_err(|e| format!("policy: {e}"))?;
    let epoch = case["epoch"].as_u64().unwrap_or(1_750_000_000);
    let mem = MemoryPorts::for_tests(epoch, 42, "pass");
    let (clock, directory, notifier) = (
        mem.clock.clone(),
        mem.directory.clone(),
        mem.notifier.clone(),
    );
    let rng = mem.randomness.clone();
    let test_hash = HashParams::insecure_for_tests();
    let org = s(&case["directory"], "org_name");
    let mut answers_by_user = BTreeMap::new();
    let mut imports = Vec::new();
    let mut app_secrets = BTreeMap::new();
    let mut phones = BTreeMap::new();
    for u in case["directory"]["users"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let username = s(&u, "username");
        let id = UserId::new(username.clone());
        directory.add_user(
            DirectoryUser {
                id: id.clone(),
                username: username.clone(),
                first_name: s(&u, "first_name"),
                last_name: s(&u, "last_name"),
                org_name: org.clone(),
                groups: u["groups"]
                    .as_array()
                    .map(|g| {
                        g.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                admin: u["admin"].as_bool().unwrap_or(false),
            },
            u["password"].as_str().unwrap_or_default(),
        );
        let previous: Vec<String> = u["previous_passwords"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .filter_map(|p| hashing::hash(p.as_bytes(), &test_hash, rng.as_ref()).ok())
                    .collect()
            })
            .unwrap_or_default();
        directory.set_history(&id, previous);
        for p in u["directory_refuses"].as_array().into_iter().flatten() {
            directory.refuse_password(p.as_str().unwrap_or_default());
        }
        let m = &u["methods"];
        phones.insert(
            username.clone(),
            (
                m["mobile"].as_str().map(str::to_owned),
                m["office"].as_str().map(str::to_owned),
            ),
        );
        let mut import = SecurityInfoImport {
            email: m["email"].as_str().map(str::to_owned),
            mobile: m["mobile"].as_str().map(str::to_owned),
            office: m["office"].as_str().map(str::to_owned),
            confirmed_at: u["confirmed_at"].as_u64(),
            ..Default::default()
        };
        if let Some(qs) = m["questions"].as_object() {
            let mut map = BTreeMap::new();
            for (q, a) in qs {
                let a = a.as_str().unwrap_or_default();
                import.questions.insert(q.clone(), SecretString::new(a));
                // Views name predefined questions by their stable id.
                map.insert(sspr_core::questions::canonical(q), a.to_owned());
            }
            answers_by_user.insert(username.clone(), map);
        }
        if m["app"].is_object() {
            let b32 = s(&m["app"], "totp_secret_b32");
            app_secrets.insert(
                username.clone(),
                SecretBytes::from_base32(&b32).map_err(|e| e.to_string())?,
            );
            import.app = Some(AppImport::standard(
                SecretString::new(b32),
                s(&m["app"], "device"),
            ));
        }
        imports.push((id, import));
    }
    for p in sspr_core::password::common_passwords() {
        mem.breach.add(p, 1);
    }
    let ports = BACKEND.get().map_or_else(|| Ok(mem.ports()), |b| b(&mem))?;
    let mut options = EngineOptions::new(
        KeyRing::single("test", vec![9; 32]).map_err(|e| e.to_string())?,
        IdentityKey::new(vec![10; 32]).map_err(|e| e.to_string())?,
        if org.is_empty() {
            "sspr".to_owned()
        } else {
            org
        },
    );
    options.hash_params = test_hash;
    let engine = Engine::new(policy, ports, options).map_err(|e| format!("engine: {e}"))?;
    for (id, import) in imports {
        engine
            .import_security_info(&id, &import)
            .map_err(|e| format!("import: {e}"))?;
    }
    Ok(World {
        engine,
        clock,
        directory,
        notifier,
        epoch,
        answers: answers_by_user,
        app_secrets,
        reset_flow: None,
        reset_user: None,
        registration_flow: None,
        registration_user: None,
        last_code: None,
        last_link: None,
        last_push: None,
        proof_options: Vec::new(),
        approval_shown: None,
        last_token: None,
        acted_user: None,
        access_pass: None,
        recovery: BTreeMap::new(),
        phones,
        tokens: BTreeMap::new(),
    })
}

/// What a step produced, in the terms `expect` checks.
#[derive(Default)]
struct Seen {
    state: Option<String>,
    options: Option<Vec<String>>,
    gate: Option<u8>,
    questions: Option<usize>,
    rejection: Option<Reason>,
    retry_after: Option<u64>,
    registration_required: Option<bool>,
    reconfirm_due: Option<bool>,
    registered: Option<Vec<String>>,
    help_desk: Option<Option<String>>,
    unavailable: Option<Vec<String>>,
    default_method: Option<Option<String>>,
    first_option: Option<Option<String>>,
    /// The registration view's `methods`: id, masked destination, default.
    methods: Option<Vec<(String, Option<String>, bool)>>,
    may_snooze: Option<bool>,
    snoozes_left: Option<Option<u32>>,
}

fn from_reset(o: &ResetOutcome) -> Seen {
    Seen {
        state: o.view.as_ref().map(|v| v.state.id().to_owned()),
        options: o
            .view
            .as_ref()
            .map(|v| v.options.iter().map(|x| x.option.id().to_owned()).collect()),
        gate: o.view.as_ref().map(|v| v.gate),
        questions: o.view.as_ref().map(|v| v.questions.len()),
        rejection: o.rejection,
        retry_after: o
            .retry_after
            .or_else(|| o.view.as_ref().and_then(|v| v.retry_after)),
        help_desk: o.view.as_ref().map(|v| v.help_desk.clone()),
        unavailable: o
            .view
            .as_ref()
            .map(|v| v.unavailable.iter().map(|x| x.id().to_owned()).collect()),
        first_option: o
            .view
            .as_ref()
            .map(|v| v.options.first().map(|x| x.option.id().to_owned())),
        ..Default::default()
    }
}

fn from_registration(o: &RegistrationOutcome) -> Seen {
    Seen {
        state: o.view.as_ref().map(|v| v.state.id().to_owned()),
        rejection: o.rejection,
        retry_after: o.retry_after,
        registered: o
            .view
            .as_ref()
            .map(|v| v.registered.iter().map(|m| m.id().to_owned()).collect()),
        help_desk: o.view.as_ref().map(|v| v.help_desk.clone()),
        default_method: o
            .view
            .as_ref()
            .map(|v| v.default_method.map(|m| m.id().to_owned())),
        methods: o.view.as_ref().map(|v| {
            v.methods
                .iter()
                .map(|m| (m.method.id().to_owned(), m.masked.clone(), m.default))
                .collect()
        }),
        ..Default::default()
    }
}

impl World {
    fn now(&self) -> u64 {
        use sspr_core::ports::Clock;
        self.clock.now().unwrap_or_default()
    }

    fn totp_for(&self, user: &str, offset: i64) -> Result<String, String> {
        let secret = self
            .app_secrets
            .get(user)
            .ok_or("no authenticator app for the user")?;
        let t = (self.now() as i64 + offset * 30).max(0) as u64;
        totp::totp(
            secret.expose(),
            t,
            &OtpParams {
                algorithm: OtpAlgorithm::Sha1,
                digits: 6,
                period: 30,
            },
        )
        .map_err(|e| e.to_string())
    }

    /// Resolves a code form (`$delivered`, `$totp`, `$totp-N`, `$totp+N`, `$wrong`, literal).
    fn code(&self, form: &str, user: Option<&String>, app: bool) -> Result<String, String> {
        let user = user.ok_or("no current user")?;
        let right = |w: &Self| {
            if app {
                w.totp_for(user, 0)
            } else {
                w.last_code
                    .clone()
                    .ok_or_else(|| "no code delivered".to_owned())
            }
        };
        match form {
            "$delivered" => self
                .last_code
                .clone()
                .ok_or_else(|| "no code delivered".into()),
            "$totp" => self.totp_for(user, 0),
            "$wrong" => {
                // A decoy receives nothing: any code is wrong for it.
                let r = right(self).unwrap_or_else(|_| "12345678".to_owned());
                let mut chars: Vec<char> = r.chars().collect();
                if let Some(last) = chars.last_mut() {
                    *last = char::from_digit((last.to_digit(10).unwrap_or(0) + 1) % 10, 10)
                        .unwrap_or('0');
                }
                Ok(chars.into_iter().collect())
            }
            f if f.starts_with("$recovery") => {
                let n: usize = f[9..].parse().map_err(|_| format!("bad code form {f}"))?;
                self.recovery
                    .get(user)
                    .and_then(|codes| codes.get(n))
                    .cloned()
                    .ok_or_else(|| format!("no recovery code {n} shown to the user"))
            }
            f if f.starts_with("$token:") => {
                let (seed, algorithm, digits, period) = self
                    .tokens
                    .get(&f[7..])
                    .ok_or_else(|| format!("no token {}", &f[7..]))?;
                totp::totp(
                    seed.expose(),
                    self.now(),
                    &OtpParams {
                        algorithm: *algorithm,
                        digits: *digits,
                        period: *period,
                    },
                )
                .map_err(|e| e.to_string())
            }
            f if f.starts_with("$totp") => {
                let n: i64 = f[5..].parse().map_err(|_| format!("bad code form {f}"))?;
                self.totp_for(user, n)
            }
            literal => Ok(literal.to_owned()),
        }
    }

    fn record_delivered(&mut self, sent: &[Message]) {
        for m in sent {
            if let Some(c) = &m.code {
                self.last_code = Some(c.expose().to_owned());
            }
            if let Some(a) = &m.approval {
                self.last_push = Some(a.request_id.clone());
            }
            if let Some(t) = &m.revoke_token {
                self.last_token = Some(t.expose().to_owned());
            }
            if let Some(t) = &m.link_token {
                self.last_link = Some(t.expose().to_owned());
            }
        }
    }

    fn step(&mut self, step: &Value) -> Result<(Seen, Vec<Message>), String> {
        let t = step["t"].as_u64().unwrap_or(0);
        self.clock.set(self.epoch + t);
        let op = step["do"].as_str().ok_or("step has no `do`")?;
        let e = &self.engine;
        let err = |x: sspr_core::Error| format!("{op} failed: {x}");
        let reset_id = || {
            self.reset_flow
                .clone()
                .ok_or_else(|| format!("{op} before start_reset"))
        };
        let reg_id = || {
            self.registration_flow
                .clone()
                .ok_or_else(|| format!("{op} before start_registration"))
        };
        let seen = match op {
            "start_reset" => {
                let identifier = s(step, "identifier");
                let captcha = if step["captcha"].as_bool().unwrap_or(true) {
                    "pass"
                } else {
                    "fail"
                };
                let o = e.start_reset(&identifier, captcha, None).map_err(err)?;
                self.acted_user = None;
                if let Some(v) = &o.view {
                    self.reset_flow = Some(v.flow_id.clone());
                    self.last_code = None;
                    self.last_push = None;
                }
                let wanted = identifier.trim().to_lowercase();
                self.reset_user = self.answers_user(&wanted);
                from_reset(&o)
            }
            "choose" => {
                let id = reset_id()?;
                let form = s(step, "option");
                let option = if form == "$first" {
                    e.reset_view_of(&id)
                        .map_err(err)?
                        .options
                        .first()
                        .map(|o| o.option)
                        .ok_or("no option offered")?
                } else {
                    form.parse::<ResetOption>()
                        .map_err(|_| format!("unknown option {form}"))?
                };
                let o = e.reset_step(&id, ResetInput::Choose(option)).map_err(err)?;
                let asks = o.view.as_ref().is_some_and(|v| v.state == "confirm_number");
                if asks && step["type_number"].as_bool() != Some(false) {
                    // The whole number: the step's, else the one on file (any valid number
                    // for a user without one: a decoy goes on either way).
                    let number = step["number"].as_str().map(str::to_owned).or_else(|| {
                        let (mobile, office) = self
                            .reset_user
                            .as_ref()
                            .and_then(|u| self.phones.get(u))
                            .cloned()
                            .unwrap_or_default();
                        if option == ResetOption::OfficeCall {
                            office
                        } else {
                            mobile
                        }
                    });
                    let number = number.unwrap_or_else(|| "+14255550123".to_owned());
                    from_reset(
                        &e.reset_step(&id, ResetInput::ConfirmNumber(SecretString::new(number)))
                            .map_err(err)?,
                    )
                } else {
                    from_reset(&o)
                }
            }
            "confirm_link" => {
                let form = s(step, "link");
                let token = match form.as_str() {
                    "$delivered" => self.last_link.clone().unwrap_or_default(),
                    "$wrong" => "not-the-token-that-was-sent".to_owned(),
                    literal => literal.to_owned(),
                };
                from_reset(
                    &e.reset_step(
                        &reset_id()?,
                        ResetInput::ConfirmLink(SecretString::new(token)),
                    )
                    .map_err(err)?,
                )
            }
            "confirm_number" => from_reset(
                &e.reset_step(
                    &reset_id()?,
                    ResetInput::ConfirmNumber(SecretString::new(s(step, "number"))),
                )
                .map_err(err)?,
            ),
            "resend" => from_reset(
                &e.reset_step(&reset_id()?, ResetInput::Resend)
                    .map_err(err)?,
            ),
            "enter_code" => {
                let id = reset_id()?;
                let view = e.reset_view_of(&id).map_err(err)?;
                let app = view.option == Some(ResetOption::AppCode);
                let code = self
                    .code(&s(step, "code"), self.reset_user.as_ref(), app)
                    .unwrap_or_else(|_| s(step, "code"));
                from_reset(
                    &self
                        .engine
                        .reset_step(&id, ResetInput::EnterCode(SecretString::new(code)))
                        .map_err(err)?,
                )
            }
            "answer" => {
                let id = reset_id()?;
                let view = e.reset_view_of(&id).map_err(err)?;
                let known = self
                    .reset_user
                    .as_ref()
                    .and_then(|u| self.answers.get(u))
                    .cloned()
                    .unwrap_or_default();
                let mut given = BTreeMap::new();
                match &step["answers"] {
                    Value::String(f) if f == "$correct" || f == "$one_wrong" => {
                        for (i, q) in view.questions.iter().enumerate() {
                            let mut a = known.get(q).cloned().unwrap_or_else(|| "unknown".into());
                            if f == "$one_wrong" && i == 0 {
                                a.push_str(" not");
                            }
                            given.insert(q.clone(), SecretString::new(a));
                        }
                    }
                    Value::Object(map) => {
                        for (q, a) in map {
                            given.insert(
                                q.clone(),
                                SecretString::new(a.as_str().unwrap_or_default()),
                            );
                        }
                    }
                    other => return Err(format!("bad answers {other}")),
                }
                from_reset(
                    &self
                        .engine
                        .reset_step(&id, ResetInput::Answer(given))
                        .map_err(err)?,
                )
            }
            "prove" => {
                let id = reg_id()?;
                let form = s(step, "option");
                let option = if form == "$first" {
                    self.proof_options
                        .first()
                        .copied()
                        .ok_or("no proof option offered")?
                } else {
                    form.parse::<ResetOption>()
                        .map_err(|_| format!("unknown option {form}"))?
                };
                let o = e
                    .registration_step(&id, RegistrationInput::Prove(option))
                    .map_err(err)?;
                self.approval_shown = o.view.as_ref().and_then(|v| v.approval_number);
                from_registration(&o)
            }
            "test_push" => {
                let o = e
                    .registration_step(&reg_id()?, RegistrationInput::TestPush)
                    .map_err(err)?;
                self.approval_shown = o.view.as_ref().and_then(|v| v.approval_number);
                from_registration(&o)
            }
            "approve_proof" | "approve_app" => {
                let id = reg_id()?;
                let shown = self.approval_shown.unwrap_or(10);
                let number = approval_number(&step["number"], shown)?;
                let input = RegistrationInput::Approve {
                    request_id: self.last_push.clone().unwrap_or_default(),
                    number,
                    approve: step["approve"].as_bool().unwrap_or(true),
                };
                from_registration(&self.engine.registration_step(&id, input).map_err(err)?)
            }
            "approve" => {
                let id = reset_id()?;
                let view = e.reset_view_of(&id).map_err(err)?;
                let shown = view.approval_number.unwrap_or(10);
                let number = approval_number(&step["number"], shown)?;
                let input = ResetInput::Approve {
                    request_id: self.last_push.clone().unwrap_or_default(),
                    number,
                    approve: step["approve"].as_bool().unwrap_or(true),
                };
                from_reset(&self.engine.reset_step(&id, input).map_err(err)?)
            }
            "new_password" => {
                let pw = s(step, "password");
                let confirm = step["confirm"]
                    .as_str()
                    .map_or_else(|| pw.clone(), str::to_owned);
                from_reset(
                    &e.reset_step(
                        &reset_id()?,
                        ResetInput::NewPassword {
                            password: SecretString::new(pw),
                            confirm: SecretString::new(confirm),
                        },
                    )
                    .map_err(err)?,
                )
            }
            "unlock" => from_reset(
                &e.reset_step(&reset_id()?, ResetInput::Unlock)
                    .map_err(err)?,
            ),
            "cancel" => from_reset(
                &e.reset_step(&reset_id()?, ResetInput::Cancel)
                    .map_err(err)?,
            ),
            "sign_in" => {
                let c = e
                    .sign_in_check(
                        &s(step, "user"),
                        &sspr_core::SecretString::new(s(step, "password")),
                        None,
                    )
                    .map_err(err)?;
                Seen {
                    registration_required: Some(c.registration_required),
                    reconfirm_due: Some(c.reconfirm_due),
                    rejection: c.rejection,
                    may_snooze: Some(c.may_snooze),
                    snoozes_left: Some(c.snoozes_left),
                    ..Default::default()
                }
            }
            "snooze" => {
                let o = e.snooze_registration(&s(step, "user")).map_err(err)?;
                Seen {
                    rejection: o.rejection,
                    snoozes_left: Some(o.snoozes_left),
                    ..Default::default()
                }
            }
            "start_registration" => {
                let user = s(step, "user");
                let o = e
                    .start_registration(&user, &SecretString::new(s(step, "password")), None)
                    .map_err(err)?;
                self.acted_user = None;
                if let Some(v) = &o.view {
                    self.registration_flow = Some(v.flow_id.clone());
                    self.proof_options = v.proof_options.iter().map(|o| o.option).collect();
                    self.registration_user = self.answers_user(&user.trim().to_lowercase());
                    self.last_code = None;
                }
                from_registration(&o)
            }
            "register_email" => from_registration(
                &e.registration_step(&reg_id()?, RegistrationInput::Email(s(step, "address")))
                    .map_err(err)?,
            ),
            "register_mobile" => {
                let via = if step["via"].as_str() == Some("call") {
                    Via::Call
                } else {
                    Via::Text
                };
                if let Some(u) = self.registration_user.clone() {
                    self.phones.entry(u).or_default().0 = Some(s(step, "number"));
                }
                from_registration(
                    &e.registration_step(
                        &reg_id()?,
                        RegistrationInput::Mobile {
                            number: s(step, "number"),
                            via,
                        },
                    )
                    .map_err(err)?,
                )
            }
            "register_office" => {
                if let Some(u) = self.registration_user.clone() {
                    self.phones.entry(u).or_default().1 = Some(s(step, "number"));
                }
                from_registration(
                    &e.registration_step(&reg_id()?, RegistrationInput::Office(s(step, "number")))
                        .map_err(err)?,
                )
            }
            "register_app" => {
                let o = e
                    .registration_step(&reg_id()?, RegistrationInput::App { device_id: None })
                    .map_err(err)?;
                if let (Some(p), Some(user)) = (&o.provisioning, &self.registration_user) {
                    let secret = SecretBytes::from_base32(p.secret_b32.expose())
                        .map_err(|e| e.to_string())?;
                    self.app_secrets.insert(user.clone(), secret);
                }
                from_registration(&o)
            }
            "register_recovery_codes" => {
                let o = e
                    .registration_step(&reg_id()?, RegistrationInput::RecoveryCodes)
                    .map_err(err)?;
                if let Some(u) = self.registration_user.clone()
                    && !o.recovery_codes.is_empty()
                {
                    let shown = o.recovery_codes.iter().map(|c| c.expose().to_owned());
                    self.recovery.insert(u, shown.collect());
                }
                from_registration(&o)
            }
            "register_questions" => {
                let mut given = BTreeMap::new();
                let mut plain = BTreeMap::new();
                for (q, a) in step["answers"].as_object().cloned().unwrap_or_default() {
                    let a = a.as_str().unwrap_or_default().to_owned();
                    plain.insert(sspr_core::questions::canonical(&q), a.clone());
                    given.insert(q, SecretString::new(a));
                }
                let o = e
                    .registration_step(&reg_id()?, RegistrationInput::Questions(given))
                    .map_err(err)?;
                if o.rejection.is_none()
                    && let Some(u) = &self.registration_user
                {
                    self.answers.insert(u.clone(), plain);
                }
                from_registration(&o)
            }
            "verify" => {
                let id = reg_id()?;
                let pending_app = {
                    let user = self.registration_user.clone();
                    user.is_some_and(|u| self.app_secrets.contains_key(&u))
                };
                let form = s(step, "code");
                let app = form.starts_with("$totp")
                    || (form == "$wrong" && pending_app && self.last_code.is_none());
                let code = self
                    .code(&form, self.registration_user.as_ref(), app)
                    .unwrap_or(form);
                from_registration(
                    &self
                        .engine
                        .registration_step(&id, RegistrationInput::Verify(SecretString::new(code)))
                        .map_err(err)?,
                )
            }
            "remove" => {
                let m: Method = s(step, "method")
                    .parse()
                    .map_err(|_| "unknown method".to_owned())?;
                from_registration(
                    &e.registration_step(&reg_id()?, RegistrationInput::Remove(m))
                        .map_err(err)?,
                )
            }
            "set_default" => {
                let m: Method = s(step, "method")
                    .parse()
                    .map_err(|_| "unknown method".to_owned())?;
                from_registration(
                    &e.registration_step(&reg_id()?, RegistrationInput::SetDefault(m))
                        .map_err(err)?,
                )
            }
            "import_hardware_token" => {
                let serial = s(step, "serial");
                let b32 = s(step, "secret_b32");
                let algorithm = match step["algorithm"].as_str().unwrap_or("SHA1") {
                    "SHA256" => OtpAlgorithm::Sha256,
                    "SHA512" => OtpAlgorithm::Sha512,
                    _ => OtpAlgorithm::Sha1,
                };
                let digits = u8::try_from(step["digits"].as_u64().unwrap_or(6)).unwrap_or(0);
                let period = u32::try_from(step["period"].as_u64().unwrap_or(30)).unwrap_or(0);
                e.import_hardware_token(
                    &UserId::new(s(step, "user")),
                    &HardwareTokenImport {
                        serial: serial.clone(),
                        secret_b32: SecretString::new(b32.clone()),
                        algorithm,
                        digits,
                        period,
                    },
                    &actor(step),
                )
                .map_err(err)?;
                let seed = SecretBytes::from_base32(&b32).map_err(|e| e.to_string())?;
                self.tokens
                    .insert(serial, (seed, algorithm, digits, period));
                Seen::default()
            }
            "activate_token" => {
                let form = s(step, "code");
                let code = self
                    .code(&form, self.registration_user.as_ref(), false)
                    .unwrap_or(form);
                from_registration(
                    &self
                        .engine
                        .registration_step(
                            &reg_id()?,
                            RegistrationInput::ActivateToken {
                                serial: s(step, "serial"),
                                code: SecretString::new(code),
                            },
                        )
                        .map_err(err)?,
                )
            }
            "change_password" => {
                let user = s(step, "user");
                let new = s(step, "new");
                let confirm = step["confirm"].as_str().map_or(new.clone(), str::to_owned);
                let o = e
                    .change_password(
                        &user,
                        &SecretString::new(s(step, "old")),
                        &SecretString::new(new),
                        &SecretString::new(confirm),
                        None,
                    )
                    .map_err(err)?;
                self.acted_user = self.answers_user(&user.trim().to_lowercase());
                Seen {
                    rejection: o.rejection,
                    retry_after: o.retry_after,
                    help_desk: Some(o.help_desk),
                    ..Default::default()
                }
            }
            "help_desk_reset" => {
                let user = s(step, "user");
                e.reset_password_by_help_desk(&UserId::new(user.clone()), &actor(step))
                    .map_err(err)?;
                self.acted_user = Some(user);
                Seen::default()
            }
            "unblock" => {
                e.unblock(&s(step, "identifier"), &actor(step))
                    .map_err(err)?;
                Seen::default()
            }
            "issue_access_pass" => {
                let issued = e
                    .issue_access_pass(
                        &UserId::new(s(step, "user")),
                        &actor(step),
                        step["lifetime_s"].as_u64().unwrap_or(3600),
                        step["one_time"].as_bool().unwrap_or(true),
                    )
                    .map_err(err)?;
                self.access_pass = Some(issued.pass.expose().to_owned());
                Seen::default()
            }
            "access_pass" => {
                let form = s(step, "pass");
                let pass = if form == "$issued" {
                    self.access_pass
                        .clone()
                        .ok_or("no access pass was issued")?
                } else {
                    form
                };
                from_registration(
                    &e.registration_step(
                        &reg_id()?,
                        RegistrationInput::AccessPass(SecretString::new(pass)),
                    )
                    .map_err(err)?,
                )
            }
            "report_not_me" => {
                let form = s(step, "token");
                let token = if form == "$last" {
                    self.last_token
                        .clone()
                        .ok_or("no notice with a token was delivered")?
                } else {
                    form
                };
                let r = e.report_not_me(&token).map_err(err)?;
                Seen {
                    rejection: r.rejection,
                    ..Default::default()
                }
            }
            "registration_resend" => from_registration(
                &e.registration_step(&reg_id()?, RegistrationInput::Resend)
                    .map_err(err)?,
            ),
            "back" => from_registration(
                &e.registration_step(&reg_id()?, RegistrationInput::Back)
                    .map_err(err)?,
            ),
            "finish" => from_registration(
                &e.registration_step(&reg_id()?, RegistrationInput::Finish)
                    .map_err(err)?,
            ),
            other => return Err(format!("unknown operation `{other}`")),
        };
        let sent = self.notifier.take();
        self.record_delivered(&sent);
        Ok((seen, sent))
    }

    /// The username (as seeded) matching a normalised identifier.
    fn answers_user(&self, normalized: &str) -> Option<String> {
        use sspr_core::ports::Directory;
        self.directory
            .find_user(normalized.to_owned())
            .ok()
            .flatten()
            .map(|u| u.username)
    }
}

fn set(v: &Value) -> Option<Vec<String>> {
    let mut out: Vec<String> = v
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    out.sort();
    Some(out)
}

fn check(expect: &Value, seen: &Seen, sent: &[Message], world: &World) -> Outcome {
    check_expect_keys(expect, EXPECT_KEYS)?;
    if let Some(want) = expect.get("state").and_then(Value::as_str)
        && seen.state.as_deref() != Some(want)
    {
        return Err(format!(
            "state {:?}, expected {want} (rejection {:?})",
            seen.state,
            seen.rejection.map(|r| r.id())
        ));
    }
    if let Some(want) = expect.get("options").and_then(set) {
        let mut got = seen.options.clone().unwrap_or_default();
        got.sort();
        if got != want {
            return Err(format!("options {got:?}, expected {want:?}"));
        }
    }
    if let Some(want) = expect.get("unavailable").and_then(set) {
        let mut got = seen.unavailable.clone().unwrap_or_default();
        got.sort();
        if got != want {
            return Err(format!("unavailable {got:?}, expected {want:?}"));
        }
    }
    if let Some(want) = expect.get("gate").and_then(Value::as_u64)
        && seen.gate != Some(want as u8)
    {
        return Err(format!("gate {:?}, expected {want}", seen.gate));
    }
    if let Some(want) = expect.get("questions").and_then(Value::as_u64)
        && seen.questions != Some(want as usize)
    {
        return Err(format!("{:?} questions, expected {want}", seen.questions));
    }
    if let Some(want) = expect.get("rejection") {
        let got = seen.rejection.map(|r| r.id());
        if got != want.as_str() {
            return Err(format!("rejection {got:?}, expected {want}"));
        }
    }
    if let Some(want) = expect.get("retry_after").and_then(Value::as_u64)
        && seen.retry_after != Some(want)
    {
        return Err(format!(
            "retry_after {:?}, expected {want}",
            seen.retry_after
        ));
    }
    for key in ["registration_required", "reconfirm_due"] {
        if let Some(want) = expect.get(key).and_then(Value::as_bool) {
            let got = if key == "registration_required" {
                seen.registration_required
            } else {
                seen.reconfirm_due
            };
            if got != Some(want) {
                return Err(format!("{key} {got:?}, expected {want}"));
            }
        }
    }
    if let Some(want) = expect.get("registered").and_then(set) {
        let mut got = seen.registered.clone().unwrap_or_default();
        got.sort();
        if got != want {
            return Err(format!("registered {got:?}, expected {want:?}"));
        }
    }
    if let Some(want) = expect.get("sent").and_then(Value::as_array) {
        let mut left: Vec<&Message> = sent.iter().collect();
        for w in want {
            let pos = left.iter().position(|m| {
                w.get("channel")
                    .and_then(Value::as_str)
                    .is_none_or(|c| c == m.channel.id())
                    && w.get("to")
                        .and_then(Value::as_str)
                        .is_none_or(|t| t == m.to)
                    && w.get("kind")
                        .and_then(Value::as_str)
                        .is_none_or(|k| k == m.kind.id())
            });
            match pos {
                Some(i) => {
                    left.remove(i);
                }
                None => {
                    return Err(format!(
                        "expected message {w} not sent; sent {:?}",
                        sent.iter()
                            .map(|m| (m.channel.id(), m.kind.id()))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
        if !left.is_empty() {
            return Err(format!(
                "{} unexpected message(s): {:?}",
                left.len(),
                left.iter()
                    .map(|m| (m.channel.id(), m.kind.id()))
                    .collect::<Vec<_>>()
            ));
        }
    }
    if let Some(want) = expect.get("password_is").and_then(Value::as_str) {
        let user = world
            .acted_user
            .clone()
            .or_else(|| world.reset_user.clone())
            .or_else(|| world.registration_user.clone())
            .ok_or("password_is without a user")?;
        let got = world
            .directory
            .password_of(&UserId::new(user))
            .ok_or("user vanished")?;
        if !got.ct_eq(want) {
            return Err("the directory holds a different password".into());
        }
    }
    if let Some(want) = expect.get("must_change_password").and_then(Value::as_bool) {
        let user = world
            .acted_user
            .clone()
            .or_else(|| world.reset_user.clone())
            .or_else(|| world.registration_user.clone())
            .ok_or("must_change_password without a user")?;
        let got = world.directory.must_change_password(&UserId::new(user));
        if got != want {
            return Err(format!("must_change_password {got}, expected {want}"));
        }
    }
    for (key, got) in [
        ("default_method", &seen.default_method),
        ("first_option", &seen.first_option),
    ] {
        if let Some(want) = expect.get(key) {
            let got = got.clone().flatten();
            if got.as_deref() != want.as_str() {
                return Err(format!("{key} {got:?}, expected {want}"));
            }
        }
    }
    if let Some(want) = expect.get("methods").and_then(Value::as_array) {
        let got = seen.methods.clone().unwrap_or_default();
        let ok = got.len() == want.len()
            && got.iter().zip(want).all(|((id, masked, default), w)| {
                w.get("method").and_then(Value::as_str) == Some(id.as_str())
                    && w.get("masked")
                        .is_none_or(|m| m.as_str() == masked.as_deref())
                    && w.get("default")
                        .and_then(Value::as_bool)
                        .is_none_or(|d| d == *default)
            });
        if !ok {
            return Err(format!("methods {got:?}, expected {want:?}"));
        }
    }
    if let Some(want) = expect.get("may_snooze").and_then(Value::as_bool)
        && seen.may_snooze != Some(want)
    {
        return Err(format!("may_snooze {:?}, expected {want}", seen.may_snooze));
    }
    if let Some(want) = expect.get("snoozes_left") {
        let got = seen.snoozes_left.flatten().map(u64::from);
        if got != want.as_u64() {
            return Err(format!("snoozes_left {got:?}, expected {want}"));
        }
    }
    if let Some(want) = expect.get("help_desk") {
        let got = seen.help_desk.clone().flatten();
        if got.as_deref() != want.as_str() {
            return Err(format!("help_desk {got:?}, expected {want}"));
        }
    }
    Ok(())
}

pub fn run(case: &Value) -> Outcome {
    let mut world = build(case)?;
    for (i, step) in case["steps"]
        .as_array()
        .ok_or("no steps")?
        .iter()
        .enumerate()
    {
        let (seen, sent) = world.step(step).map_err(|e| format!("step {i}: {e}"))?;
        if let Some(expect) = step.get("expect") {
            check(expect, &seen, &sent, &world)
                .map_err(|e| format!("step {i} ({}): {e}", step["do"].as_str().unwrap_or("?")))?;
        }
    }
    Ok(())
}
