//! Python bindings of sspr: the reset and registration engine over ports written in Python or
//! built in, the policy document, password rules, one-time passwords and argon2id hashing, with
//! typed exceptions. Built by maturin as `sspr._sspr` and re-exported by the `sspr` package.

mod catalog;
mod dict;
mod engine;
mod memory;
mod ports;
mod stores;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use sspr_core::hashing::{self, HashParams};
use sspr_core::otp::{Credential, TotpCheck};
use sspr_core::password::{self, BreachMode, BreachStatus, PasswordRules, UserFacts};
use sspr_core::{Error, InputError as CoreInputError};
use sspr_core::{Policy, PortName};

create_exception!(
    sspr,
    SsprError,
    PyException,
    "The base of every sspr error."
);
create_exception!(
    sspr,
    PolicyError,
    SsprError,
    "A policy document is invalid; `field` names the dotted path at fault."
);
create_exception!(
    sspr,
    InputError,
    SsprError,
    "Input from outside is malformed or hostile."
);
create_exception!(
    sspr,
    RejectedError,
    PortError,
    "A refusal for good (quota, invalid destination, permission): raise it from a port when \
     retrying cannot help."
);
create_exception!(
    sspr,
    FlowNotFoundError,
    InputError,
    "No flow has this id: it never existed, or it expired (a web app answers 404)."
);
create_exception!(sspr, MisuseError, SsprError, "The API was used wrongly.");
create_exception!(
    sspr,
    PortError,
    SsprError,
    "A port (a store, the notifier, a checker) failed."
);
create_exception!(
    sspr,
    ConflictError,
    PortError,
    "A compare-and-set lost: raise it from a store's `save` when the version does not match."
);

fn policy_error(e: sspr_core::PolicyError) -> PyErr {
    Python::attach(|py| {
        let err = PolicyError::new_err(e.to_string());
        match err.value(py).setattr("field", e.field) {
            Ok(()) => err,
            Err(set) => set,
        }
    })
}

fn error(e: Error) -> PyErr {
    // Attributes a web app reads instead of the message: `InputError.what`, and
    // `PortError.port` / `.kind` (stable ids).
    let with = |err: PyErr, attrs: &[(&str, &str)]| {
        Python::attach(|py| {
            for (name, value) in attrs {
                if let Err(set) = err.value(py).setattr(*name, *value) {
                    return set;
                }
            }
            err
        })
    };
    match e {
        Error::Input(CoreInputError::Policy(p)) => policy_error(p),
        Error::Input(CoreInputError::UnknownFlow) => with(
            FlowNotFoundError::new_err(CoreInputError::UnknownFlow.to_string()),
            &[("what", "flow id")],
        ),
        Error::Input(i) => with(InputError::new_err(i.to_string()), &[("what", i.what())]),
        Error::Misuse(m) => MisuseError::new_err(m.to_string()),
        Error::Port(p) => {
            let err = if p.is_conflict() {
                ConflictError::new_err(p.to_string())
            } else if p.kind == sspr_core::PortErrorKind::Rejected {
                RejectedError::new_err(p.to_string())
            } else {
                PortError::new_err(p.to_string())
            };
            with(err, &[("port", p.port.id()), ("kind", p.kind.id())])
        }
        other => SsprError::new_err(other.to_string()),
    }
}

fn input(e: CoreInputError) -> PyErr {
    error(Error::Input(e))
}

/// A validated policy document.
#[pyclass(frozen, name = "Policy", module = "sspr")]
struct PyPolicy {
    pub(crate) inner: Policy,
}

#[pymethods]
impl PyPolicy {
    /// The default policy (the empty document).
    #[new]
    fn new() -> Self {
        Self {
            inner: Policy::default(),
        }
    }

    /// Parses TOML.
    #[staticmethod]
    fn from_toml(text: &str) -> PyResult<Self> {
        Policy::from_toml(text)
            .map(|inner| Self { inner })
            .map_err(policy_error)
    }

