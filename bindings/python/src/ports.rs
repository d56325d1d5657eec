//! Ports written in Python: the value types they exchange with sspr, and adapters that
//! implement each core port trait by calling a plain Python object.
//!
//! An exception raised by a Python port never crashes and never loses a flow: it becomes a
//! [`PortError`](sspr_core::PortError) (kind `unavailable`; `conflict` when the port raised
//! `sspr.ConflictError`; `rejected` when it raised `sspr.RejectedError`, a refusal for good),
//! the engine keeps the flow as it was, and the caller gets `sspr.PortError` (or the same
//! subclass) with the original exception as its `__cause__`.

use std::cell::RefCell;

use pyo3::call::PyCallArgs;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sspr_core::audit::AuditEvent;
use sspr_core::ports::{
    AuditSink, BreachChecker, BreachedSuffix, CaptchaVerifier, Clock, ConsumeOnceSet, CounterState,
    CounterStore, Directory, FlowStore, Message, Notifier, PasswordChange, Randomness, Record,
    SecurityInfoStore,
};
use sspr_core::{DirectoryUser, PortError, PortErrorKind, PortName, SecretString, UserId};

use crate::{ConflictError, RejectedError};

thread_local! {
    /// The exception the last failing Python port raised on this thread, to chain onto the
    /// `sspr.PortError` the caller receives.
    static CAUSE: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// Forgets any exception kept from an earlier call (called before each engine call).
pub(crate) fn clear_cause() {
    CAUSE.with(|c| c.borrow_mut().take());
}

/// The exception for `e`; a port error carries the exception the failing Python port raised
/// (since the last [`clear_cause`]) as its `__cause__`.
pub(crate) fn chained_error(py: Python<'_>, e: sspr_core::Error) -> PyErr {
    let is_port = matches!(e, sspr_core::Error::Port(_));
    let err = crate::error(e);
    if let Some(cause) = CAUSE.with(|c| c.borrow_mut().take())
        && is_port
    {
        err.set_cause(py, Some(cause));
    }
    err
}

/// A user in the directory, as a Python directory port returns it.
#[pyclass(
    frozen,
    from_py_object,
    name = "DirectoryUser",
    module = "sspr",
    get_all
)]
#[derive(Clone)]
pub(crate) struct PyDirectoryUser {
    /// Stable id.
    pub(crate) id: String,
    /// Sign-in name (usually an email address); account notifications go here.
    pub(crate) username: String,
    /// Given name.
    pub(crate) first_name: String,
    /// Family name.
    pub(crate) last_name: String,
    /// Organisation display name.
    pub(crate) org_name: String,
    /// Groups (scope the policy).
    pub(crate) groups: Vec<String>,
    /// Holds an administrator role.
    pub(crate) admin: bool,
}

#[pymethods]
impl PyDirectoryUser {
    #[new]
    #[pyo3(signature = (id, username, *, first_name="", last_name="", org_name="", groups=Vec::new(), admin=false))]
    fn new(
        id: String,
        username: String,
        first_name: &str,
        last_name: &str,
        org_name: &str,
        groups: Vec<String>,
        admin: bool,
    ) -> Self {
        Self {
            id,
            username,
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            org_name: org_name.to_owned(),
            groups,
            admin,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "DirectoryUser(id=<{} chars>, admin={})",
            self.id.len(),
            self.admin
        )
    }
}

impl From<PyDirectoryUser> for DirectoryUser {
    fn from(u: PyDirectoryUser) -> Self {
        Self {
            id: UserId::new(u.id),
            username: u.username,
            first_name: u.first_name,
            last_name: u.last_name,
            org_name: u.org_name,
            groups: u.groups,
            admin: u.admin,
        }
    }
}

impl From<DirectoryUser> for PyDirectoryUser {
    fn from(u: DirectoryUser) -> Self {
        Self {
            id: u.id.as_str().to_owned(),
            username: u.username,
            first_name: u.first_name,
            last_name: u.last_name,
            org_name: u.org_name,
            groups: u.groups,
            admin: u.admin,
        }
    }
}

