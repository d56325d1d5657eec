//! The engine: reset and registration flows over ports, with typed views and outcomes.
//!
//! Every engine call releases the GIL while sspr works (argon2, password rules); Python ports
//! take it back for the duration of their own call.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use sspr_core::engine::{
    AppImport, CountryBudget, Engine, EngineSettings, HardwareTokenImport, RegistrationOutcome,
    ResetOutcome, ResetView, SecurityInfoImport,
};
use sspr_core::hashing::HashParams;
use sspr_core::otp::OtpAlgorithm;
use sspr_core::policy::Limit;
use sspr_core::registration::{RegistrationInput, Via};
use sspr_core::reset::ResetInput;
use sspr_core::{DecoyProfile, Method, ResetOption, SecretString, UserId};
use sspr_core::{Error, InputError as CoreInputError};

use crate::memory::PyPorts;
use crate::{PyPolicy, PyVerdict, error, ports};

/// An option offered at the current gate, with its masked destination.
#[pyclass(frozen, name = "OfferedOption", module = "sspr", get_all)]
#[derive(Clone)]
pub(crate) struct PyOfferedOption {
    /// `email`, `mobile_text`, `mobile_call`, `office_call`, `app_code`, `app_notification` or
    /// `security_questions`.
    option: String,
    /// The masked destination shown beside it (`al*********@fabrikam.example`).
    masked: Option<String>,
}

#[pymethods]
impl PyOfferedOption {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "OfferedOption({:?}, masked={})",
            self.option,
            py_str(self.masked.as_deref())
        )
    }
}

/// What the reset screen shows. Its `repr` shows the flow's reference, never its id.
#[pyclass(frozen, name = "ResetView", module = "sspr", get_all)]
#[derive(Clone)]
pub(crate) struct PyResetView {
    /// The flow's id: pass it to every step. A bearer token: never log it.
    flow_id: String,
    /// The flow's reference, as audit events name it (safe to log).
    flow_ref: String,
    /// `choose_method`, `enter_code`, `answer_questions`, `await_approval`, `new_password`,
    /// `completed`, `unlocked`, `blocked`, `expired` or `cancelled`.
    state: String,
    /// The gate being passed (1 or 2).
    gate: u8,
    /// How many gates this reset needs.
    gates: u8,
    /// The options offered at this gate.
    options: Vec<PyOfferedOption>,
    /// The options the policy allows that this user cannot use: show them marked
    /// unavailable, never hide them (decoys list theirs the same way).
    unavailable: Vec<String>,
    /// The option chosen, if any.
    option: Option<String>,
    /// The questions to answer, in `answer_questions`.
    questions: Vec<String>,
    /// The number to show while awaiting an approval.
    approval_number: Option<u8>,
    /// Seconds until a blocked user may try again.
    retry_after: Option<u64>,
    /// When the flow expires (Unix seconds).
    expires_at: u64,
    /// The help desk's contact (policy `help_desk.contact`) when the user is stuck: blocked,
    /// locked, expired, or refused for a reason no retry mends; `None` otherwise.
    help_desk: Option<String>,
}

#[pymethods]
impl PyResetView {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "ResetView(flow_ref={:?}, state={:?}, gate={}/{}, options={:?})",
            self.flow_ref,
            self.state,
            self.gate,
            self.gates,
            self.options.iter().map(|o| &o.option).collect::<Vec<_>>()
        )
    }
}

/// A Python literal for an optional string: `'text'` or `None`.
fn py_str(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_owned(), |s| format!("{s:?}"))
}

/// A Python literal for an optional number: `3` or `None`.
fn py_num<T: std::fmt::Display>(n: Option<T>) -> String {
    n.map_or_else(|| "None".to_owned(), |n| n.to_string())
}

/// A Python literal for a boolean.
const fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn offered(options: &[sspr_core::reset::OfferedOption]) -> Vec<PyOfferedOption> {
    options
        .iter()
        .map(|o| PyOfferedOption {
            option: o.option.id().to_owned(),
            masked: o.masked.clone(),
        })
        .collect()
}

fn view(v: &ResetView) -> PyResetView {
    PyResetView {
        flow_id: v.flow_id.clone(),
        flow_ref: v.flow_ref.clone(),
        state: v.state.id().to_owned(),
        gate: v.gate,
        gates: v.gates,
        options: offered(&v.options),
        unavailable: v.unavailable.iter().map(|o| o.id().to_owned()).collect(),
        option: v.option.map(|o| o.id().to_owned()),
        questions: v.questions.clone(),
        approval_number: v.approval_number,
        retry_after: v.retry_after,
        expires_at: v.expires_at,
        help_desk: v.help_desk.clone(),
    }
}

/// The result of a reset step.
#[pyclass(frozen, name = "ResetResult", module = "sspr", get_all)]
pub(crate) struct PyResetResult {
    /// The flow after the step (`None` when no flow was started).
    view: Option<PyResetView>,
    /// The reason id the step was refused for, if it was (`code.mismatch`, ...).
    rejection: Option<String>,
    /// Seconds until the user may try again, when blocked or cooling down.
    retry_after: Option<u64>,
    /// The verdict on a proposed password.
    password: Option<Py<PyVerdict>>,
    /// Failures of optional ports (audit, notifications after the change) that did not stop
    /// the step, as log lines without personal data.
    warnings: Vec<String>,
}

