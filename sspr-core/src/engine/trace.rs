//! Spans and events for the `tracing` feature: one span for every public engine call, an event
//! when it ends, and events for what an operator looks for inside a step (a lost
//! compare-and-set, an attempt refused uncompared, a port failure kept as a warning).
//!
//! What goes in them is chosen here and nowhere else: stable ids (the call, the input's kind,
//! the screen, reason ids, port names and error kinds), counts, and the flow's keyed reference
//! (`flow_ref`, as audit events carry it). Never an identifier, address, number, code,
//! password, answer, key, flow id or a port's own error text (a foreign port may put anything
//! there). Without the feature every function here is empty and inlined away.

use crate::error::{Error, PortError};
use crate::registration::RegistrationInput;
use crate::reset::ResetInput;

use super::views::{RegistrationOutcome, ReportOutcome, ResetOutcome, SignInCheck};

/// What a finished call reports in its closing event.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) trait Traced {
    /// The screen the call left the user on, if any.
    fn state(&self) -> Option<&'static str> {
        None
    }
    /// The flow's keyed reference, if the call returned a view.
    fn flow_ref(&self) -> Option<&str> {
        None
    }
    /// The reason id of a refusal.
    fn reason(&self) -> Option<&'static str> {
        None
    }
    /// Port failures kept as warnings.
    fn warnings(&self) -> &[PortError] {
        &[]
    }
}

/// The outcome of a wizard's step: its view's screen and flow reference, its refusal, its
/// warnings.
macro_rules! traced_step_outcome {
    ($($t:ty),*) => {$(
        impl Traced for $t {
            fn state(&self) -> Option<&'static str> {
                self.view.as_ref().map(|v| v.state.id())
            }
            fn flow_ref(&self) -> Option<&str> {
                self.view.as_ref().map(|v| v.flow_ref.as_str())
            }
            fn reason(&self) -> Option<&'static str> {
                self.rejection.map(|r| r.id())
            }
            fn warnings(&self) -> &[PortError] {
                &self.warnings
            }
        }
    )*};
}

traced_step_outcome!(ResetOutcome, RegistrationOutcome);

impl Traced for SignInCheck {
    fn reason(&self) -> Option<&'static str> {
        self.rejection.map(|r| r.id())
    }
}

impl Traced for ReportOutcome {
    fn reason(&self) -> Option<&'static str> {
        self.rejection.map(|r| r.id())
    }
    fn warnings(&self) -> &[PortError] {
        &self.warnings
    }
}

impl Traced for super::views::SnoozeOutcome {
    fn reason(&self) -> Option<&'static str> {
        self.rejection.map(|r| r.id())
    }
    fn warnings(&self) -> &[PortError] {
        &self.warnings
    }
}

impl Traced for () {}

impl Traced for super::help_desk::TemporaryPassword {}

impl Traced for super::help_desk::IssuedAccessPass {}

impl Traced for super::views::PasswordChangeOutcome {
    fn reason(&self) -> Option<&'static str> {
        self.rejection.map(|r| r.id())
    }
    fn warnings(&self) -> &[PortError] {
        &self.warnings
    }
}

impl Traced for crate::engine::ResetView {
    fn state(&self) -> Option<&'static str> {
        Some(self.state.id())
    }
    fn flow_ref(&self) -> Option<&str> {
        Some(&self.flow_ref)
    }
}

impl Traced for crate::engine::RegistrationView {
    fn state(&self) -> Option<&'static str> {
        Some(self.state.id())
    }
    fn flow_ref(&self) -> Option<&str> {
        Some(&self.flow_ref)
    }
}

/// The kind of a reset input, as a stable id.
pub(crate) fn reset_input(input: &ResetInput) -> &'static str {
    match input {
        ResetInput::Choose(_) => "choose",
        ResetInput::Resend => "resend",
        ResetInput::ConfirmNumber(_) => "confirm_number",
        ResetInput::ConfirmLink(_) => "confirm_link",
        ResetInput::EnterCode(_) => "enter_code",
        ResetInput::Answer(_) => "answer",
        ResetInput::Approve { .. } => "approve",
        ResetInput::NewPassword { .. } => "new_password",
        ResetInput::Unlock => "unlock",
        ResetInput::Cancel => "cancel",
    }
}