/// A versioned record held by a flow or security-info store.
#[pyclass(frozen, from_py_object, name = "Record", module = "sspr", get_all)]
#[derive(Clone)]
pub(crate) struct PyRecord {
    /// The JSON document sspr wrote (opaque to the store).
    data: String,
    /// 1 when created, one more at each save.
    version: u64,
}

#[pymethods]
impl PyRecord {
    #[new]
    fn new(data: String, version: u64) -> Self {
        Self { data, version }
    }

    fn __repr__(&self) -> String {
        format!(
            "Record(<{} bytes>, version={})",
            self.data.len(),
            self.version
        )
    }
}

/// A message for the host to render and deliver.
#[pyclass(frozen, name = "Message", module = "sspr", get_all)]
#[derive(Clone)]
pub(crate) struct PyMessage {
    /// Unique id; a retried delivery carries the same id.
    pub(crate) id: String,
    /// `email`, `sms`, `voice` or `push`.
    pub(crate) channel: String,
    /// Address, E.164 number or device id.
    pub(crate) to: String,
    /// `code`, `approval_request`, `password_changed`, `admin_password_changed` or
    /// `security_info_changed`.
    pub(crate) kind: String,
    /// The user it concerns.
    pub(crate) user: String,
    /// The verification code, for kind `code`.
    pub(crate) code: Option<String>,
    /// The approval request's id, for kind `approval_request`.
    pub(crate) approval_request_id: Option<String>,
    /// The number the sign-in screen shows, for kind `approval_request`.
    pub(crate) approval_number: Option<u8>,
    /// For `admin_password_changed`: the administrator whose password changed.
    pub(crate) subject: Option<String>,
    /// A "this wasn't me" token, when the host offers the link.
    pub(crate) revoke_token: Option<String>,
    /// For an emailed reset code: the token of its verification link (see
    /// `Engine.confirm_link`).
    pub(crate) link_token: Option<String>,
    /// When sspr created it (Unix seconds).
    pub(crate) created_at: u64,
}

#[pymethods]
impl PyMessage {
    fn __repr__(&self) -> String {
        format!(
            "Message(channel={:?}, kind={:?}, id={:?})",
            self.channel, self.kind, self.id
        )
    }
}

impl From<&Message> for PyMessage {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            channel: m.channel.id().to_owned(),
            to: m.to.clone(),
            kind: m.kind.id().to_owned(),
            user: m.user.as_str().to_owned(),
            code: m.code.as_ref().map(|c| c.expose().to_owned()),
            approval_request_id: m.approval.as_ref().map(|a| a.request_id.clone()),
            approval_number: m.approval.as_ref().map(|a| a.number),
            subject: m.subject.clone(),
            revoke_token: m.revoke_token.as_ref().map(|t| t.expose().to_owned()),
            link_token: m.link_token.as_ref().map(|t| t.expose().to_owned()),
            created_at: m.created_at,
        }
    }
}

/// A new password for the directory to set, with the hash to keep in its history.
#[pyclass(frozen, name = "PasswordChange", module = "sspr", get_all)]
pub(crate) struct PyPasswordChange {
    /// Unique id; a retried call carries the same id: apply it once.
    change_id: String,
    /// The new password, to hash with the directory's own scheme.
    password: String,
    /// The argon2id PHC hash to append to the password history.
    history_hash: String,
    /// When the change was first requested (Unix seconds): do not apply a change older than
    /// the last one applied.
    requested_at: u64,
    /// A temporary password a help desk set: make the user change it at the next sign-in.
    must_change: bool,
}

#[pymethods]
impl PyPasswordChange {
    fn __repr__(&self) -> &'static str {
        "PasswordChange(<redacted>)"
    }
}

/// A port implemented by a Python object.
pub(crate) struct PyPort {
    obj: Py<PyAny>,
    port: PortName,
}

impl PyPort {
    pub(crate) fn new(obj: Py<PyAny>, port: PortName) -> Self {
        Self { obj, port }
    }

