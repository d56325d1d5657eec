use std::collections::{HashMap, HashSet};
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
    must_change: bool,
    sessions_revoked: u32,
}

/// An in-memory user directory, indexed by id and by lower-cased username. It keeps each current
/// password as a (zeroised, redacted) secret so tests can check what was set; a real directory
/// keeps only its own hash.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    entries: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    by_id: HashMap<UserId, Entry>,
    by_name: HashMap<String, UserId>,
    /// Passwords refused as a directory's own policy would (on premises, say).
    refused: Vec<SecretString>,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user with a current password (replacing any user with the same id).
    pub fn add_user(&self, user: DirectoryUser, password: &str) {
        let mut index = lock(&self.entries);
        if let Some(old) = index.by_id.remove(&user.id) {
            index.by_name.remove(&old.user.username.to_lowercase());
        }
        index
            .by_name
            .insert(user.username.trim().to_lowercase(), user.id.clone());
        index.by_id.insert(
            user.id.clone(),
            Entry {
                user,
                password: SecretString::new(password),
                history: Vec::new(),
                applied_changes: HashSet::new(),
                locked: false,
                must_change: false,
                sessions_revoked: 0,
            },
        );
    }

    fn read<T>(&self, id: &UserId, f: impl FnOnce(&Entry) -> T) -> Option<T> {
        lock(&self.entries).by_id.get(id).map(f)
    }

    /// Replaces the user's password history (PHC hashes, newest first).
    pub fn set_history(&self, id: &UserId, history: Vec<String>) {
        if let Some(e) = lock(&self.entries).by_id.get_mut(id) {
            e.history = history;
        }
    }

    /// Makes `set_password` refuse `password` for every user, for good (`Rejected`), as a
    /// directory with a password policy or history of its own does.
    pub fn refuse_password(&self, password: &str) {
        lock(&self.entries)
            .refused
            .push(SecretString::new(password));
    }

    /// The user's current password.
    pub fn password_of(&self, id: &UserId) -> Option<SecretString> {
        self.read(id, |e| e.password.clone())
    }

    /// Whether the current password is a temporary one the user must change at the next
    /// sign-in.
    pub fn must_change_password(&self, id: &UserId) -> bool {
        self.read(id, |e| e.must_change).unwrap_or(false)
    }

    /// Marks the account as locked out of sign-in.
    pub fn lock_account(&self, id: &UserId) {
        if let Some(e) = lock(&self.entries).by_id.get_mut(id) {
            e.locked = true;
        }
    }

    /// Whether the account is locked out of sign-in.
    pub fn is_locked(&self, id: &UserId) -> bool {
        self.read(id, |e| e.locked).unwrap_or(false)
    }

    /// How many times the user's sessions were revoked.
    pub fn sessions_revoked(&self, id: &UserId) -> u32 {
        self.read(id, |e| e.sessions_revoked).unwrap_or(0)
    }

    fn with_user<T>(&self, id: &UserId, f: impl FnOnce(&mut Entry) -> T) -> Result<T, PortError> {
        let mut index = lock(&self.entries);
        let e = index.by_id.get_mut(id).ok_or_else(|| {
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
        let index = lock(&self.entries);
        Ok(index
            .by_name
            .get(&wanted)
            .and_then(|id| index.by_id.get(id))
            .map(|e| e.user.clone()))
    }

    fn user(&self, id: UserId) -> Result<Option<DirectoryUser>, PortError> {
        Ok(self.read(&id, |e| e.user.clone()))
    }

    fn administrators(&self) -> Result<Vec<DirectoryUser>, PortError> {
        let mut admins: Vec<DirectoryUser> = lock(&self.entries)
            .by_id
            .values()
            .filter(|e| e.user.admin)
            .map(|e| e.user.clone())
            .collect();
        admins.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(admins)
    }

    fn check_password(&self, id: UserId, password: SecretString) -> Result<bool, PortError> {
        Ok(self.read(&id, |e| e.password == password).unwrap_or(false))
    }

    fn set_password(&self, id: UserId, change: PasswordChange) -> Result<(), PortError> {
        if lock(&self.entries)
            .refused
            .iter()
            .any(|r| r.ct_eq(change.password.expose()))
        {
            return Err(PortError::new(
                crate::PortName::Directory,
                crate::PortErrorKind::Rejected,
                "the directory's password policy refuses this password",
            ));
        }
        self.with_user(&id, |e| {
            if e.applied_changes.insert(change.change_id.clone()) {
                e.password = change.password.clone();
                e.must_change = change.must_change;
                e.history.insert(0, change.history_hash.clone());
            }
        })
    }

    fn password_history(&self, id: UserId, limit: u32) -> Result<Vec<String>, PortError> {
        Ok(self
            .read(&id, |e| {
                e.history.iter().take(limit as usize).cloned().collect()
            })
            .unwrap_or_default())
    }

    fn unlock(&self, id: UserId) -> Result<(), PortError> {
        self.with_user(&id, |e| e.locked = false)
    }

    fn revoke_sessions(&self, id: UserId) -> Result<(), PortError> {
        self.with_user(&id, |e| e.sessions_revoked += 1)
    }
}