/// The kind of a registration input, as a stable id.
pub(crate) fn registration_input(input: &RegistrationInput) -> &'static str {
    match input {
        RegistrationInput::Prove(_) => "prove",
        RegistrationInput::Approve { .. } => "approve",
        RegistrationInput::Email(_) => "email",
        RegistrationInput::Mobile { .. } => "mobile",
        RegistrationInput::Office(_) => "office",
        RegistrationInput::App { .. } => "app",
        RegistrationInput::Questions(_) => "questions",
        RegistrationInput::RecoveryCodes => "recovery_codes",
        RegistrationInput::Verify(_) => "verify",
        RegistrationInput::AccessPass(_) => "access_pass",
        RegistrationInput::Answer(_) => "answer",
        RegistrationInput::Remove(_) => "remove",
        RegistrationInput::SetDefault(_) => "set_default",
        RegistrationInput::Resend => "resend",
        RegistrationInput::TestPush => "test_push",
        RegistrationInput::ActivateToken { .. } => "activate_token",
        RegistrationInput::Back => "back",
        RegistrationInput::Finish => "finish",
        RegistrationInput::Cancel => "cancel",
    }
}

/// The span of one public engine call; [`Call::end`] closes it with the call's result.
pub(crate) struct Call {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// Opens the span of `op` (the method's name) with the input's kind and, for a step on an
/// existing flow, its keyed reference.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
#[inline]
pub(crate) fn call(op: &'static str, input: &'static str, flow_ref: Option<&str>) -> Call {
    #[cfg(feature = "tracing")]
    {
        let span = tracing::info_span!(
            "sspr",
            op,
            input,
            flow_ref = tracing::field::Empty,
            state = tracing::field::Empty
        );
        if let Some(r) = flow_ref {
            span.record("flow_ref", r);
        }
        Call { span }
    }
    #[cfg(not(feature = "tracing"))]
    Call {}
}

impl Call {
    /// Runs `f` inside the span and closes it with an event describing the result.
    #[inline]
    pub(crate) fn run<T: Traced>(self, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        #[cfg(feature = "tracing")]
        {
            let _entered = self.span.enter();
            let result = f();
            match &result {
                Ok(out) => {
                    if let Some(r) = out.flow_ref() {
                        self.span.record("flow_ref", r);
                    }
                    if let Some(s) = out.state() {
                        self.span.record("state", s);
                    }
                    for w in out.warnings() {
                        tracing::warn!(
                            port = w.port.id(),
                            kind = w.kind.id(),
                            "a port failed; the step stands"
                        );
                    }
                    match out.reason() {
                        Some(reason) => tracing::info!(reason, "refused"),
                        None => tracing::debug!("done"),
                    }
                }
                Err(Error::Misuse(_)) => tracing::error!(error = "misuse", "API misuse"),
                Err(Error::Input(e)) => {
                    tracing::warn!(error = "input", what = e.what(), "input refused")
                }
                Err(Error::Port(e)) => tracing::warn!(
                    error = "port",
                    port = e.port.id(),
                    kind = e.kind.id(),
                    "a port failed"
                ),
            }
            result
        }
        #[cfg(not(feature = "tracing"))]
        f()
    }
}

/// A step lost its compare-and-set and runs again on fresh data.
#[inline]
pub(crate) fn lost_race() {
    #[cfg(feature = "tracing")]
    tracing::debug!("the flow changed under the step; running it again");
}

/// An attempt was refused uncompared: `limit` (a counter kind's id) is spent.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
#[inline]
pub(crate) fn refused(limit: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::info!(limit, "attempt refused uncompared: a limit is spent");
}