#[pymethods]
impl PyResetResult {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "ResetResult(state={}, rejection={})",
            py_str(self.view.as_ref().map(|v| v.state.as_str())),
            py_str(self.rejection.as_deref())
        )
    }
}

fn reset_result(py: Python<'_>, o: ResetOutcome) -> PyResult<PyResetResult> {
    Ok(PyResetResult {
        view: o.view.as_ref().map(view),
        rejection: o.rejection.map(|r| r.id().to_owned()),
        retry_after: o.retry_after,
        password: o
            .password
            .as_ref()
            .map(|v| Py::new(py, PyVerdict::from(v)))
            .transpose()?,
        warnings: o.warnings.iter().map(ToString::to_string).collect(),
    })
}

/// What the "keep your account secure" screen shows. Its `repr` shows the flow's reference,
/// never its id.
#[pyclass(frozen, name = "RegistrationView", module = "sspr", get_all)]
#[derive(Clone)]
pub(crate) struct PyRegistrationView {
    /// The flow's id. A bearer token: never log it.
    flow_id: String,
    /// The flow's reference (safe to log).
    flow_ref: String,
    /// `prove_identity`, `proving`, `registering`, `reconfirm`, `verifying`, `done`,
    /// `expired` or `cancelled`.
    state: String,
    /// Registered methods (policy names).
    registered: Vec<String>,
    /// How many more methods the policy requires.
    still_needed: usize,
    /// The method awaiting verification.
    pending: Option<String>,
    /// Where its code went, masked (none for the app).
    pending_to: Option<String>,
    /// The default method, offered first at reset and in proofs: the one registered first
    /// unless the user changed it (`set_default`).
    default_method: Option<String>,
    /// The registered methods as the "security info" list, the success screen and the
    /// reconfirmation step show them: the default first, destinations masked.
    methods: Vec<PyRegisteredMethod>,
    /// The registered options the user may prove (in `prove_identity`).
    proof_options: Vec<PyOfferedOption>,
    /// The option being proved (in `proving`).
    proof_option: Option<String>,
    /// The questions to answer, when proving with security questions.
    questions: Vec<String>,
    /// The number to show for push number matching: while a proof by push awaits the app, or
    /// during the test notification of an app being set up (`test_push`).
    approval_number: Option<u8>,
    /// When the flow expires (Unix seconds).
    expires_at: u64,
    /// The help desk's contact when the user is stuck (as `ResetView.help_desk`).
    help_desk: Option<String>,
}

/// A registered method as the wizard lists it (masked: safe to show and to log).
#[pyclass(frozen, name = "RegisteredMethod", module = "sspr", get_all)]
#[derive(Clone)]
pub(crate) struct PyRegisteredMethod {
    /// The method (policy name).
    method: String,
    /// The masked destination (`al*********@fabrikam.example`, `+1 XXXXXXXX00`) of an email
    /// or a phone; `None` for the authenticator app, security questions and recovery codes.
    masked: Option<String>,
    /// Whether it is the default method.
    default: bool,
}

#[pymethods]
impl PyRegisteredMethod {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "RegisteredMethod({:?}, masked={}, default={})",
            self.method,
            py_str(self.masked.as_deref()),
            py_bool(self.default)
        )
    }
}

#[pymethods]
impl PyRegistrationView {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "RegistrationView(flow_ref={:?}, state={:?}, registered={:?})",
            self.flow_ref, self.state, self.registered
        )
    }
}

/// What an authenticator app needs to be set up.
#[pyclass(frozen, name = "Provisioning", module = "sspr", get_all)]
#[derive(Clone)]
pub(crate) struct PyProvisioning {
    /// The secret in base32 ("can't scan the image?").
    secret_b32: String,
    /// The `otpauth://totp/` URI the QR code encodes.
    uri: String,
    /// The QR code as SVG.
    qr_svg: Option<String>,
}

#[pymethods]
impl PyProvisioning {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> &'static str {
        "Provisioning(<secret redacted>)"
    }
}

/// The result of a registration step.
#[pyclass(frozen, name = "RegistrationResult", module = "sspr", get_all)]
pub(crate) struct PyRegistrationResult {
    /// The flow after the step (`None` when re-authentication failed).
    view: Option<PyRegistrationView>,
    /// The reason id the step was refused for, if it was.
    rejection: Option<String>,
    /// Seconds until the user may try again.
    retry_after: Option<u64>,
    /// Set by `register_app`: what to show the user.
    provisioning: Option<PyProvisioning>,
    /// Set by `register_recovery_codes`: the ten codes (`XXXXX-XXXXX`), to show once.
    recovery_codes: Vec<String>,
    /// Failures of optional ports that did not stop the step.
    warnings: Vec<String>,
}

#[pymethods]
impl PyRegistrationResult {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "RegistrationResult(state={}, rejection={})",
            py_str(self.view.as_ref().map(|v| v.state.as_str())),
            py_str(self.rejection.as_deref())
        )
    }
}