    /// Parses JSON.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Policy::from_json(text)
            .map(|inner| Self { inner })
            .map_err(policy_error)
    }

    /// Parses JSON if the text starts with `{`, TOML otherwise.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        Policy::parse(text)
            .map(|inner| Self { inner })
            .map_err(policy_error)
    }

    /// Validates a document given as a dict (anything `json.dumps` accepts).
    #[staticmethod]
    fn from_dict(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text: String = py
            .import("json")?
            .call_method1("dumps", (document,))
            .map_err(|_| InputError::new_err("the policy document must be made of dicts, lists, strings, numbers and booleans"))?
            .extract()?;
        Self::from_json(&text)
    }

    /// The effective policy, every default filled in, as JSON.
    fn to_json(&self) -> String {
        self.inner.to_json().to_string()
    }

    /// The effective policy as a dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(py
            .import("json")?
            .call_method1("loads", (self.to_json(),))?
            .unbind())
    }

    /// The effective policy as TOML.
    fn to_toml(&self) -> String {
        self.inner.to_toml()
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> String {
        format!("Policy({})", self.to_json())
    }
}

/// The verdict on a new password.
#[pyclass(frozen, name = "PasswordVerdict", module = "sspr", get_all)]
struct PyVerdict {
    /// Whether every rule passed.
    accepted: bool,
    /// Every failing reason id, e.g. `password.too_short`.
    reasons: Vec<String>,
    /// Code points after NFKC.
    length: usize,
    /// Character classes used (0 to 4).
    classes: u8,
    /// The Entra banned-password score (None when too long to score).
    banned_score: Option<u32>,
    /// log10 of the estimated guesses (None when too long to estimate).
    guesses_log10: Option<f64>,
    /// 0 to 4 strength meter.
    meter: u8,
    /// Feedback message ids: a warning and suggestions.
    warning: Option<String>,
    /// Suggestion message ids.
    suggestions: Vec<String>,
    /// `not_checked`, `clean`, `breached` or `unavailable`.
    breach: String,
}

impl From<&password::PasswordVerdict> for PyVerdict {
    fn from(verdict: &password::PasswordVerdict) -> Self {
        Self {
            accepted: verdict.accepted(),
            reasons: verdict.reasons.iter().map(|r| r.id().to_owned()).collect(),
            length: verdict.length,
            classes: verdict.classes,
            banned_score: verdict.banned_score,
            guesses_log10: verdict.guesses_log10,
            meter: verdict.meter,
            warning: verdict.feedback.warning.map(|m| m.id().to_owned()),
            suggestions: verdict
                .feedback
                .suggestions
                .iter()
                .map(|m| m.id().to_owned())
                .collect(),
            breach: match verdict.breach {
                BreachStatus::NotChecked => "not_checked",
                BreachStatus::Clean => "clean",
                BreachStatus::Breached { .. } => "breached",
                BreachStatus::Unavailable => "unavailable",
            }
            .to_owned(),
        }
    }
}

#[pymethods]
impl PyVerdict {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "PasswordVerdict(accepted={}, reasons={:?}, banned_score={:?})",
            self.accepted, self.reasons, self.banned_score
        )
    }
}

/// Applies a policy's password rules. `history` holds argon2 PHC hashes of earlier passwords
/// (newest first); `breach_checker` an object with `range(prefix) -> [(suffix, count)]`,
/// required when the policy checks breached passwords (`MisuseError` without one).
#[pyfunction]
#[pyo3(signature = (policy, password, confirm=None, *, username="", first_name="", last_name="", org_name="", history=Vec::new(), breach_checker=None, fail_closed=false))]
#[allow(clippy::too_many_arguments)]
fn evaluate_password(
    py: Python<'_>,
    policy: &PyPolicy,
    password: String,
    confirm: Option<String>,
    username: &str,
    first_name: &str,
    last_name: &str,
    org_name: &str,
    history: Vec<String>,
    breach_checker: Option<Py<PyAny>>,
    fail_closed: bool,
) -> PyResult<PyVerdict> {
    let user = UserFacts {
        username: username.to_owned(),
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        org_name: org_name.to_owned(),
    };
    let rules = PasswordRules::new(policy.inner.password());
    let confirm = confirm.unwrap_or_else(|| password.clone());
    let mode = if fail_closed {
        BreachMode::FailClosed
    } else {
        BreachMode::FailOpen
    };
    let checker = breach_checker.map(|c| ports::PyPort::new(c, PortName::BreachChecker));
    let breach = checker
        .as_ref()
        .map(|c| (c as &dyn sspr_core::ports::BreachChecker, mode));
    // The rules and argon2 history checks run without the GIL; a Python breach checker takes
    // it back for its own call.
    ports::clear_cause();
    let verdict = py
        .detach(|| rules.check(&password, &confirm, &user, |_| Ok(history), breach))
        .map_err(|e| ports::chained_error(py, e))?;
    Ok(PyVerdict::from(&verdict))
}

