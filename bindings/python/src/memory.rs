//! The built-in in-memory ports, for tests, demos and single-process deployments, and the
//! `Ports` bundle an engine runs on (any mix of built-in ports and Python objects).

use std::sync::Arc;

use pyo3::prelude::*;
use sspr_core::engine::Ports;
use sspr_core::memory::{
    MemoryAuditSink, MemoryBreachChecker, MemoryDirectory, MemoryPorts, OsRandomness,
    RecordingNotifier, SystemClock, TestCaptcha, TestClock,
};
use sspr_core::ports::{self, Clock as _};
use sspr_core::{PortName, UserId};

use crate::ports::{PyDirectoryUser, PyMessage, PyPort};

/// The in-memory directory.
#[pyclass(frozen, name = "MemoryDirectory", module = "sspr")]
pub(crate) struct PyMemoryDirectory(Arc<MemoryDirectory>);

#[pymethods]
impl PyMemoryDirectory {
    /// Adds (or replaces) a user with a password.
    fn add_user(&self, user: PyDirectoryUser, password: &str) {
        self.0.add_user(user.into(), password);
    }

    /// Sets a user's password history: argon2 PHC hashes, newest first (see `hash_secret`).
    fn set_history(&self, user_id: &str, hashes: Vec<String>) {
        self.0.set_history(&UserId::new(user_id), hashes);
    }

    /// Whether `password` is the user's current password (compared in constant time).
    fn password_matches(&self, user_id: &str, password: &str) -> bool {
        self.0
            .password_of(&UserId::new(user_id))
            .is_some_and(|p| p.ct_eq(password))
    }

    /// Locks the user's sign-in (an unlock-only reset clears it).
    fn lock_account(&self, user_id: &str) {
        self.0.lock_account(&UserId::new(user_id));
    }

    /// Makes `set_password` refuse `password` for every user, for good, as a directory's own
    /// password policy would (on premises, say): the engine answers `password.refused`.
    fn refuse_password(&self, password: &str) {
        self.0.refuse_password(password);
    }

    /// Whether the user must change the password at the next sign-in (a temporary password a
    /// help desk set).
    fn must_change_password(&self, user_id: &str) -> bool {
        self.0.must_change_password(&UserId::new(user_id))
    }

    /// Whether the user's sign-in is locked.
    fn is_locked(&self, user_id: &str) -> bool {
        self.0.is_locked(&UserId::new(user_id))
    }

    /// How many times the user's sessions were revoked.
    fn sessions_revoked(&self, user_id: &str) -> u32 {
        self.0.sessions_revoked(&UserId::new(user_id))
    }
}

/// The recording notifier: keeps every delivered message.
#[pyclass(frozen, name = "RecordingNotifier", module = "sspr")]
pub(crate) struct PyRecordingNotifier(Arc<RecordingNotifier>);

#[pymethods]
impl PyRecordingNotifier {
    /// Every message delivered so far, oldest first.
    fn messages(&self) -> Vec<PyMessage> {
        self.0.messages().iter().map(PyMessage::from).collect()
    }

    /// Removes and returns every message delivered so far.
    fn take(&self) -> Vec<PyMessage> {
        self.0.take().iter().map(PyMessage::from).collect()
    }

    /// Makes the next `n` deliveries fail.
    fn fail_next(&self, n: u32) {
        self.0.fail_next(n);
    }
}

/// A clock for tests: it shows the time it was set to and moves only when told.
#[pyclass(frozen, name = "TestClock", module = "sspr")]
pub(crate) struct PyTestClock(Arc<TestClock>);

#[pymethods]
impl PyTestClock {
    /// A clock showing `now` (Unix seconds).
    #[new]
    fn new(now: u64) -> Self {
        Self(Arc::new(TestClock::new(now)))
    }

    /// Now (Unix seconds).
    fn now(&self) -> u64 {
        self.0.now().unwrap_or_default()
    }