    /// Calls `method` with `args` and converts the result, turning every Python failure into
    /// a port error that names the exception type only.
    fn call<A, T>(
        &self,
        method: &str,
        args: A,
        convert: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<T>,
        returns: &str,
    ) -> Result<T, PortError>
    where
        A: for<'py> PyCallArgs<'py>,
    {
        Python::attach(|py| {
            let answer = match self.obj.bind(py).call_method1(method, args) {
                Ok(a) => a,
                Err(e) => {
                    let conflict = e.is_instance_of::<ConflictError>(py);
                    let rejected = e.is_instance_of::<RejectedError>(py);
                    let name = e
                        .get_type(py)
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|_| "an exception".to_owned());
                    CAUSE.with(|c| *c.borrow_mut() = Some(e));
                    return Err(if conflict {
                        PortError::conflict(self.port)
                    } else if rejected {
                        PortError::new(
                            self.port,
                            PortErrorKind::Rejected,
                            format!("the Python {method}() refused ({name})"),
                        )
                    } else {
                        PortError::unavailable(
                            self.port,
                            format!("the Python {method}() raised {name}"),
                        )
                    });
                }
            };
            convert(&answer).map_err(|e| {
                CAUSE.with(|c| *c.borrow_mut() = Some(e));
                PortError::new(
                    self.port,
                    PortErrorKind::Contract,
                    format!("the Python {method}() did not return {returns}"),
                )
            })
        })
    }

    fn unit<A: for<'py> PyCallArgs<'py>>(&self, method: &str, args: A) -> Result<(), PortError> {
        self.call(method, args, |_| Ok(()), "")
    }
}

fn optional_user(v: &Bound<'_, PyAny>) -> PyResult<Option<DirectoryUser>> {
    if v.is_none() {
        return Ok(None);
    }
    Ok(Some(v.extract::<PyDirectoryUser>()?.into()))
}

fn optional_record(v: &Bound<'_, PyAny>) -> PyResult<Option<Record>> {
    if v.is_none() {
        return Ok(None);
    }
    let r: PyRecord = v.extract()?;
    Ok(Some(Record {
        data: r.data,
        version: r.version,
    }))
}

impl Directory for PyPort {
    fn find_user(&self, identifier: String) -> Result<Option<DirectoryUser>, PortError> {
        self.call(
            "find_user",
            (identifier,),
            optional_user,
            "a DirectoryUser or None",
        )
    }
    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError> {
        self.call(
            "user",
            (id.as_str().to_owned(),),
            optional_user,
            "a DirectoryUser or None",
        )
    }
    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError> {
        self.call(
            "administrators",
            (),
            |v| {
                Ok(v.extract::<Vec<PyDirectoryUser>>()?
                    .into_iter()
                    .map(Into::into)
                    .collect())
            },
            "a list of DirectoryUser",
        )
    }
    fn check_password(&self, id: UserId, password: SecretString) -> Result<bool, PortError> {
        self.call(
            "check_password",
            (id.as_str().to_owned(), password.expose().to_owned()),
            |v| v.extract(),
            "a bool",
        )
    }
    fn set_password(&self, id: UserId, change: PasswordChange) -> Result<(), PortError> {
        let change = Python::attach(|py| {
            Py::new(
                py,
                PyPasswordChange {
                    change_id: change.change_id,
                    password: change.password.expose().to_owned(),
                    history_hash: change.history_hash,
                    requested_at: change.requested_at,
                    must_change: change.must_change,
                },
            )
        })
        .map_err(|_| PortError::unavailable(self.port, "could not build the PasswordChange"))?;
        self.unit("set_password", (id.as_str().to_owned(), change))
    }
    fn password_history(&self, id: UserId, limit: u32) -> Result<Vec<String>, PortError> {
        self.call(
            "password_history",
            (id.as_str().to_owned(), limit),
            |v| v.extract(),
            "a list of str",
        )
    }
    fn unlock(&self, id: UserId) -> Result<(), PortError> {
        self.unit("unlock", (id.as_str().to_owned(),))
    }
    fn revoke_sessions(&self, id: UserId) -> Result<(), PortError> {
        self.unit("revoke_sessions", (id.as_str().to_owned(),))
    }
}

