//! Hostile ports and stores: between reset and registration steps the stored records are
//! tampered with (numbers set to extreme values, fields cut or replaced), and the clock and the
//! counter store return whatever the fuzzer chooses. Whatever they return, every call ends in
//! a result or a typed error: no panic, no overflow.
#![no_main]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sspr_core::SealingKeys;
use sspr_core::memory::*;
use sspr_core::ports::{Clock, CounterState, CounterStore, FlowStore, SecurityInfoStore};
use sspr_core::registration::RegistrationInput;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE, BEN, CAPTCHA};
use sspr_core::{Policy, PortError, ResetOption, SecretString};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Lie {
    Truth,
    Count(u32),
    Blocked(u64),
    Both(u32, u64),
}

/// A counter store that tells the truth or lies, as the fuzzer says.
struct Liar {
    inner: MemoryCounterStore,
    lie: std::sync::Mutex<Lie>,
    block_answer: AtomicU64,
}

impl Liar {
    fn twist(&self, s: CounterState) -> CounterState {
        match *self
            .lie
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Lie::Truth => s,
            Lie::Count(c) => CounterState { count: c, ..s },
            Lie::Blocked(b) => CounterState {
                blocked_until: Some(b),
                ..s
            },
            Lie::Both(c, b) => CounterState {
                count: c,
                blocked_until: Some(b),
            },
        }
    }
}

impl CounterStore for Liar {
    fn increment(&self, k: String, now: u64, w: u64) -> Result<CounterState, PortError> {
        Ok(self.twist(self.inner.increment(k, now, w)?))
    }
    fn get(&self, k: String, now: u64) -> Result<CounterState, PortError> {
        Ok(self.twist(self.inner.get(k, now)?))
    }
    fn release(&self, k: String, now: u64) -> Result<(), PortError> {
        self.inner.release(k, now)
    }
    fn block(&self, k: String, until: u64) -> Result<u64, PortError> {
        let real = self.inner.block(k, until)?;
        let lie = self.block_answer.load(Ordering::SeqCst);
        Ok(if lie == 0 { real } else { lie })
    }
    fn clear(&self, k: String) -> Result<(), PortError> {
        self.inner.clear(k)
    }
}

struct Jumpy(AtomicU64);
impl Clock for Jumpy {
    fn now(&self) -> Result<u64, PortError> {
        Ok(self.0.load(Ordering::SeqCst))
    }
}

#[derive(Arbitrary, Debug)]
enum Tamper {
    None,
    /// Sets the n-th number of the record to `value`.
    Number {
        nth: u8,
        value: u64,
    },
    /// Cuts the record at `at` bytes.
    Cut(u16),
    /// Replaces the first occurrence of `from` with `to`.
    Replace {
        from: String,
        to: String,
    },
}

#[derive(Arbitrary, Debug)]
enum Op {
    Choose(u8),
    Code(String),
    RightCode,
    Answer(String),
    Approve(u8, bool),
    NewPassword,
    Resend,
    Cancel,
    Prove(u8),
    Verify(String),
    Register(String),
    Finish,
}

#[derive(Arbitrary, Debug)]
struct Input {
    steps: Vec<(Op, Tamper, bool, Lie, u64)>,
    block_answer: u64,
}

fn tamper_json(v: &mut Value, nth: &mut u8, value: u64) -> bool {
    match v {
        Value::Number(_) => {
            if *nth == 0 {
                *v = Value::from(value);
                return true;
            }
            *nth -= 1;
            false
        }
        Value::Array(a) => a.iter_mut().any(|x| tamper_json(x, nth, value)),
        Value::Object(m) => m.values_mut().any(|x| tamper_json(x, nth, value)),
        _ => false,
    }
}

fn tampered(data: &str, t: &Tamper) -> Option<String> {
    match t {
        Tamper::None => None,
        Tamper::Number { nth, value } => {
            let mut v: Value = serde_json::from_str(data).ok()?;
            let mut n = *nth;
            tamper_json(&mut v, &mut n, *value).then(|| v.to_string())
        }
        Tamper::Cut(at) => {
            let at = usize::from(*at).min(data.len());
            data.is_char_boundary(at).then(|| data[..at].to_owned())
        }
        Tamper::Replace { from, to } => (!from.is_empty() && data.contains(from.as_str()))
            .then(|| data.replacen(from.as_str(), to, 1)),
    }
}

