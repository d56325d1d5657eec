//! Engine options from plain values: what a binding receives from its language (keys as id
//! and bytes, costs and limits as numbers) turned into checked [`EngineOptions`] in one place,
//! so that every binding builds an engine the same way.

use std::fmt;

use crate::decoy::DecoyProfile;
use crate::error::MisuseError;
use crate::hashing::HashParams;
use crate::keyring::{IdentityKey, KeyRing};
use crate::password::BreachMode;
use crate::policy::Limit;
use crate::sealing::SealingKeys;

use super::options::{CountryBudget, EngineOptions};

/// Host settings as plain values. `Default` gives OWASP hashing, failing open on breach-service
/// errors, no client or country limits and the default decoy profile; the keys and issuer must
/// be filled in. `Debug` never shows a key.
#[derive(Clone, Default)]
pub struct EngineSettings {
    /// Code-sealing keys as `(id, bytes)`, the newest (signing) key first: at least 32 random
    /// bytes each, secret, stable across restarts.
    pub keys: Vec<(String, Vec<u8>)>,
    /// The key for stored references (counter keys, flow-store keys, decoy screens): at least
    /// 32 random bytes, secret, never rotated.
    pub identity_key: Vec<u8>,
    /// The issuer authenticator apps show.
    pub issuer: String,
    /// Keys sealing security info at rest, the newest first. Empty: a key derived from the
    /// identity key. Records sealed with the derived key stay readable and are resealed with
    /// the newest key on their next save.
    pub sealing_keys: Vec<(String, Vec<u8>)>,
    /// Argon2id cost for answers and password history.
    pub hash_params: HashParams,
    /// Refuse new passwords while the breach service is down (instead of accepting them).
    pub breach_fail_closed: bool,
    /// Failures allowed per client address (the `client` argument of a reset), if any.
    pub client_limit: Option<Limit>,
    /// Texts and calls allowed per country calling code, if any.
    pub country_budget: Option<CountryBudget>,
    /// What the host's users look like, so that decoy screens look like them too.
    pub decoys: DecoyProfile,
    /// The tenant this engine serves when several share one set of stores
    /// ([`EngineOptions::tenant`]).
    pub tenant: Option<String>,
}

impl EngineSettings {
    /// The checked options: refuses short or duplicate keys, bad key ids, argon2 costs out of
    /// range, limits with zero windows or above their ceilings, a bad decoy profile or issuer.
    pub fn into_options(self) -> Result<EngineOptions, MisuseError> {
        let keys = KeyRing::new(self.keys)?;
        let identity = IdentityKey::new(self.identity_key)?;
        let mut options = EngineOptions::new(keys, identity, self.issuer);
        if !self.sealing_keys.is_empty() {
            options.sealing =
                SealingKeys::new(self.sealing_keys)?.with_derived(&options.identity)?;
        }
        options.hash_params = self.hash_params;
        options.tenant = self.tenant;
        options.breach_mode = if self.breach_fail_closed {
            BreachMode::FailClosed
        } else {
            BreachMode::FailOpen
        };
        options.client_limit = self.client_limit;
        options.country_budget = self.country_budget;
        options.decoys = self.decoys;
        options.validate()?;
        Ok(options)
    }
}

impl fmt::Debug for EngineSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids =
            |keys: &[(String, Vec<u8>)]| keys.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
        f.debug_struct("EngineSettings")
            .field("keys", &ids(&self.keys))
            .field("sealing_keys", &ids(&self.sealing_keys))
            .field("issuer", &self.issuer)
            .field("hash_params", &self.hash_params)
            .field("breach_fail_closed", &self.breach_fail_closed)
            .field("client_limit", &self.client_limit)
            .field("country_budget", &self.country_budget)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> EngineSettings {
        EngineSettings {
            keys: vec![("k1".into(), vec![1; 32])],
            identity_key: vec![2; 32],
            issuer: "Contoso".into(),
            ..EngineSettings::default()
        }
    }

    #[test]
    fn plain_values_become_checked_options() {
        let mut s = settings();
        s.breach_fail_closed = true;
        s.client_limit = Some(Limit::new(5, 60, 60));
        s.sealing_keys = vec![("s1".into(), vec![3; 32])];
        let o = s.into_options().unwrap();
        assert_eq!(o.breach_mode, BreachMode::FailClosed);
        assert_eq!(o.client_limit, Some(Limit::new(5, 60, 60)));
        assert_eq!(o.issuer, "Contoso");
    }

    #[test]
    fn each_bad_value_is_a_misuse_error_naming_it() {
        let mut short = settings();
        short.keys = vec![("k1".into(), vec![1; 8])];
        assert!(short.into_options().is_err());
        let mut identity = settings();
        identity.identity_key = vec![1; 4];
        assert!(identity.into_options().is_err());
        let mut issuer = settings();
        issuer.issuer = "a:b".into();
        assert!(matches!(
            issuer.into_options(),
            Err(MisuseError::InvalidArgument { name: "issuer", .. })
        ));
        let mut limit = settings();
        limit.client_limit = Some(Limit::new(0, 60, 60));
        assert!(matches!(
            limit.into_options(),
            Err(MisuseError::InvalidArgument {
                name: "client_limit",
                ..
            })
        ));
    }

    #[test]
    fn debug_names_key_ids_never_key_bytes() {
        let mut s = settings();
        s.keys = vec![("k1".into(), b"0123456789abcdef0123456789abcdef".to_vec())];
        let shown = format!("{s:?}");
        assert!(shown.contains("k1"));
        assert!(!shown.contains("0123456789abcdef"));
        assert!(!shown.contains("48, 49"));
    }
}