/// Hashes a secret with argon2id (OWASP parameters by default) into a PHC string.
#[pyfunction]
#[pyo3(signature = (secret, *, memory_kib=19_456, iterations=2, parallelism=1))]
fn hash_secret(
    py: Python<'_>,
    secret: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
) -> PyResult<String> {
    let params = HashParams {
        memory_kib,
        iterations,
        parallelism,
    };
    py.detach(|| hashing::hash(secret.as_bytes(), &params, &sspr_core::memory::OsRandomness))
        .map_err(error)
}

/// Whether `secret` matches an argon2 PHC string.
#[pyfunction]
fn verify_secret(py: Python<'_>, secret: String, phc: String) -> PyResult<bool> {
    py.detach(|| hashing::verify(secret.as_bytes(), &phc))
        .map_err(input)
}

fn credential(secret_b32: &str, algorithm: &str, digits: u8, period: u32) -> PyResult<Credential> {
    Credential::from_base32(secret_b32, algorithm, digits, period).map_err(input)
}

/// The HOTP code for `counter` (RFC 4226).
#[pyfunction]
#[pyo3(signature = (secret_b32, counter, *, algorithm="SHA1", digits=6))]
fn hotp(secret_b32: &str, counter: u64, algorithm: &str, digits: u8) -> PyResult<String> {
    credential(secret_b32, algorithm, digits, 30)?
        .hotp(counter)
        .map_err(input)
}

/// The TOTP code at Unix time `t` (RFC 6238).
#[pyfunction]
#[pyo3(signature = (secret_b32, t, *, algorithm="SHA1", digits=6, period=30))]
fn totp_code(
    secret_b32: &str,
    t: u64,
    algorithm: &str,
    digits: u8,
    period: u32,
) -> PyResult<String> {
    credential(secret_b32, algorithm, digits, period)?
        .at(t)
        .map_err(input)
}

/// The outcome of checking an authenticator code.
#[pyclass(frozen, name = "TotpResult", module = "sspr", get_all)]
struct PyTotpResult {
    /// Whether the code is accepted.
    valid: bool,
    /// The matched step, when valid.
    step: Option<u64>,
    /// `totp.malformed`, `totp.invalid` or `totp.replay` when refused.
    reason: Option<String>,
}

#[pymethods]
impl PyTotpResult {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
}

/// Checks an authenticator code at Unix time `t`, within `skew` steps, refusing steps not newer
/// than `last_step`.
#[pyfunction]
#[pyo3(signature = (secret_b32, code, t, *, algorithm="SHA1", digits=6, period=30, skew=1, last_step=None))]
#[allow(clippy::too_many_arguments)]
fn verify_totp(
    secret_b32: &str,
    code: &str,
    t: u64,
    algorithm: &str,
    digits: u8,
    period: u32,
    skew: u8,
    last_step: Option<u64>,
) -> PyResult<PyTotpResult> {
    credential(secret_b32, algorithm, digits, period)?
        .verify(code, t, skew, last_step)
        .map(totp_result)
        .map_err(input)
}

fn totp_result(check: TotpCheck) -> PyTotpResult {
    PyTotpResult {
        valid: matches!(check, TotpCheck::Valid { .. }),
        step: check.step(),
        reason: check.reason().map(|r| r.id().to_owned()),
    }
}

/// An authenticator credential kept decoded between calls, like `pyotp.TOTP`.
#[pyclass(frozen, name = "Totp", module = "sspr")]
struct PyTotp {
    inner: Credential,
}

#[pymethods]
impl PyTotp {
    /// A credential from its base32 secret and parameters.
    #[new]
    #[pyo3(signature = (secret_b32, *, algorithm="SHA1", digits=6, period=30))]
    fn new(secret_b32: &str, algorithm: &str, digits: u8, period: u32) -> PyResult<Self> {
        Ok(Self {
            inner: credential(secret_b32, algorithm, digits, period)?,
        })
    }

    /// The code at Unix time `t`.
    fn at(&self, t: u64) -> PyResult<String> {
        self.inner.at(t).map_err(input)
    }