    /// Sets the time.
    fn set(&self, now: u64) {
        self.0.set(now);
    }

    /// Moves the time forward.
    fn advance(&self, seconds: u64) {
        self.0.advance(seconds);
    }
}

/// The system clock.
#[pyclass(frozen, name = "SystemClock", module = "sspr")]
pub(crate) struct PySystemClock;

#[pymethods]
impl PySystemClock {
    #[new]
    fn new() -> Self {
        Self
    }
}

/// The operating system's CSPRNG: the randomness to use outside tests.
#[pyclass(frozen, name = "OsRandomness", module = "sspr")]
pub(crate) struct PyOsRandomness;

#[pymethods]
impl PyOsRandomness {
    #[new]
    fn new() -> Self {
        Self
    }
}

/// The in-memory breached-password service.
#[pyclass(frozen, name = "MemoryBreachChecker", module = "sspr")]
pub(crate) struct PyMemoryBreachChecker(Arc<MemoryBreachChecker>);

#[pymethods]
impl PyMemoryBreachChecker {
    /// Records `password` as seen `count` times.
    #[pyo3(signature = (password, count=1))]
    fn add(&self, password: &str, count: u64) {
        self.0.add(password, count);
    }

    /// Records every password of the shipped common-password list.
    fn add_common_passwords(&self) {
        for p in sspr_core::password::common_passwords() {
            self.0.add(p, 1);
        }
    }

    /// Makes every query fail (`True`) or answer again (`False`).
    fn set_down(&self, down: bool) {
        self.0.set_down(down);
    }
}

/// A CAPTCHA verifier for tests: it accepts the tokens it was given, and nothing else. Never
/// in a deployment: anyone who knows a token passes.
#[pyclass(frozen, name = "TestCaptcha", module = "sspr")]
pub(crate) struct PyTestCaptcha(Arc<TestCaptcha>);

#[pymethods]
impl PyTestCaptcha {
    /// Accepts `token` from now on.
    fn add(&self, token: String) {
        self.0.add(token);
    }
}

/// The in-memory audit sink.
#[pyclass(frozen, name = "MemoryAuditSink", module = "sspr")]
pub(crate) struct PyMemoryAuditSink(Arc<MemoryAuditSink>);

#[pymethods]
impl PyMemoryAuditSink {
    /// Every event so far, oldest first, as dicts.
    fn events(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        let json = py.import("json")?;
        self.0
            .events()
            .iter()
            .map(|e| Ok(json.call_method1("loads", (e.to_json(),))?.unbind()))
            .collect()
    }
}

/// An opaque built-in store (flows, security info, counters, consume-once set).
#[pyclass(frozen, name = "MemoryStore", module = "sspr")]
pub(crate) struct PyMemoryStore(Store);

/// A built-in store of any backend, for one port slot.
pub(crate) enum Store {
    Flows(Arc<dyn ports::FlowStore>),
    SecurityInfo(Arc<dyn ports::SecurityInfoStore>),
    Counters(Arc<dyn ports::CounterStore>),
    ConsumeOnce(Arc<dyn ports::ConsumeOnceSet>),
    Audit(Arc<dyn ports::AuditSink>),
}

impl Store {
    pub(crate) fn port(&self) -> PortName {
        match self {
            Self::Flows(_) => PortName::FlowStore,
            Self::SecurityInfo(_) => PortName::SecurityInfoStore,
            Self::Counters(_) => PortName::CounterStore,
            Self::ConsumeOnce(_) => PortName::ConsumeOnce,
            Self::Audit(_) => PortName::Audit,
        }
    }
}

/// The built-in store `obj` holds, if it is one (in memory or of a database backend).
pub(crate) fn builtin_store<'a>(obj: &'a Bound<'_, PyAny>) -> Option<&'a Store> {
    if let Ok(s) = obj.cast::<PyMemoryStore>() {
        return Some(&s.get().0);
    }
    obj.cast::<crate::stores::PyStore>()
        .ok()
        .map(|s| &s.get().0)
}