impl SecurityInfoStore for PyPort {
    fn load(&self, user: UserId) -> Result<Option<Record>, PortError> {
        self.call(
            "load",
            (user.as_str().to_owned(),),
            optional_record,
            "a Record or None",
        )
    }
    fn save(&self, user: UserId, data: String, expected_version: u64) -> Result<(), PortError> {
        self.unit("save", (user.as_str().to_owned(), data, expected_version))
    }
}

impl FlowStore for PyPort {
    fn load(&self, flow_id: String) -> Result<Option<Record>, PortError> {
        self.call("load", (flow_id,), optional_record, "a Record or None")
    }
    fn save(
        &self,
        flow_id: String,
        data: String,
        expected_version: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        self.unit("save", (flow_id, data, expected_version, expires_at))
    }
    fn delete(&self, flow_id: String) -> Result<(), PortError> {
        self.unit("delete", (flow_id,))
    }
}

fn counter_state(v: &Bound<'_, PyAny>) -> PyResult<CounterState> {
    let (count, blocked_until): (u32, Option<u64>) = v.extract()?;
    Ok(CounterState {
        count,
        blocked_until,
    })
}

impl CounterStore for PyPort {
    fn increment(&self, key: String, now: u64, window_s: u64) -> Result<CounterState, PortError> {
        self.call(
            "increment",
            (key, now, window_s),
            counter_state,
            "a (count, blocked_until) tuple",
        )
    }
    fn get(&self, key: String, now: u64) -> Result<CounterState, PortError> {
        self.call(
            "get",
            (key, now),
            counter_state,
            "a (count, blocked_until) tuple",
        )
    }
    fn release(&self, key: String, now: u64) -> Result<(), PortError> {
        self.unit("release", (key, now))
    }
    fn block(&self, key: String, until: u64) -> Result<u64, PortError> {
        self.call("block", (key, until), |v| v.extract(), "an int")
    }
    fn clear(&self, key: String) -> Result<(), PortError> {
        self.unit("clear", (key,))
    }
}

impl ConsumeOnceSet for PyPort {
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError> {
        self.call(
            "consume",
            (namespace, key, expires_at),
            |v| v.extract(),
            "a bool",
        )
    }
}

impl Notifier for PyPort {
    fn deliver(&self, message: Message) -> Result<(), PortError> {
        let message = PyMessage::from(&message);
        self.unit("deliver", (message,))
    }
}

impl CaptchaVerifier for PyPort {
    fn verify(&self, response: String, client: Option<String>) -> Result<bool, PortError> {
        self.call("verify", (response, client), |v| v.extract(), "a bool")
    }
}

impl BreachChecker for PyPort {
    fn range(&self, sha1_prefix: String) -> Result<Vec<BreachedSuffix>, PortError> {
        self.call(
            "range",
            (sha1_prefix,),
            |v| {
                Ok(v.extract::<Vec<(String, u64)>>()?
                    .into_iter()
                    .map(|(suffix, count)| BreachedSuffix { suffix, count })
                    .collect())
            },
            "(suffix, count) pairs",
        )
    }
}

impl AuditSink for PyPort {
    fn record(&self, event: AuditEvent) -> Result<(), PortError> {
        let json = event.to_json();
        let event = Python::attach(|py| -> PyResult<Py<PyAny>> {
            Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
        })
        .map_err(|_| PortError::unavailable(self.port, "could not decode the event"))?;
        self.unit("record", (event,))
    }
}

impl Clock for PyPort {
    fn now(&self) -> Result<u64, PortError> {
        self.call("now", (), |v| v.extract(), "a non-negative int")
    }
}

impl Randomness for PyPort {
    fn bytes(&self, len: u32) -> Result<Vec<u8>, PortError> {
        let bytes = self.call(
            "bytes",
            (len,),
            |v| Ok(v.cast::<PyBytes>()?.as_bytes().to_vec()),
            "bytes",
        )?;
        if bytes.len() != len as usize {
            return Err(PortError::new(
                self.port,
                PortErrorKind::Contract,
                format!("the Python bytes({len}) returned {} bytes", bytes.len()),
            ));
        }
        Ok(bytes)
    }
}