    /// Checks `code` at Unix time `t` (see `verify_totp`); a skew above 10 is refused.
    #[pyo3(signature = (code, t, *, skew=1, last_step=None))]
    fn verify(
        &self,
        code: &str,
        t: u64,
        skew: u8,
        last_step: Option<u64>,
    ) -> PyResult<PyTotpResult> {
        self.inner
            .verify(code, t, skew, last_step)
            .map(totp_result)
            .map_err(input)
    }

    fn __repr__(&self) -> String {
        let p = self.inner.params();
        format!(
            "Totp(algorithm={}, digits={}, period={})",
            p.algorithm, p.digits, p.period
        )
    }
}

/// The native module.
#[pymodule]
mod _sspr {
    #[pymodule_export]
    use super::catalog::PyCatalog;
    #[pymodule_export]
    use super::engine::{
        PyAccessPass, PyEngine, PyOfferedOption, PyPasswordChangeResult, PyProvisioning,
        PyRegisteredMethod, PyRegistrationResult, PyRegistrationView, PyReportResult,
        PyResetResult, PyResetView, PySignInCheck, PySnoozeResult, PyTemporaryPassword,
    };
    #[pymodule_export]
    use super::memory::{
        PyMemoryAuditSink, PyMemoryBreachChecker, PyMemoryDirectory, PyMemoryPorts, PyMemoryStore,
        PyOsRandomness, PyPorts, PyRecordingNotifier, PySystemClock, PyTestCaptcha, PyTestClock,
    };
    #[pymodule_export]
    use super::ports::{PyDirectoryUser, PyMessage, PyPasswordChange, PyRecord};
    #[pymodule_export]
    use super::stores::{
        PyPostgresStores, PyRedisStores, PySqliteStores, PyStore, PyStores, check_stores,
    };
    #[pymodule_export]
    use super::{
        PyPolicy, PyTotp, PyTotpResult, PyVerdict, evaluate_password, hash_secret, hotp, totp_code,
        verify_secret, verify_totp,
    };

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let py = m.py();
        m.add("SsprError", py.get_type::<super::SsprError>())?;
        m.add("PolicyError", py.get_type::<super::PolicyError>())?;
        m.add("InputError", py.get_type::<super::InputError>())?;
        m.add(
            "FlowNotFoundError",
            py.get_type::<super::FlowNotFoundError>(),
        )?;
        // Defaults on the classes, for an error a port raises itself (sspr's own set them).
        py.get_type::<super::InputError>().setattr("what", "")?;
        py.get_type::<super::PortError>().setattr("port", "")?;
        py.get_type::<super::PortError>().setattr("kind", "")?;
        m.add("MisuseError", py.get_type::<super::MisuseError>())?;
        m.add("PortError", py.get_type::<super::PortError>())?;
        m.add("ConflictError", py.get_type::<super::ConflictError>())?;
        m.add("RejectedError", py.get_type::<super::RejectedError>())?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        super::add_ids(m)
    }
}

/// The stable ids the core lists, as tuples of strings (what `sspr.ids` types as literals):
/// every reason id, reset and registration screen, method, reset option and password feedback
/// message.
fn add_ids(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use pyo3::types::PyTuple;
    use sspr_core::password::MessageId;
    use sspr_core::registration::RegistrationScreen;
    use sspr_core::reset::ResetScreen;
    use sspr_core::{Method, Reason, ResetOption};

    let py = m.py();
    let add = |name: &str, ids: Vec<&'static str>| -> PyResult<()> {
        m.add(name, PyTuple::new(py, ids)?)
    };
    add("REASONS", Reason::ALL.iter().map(|r| r.id()).collect())?;
    add(
        "RESET_STATES",
        ResetScreen::ALL.iter().map(|s| s.id()).collect(),
    )?;
    add(
        "REGISTRATION_STATES",
        RegistrationScreen::ALL.iter().map(|s| s.id()).collect(),
    )?;
    add("METHODS", Method::ALL.iter().map(|m| m.id()).collect())?;
    add(
        "RESET_OPTIONS",
        ResetOption::ALL.iter().map(|o| o.id()).collect(),
    )?;
    add(
        "FEEDBACK_IDS",
        MessageId::ALL.iter().map(|f| f.id()).collect(),
    )?;
    add("LOCALES", catalog::locales())?;
    Ok(())
}