#[pymethods]
impl PyMemoryStore {
    fn __repr__(&self) -> String {
        format!("MemoryStore({})", self.0.port())
    }
}

/// Every in-memory port together, on test doubles: a manual clock, a CAPTCHA that accepts the
/// token it was given, and (with a seed) reproducible randomness. **For tests and demos only**;
/// a deployment builds `Ports(...)`, which starts from the system clock and OS randomness.
#[pyclass(frozen, name = "MemoryPorts", module = "sspr")]
pub(crate) struct PyMemoryPorts {
    inner: MemoryPorts,
    #[pyo3(get)]
    directory: Py<PyMemoryDirectory>,
    #[pyo3(get)]
    notifier: Py<PyRecordingNotifier>,
    #[pyo3(get)]
    clock: Py<PyTestClock>,
    #[pyo3(get)]
    breach: Py<PyMemoryBreachChecker>,
    #[pyo3(get)]
    captcha: Py<PyTestCaptcha>,
    #[pyo3(get)]
    audit: Py<PyMemoryAuditSink>,
}

#[pymethods]
impl PyMemoryPorts {
    /// Test doubles, for tests and demos only: empty stores, a `TestClock` at `now` (Unix
    /// seconds), a `TestCaptcha` accepting `captcha_token` (required: there is no default
    /// token), and randomness seeded with `seed` (reproducible codes and secrets) or, without a
    /// seed, the operating system's CSPRNG. A deployment builds `Ports(...)` instead.
    #[staticmethod]
    #[pyo3(signature = (now, *, captcha_token, seed=None))]
    fn for_tests(
        py: Python<'_>,
        now: u64,
        captcha_token: &str,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        let mut inner = MemoryPorts::for_tests(now, seed.unwrap_or_default(), captcha_token);
        if seed.is_none() {
            inner.randomness = Arc::new(OsRandomness);
        }
        Ok(Self {
            directory: Py::new(py, PyMemoryDirectory(inner.directory.clone()))?,
            notifier: Py::new(py, PyRecordingNotifier(inner.notifier.clone()))?,
            clock: Py::new(py, PyTestClock(inner.clock.clone()))?,
            breach: Py::new(py, PyMemoryBreachChecker(inner.breach.clone()))?,
            captcha: Py::new(py, PyTestCaptcha(inner.captcha.clone()))?,
            audit: Py::new(py, PyMemoryAuditSink(inner.audit.clone()))?,
            inner,
        })
    }

    /// The ports for an `Engine`, every one in memory unless replaced by a keyword argument
    /// (an object implementing the port's protocol, or another built-in port).
    #[pyo3(signature = (**overrides))]
    fn ports(&self, overrides: Option<&Bound<'_, pyo3::types::PyDict>>) -> PyResult<PyPorts> {
        let mut ports = self.inner.ports();
        if let Some(overrides) = overrides {
            for (name, obj) in overrides.iter() {
                let name: String = name.extract()?;
                set_port(&mut ports, &name, &obj)?;
            }
        }
        Ok(PyPorts(ports))
    }

    /// The in-memory flow store.
    #[getter]
    fn flows(&self) -> PyMemoryStore {
        PyMemoryStore(Store::Flows(self.inner.flows.clone()))
    }

    /// The in-memory security-info store.
    #[getter]
    fn security_info(&self) -> PyMemoryStore {
        PyMemoryStore(Store::SecurityInfo(self.inner.security_info.clone()))
    }

    /// The in-memory counter store.
    #[getter]
    fn counters(&self) -> PyMemoryStore {
        PyMemoryStore(Store::Counters(self.inner.counters.clone()))
    }

    /// The in-memory consume-once set.
    #[getter]
    fn consume_once(&self) -> PyMemoryStore {
        PyMemoryStore(Store::ConsumeOnce(self.inner.consume_once.clone()))
    }
}

