//! Reading and writing users' security info through the store, by compare-and-set.

use crate::error::{Error, PortError, PortErrorKind, PortName};
use crate::random::Entropy;
use crate::sealing;
use crate::security_info::SecurityInfo;
use crate::user::UserId;

use super::Engine;

/// The user id decoys' representative records are sealed for.
pub(crate) const DECOY_RECORD_OWNER: &str = "sspr/decoy-shape";

/// How many times a lost compare-and-set on one user's record is retried.
pub(crate) const INFO_RETRIES: usize = 16;

impl Engine {
    /// Where `user`'s record is stored: the user id, prefixed by the tenant's name when the
    /// engine serves one (`contoso/u-1`).
    fn info_key(&self, user: &UserId) -> UserId {
        match &self.options.tenant {
            Some(t) => UserId::new(format!("{t}/{}", user.as_str())),
            None => user.clone(),
        }
    }

    /// What the seal of `user`'s record is bound to: the user id, or for a tenant a binding
    /// that differs from the record's key (`contoso/u-1#tenant`), so that a user id of an
    /// engine without a tenant that spells a tenant's key (`contoso/u-1`) never has a record
    /// that opens as the tenant's user's, whatever keys the engines share.
    fn seal_binding(&self, user: &UserId) -> String {
        match &self.options.tenant {
            Some(t) => format!("{t}/{}#tenant", user.as_str()),
            None => user.as_str().to_owned(),
        }
    }

    /// The user's security info and its record version (0 and empty when none is stored).
    pub(crate) fn load_info(&self, user: &UserId) -> Result<(SecurityInfo, u64), Error> {
        match self.ports.security_info.load(self.info_key(user))? {
            Some(r) => Ok((
                self.open_info(&self.seal_binding(user), &r.data)?,
                r.version,
            )),
            None => Ok((SecurityInfo::default(), 0)),
        }
    }

    /// Opens and parses a sealed record of `user`.
    pub(crate) fn open_info(&self, user: &str, sealed: &str) -> Result<SecurityInfo, Error> {
        let opened = self.options.sealing.open(user, sealed)?;
        Ok(SecurityInfo::from_record(&opened.plaintext)?)
    }

    /// Seals `info` as the record bound to `binding`, with a fresh nonce from the randomness
    /// port.
    pub(crate) fn seal_info(&self, binding: &str, info: &SecurityInfo) -> Result<String, Error> {
        let mut nonce = [0u8; sealing::NONCE_LEN];
        Entropy::new(self.ports.randomness.as_ref()).fill(&mut nonce)?;
        let plain = zeroize::Zeroizing::new(info.to_record());
        Ok(self.options.sealing.seal(binding, &plain, nonce)?)
    }

    /// [`load_info`](Self::load_info) for a flow's step. A decoy whose identifier named no user
    /// has no record; it reads a representative one of its screen's shape instead (and gets it
    /// back, to be ignored), so that its step costs what a real user's does.
    /// `decoy_shape` is the decoy's screen shape ([`crate::decoy::shape`]), `None` for a
    /// real user.
    pub(crate) fn load_info_for(
        &self,
        owner: &UserId,
        decoy_shape: Option<usize>,
    ) -> Result<(SecurityInfo, u64), Error> {
        match self.ports.security_info.load(self.info_key(owner))? {
            Some(r) => Ok((
                self.open_info(&self.seal_binding(owner), &r.data)?,
                r.version,
            )),
            None => {
                if let Some(record) = decoy_shape.and_then(|s| self.decoy_records.get(s)) {
                    // A store hands back an owned copy: the decoy takes one too, opens it and
                    // reads it.
                    let copy = std::hint::black_box(record.clone());
                    let info = self
                        .decoy_sealing
                        .open(DECOY_RECORD_OWNER, &copy)
                        .ok()
                        .and_then(|o| SecurityInfo::from_record(&o.plaintext).ok())
                        .unwrap_or_default();
                    return Ok((std::hint::black_box(info), 0));
                }
                Ok((SecurityInfo::default(), 0))
            }
        }
    }

    /// Saves `info` by compare-and-set against `expected`.
    pub(crate) fn save_info(
        &self,
        user: &UserId,
        info: &SecurityInfo,
        expected: u64,
    ) -> Result<(), Error> {
        let sealed = self.seal_info(&self.seal_binding(user), info)?;
        Ok(self
            .ports
            .security_info
            .save(self.info_key(user), sealed, expected)?)
    }

    /// Raises the user's revocation epoch for the flow `owner`, which opened (or last went on)
    /// under `epoch`, ending every other open flow of the user. If something ended `owner`
    /// meanwhile (a report, another reset, a change from another flow), nothing is raised and
    /// the result is `None`: the step must re-run and find itself ended. By compare-and-set.
    pub(crate) fn bump_epoch_from(
        &self,
        user: &UserId,
        epoch: u64,
        owner: &str,
    ) -> Result<Option<u64>, Error> {
        for _ in 0..INFO_RETRIES {
            let (mut info, version) = self.load_info(user)?;
            if info.epoch != epoch && info.epoch_owner.as_deref() != Some(owner) {
                return Ok(None);
            }
            info.epoch = info.epoch.saturating_add(1);
            info.epoch_owner = Some(owner.to_owned());
            info.access_pass = None;
            match self.save_info(user, &info, version) {
                Ok(()) => return Ok(Some(info.epoch)),
                Err(Error::Port(e)) if e.is_conflict() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(PortError::new(
            PortName::SecurityInfoStore,
            PortErrorKind::Conflict,
            "the user's security info kept changing; try again",
        )
        .into())
    }

    /// The user's alternate email, for notices after a change that already happened: a store
    /// failure here is a warning (the notice goes to the account only).
    pub(crate) fn alternate_email(
        &self,
        user: &UserId,
        warnings: &mut Vec<PortError>,
    ) -> Option<crate::EmailAddress> {
        match self.load_info(user) {
            Ok((info, _)) => info.email,
            Err(Error::Port(e)) => {
                warnings.push(e);
                None
            }
            Err(_) => None,
        }
    }

    /// Changes `user`'s record with `change`, by compare-and-set, retrying a lost race on a
    /// fresh copy. Returns the record as saved.
    pub(crate) fn update_info(
        &self,
        user: &UserId,
        change: impl Fn(&mut SecurityInfo),
    ) -> Result<SecurityInfo, Error> {
        for _ in 0..INFO_RETRIES {
            let (mut info, version) = self.load_info(user)?;
            change(&mut info);
            match self.save_info(user, &info, version) {
                Ok(()) => return Ok(info),
                Err(Error::Port(e)) if e.is_conflict() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(PortError::new(
            PortName::SecurityInfoStore,
            PortErrorKind::Conflict,
            "the user's security info kept changing; try again",
        )
        .into())
    }

    /// Raises the user's revocation epoch, ending every open flow of the user but `owner`
    /// (the flow doing the change, if any). Returns the new epoch. Retries lost races.
    pub(crate) fn bump_epoch(&self, user: &UserId, owner: Option<&str>) -> Result<u64, Error> {
        let info = self.update_info(user, |info| {
            info.epoch = info.epoch.saturating_add(1);
            info.epoch_owner = owner.map(str::to_owned);
            // Whatever ends every flow of the user (a report, a help-desk reset, a password
            // change) ends an outstanding access pass too.
            info.access_pass = None;
        })?;
        Ok(info.epoch)
    }
}
