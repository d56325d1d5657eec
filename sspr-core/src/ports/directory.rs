use std::fmt;

use crate::error::PortError;
use crate::secret::SecretString;
use crate::user::{DirectoryUser, UserId};

/// A new password for the directory to set.
#[derive(Clone)]
pub struct PasswordChange {
    /// Unique id of this change (one per submitted password). A retried call carries the same
    /// id: apply it once.
    pub change_id: String,
    /// The new password, to hash with the directory's own scheme.
    pub password: SecretString,
    /// The argon2id PHC hash sspr made of it, to keep in the password history
    /// ([`Directory::password_history`]).
    pub history_hash: String,
    /// When the change was first requested (Unix seconds). A directory that may receive
    /// changes out of order (a slow call landing late) should not apply a change older than
    /// the last one it applied.
    pub requested_at: u64,
    /// The password is temporary (a help desk set it): the directory makes the user change it
    /// at the next sign-in. False for a password the user chose.
    pub must_change: bool,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The change id, the password and its hash stay out of logs.
        f.debug_struct("PasswordChange").finish_non_exhaustive()
    }
}

/// The host's user directory.
pub trait Directory: Send + Sync {
    /// The user whose sign-in name matches `identifier`, compared without regard to case.
    /// sspr passes the identifier already trimmed of surrounding white space. Read-only.
    fn find_user(&self, identifier: String) -> Result<Option<DirectoryUser>, PortError>;

    /// The user with this id, or `None` if it no longer exists. Read-only.
    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError>;

    /// Every administrator (notified when another administrator resets). Read-only.
    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError>;

    /// Whether `password` is the user's current password (re-authentication before
    /// registration, a password change, the sign-in check). Read-only; the directory may apply
    /// its own sign-in throttles. For an id it does not have (sspr asks about
    /// `sspr/unknown-user` when a name matches no one, so that an unknown name costs what a
    /// wrong password does) it answers `false`, taking about as long as for a real user.
    fn check_password(&self, id: UserId, password: SecretString) -> Result<bool, PortError>;

    /// Sets the user's password and appends `change.history_hash` to the history, as one
    /// atomic change. Idempotent per `change.change_id`: sspr retries with the same id after a
    /// failure, and a repeat must not add a second history entry. sspr keeps the change pending
    /// (and refuses any other password in that flow) until a call with its id succeeds, so a
    /// timeout is safe to return even when the change was applied.
    fn set_password(&self, id: UserId, change: PasswordChange) -> Result<(), PortError>;

    /// Up to `limit` PHC hashes of the user's previous passwords, newest first (the current
    /// password included). Read-only.
    fn password_history(&self, id: UserId, limit: u32) -> Result<Vec<String>, PortError>;

    /// Clears a sign-in lockout without changing the password. Idempotent.
    fn unlock(&self, id: UserId) -> Result<(), PortError>;

    /// Signs the user out everywhere (revokes sessions and refresh tokens). Idempotent.
    fn revoke_sessions(&self, id: UserId) -> Result<(), PortError>;
}