fn registration_view(v: sspr_core::engine::RegistrationView) -> PyRegistrationView {
    PyRegistrationView {
        flow_id: v.flow_id,
        flow_ref: v.flow_ref,
        state: v.state.id().to_owned(),
        registered: v.registered.iter().map(|m| m.id().to_owned()).collect(),
        still_needed: v.still_needed,
        pending: v.pending.map(|m| m.id().to_owned()),
        pending_to: v.pending_to,
        default_method: v.default_method.map(|m| m.id().to_owned()),
        methods: v
            .methods
            .into_iter()
            .map(|m| PyRegisteredMethod {
                method: m.method.id().to_owned(),
                masked: m.masked,
                default: m.default,
            })
            .collect(),
        proof_options: offered(&v.proof_options),
        proof_option: v.proof_option.map(|o| o.id().to_owned()),
        questions: v.questions,
        approval_number: v.approval_number,
        expires_at: v.expires_at,
        help_desk: v.help_desk,
    }
}

fn registration_result(o: RegistrationOutcome) -> PyRegistrationResult {
    PyRegistrationResult {
        view: o.view.map(registration_view),
        rejection: o.rejection.map(|r| r.id().to_owned()),
        retry_after: o.retry_after,
        provisioning: o.provisioning.map(|p| PyProvisioning {
            secret_b32: p.secret_b32.expose().to_owned(),
            uri: p.uri.expose().to_owned(),
            qr_svg: p.qr_svg,
        }),
        recovery_codes: o
            .recovery_codes
            .iter()
            .map(|c| c.expose().to_owned())
            .collect(),
        warnings: o.warnings.iter().map(ToString::to_string).collect(),
    }
}

/// The check made at every sign-in.
#[pyclass(frozen, name = "SignInCheck", module = "sspr", get_all)]
pub(crate) struct PySignInCheck {
    /// The user must register security info before going on.
    registration_required: bool,
    /// The user should re-confirm their security info.
    reconfirm_due: bool,
    /// Why the check was refused (`reauth.failed`, `user.blocked`), if it was.
    rejection: Option<String>,
    /// Seconds until a blocked user may try again.
    retry_after: Option<u64>,
    /// The user may put registration off now ("not now": `Engine.snooze_registration`): it is
    /// required, the policy allows snoozing, snoozes are left, and the user is no
    /// administrator.
    may_snooze: bool,
    /// Snoozes left before registering is required (`None`: without limit; 0 for
    /// administrators and when the policy allows none).
    snoozes_left: Option<u32>,
}

#[pymethods]
impl PySignInCheck {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "SignInCheck(registration_required={}, reconfirm_due={}, rejection={}, may_snooze={}, snoozes_left={})",
            py_bool(self.registration_required),
            py_bool(self.reconfirm_due),
            py_str(self.rejection.as_deref()),
            py_bool(self.may_snooze),
            py_num(self.snoozes_left)
        )
    }
}

/// The result of putting registration off (`Engine.snooze_registration`).
#[pyclass(frozen, name = "SnoozeResult", module = "sspr", get_all)]
pub(crate) struct PySnoozeResult {
    /// `snooze.unavailable` when the user may not put it off now (nothing was saved).
    rejection: Option<String>,
    /// Until when sign-in does not ask (Unix seconds), when snoozed.
    snoozed_until: Option<u64>,
    /// Snoozes left after this one (`None`: without limit).
    snoozes_left: Option<u32>,
    /// Failures after the snooze was saved (it stands regardless), as log lines.
    warnings: Vec<String>,
}

#[pymethods]
impl PySnoozeResult {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "SnoozeResult(rejection={}, snoozed_until={}, snoozes_left={})",
            py_str(self.rejection.as_deref()),
            py_num(self.snoozed_until),
            py_num(self.snoozes_left)
        )
    }
}

/// The result of a "this wasn't me" report.
#[pyclass(frozen, name = "ReportResult", module = "sspr", get_all)]
pub(crate) struct PyReportResult {
    /// `notice.invalid` when the token is unknown, used or expired.
    rejection: Option<String>,
    /// Until when self-service is blocked for the user.
    blocked_until: Option<u64>,
    /// Failures after the report was taken, as log lines.
    warnings: Vec<String>,
}

#[pymethods]
impl PyReportResult {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
}

/// The result of changing a known password (`Engine.change_password`).
#[pyclass(frozen, name = "PasswordChangeResult", module = "sspr", get_all)]
pub(crate) struct PyPasswordChangeResult {
    /// Whether the new password is in force.
    changed: bool,
    /// Why not: `reauth.failed` (the old password), `user.blocked`, `user.locked`, a
    /// `password.*` rule, or `password.refused` (the directory's own).
    rejection: Option<String>,
    /// Seconds until a blocked user may try again.
    retry_after: Option<u64>,
    /// The verdict on the new password, once the old one checked out.
    password: Option<Py<PyVerdict>>,
    /// Port failures after the change (a notice not delivered): the change stands.
    warnings: Vec<String>,
    /// The help desk's contact when the user is stuck.
    help_desk: Option<String>,
}

#[pymethods]
impl PyPasswordChangeResult {
    /// Every attribute as a dict (nested results too), ready for `json.dumps`.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        crate::dict::to_dict(slf.as_any())
    }
    fn __repr__(&self) -> String {
        format!(
            "PasswordChangeResult(changed={}, rejection={})",
            if self.changed { "True" } else { "False" },
            py_str(self.rejection.as_deref())
        )
    }
}