/// The ports an engine runs on.
#[pyclass(frozen, name = "Ports", module = "sspr")]
pub(crate) struct PyPorts(pub(crate) Ports);

const PORT_NAMES: &str = "directory, security_info, flows, counters, consume_once, notifier, \
                          captcha, clock, randomness, breach, audit";

#[pymethods]
impl PyPorts {
    /// Ports from objects: each implements the protocol of its name (see `sspr.protocols`) or
    /// is a built-in port. `clock` defaults to the system clock and `randomness` to the
    /// operating system's CSPRNG; `breach` and `audit` are optional.
    #[new]
    #[pyo3(signature = (*, directory, security_info, flows, counters, consume_once, notifier, captcha, clock=None, randomness=None, breach=None, audit=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        directory: &Bound<'_, PyAny>,
        security_info: &Bound<'_, PyAny>,
        flows: &Bound<'_, PyAny>,
        counters: &Bound<'_, PyAny>,
        consume_once: &Bound<'_, PyAny>,
        notifier: &Bound<'_, PyAny>,
        captcha: &Bound<'_, PyAny>,
        clock: Option<&Bound<'_, PyAny>>,
        randomness: Option<&Bound<'_, PyAny>>,
        breach: Option<&Bound<'_, PyAny>>,
        audit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        // The production constructor: the system clock and OS randomness unless replaced.
        let mut ports = Ports::new(
            directory_of(directory)?,
            notifier_of(notifier)?,
            captcha_of(captcha)?,
        );
        for (name, obj) in [
            ("security_info", Some(security_info)),
            ("flows", Some(flows)),
            ("counters", Some(counters)),
            ("consume_once", Some(consume_once)),
            ("clock", clock),
            ("randomness", randomness),
            ("breach", breach),
            ("audit", audit),
        ] {
            if let Some(obj) = obj {
                set_port(&mut ports, name, obj)?;
            }
        }
        Ok(Self(ports))
    }
}

fn wrap(obj: &Bound<'_, PyAny>, port: PortName, methods: &[&str]) -> PyResult<Arc<PyPort>> {
    for m in methods {
        if !obj.hasattr(*m)? {
            return Err(crate::MisuseError::new_err(format!(
                "the {port} object has no `{m}` method"
            )));
        }
    }
    Ok(Arc::new(PyPort::new(obj.clone().unbind(), port)))
}

fn wrong_store(name: &str) -> PyErr {
    crate::MisuseError::new_err(format!("this built-in store cannot serve as `{name}`"))
}

