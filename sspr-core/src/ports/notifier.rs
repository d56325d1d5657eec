use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::PortError;
use crate::secret::SecretString;
use crate::user::UserId;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email.
    Email,
    /// Text message.
    Sms,
    /// Voice call that reads the message.
    Voice,
    /// Push notification to the authenticator app.
    Push,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Self; 4] = [Self::Email, Self::Sms, Self::Voice, Self::Push];

    /// The channel with this stable name, if any.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The channel's stable name.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::Push => "push",
        }
    }
}

/// What a message says. sspr renders no text: the host picks the template for the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A verification code (`code` is set).
    Code,
    /// A sign-in approval request to the app (`approval` is set).
    ApprovalRequest,
    /// The user's password was changed.
    PasswordChanged,
    /// Another administrator's password was changed (`subject` names them).
    AdminPasswordChanged,
    /// The user's security info changed.
    SecurityInfoChanged,
}

impl MessageKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::Code,
        Self::ApprovalRequest,
        Self::PasswordChanged,
        Self::AdminPasswordChanged,
        Self::SecurityInfoChanged,
    ];

    /// The kind with this stable name, if any.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }

    /// The kind's stable name.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::ApprovalRequest => "approval_request",
            Self::PasswordChanged => "password_changed",
            Self::AdminPasswordChanged => "admin_password_changed",
            Self::SecurityInfoChanged => "security_info_changed",
        }
    }
}

/// A push approval request with number matching: the app shows the choices and the user picks
/// the number the sign-in screen displays.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The request's id, echoed back with the device's answer.
    pub request_id: String,
    /// The number the sign-in screen shows (two digits).
    pub number: u8,
}

impl fmt::Debug for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Approval").finish_non_exhaustive()
    }
}

/// A structured message for the host to render and deliver.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// Unique id: a retried delivery of the same message carries the same id, so the host can
    /// drop duplicates.
    pub id: String,
    /// How to deliver it.
    pub channel: Channel,
    /// Where: an email address, an E.164 number or a device id.
    pub to: String,
    /// What it says.
    pub kind: MessageKind,
    /// The user it concerns.
    pub user: UserId,
    /// The verification code, for [`MessageKind::Code`].
    pub code: Option<SecretString>,
    /// The approval request, for [`MessageKind::ApprovalRequest`].
    pub approval: Option<Approval>,
    /// For [`MessageKind::AdminPasswordChanged`]: the username of the administrator whose
    /// password changed.
    pub subject: Option<String>,
    /// A token for a "this wasn't me" link, when the host offers one.
    pub revoke_token: Option<SecretString>,
    /// For an emailed reset code: a token for a verification link ("click the link in the
    /// email"), as an alternative to typing the code. The host puts it in a URL of its own page,
    /// which asks the user to confirm in the browser holding the flow and then passes it as
    /// [`ResetInput::ConfirmLink`](crate::reset::ResetInput::ConfirmLink). Opening the page must
    /// not pass it on: mail scanners open links before users do. Bound to its flow, single use,
    /// expires with the code.
    pub link_token: Option<SecretString>,
    /// When sspr created the message (Unix seconds).
    pub created_at: u64,
}

impl Message {
    /// A message with no code, approval, subject or revocation token.
    pub fn new(
        id: String,
        channel: Channel,
        to: String,
        kind: MessageKind,
        user: UserId,
        created_at: u64,
    ) -> Self {
        Self {
            id,
            channel,
            to,
            kind,
            user,
            code: None,
            approval: None,
            subject: None,
            revoke_token: None,
            link_token: None,
            created_at,
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("kind", &self.kind)
            .field("user", &self.user)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// Delivers messages by email, text, voice and push.
pub trait Notifier: Send + Sync {
    /// Delivers (or queues) one message. `Ok` means the host accepted responsibility for it.
    /// On error sspr keeps the flow as it was before the step that wanted the message, so the
    /// user can retry; a repeated message carries the same `id`.
    fn deliver(&self, message: Message) -> Result<(), PortError>;
}
