//! The engine's keys: a code key and the identity key, read from a key file in the data
//! directory (`keys.json`, created with random keys on first start, mode 0600). A production
//! deployment passes its own with `--keys FILE` from its secret store, and keeps it out of
//! backups of the data; losing the identity key invalidates every stored reference.

use std::path::Path;

use sspr_core::ports::Randomness;
use sspr_core::{IdentityKey, KeyRing};

/// The keys, as loaded.
pub struct Keys {
    /// Code keys (newest first).
    pub codes: KeyRing,
    /// The identity key.
    pub identity: IdentityKey,
    /// The secret the CAPTCHA's sealing key is derived from (the code key; the CAPTCHA
    /// derives its own key from it under a label of its own).
    pub captcha_secret: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

/// Reads the key file, creating it with fresh random keys when absent.
pub fn load_or_create(path: &Path) -> Result<Keys, Box<dyn std::error::Error + Send + Sync>> {
    let hex = data_encoding::HEXLOWER;
    let (code, identity) = if path.exists() {
        let text = std::fs::read_to_string(path)?;
        let field = |name: &str| -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
            let line = text
                .lines()
                .find_map(|l| l.trim().strip_prefix(&format!("{name}=")))
                .ok_or_else(|| format!("{name} missing in the key file"))?;
            Ok(hex.decode(line.trim().as_bytes())?)
        };
        (field("code_key")?, field("identity_key")?)
    } else {
        let os = sspr_core::memory::OsRandomness;
        let (code, identity) = (os.bytes(32)?, os.bytes(32)?);
        let text = format!(
            "# sspr-portal keys: secret. Production passes its own (--keys).\ncode_key={}\nidentity_key={}\n",
            hex.encode(&code),
            hex.encode(&identity)
        );
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        std::io::Write::write_all(&mut open.open(path)?, text.as_bytes())?;
        (code, identity)
    };
    Ok(Keys {
        captcha_secret: code.clone(),
        codes: KeyRing::single("k1", code)?,
        identity: IdentityKey::new(identity)?,
    })
}