/// The clock `obj` is: a built-in clock as is, any other object with `now()` wrapped.
pub(crate) fn clock_of(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn ports::Clock>> {
    Ok(if let Ok(c) = obj.cast::<PyTestClock>() {
        c.get().0.clone()
    } else if obj.cast::<PySystemClock>().is_ok() {
        Arc::new(SystemClock)
    } else {
        wrap(obj, PortName::Clock, &["now"])?
    })
}

/// The directory `obj` is: the built-in one as is, any other object wrapped.
fn directory_of(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn ports::Directory>> {
    let port: Arc<dyn ports::Directory> = match obj.cast::<PyMemoryDirectory>() {
        Ok(d) => d.get().0.clone(),
        Err(_) => wrap(
            obj,
            PortName::Directory,
            &[
                "find_user",
                "user",
                "administrators",
                "check_password",
                "set_password",
                "password_history",
                "unlock",
                "revoke_sessions",
            ],
        )?,
    };
    Ok(port)
}

/// The notifier `obj` is: the built-in recording one as is, any other object wrapped.
fn notifier_of(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn ports::Notifier>> {
    let port: Arc<dyn ports::Notifier> = match obj.cast::<PyRecordingNotifier>() {
        Ok(n) => n.get().0.clone(),
        Err(_) => wrap(obj, PortName::Notifier, &["deliver"])?,
    };
    Ok(port)
}

/// The CAPTCHA verifier `obj` is: the test one as is, any other object wrapped.
fn captcha_of(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn ports::CaptchaVerifier>> {
    let port: Arc<dyn ports::CaptchaVerifier> = match obj.cast::<PyTestCaptcha>() {
        Ok(c) => c.get().0.clone(),
        Err(_) => wrap(obj, PortName::Captcha, &["verify"])?,
    };
    Ok(port)
}

/// A store slot filled from a built-in store or a Python object, for `check_stores`.
pub(crate) fn store_of(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Store> {
    // Ports only to fill one slot from: no engine ever runs on them (the CAPTCHA accepts
    // nothing).
    let mut ports = Ports::new(
        Arc::new(MemoryDirectory::new()),
        Arc::new(RecordingNotifier::new()),
        Arc::new(TestCaptcha::default()),
    );
    set_port(&mut ports, name, obj)?;
    Ok(match name {
        "flows" => Store::Flows(ports.flows),
        "security_info" => Store::SecurityInfo(ports.security_info),
        "counters" => Store::Counters(ports.counters),
        _ => Store::ConsumeOnce(ports.consume_once),
    })
}

/// Puts `obj` in the port slot `name`: a built-in port as is, any other object wrapped.
fn set_port(ports: &mut Ports, name: &str, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    let store = builtin_store(obj);
    match name {
        "directory" => ports.directory = directory_of(obj)?,
        "security_info" => {
            ports.security_info = match store {
                Some(Store::SecurityInfo(s)) => s.clone(),
                Some(_) => return Err(wrong_store(name)),
                None => wrap(obj, PortName::SecurityInfoStore, &["load", "save"])?,
            }
        }
        "flows" => {
            ports.flows = match store {
                Some(Store::Flows(s)) => s.clone(),
                Some(_) => return Err(wrong_store(name)),
                None => wrap(obj, PortName::FlowStore, &["load", "save", "delete"])?,
            }
        }
        "counters" => {
            ports.counters = match store {
                Some(Store::Counters(s)) => s.clone(),
                Some(_) => return Err(wrong_store(name)),
                None => wrap(
                    obj,
                    PortName::CounterStore,
                    &["increment", "get", "release", "block", "clear"],
                )?,
            }
        }
        "consume_once" => {
            ports.consume_once = match store {
                Some(Store::ConsumeOnce(s)) => s.clone(),
                Some(_) => return Err(wrong_store(name)),
                None => wrap(obj, PortName::ConsumeOnce, &["consume"])?,
            }
        }
        "notifier" => ports.notifier = notifier_of(obj)?,
        "captcha" => ports.captcha = captcha_of(obj)?,
        "clock" => ports.clock = clock_of(obj)?,
        "randomness" => {
            ports.randomness = if obj.cast::<PyOsRandomness>().is_ok() {
                Arc::new(OsRandomness)
            } else {
                wrap(obj, PortName::Randomness, &["bytes"])?
            }
        }
        "breach" => {
            ports.breach = Some(match obj.cast::<PyMemoryBreachChecker>() {
                Ok(b) => b.get().0.clone(),
                Err(_) => {
                    wrap(obj, PortName::BreachChecker, &["range"])? as Arc<dyn ports::BreachChecker>
                }
            })
        }
        "audit" => {
            ports.audit = Some(match (obj.cast::<PyMemoryAuditSink>(), store) {
                (Ok(a), _) => a.get().0.clone(),
                (_, Some(Store::Audit(a))) => a.clone(),
                (_, Some(_)) => return Err(wrong_store(name)),
                _ => wrap(obj, PortName::Audit, &["record"])? as Arc<dyn ports::AuditSink>,
            })
        }
        other => {
            return Err(crate::MisuseError::new_err(format!(
                "unknown port `{other}`; ports are {PORT_NAMES}"
            )));
        }
    }
    Ok(())
}
