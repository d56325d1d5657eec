//! Demo mode: the policy and the users `--demo` seeds into an in-memory directory.

use sspr_core::engine::{Engine, SecurityInfoImport};
use sspr_core::memory::MemoryDirectory;
use sspr_core::{DirectoryUser, UserId};

/// The demo policy: every method, two verification steps, a help desk to call.
pub const POLICY: &str = r#"
[reset]
methods = ["email", "mobile_phone", "office_phone", "app_code", "app_notification", "security_questions", "recovery_codes"]
methods_required = 2
session_ttl_s = 900

[registration]
require_on_sign_in = true

[password]
min_chars = 8
banned = ["contoso", "fabrikam"]

[help_desk]
contact = "helpdesk@contoso.example"
"#;

/// A demo user.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Sign-in name.
    pub username: &'static str,
    /// Password.
    pub password: &'static str,
    /// Alternate email registered.
    pub email: Option<&'static str>,
    /// Mobile phone registered.
    pub mobile: Option<&'static str>,
    /// An administrator.
    pub admin: bool,
    /// First name.
    pub first: &'static str,
    /// Last name.
    pub last: &'static str,
}

/// Alice: an alternate email and a mobile phone, enough for two verification steps.
pub const ALICE: DemoUser = DemoUser {
    username: "alice@contoso.example",
    password: "Winter-Lantern-58",
    email: Some("alice.smith@fabrikam.example"),
    mobile: Some("+14255550100"),
    admin: false,
    first: "Alice",
    last: "Smith",
};

/// Ben: an administrator with an alternate email and a mobile phone.
pub const BEN: DemoUser = DemoUser {
    username: "ben@contoso.example",
    password: "Harbour-Quill-73",
    email: Some("ben.jones@fabrikam.example"),
    mobile: Some("+442071838750"),
    admin: true,
    first: "Ben",
    last: "Jones",
};

/// Carol: nothing registered yet, for the "keep your account secure" wizard.
pub const CAROL: DemoUser = DemoUser {
    username: "carol@contoso.example",
    password: "Meadow-Copper-41",
    email: None,
    mobile: None,
    admin: false,
    first: "Carol",
    last: "White",
};

/// Every demo user.
pub const USERS: [DemoUser; 3] = [ALICE, BEN, CAROL];

/// Adds the demo users to the directory and imports their security info.
pub fn seed(engine: &Engine, directory: &MemoryDirectory) -> Result<(), sspr_core::Error> {
    for (n, u) in USERS.iter().enumerate() {
        let id = UserId::new(format!("u-{}", n + 1));
        directory.add_user(
            DirectoryUser {
                id: id.clone(),
                username: u.username.into(),
                first_name: u.first.into(),
                last_name: u.last.into(),
                org_name: "Contoso".into(),
                groups: vec![],
                admin: u.admin,
            },
            u.password,
        );
        if u.email.is_some() || u.mobile.is_some() {
            let import = SecurityInfoImport {
                email: u.email.map(str::to_owned),
                mobile: u.mobile.map(str::to_owned),
                ..Default::default()
            };
            engine.import_security_info(&id, &import)?;
        }
    }
    Ok(())
}