/// A temporary password a help desk set (`Engine.reset_password_by_help_desk`). Its `repr`
/// shows nothing of it.
#[pyclass(frozen, name = "TemporaryPassword", module = "sspr", get_all)]
pub(crate) struct PyTemporaryPassword {
    /// The password: tell it to the user once, by a channel the help desk trusts.
    password: String,
    /// The user must change it at the next sign-in (the directory was told so).
    must_change: bool,
}

#[pymethods]
impl PyTemporaryPassword {
    fn __repr__(&self) -> &'static str {
        "TemporaryPassword(<redacted>)"
    }
}

/// A temporary access pass a help desk issued (`Engine.issue_access_pass`): it proves the
/// user's identity in the registration wizard (`Engine.access_pass`). Its `repr` shows nothing
/// of the pass.
#[pyclass(frozen, name = "AccessPass", module = "sspr", get_all)]
pub(crate) struct PyAccessPass {
    /// The pass (`7KQ2-M9XD-4TRB-HW3N`): tell it to the user once, by a channel the help desk
    /// trusts. Only its keyed hash is stored.
    #[pyo3(name = "pass_")]
    pass: String,
    /// When it stops working (Unix seconds).
    expires_at: u64,
    /// Whether it works once only.
    one_time: bool,
}

#[pymethods]
impl PyAccessPass {
    fn __repr__(&self) -> String {
        format!(
            "AccessPass(<redacted>, expires_at={}, one_time={})",
            self.expires_at,
            if self.one_time { "True" } else { "False" }
        )
    }
}

fn option(name: &str) -> PyResult<ResetOption> {
    name.parse().map_err(|_| {
        crate::InputError::new_err(
            "option must be one of email, mobile_text, mobile_call, office_call, app_code, \
             app_notification, security_questions, recovery_code",
        )
    })
}

fn method(name: &str) -> PyResult<Method> {
    name.parse().map_err(|_| {
        crate::InputError::new_err(
            "method must be one of email, mobile_phone, office_phone, app_code, \
             app_notification, security_questions, recovery_codes",
        )
    })
}

fn secrets(answers: BTreeMap<String, String>) -> BTreeMap<String, SecretString> {
    answers
        .into_iter()
        .map(|(q, a)| (q, SecretString::new(a)))
        .collect()
}

/// Runs `f` without the GIL and turns its error into the matching exception, chaining the
/// exception a Python port raised.
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    ports::clear_cause();
    py.detach(f).map_err(|e| ports::chained_error(py, e))
}

/// The self-service password reset engine.
#[pyclass(frozen, name = "Engine", module = "sspr")]
pub(crate) struct PyEngine {
    /// Read-locked by every call; written only by `replace_policy`.
    inner: std::sync::RwLock<Engine>,
}

