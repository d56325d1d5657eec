//! Users as the directory describes them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An opaque, stable reference to a user in the host's directory (an object id, a primary key).
/// sspr never interprets it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub String);

impl UserId {
    /// Wraps a directory id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids are opaque and often not personal, but some hosts use the sign-in name as the id:
        // show only a short, stable fingerprint.
        let mut h: u32 = 0x811c_9dc5;
        for b in self.0.bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        write!(f, "UserId(#{h:08x})")
    }
}

/// What sspr needs to know about a user, as the directory returns it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    /// The user's stable id.
    pub id: UserId,
    /// The sign-in name (usually an email address); notifications about the account go here.
    pub username: String,
    /// Given name (used by the banned-password check).
    pub first_name: String,
    /// Family name (used by the banned-password check).
    pub last_name: String,
    /// Display name of the user's organisation (used by the banned-password check).
    pub org_name: String,
    /// Groups the user belongs to (used to scope the policy).
    pub groups: Vec<String>,
    /// Whether the user holds an administrator role: two gates, never security questions.
    pub admin: bool,
}

impl fmt::Debug for DirectoryUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryUser")
            .field("id", &self.id)
            .field("groups", &self.groups.len())
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}
