use std::collections::HashSet;
use std::sync::Mutex;

use super::lock;
use crate::error::PortError;
use crate::ports::{Directory, PasswordChange};
use crate::secret::SecretString;
use crate::user::{DirectoryUser, UserId};

#[derive(Debug)]
struct Entry {
    user: DirectoryUser,
    password: SecretString,
    history: Vec<String>,
    applied_changes: HashSet<String>,
    locked: bool,
    sessions_revoked: u32,
}

/// An in-memory user directory. It keeps each current password as a (zeroised, redacted)
/// secret so tests can check what was set; a real directory keeps only its own hash.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    entries: Mutex<Vec<Entry>>,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user with a current password (replacing any user with the same id).
    pub fn add_user(&self, user: DirectoryUser, password: &str) {
        let mut entries = lock(&self.entries);
        entries.retain(|e| e.user.id != user.id);
        entries.push(Entry {
            user,
            password: SecretString::new(password),
            history: Vec::new(),
            applied_changes: HashSet::new(),
            locked: false,
            sessions_revoked: 0,
        });
    }

    /// Replaces the user's password history (PHC hashes, newest first).
    pub fn set_history(&self, id: &UserId, history: Vec<String>) {
        if let Some(e) = lock(&self.entries).iter_mut().find(|e| &e.user.id == id) {
            e.history = history;
        }
    }

    /// The user's current password.
    pub fn password_of(&self, id: &UserId) -> Option<SecretString> {
        lock(&self.entries)
            .iter()
            .find(|e| &e.user.id == id)
            .map(|e| e.password.clone())
    }

    /// Marks the account as locked out of sign-in.
    pub fn lock_account(&self, id: &UserId) {
        if let Some(e) = lock(&self.entries).iter_mut().find(|e| &e.user.id == id) {
            e.locked = true;
        }
    }

    /// Whether the account is locked out of sign-in.
    pub fn is_locked(&self, id: &UserId) -> bool {
        lock(&self.entries)
            .iter()
            .any(|e| &e.user.id == id && e.locked)
    }

    /// How many times the user's sessions were revoked.
    pub fn sessions_revoked(&self, id: &UserId) -> u32 {
        lock(&self.entries)
            .iter()
            .find(|e| &e.user.id == id)
            .map_or(0, |e| e.sessions_revoked)
    }

    fn with_user<T>(&self, id: &UserId, f: impl FnOnce(&mut Entry) -> T) -> Result<T, PortError> {
        let mut entries = lock(&self.entries);
        let e = entries
            .iter_mut()
            .find(|e| &e.user.id == id)
            .ok_or_else(|| {
                PortError::new(
                    crate::PortName::Directory,
                    crate::PortErrorKind::Rejected,
                    "no such user",
                )
            })?;
        Ok(f(e))
    }
}

impl Directory for MemoryDirectory {
    fn find_user(&self, identifier: String) -> Result<Option<DirectoryUser>, PortError> {
        let wanted = identifier.trim().to_lowercase();
        Ok(lock(&self.entries)
            .iter()
            .find(|e| e.user.username.to_lowercase() == wanted)
            .map(|e| e.user.clone()))
    }

    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError> {
        Ok(lock(&self.entries)
            .iter()
            .find(|e| e.user.id == id)
            .map(|e| e.user.clone()))
    }

    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError> {
        Ok(lock(&self.entries)
            .iter()
            .filter(|e| e.user.admin)
            .map(|e| e.user.clone())
            .collect())
    }

    fn check_password(&self, id: UserId, password: SecretString) -> Result<bool, PortError> {
        Ok(lock(&self.entries)
            .iter()
            .find(|e| e.user.id == id)
            .is_some_and(|e| e.password == password))
    }

    fn set_password(&self, id: UserId, change: PasswordChange) -> Result<(), PortError> {
        self.with_user(&id, |e| {
            if e.applied_changes.insert(change.change_id.clone()) {
                e.password = change.password.clone();
                e.history.insert(0, change.history_hash.clone());
            }
        })
    }

    fn password_history(&self, id: UserId, limit: u32) -> Result<Vec<String>, PortError> {
        Ok(lock(&self.entries)
            .iter()
            .find(|e| e.user.id == id)
            .map(|e| e.history.iter().take(limit as usize).cloned().collect())
            .unwrap_or_default())
    }

    fn unlock(&self, id: UserId) -> Result<(), PortError> {
        self.with_user(&id, |e| e.locked = false)
    }

    fn revoke_sessions(&self, id: UserId) -> Result<(), PortError> {
        self.with_user(&id, |e| e.sessions_revoked += 1)
    }
}