#[pymethods]
impl PyEngine {
    /// An engine applying `policy` through `ports`.
    ///
    /// `keys`: `[(key_id, key_bytes)]`, the newest first; at least 32 random bytes each, kept
    /// secret and stable across restarts (codes in flight are sealed with them). `issuer`: the
    /// name authenticator apps show. `hash_memory_kib`, `hash_iterations`,
    /// `hash_parallelism`: argon2id cost for answers and password history (OWASP defaults).
    /// `breach_fail_closed`: refuse new passwords while the breach service is down.
    /// `client_limit`: `(max, window_s, block_s)`: failures allowed per client address in a
    /// window, and how long the client is then blocked. `identity_key`: at least 32 random
    /// bytes keying every stored reference (counter keys, flow-store keys, decoy screens);
    /// secret and never rotated. `country_budget`: `(max, window_s)` texts and calls per
    /// calling code. `decoy_calling_codes`, `decoy_email_domains`: `[(value, weight)]` typical
    /// of the host's users; `decoy_admin_percent`: how many users are administrators.
    /// `sealing_keys`: `[(key_id, key_bytes)]`, the newest first, sealing security info at rest
    /// (default: a key derived from the identity key; records sealed with it stay readable and
    /// are resealed with the newest key on their next save).
    #[new]
    #[pyo3(signature = (policy, ports, *, keys, identity_key, issuer, hash_memory_kib=19_456, hash_iterations=2, hash_parallelism=1, breach_fail_closed=false, client_limit=None, country_budget=None, decoy_calling_codes=None, decoy_email_domains=None, decoy_admin_percent=None, sealing_keys=None, tenant=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        policy: &PyPolicy,
        ports: &PyPorts,
        keys: Vec<(String, Vec<u8>)>,
        identity_key: Vec<u8>,
        issuer: String,
        hash_memory_kib: u32,
        hash_iterations: u32,
        hash_parallelism: u32,
        breach_fail_closed: bool,
        client_limit: Option<(u32, u64, u64)>,
        country_budget: Option<(u32, u64)>,
        decoy_calling_codes: Option<Vec<(String, u32)>>,
        decoy_email_domains: Option<Vec<(String, u32)>>,
        decoy_admin_percent: Option<u8>,
        sealing_keys: Option<Vec<(String, Vec<u8>)>>,
        tenant: Option<String>,
    ) -> PyResult<Self> {
        let mut decoys = DecoyProfile::default();
        if let Some(c) = decoy_calling_codes {
            decoys.calling_codes = c;
        }
        if let Some(d) = decoy_email_domains {
            decoys.email_domains = d;
        }
        if let Some(a) = decoy_admin_percent {
            decoys.admin_percent = a;
        }
        let options = EngineSettings {
            keys,
            identity_key,
            issuer,
            sealing_keys: sealing_keys.unwrap_or_default(),
            hash_params: HashParams {
                memory_kib: hash_memory_kib,
                iterations: hash_iterations,
                parallelism: hash_parallelism,
            },
            breach_fail_closed,
            client_limit: client_limit
                .map(|(max, window_s, block_s)| Limit::new(max, window_s, block_s)),
            country_budget: country_budget.map(|(max, window_s)| CountryBudget { max, window_s }),
            decoys,
            tenant,
        }
        .into_options()
        .map_err(|e| error(e.into()))?;
        let inner = Engine::new(policy.inner.clone(), ports.0.clone(), options)
            .map_err(|e| error(e.into()))?;
        Ok(Self {
            inner: std::sync::RwLock::new(inner),
        })
    }

    /// "Who are you?": starts a reset for `identifier` once the CAPTCHA `captcha` passes.
    /// `client` is the caller's address or fingerprint, for per-client limits and the audit.
    #[pyo3(signature = (identifier, captcha, client=None))]
    fn start_reset(
        &self,
        py: Python<'_>,
        identifier: String,
        captcha: String,
        client: Option<String>,
    ) -> PyResult<PyResetResult> {
        let o = run(py, || {
            self.engine()
                .start_reset(&identifier, &captcha, client.as_deref())
        })?;
        reset_result(py, o)
    }

    /// The reset flow as it stands.
    fn reset_view(&self, py: Python<'_>, flow_id: String) -> PyResult<PyResetView> {
        run(py, || self.engine().reset_view_of(&flow_id)).map(|v| view(&v))
    }

    /// The registration flow as it stands (to show a page again without a step).
    fn registration_view(&self, py: Python<'_>, flow_id: String) -> PyResult<PyRegistrationView> {
        run(py, || self.engine().registration_view_of(&flow_id)).map(registration_view)
    }

    /// Chooses an option at the current gate (replaces any pending challenge).
    fn choose(&self, py: Python<'_>, flow_id: String, option: &str) -> PyResult<PyResetResult> {
        let input = ResetInput::Choose(self::option(option)?);
        self.step(py, flow_id, input)
    }

    /// Types the whole phone number before a text or a call (in `confirm_number`).
    fn confirm_number(
        &self,
        py: Python<'_>,
        flow_id: String,
        number: String,
    ) -> PyResult<PyResetResult> {
        self.step(
            py,
            flow_id,
            ResetInput::ConfirmNumber(SecretString::new(number)),
        )
    }

    /// Confirms the verification link of an emailed code (`Message.link_token`). Call it
    /// when the user confirms on your link page, in the browser holding the flow; never when
    /// the page is merely opened (mail scanners open links before users do).
    fn confirm_link(
        &self,
        py: Python<'_>,
        flow_id: String,
        token: String,
    ) -> PyResult<PyResetResult> {
        self.step(
            py,
            flow_id,
            ResetInput::ConfirmLink(SecretString::new(token)),
        )
    }

    /// Sends the code again.
    fn resend(&self, py: Python<'_>, flow_id: String) -> PyResult<PyResetResult> {
        self.step(py, flow_id, ResetInput::Resend)
    }

    /// Enters a code (delivered or from the authenticator app).
    fn enter_code(&self, py: Python<'_>, flow_id: String, code: String) -> PyResult<PyResetResult> {
        self.step(py, flow_id, ResetInput::EnterCode(SecretString::new(code)))
    }

    /// Answers the security questions: `{question: answer}`.
    fn answer(
        &self,
        py: Python<'_>,
        flow_id: String,
        answers: BTreeMap<String, String>,
    ) -> PyResult<PyResetResult> {
        self.step(py, flow_id, ResetInput::Answer(secrets(answers)))
    }

    /// The authenticator app's answer to a push request: the number the user picked, and
    /// whether they approved (`False`: "this wasn't me").
    #[pyo3(signature = (flow_id, request_id, number, approve=true))]
    fn approve(
        &self,
        py: Python<'_>,
        flow_id: String,
        request_id: String,
        number: u8,
        approve: bool,
    ) -> PyResult<PyResetResult> {
        let input = ResetInput::Approve {
            request_id,
            number,
            approve,
        };
        self.step(py, flow_id, input)
    }

    /// Proposes the new password (and its confirmation, the password itself by default).
    #[pyo3(signature = (flow_id, password, confirm=None))]
    fn new_password(
        &self,
        py: Python<'_>,
        flow_id: String,
        password: String,
        confirm: Option<String>,
    ) -> PyResult<PyResetResult> {
        let confirm = confirm.unwrap_or_else(|| password.clone());
        let input = ResetInput::NewPassword {
            password: SecretString::new(password),
            confirm: SecretString::new(confirm),
        };
        self.step(py, flow_id, input)
    }

    /// Unlocks the account without changing the password.
    fn unlock(&self, py: Python<'_>, flow_id: String) -> PyResult<PyResetResult> {
        self.step(py, flow_id, ResetInput::Unlock)
    }

    /// Cancels the reset.
    fn cancel(&self, py: Python<'_>, flow_id: String) -> PyResult<PyResetResult> {
        self.step(py, flow_id, ResetInput::Cancel)
    }

    /// Lifts an identifier's blocks (a help desk's action); `actor` names who acts, in the
    /// audit log.
    fn unblock(&self, py: Python<'_>, identifier: String, actor: String) -> PyResult<()> {
        run(py, || self.engine().unblock(&identifier, &actor))
    }

    /// Changes a known password: the old one is checked (and counted) like any verification,
    /// the new one (and its confirmation, the password itself by default) goes through the
    /// reset's rules and history. Open flows end and the user is told; refusals are reason ids.
    /// `client` (the caller's address) counts against the engine's per-client limit.
    #[pyo3(signature = (username, old, new, confirm=None, client=None))]
    fn change_password(
        &self,
        py: Python<'_>,
        username: String,
        old: String,
        new: String,
        confirm: Option<String>,
        client: Option<String>,
    ) -> PyResult<PyPasswordChangeResult> {
        let confirm = SecretString::new(confirm.unwrap_or_else(|| new.clone()));
        let (old, new) = (SecretString::new(old), SecretString::new(new));
        let o = run(py, || {
            self.engine()
                .change_password(&username, &old, &new, &confirm, client.as_deref())
        })?;
        Ok(PyPasswordChangeResult {
            changed: o.changed,
            rejection: o.rejection.map(|r| r.id().to_owned()),
            retry_after: o.retry_after,
            password: o
                .password
                .as_ref()
                .map(|v| Py::new(py, PyVerdict::from(v)))
                .transpose()?,
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
            help_desk: o.help_desk,
        })
    }

    /// A help desk resets the user's password to a random temporary one that passes the
    /// policy's rules, to be changed at the next sign-in; flows end, sessions are revoked,
    /// blocks lifted, the user told. `actor` names who acts, in the audit log.
    fn reset_password_by_help_desk(
        &self,
        py: Python<'_>,
        user_id: String,
        actor: String,
    ) -> PyResult<PyTemporaryPassword> {
        let t = run(py, || {
            self.engine()
                .reset_password_by_help_desk(&UserId::new(user_id), &actor)
        })?;
        Ok(PyTemporaryPassword {
            password: t.password.expose().to_owned(),
            must_change: t.must_change,
        })
    }

    /// A help desk issues a temporary access pass living `lifetime_s` seconds (10 minutes to
    /// 30 days), usable once or until it expires; it replaces any pass outstanding.
    #[pyo3(signature = (user_id, actor, lifetime_s, one_time=true))]
    fn issue_access_pass(
        &self,
        py: Python<'_>,
        user_id: String,
        actor: String,
        lifetime_s: u64,
        one_time: bool,
    ) -> PyResult<PyAccessPass> {
        let issued = run(py, || {
            self.engine()
                .issue_access_pass(&UserId::new(user_id), &actor, lifetime_s, one_time)
        })?;
        Ok(PyAccessPass {
            pass: issued.pass.expose().to_owned(),
            expires_at: issued.expires_at,
            one_time: issued.one_time,
        })
    }

    /// The check made at every sign-in: is registration required or re-confirmation due?
    /// `client` (the caller's address) counts against the engine's per-client limit.
    #[pyo3(signature = (username, password, client=None))]
    fn sign_in_check(
        &self,
        py: Python<'_>,
        username: String,
        password: String,
        client: Option<String>,
    ) -> PyResult<PySignInCheck> {
        let c = run(py, || {
            self.engine()
                .sign_in_check(&username, &SecretString::new(password), client.as_deref())
        })?;
        Ok(PySignInCheck {
            registration_required: c.registration_required,
            reconfirm_due: c.reconfirm_due,
            rejection: c.rejection.map(|r| r.id().to_owned()),
            retry_after: c.retry_after,
            may_snooze: c.may_snooze,
            snoozes_left: c.snoozes_left,
        })
    }

    /// "Not now": puts off the registration (or re-confirmation) `sign_in_check` asked of
    /// `username` for the policy's `registration.snooze_days`, counting one of its
    /// `registration.snoozes`; `snooze.unavailable` (nothing saved) when `sign_in_check` would
    /// not offer it (`may_snooze` false). Call it for the user just signed in, never for a
    /// name someone typed: it takes no password.
    fn snooze_registration(&self, py: Python<'_>, username: String) -> PyResult<PySnoozeResult> {
        let o = run(py, || self.engine().snooze_registration(&username))?;
        Ok(PySnoozeResult {
            rejection: o.rejection.map(|r| r.id().to_owned()),
            snoozed_until: o.snoozed_until,
            snoozes_left: o.snoozes_left,
            warnings: o.warnings.iter().map(ToString::to_string).collect(),
        })
    }

    /// Assigns a hardware OATH TOTP token (`serial`, base32 `secret_b32`, `SHA1` or `SHA256`,
    /// 6 or 8 digits, 30 or 60 s) to the user, inactive until the user activates it with a
    /// current code in the wizard (`activate_token`); then it proves the `app_code` factor.
    /// At most five a user; a serial the user already holds is refused. `actor` names who
    /// acts, in the audit log (`hardware_token_imported`).
    #[pyo3(signature = (user_id, actor, serial, secret_b32, *, algorithm="SHA1", digits=6, period=30))]
    #[allow(clippy::too_many_arguments)]
    fn import_hardware_token(
        &self,
        py: Python<'_>,
        user_id: String,
        actor: String,
        serial: String,
        secret_b32: String,
        algorithm: &str,
        digits: u8,
        period: u32,
    ) -> PyResult<()> {
        let algorithm = OtpAlgorithm::parse(algorithm)
            .ok_or_else(|| crate::InputError::new_err("algorithm must be `SHA1` or `SHA256`"))?;
        let token = HardwareTokenImport {
            serial,
            secret_b32: SecretString::new(secret_b32),
            algorithm,
            digits,
            period,
        };
        run(py, || {
            self.engine()
                .import_hardware_token(&UserId::new(user_id), &token, &actor)
        })
    }

    /// "This wasn't me": redeems the token a notice carried. Revokes the user's open flows and
    /// sessions and blocks self-service; an unknown, used or expired token is
    /// `notice.invalid`.
    fn report_not_me(&self, py: Python<'_>, token: String) -> PyResult<PyReportResult> {
        let r = run(py, || self.engine().report_not_me(&token))?;
        Ok(PyReportResult {
            rejection: r.rejection.map(|r| r.id().to_owned()),
            blocked_until: r.blocked_until,
            warnings: r.warnings.iter().map(ToString::to_string).collect(),
        })
    }

    /// Proves a registered method before security info may change: sends a code (`verify`
    /// it) or, for `app_notification`, a push (`approve_proof`); `app_code` asks for the
    /// app's code.
    fn prove(
        &self,
        py: Python<'_>,
        flow_id: String,
        option: &str,
    ) -> PyResult<PyRegistrationResult> {
        let input = RegistrationInput::Prove(self::option(option)?);
        self.reg(py, flow_id, input)
    }

    /// Proves identity with a temporary access pass a help desk issued (hyphens, spaces and
    /// case do not matter); `access_pass.invalid` when it is wrong, expired or used.
    fn access_pass(
        &self,
        py: Python<'_>,
        flow_id: String,
        access_pass: String,
    ) -> PyResult<PyRegistrationResult> {
        let input = RegistrationInput::AccessPass(SecretString::new(access_pass));
        self.reg(py, flow_id, input)
    }

    /// Answers the security questions of a proof (for a user with nothing else registered).
    fn answer_proof(
        &self,
        py: Python<'_>,
        flow_id: String,
        answers: BTreeMap<String, String>,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Answer(secrets(answers)))
    }

    /// The authenticator app's answer to a proof's push request, or to the test notification
    /// of an app being set up (`test_push`): approving it with the number shown confirms the
    /// app.
    #[pyo3(signature = (flow_id, request_id, number, approve=true))]
    fn approve_proof(
        &self,
        py: Python<'_>,
        flow_id: String,
        request_id: String,
        number: u8,
        approve: bool,
    ) -> PyResult<PyRegistrationResult> {
        let input = RegistrationInput::Approve {
            request_id,
            number,
            approve,
        };
        self.reg(py, flow_id, input)
    }

    /// Re-authenticates the user and opens the "keep your account secure" wizard. `client`
    /// as at `sign_in_check`.
    #[pyo3(signature = (username, password, client=None))]
    fn start_registration(
        &self,
        py: Python<'_>,
        username: String,
        password: String,
        client: Option<String>,
    ) -> PyResult<PyRegistrationResult> {
        let password = SecretString::new(password);
        run(py, || {
            self.engine()
                .start_registration(&username, &password, client.as_deref())
        })
        .map(registration_result)
    }

    /// Registers an alternate email address (a code is sent to verify it).
    fn register_email(
        &self,
        py: Python<'_>,
        flow_id: String,
        address: String,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Email(address))
    }

    /// Registers a mobile phone, verified by `text` or `call`.
    #[pyo3(signature = (flow_id, number, via="text"))]
    fn register_mobile(
        &self,
        py: Python<'_>,
        flow_id: String,
        number: String,
        via: &str,
    ) -> PyResult<PyRegistrationResult> {
        let via = match via {
            "text" => Via::Text,
            "call" => Via::Call,
            _ => return Err(crate::InputError::new_err("via must be `text` or `call`")),
        };
        self.reg(py, flow_id, RegistrationInput::Mobile { number, via })
    }

    /// Registers an office phone (verified by a call).
    fn register_office(
        &self,
        py: Python<'_>,
        flow_id: String,
        number: String,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Office(number))
    }

    /// Starts registering an authenticator app: the result's `provisioning` holds the QR
    /// code, URI and secret to show; `verify` with the app's first code completes it.
    #[pyo3(signature = (flow_id, device_id=None))]
    fn register_app(
        &self,
        py: Python<'_>,
        flow_id: String,
        device_id: Option<String>,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::App { device_id })
    }

    /// Makes ten recovery codes: the result's `recovery_codes` holds them, to show once (they
    /// replace any earlier batch).
    fn register_recovery_codes(
        &self,
        py: Python<'_>,
        flow_id: String,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::RecoveryCodes)
    }

    /// Registers security questions: `{question: answer}`.
    fn register_questions(
        &self,
        py: Python<'_>,
        flow_id: String,
        answers: BTreeMap<String, String>,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Questions(secrets(answers)))
    }

    /// Verifies the pending method with its code.
    fn verify(
        &self,
        py: Python<'_>,
        flow_id: String,
        code: String,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(
            py,
            flow_id,
            RegistrationInput::Verify(SecretString::new(code)),
        )
    }

    /// Removes a registered method.
    fn remove(
        &self,
        py: Python<'_>,
        flow_id: String,
        method: &str,
    ) -> PyResult<PyRegistrationResult> {
        let m = self::method(method)?;
        self.reg(py, flow_id, RegistrationInput::Remove(m))
    }

    /// Sends a test notification to the authenticator app being set up (in `verifying`, after
    /// `register_app`; policy `app_notification` only): the view's `approval_number` is the
    /// number to show; `approve_proof` with it from the device confirms the app.
    fn test_push(&self, py: Python<'_>, flow_id: String) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::TestPush)
    }

    /// Activates a hardware OATH token an administrator assigned (`import_hardware_token`)
    /// with the code it shows now (needs the proof, like any change).
    fn activate_token(
        &self,
        py: Python<'_>,
        flow_id: String,
        serial: String,
        code: String,
    ) -> PyResult<PyRegistrationResult> {
        let input = RegistrationInput::ActivateToken {
            serial,
            code: SecretString::new(code),
        };
        self.reg(py, flow_id, input)
    }

    /// Sends the pending code again: the new method's (in `verifying`) or the proof's (in
    /// `proving`); the earlier code stops working. The resend cooldown and send limits apply
    /// (`send.cooldown` with `retry_after`).
    fn resend_registration(
        &self,
        py: Python<'_>,
        flow_id: String,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Resend)
    }

    /// Goes back one screen: from `verifying` to `registering` (the pending method is
    /// dropped), from `proving` to `prove_identity`; from `reconfirm`, edits the info.
    fn back(&self, py: Python<'_>, flow_id: String) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Back)
    }

    /// Makes a method the default: the one offered first at reset and in proofs.
    fn set_default(
        &self,
        py: Python<'_>,
        flow_id: String,
        method: &str,
    ) -> PyResult<PyRegistrationResult> {
        let m = self::method(method)?;
        self.reg(py, flow_id, RegistrationInput::SetDefault(m))
    }

    /// Finishes the wizard (refused while the policy wants more methods); in `reconfirm`,
    /// confirms that the registered info is still correct.
    fn finish(&self, py: Python<'_>, flow_id: String) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Finish)
    }

    /// Leaves the wizard without finishing.
    fn cancel_registration(
        &self,
        py: Python<'_>,
        flow_id: String,
    ) -> PyResult<PyRegistrationResult> {
        self.reg(py, flow_id, RegistrationInput::Cancel)
    }

    /// Replaces a user's security info with info registered elsewhere (a migration, or an
    /// administrator pre-filling contact info). Validated and hashed like a registration;
    /// nothing is stored when any field is refused. `app_secret_b32` with `app_device_id`
    /// imports an authenticator app (SHA1, 6 digits, 30 s).
    #[pyo3(signature = (user_id, *, email=None, mobile=None, office=None, questions=BTreeMap::new(), app_secret_b32=None, app_device_id=None, confirmed_at=None))]
    #[allow(clippy::too_many_arguments)]
    fn import_security_info(
        &self,
        py: Python<'_>,
        user_id: String,
        email: Option<String>,
        mobile: Option<String>,
        office: Option<String>,
        questions: BTreeMap<String, String>,
        app_secret_b32: Option<String>,
        app_device_id: Option<String>,
        confirmed_at: Option<u64>,
    ) -> PyResult<()> {
        let app = match (app_secret_b32, app_device_id) {
            (Some(secret), Some(device)) => {
                Some(AppImport::standard(SecretString::new(secret), device))
            }
            (None, None) => None,
            _ => {
                return Err(error(
                    CoreInputError::Malformed {
                        what: "authenticator app",
                        problem: "needs both app_secret_b32 and app_device_id",
                    }
                    .into(),
                ));
            }
        };
        let import = SecurityInfoImport {
            email,
            mobile,
            office,
            questions: secrets(questions),
            app,
            confirmed_at,
        };
        run(py, || {
            self.engine()
                .import_security_info(&UserId::new(user_id), &import)
        })
    }

    /// Replaces the policy (steps running finish under the one they started with); audits
    /// `actor` and the dotted paths of the fields that changed, which it returns.
    fn replace_policy(
        &self,
        py: Python<'_>,
        policy: &PyPolicy,
        actor: String,
    ) -> PyResult<Vec<String>> {
        let policy = policy.inner.clone();
        run(py, || {
            self.inner
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .replace_policy(policy, &actor)
        })
    }

    /// The policy in force.
    #[getter]
    fn policy(&self) -> PyPolicy {
        PyPolicy {
            inner: self.engine().policy().clone(),
        }
    }
}

impl PyEngine {
    /// The engine, read-locked (a poisoned lock is recovered: every engine call leaves the
    /// engine as it was).
    fn engine(&self) -> std::sync::RwLockReadGuard<'_, Engine> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn step(&self, py: Python<'_>, flow_id: String, input: ResetInput) -> PyResult<PyResetResult> {
        let o = run(py, || self.engine().reset_step(&flow_id, input))?;
        reset_result(py, o)
    }

    fn reg(
        &self,
        py: Python<'_>,
        flow_id: String,
        input: RegistrationInput,
    ) -> PyResult<PyRegistrationResult> {
        run(py, || self.engine().registration_step(&flow_id, input)).map(registration_result)
    }
}