fuzz_target!(|input: Input| {
    let mem = fixtures::memory_ports(4);
    let counters = Arc::new(Liar {
        inner: MemoryCounterStore::new(),
        lie: std::sync::Mutex::new(Lie::Truth),
        block_answer: AtomicU64::new(input.block_answer),
    });
    let clock = Arc::new(Jumpy(AtomicU64::new(fixtures::T0)));
    let mut ports = mem.ports();
    ports.counters = counters.clone();
    ports.clock = clock.clone();
    let policy = Policy::parse(
        r#"{"reset": {"methods": ["email", "mobile_phone", "app_code", "app_notification", "security_questions"]}}"#,
    )
    .expect("policy");
    let engine = fixtures::engine(policy, ports);
    let Ok(o) = engine.start_reset(BEN.username, CAPTCHA, Some("203.0.113.5")) else {
        return;
    };
    let Some(view) = o.view else { return };
    let reset = view.flow_id;
    let reset_key = view.flow_ref;
    let registration = engine
        .start_registration(ALICE.username, &SecretString::new(ALICE.password), None)
        .ok()
        .and_then(|o| o.view)
        .map(|v| (v.flow_id, v.flow_ref));
    for (op, tamper, on_info, lie, now) in input.steps.into_iter().take(40) {
        *counters
            .lie
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = lie;
        clock.0.store(now, Ordering::SeqCst);
        // Tamper with a stored record before the step.
        if on_info {
            let user = if now % 2 == 0 {
                BEN.user_id()
            } else {
                ALICE.user_id()
            };
            // Half the time the plaintext is tampered with and sealed again (a writer holding
            // the sealing key), half the time the sealed text itself.
            let keys = SealingKeys::derived(&fixtures::identity_key());
            let tamper_inside = now % 4 < 2;
            if let Ok(Some(r)) = mem.security_info.load(user.clone())
                && let Some(d) = if tamper_inside {
                    keys.open(user.as_str(), &r.data)
                        .ok()
                        .and_then(|o| tampered(&o.plaintext, &tamper))
                        .and_then(|p| keys.seal(user.as_str(), &p, [now as u8; 24]).ok())
                } else {
                    tampered(&r.data, &tamper)
                }
            {
                let _ = mem.security_info.save(user, d, r.version);
            }
        } else {
            let key = match (&registration, now % 2) {
                (Some((_, k)), 1) => k.clone(),
                _ => reset_key.clone(),
            };
            if let Ok(Some(r)) = mem.flows.load(key.clone())
                && let Some(d) = tampered(&r.data, &tamper)
            {
                let _ = mem.flows.save(key, d, r.version, u64::MAX);
            }
        }
        let code = || {
            mem.notifier
                .messages()
                .iter()
                .rev()
                .find_map(|m| m.code.clone())
                .unwrap_or_default()
        };
        let reset_input = match &op {
            Op::Choose(i) => Some(ResetInput::Choose(ResetOption::ALL[usize::from(*i) % 7])),
            Op::Code(c) => Some(ResetInput::EnterCode(SecretString::new(c.clone()))),
            Op::RightCode => Some(ResetInput::EnterCode(code())),
            Op::Answer(a) => Some(ResetInput::Answer(
                [(
                    sspr_core::questions::PREDEFINED[0].to_owned(),
                    SecretString::new(a.clone()),
                )]
                .into(),
            )),
            Op::Approve(n, a) => Some(ResetInput::Approve {
                request_id: "r".into(),
                number: *n,
                approve: *a,
            }),
            Op::NewPassword => Some(ResetInput::NewPassword {
                password: SecretString::new("quiet lantern orchard 4417"),
                confirm: SecretString::new("quiet lantern orchard 4417"),
            }),
            Op::Resend => Some(ResetInput::Resend),
            Op::Cancel => Some(ResetInput::Cancel),
            _ => None,
        };
        if let Some(i) = reset_input {
            let _ = engine.reset_step(&reset, i);
            let _ = engine.reset_view_of(&reset);
        }
        if let Some((flow, _)) = &registration {
            let reg_input = match op {
                Op::Prove(i) => Some(RegistrationInput::Prove(
                    ResetOption::ALL[usize::from(i) % 7],
                )),
                Op::Verify(c) => Some(RegistrationInput::Verify(SecretString::new(c))),
                Op::RightCode => Some(RegistrationInput::Verify(code())),
                Op::Register(a) => Some(RegistrationInput::Email(a)),
                Op::Finish => Some(RegistrationInput::Finish),
                _ => None,
            };
            if let Some(i) = reg_input {
                let _ = engine.registration_step(flow, i);
            }
        }
        let _ = engine.sign_in_check(
            ALICE.username,
            &sspr_core::SecretString::new(ALICE.password), None,
        );
    }
});
