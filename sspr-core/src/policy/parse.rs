//! Parsing and validation of the policy document, with the dotted path of every error.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Limit, Policy, Scope};
use crate::method::Method;

/// A policy document is invalid. `field` is the dotted path of the offending field
/// (`reset.methods_required`; an unknown field's own path; empty for the document itself) and
/// `message` says what is allowed there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", if field.is_empty() { "policy document" } else { field.as_str() })]
pub struct PolicyError {
    /// Dotted path of the field.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl PolicyError {
    fn at(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub(super) fn syntax(message: String) -> Self {
        Self {
            field: String::new(),
            message,
        }
    }
}

type R<T> = Result<T, PolicyError>;

/// A JSON object being read, with its path and the keys it may hold.
struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, path: String, known: &[&str]) -> R<Self> {
        let Some(map) = value.as_object() else {
            let what = if path.is_empty() {
                "the document"
            } else {
                "this field"
            };
            return Err(PolicyError::at(
                &path,
                format!("{what} must be a table (object)"),
            ));
        };
        let obj = Self { path, map };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(PolicyError::at(
                &obj.child(unknown),
                format!("unknown field; allowed here: {}", known.join(", ")),
            ));
        }
        Ok(obj)
    }

    fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<(&'a Value, String)> {
        self.map.get(key).map(|v| (v, self.child(key)))
    }

    fn section(&self, key: &str, known: &[&str]) -> R<Option<Self>> {
        self.get(key)
            .map(|(v, path)| Obj::new(v, path, known))
            .transpose()
    }

    fn uint(&self, key: &str, min: u64, max: u64, into: &mut u64) -> R<()> {
        if let Some((v, path)) = self.get(key) {
            *into = uint(v, &path, min, max)?;
        }
        Ok(())
    }

    fn small<T: TryFrom<u64>>(&self, key: &str, min: u64, max: u64, into: &mut T) -> R<()> {
        if let Some((v, path)) = self.get(key) {
            let n = uint(v, &path, min, max)?;
            *into = T::try_from(n).map_err(|_| range_error(&path, min, max))?;
        }
        Ok(())
    }

    fn boolean(&self, key: &str, into: &mut bool) -> R<()> {
        if let Some((v, path)) = self.get(key) {
            *into = v
                .as_bool()
                .ok_or_else(|| PolicyError::at(&path, "must be true or false"))?;
        }
        Ok(())
    }

    fn strings(&self, key: &str) -> R<Option<(Vec<&'a str>, String)>> {
        let Some((v, path)) = self.get(key) else {
            return Ok(None);
        };
        let arr = v
            .as_array()
            .ok_or_else(|| PolicyError::at(&path, "must be a list of strings"))?;
        let mut out = Vec::with_capacity(arr.len());
        for (i, item) in arr.iter().enumerate() {
            out.push(
                item.as_str()
                    .ok_or_else(|| PolicyError::at(&path, format!("item {i} must be a string")))?,
            );
        }
        Ok(Some((out, path)))
    }
}

fn range_error(path: &str, min: u64, max: u64) -> PolicyError {
    PolicyError::at(path, format!("must be a whole number from {min} to {max}"))
}

fn uint(v: &Value, path: &str, min: u64, max: u64) -> R<u64> {
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(range_error(path, min, max)),
    }
}

const ROOT: &[&str] = &[
    "reset",
    "registration",
    "security_questions",
    "codes",
    "totp",
    "notifications",
    "limits",
    "password",
    "help_desk",
    "password_change",
];
const RESET: &[&str] = &[
    "enabled_for",
    "methods",
    "methods_required",
    "session_ttl_s",
    "unlock_without_reset",
    "disclose_account_state",
    "unlock_on_reset",
    "allow_administrators",
    "confirm_phone_number",
];
const LIMIT: &[&str] = &["max", "window_s", "block_s"];
const DAY: u64 = 86_400;

pub(super) fn policy(value: &Value) -> R<Policy> {
    let root = Obj::new(value, String::new(), ROOT)?;
    let mut p = Policy::default();

    if let Some(s) = root.section("reset", RESET)? {
        let r = &mut p.reset;
        if let Some((v, path)) = s.get("enabled_for") {
            r.enabled_for = scope(v, path)?;
        }
        if let Some((names, path)) = s.strings("methods")? {
            r.methods = methods(&names, &path)?;
        }
        s.small("methods_required", 1, 2, &mut r.methods_required)?;
        s.uint("session_ttl_s", 1, 7 * DAY, &mut r.session_ttl_s)?;
        s.boolean("unlock_without_reset", &mut r.unlock_without_reset)?;
        s.boolean("disclose_account_state", &mut r.disclose_account_state)?;
        s.boolean("unlock_on_reset", &mut r.unlock_on_reset)?;
        s.boolean("allow_administrators", &mut r.allow_administrators)?;
        s.boolean("confirm_phone_number", &mut r.confirm_phone_number)?;
        let ways_in = r.methods.iter().filter(|m| !m.is_app()).count();
        if ways_in < usize::from(r.methods_required) {
            return Err(PolicyError::at(
                "reset.methods",
                format!(
                    "the authenticator app may not be the only way in: enable at least {} \
                     method(s) besides app_code and app_notification",
                    r.methods_required
                ),
            ));
        }
    }

    if let Some(s) = root.section(
        "registration",
        &[
            "require_on_sign_in",
            "reconfirm_days",
            "snooze_days",
            "snoozes",
        ],
    )? {
        let r = &mut p.registration;
        s.boolean("require_on_sign_in", &mut r.require_on_sign_in)?;
        s.small("reconfirm_days", 0, 730, &mut r.reconfirm_days)?;
        s.small("snooze_days", 0, 14, &mut r.snooze_days)?;
        s.small("snoozes", 0, 100, &mut r.snoozes)?;
    }

    if let Some(s) = root.section("security_questions", &["to_register", "to_reset", "custom"])? {
        let q = &mut p.security_questions;
        s.small("to_register", 3, 5, &mut q.to_register)?;
        s.small("to_reset", 3, 5, &mut q.to_reset)?;
        if q.to_reset > q.to_register {
            return Err(PolicyError::at(
                "security_questions.to_reset",
                format!(
                    "must be from 3 to to_register ({}): a reset cannot ask more questions than were registered",
                    q.to_register
                ),
            ));
        }
        if let Some((list, path)) = s.strings("custom")? {
            q.custom = distinct_texts(&list, &path, 20, 3, 200, "questions")?;
            if q.custom
                .iter()
                .any(|c| c.starts_with("question-") && crate::questions::index_of(c).is_some())
            {
                return Err(PolicyError::at(
                    &path,
                    "a custom question may not be a predefined question's id (question-01 to \
                     question-35)",
                ));
            }
        }
    }

    if let Some(s) = root.section("codes", &["digits", "ttl_s", "max_attempts"])? {
        let c = &mut p.codes;
        s.small("digits", 6, 10, &mut c.digits)?;
        s.uint("ttl_s", 60, 900, &mut c.ttl_s)?;
        s.small("max_attempts", 1, 10, &mut c.max_attempts)?;
    }

    if let Some(s) = root.section("totp", &["skew_steps"])? {
        s.small("skew_steps", 0, 10, &mut p.totp.skew_steps)?;
    }

    if let Some(s) = root.section("notifications", &["user_on_reset", "admins_on_admin_reset"])? {
        s.boolean("user_on_reset", &mut p.notifications.user_on_reset)?;
        s.boolean(
            "admins_on_admin_reset",
            &mut p.notifications.admins_on_admin_reset,
        )?;
    }

    if let Some(s) = root.section(
        "limits",
        &[
            "verify_failures",
            "phone_sends",
            "email_sends",
            "resend_cooldown_s",
            "consecutive_failures",
        ],
    )? {
        let l = &mut p.limits;
        for (key, limit) in [
            ("verify_failures", &mut l.verify_failures),
            ("phone_sends", &mut l.phone_sends),
            ("email_sends", &mut l.email_sends),
        ] {
            if let Some(o) = s.section(key, LIMIT)? {
                read_limit(&o, limit)?;
            }
        }
        s.uint("resend_cooldown_s", 0, DAY, &mut l.resend_cooldown_s)?;
        s.small("consecutive_failures", 1, 1000, &mut l.consecutive_failures)?;
    }

    if let Some(s) = root.section(
        "password",
        &[
            "min_chars",
            "max_chars",
            "min_classes",
            "banned",
            "global_banned_list",
            "min_banned_score",
            "user_info",
            "min_guesses_log10",
            "history",
            "breached",
        ],
    )? {
        let w = &mut p.password;
        s.small("min_chars", 8, 256, &mut w.min_chars)?;
        s.small("max_chars", 8, 256, &mut w.max_chars)?;
        if w.max_chars < w.min_chars {
            return Err(PolicyError::at(
                "password.max_chars",
                format!("must be from min_chars ({}) to 256", w.min_chars),
            ));
        }
        s.small("min_classes", 0, 4, &mut w.min_classes)?;
        if let Some((list, path)) = s.strings("banned")? {
            w.banned = banned_terms(&list, &path)?;
        }
        s.boolean("global_banned_list", &mut w.global_banned_list)?;
        s.small("min_banned_score", 0, 256, &mut w.min_banned_score)?;
        s.boolean("user_info", &mut w.user_info)?;
        if let Some((v, path)) = s.get("min_guesses_log10") {
            w.min_guesses_log10 = match v.as_f64() {
                Some(x) if (0.0..=20.0).contains(&x) => x,
                _ => return Err(PolicyError::at(&path, "must be a number from 0 to 20")),
            };
        }
        s.small("history", 0, 24, &mut w.history)?;
        s.boolean("breached", &mut w.breached)?;
    }

    if let Some(s) = root.section("help_desk", &["contact"])?
        && let Some((v, path)) = s.get("contact")
    {
        p.help_desk.contact = help_desk_contact(v, &path)?;
    }

    if let Some(s) = root.section("password_change", &["revoke_sessions"])? {
        s.boolean("revoke_sessions", &mut p.password_change.revoke_sessions)?;
    }

    let odds = p.guessing_odds().per_year;
    let worst = odds.delivered_code.max(odds.app_code);
    if worst > super::GUESS_CEILING_PER_YEAR {
        return Err(PolicyError::at(
            "limits.consecutive_failures",
            format!(
                "lets an attacker guess one user's code with a chance of {worst:.2e} a year, \
                 above the ceiling of {:.0e}: lower consecutive_failures (or totp.skew_steps)",
                super::GUESS_CEILING_PER_YEAR
            ),
        ));
    }
    Ok(p)
}

fn scope(v: &Value, path: String) -> R<Scope> {
    const ALLOWED: &str = "must be \"all\", \"none\" or {\"groups\": [names]}";
    match v {
        Value::String(s) if s == "all" => Ok(Scope::All),
        Value::String(s) if s == "none" => Ok(Scope::None),
        Value::Object(_) => {
            let o = Obj::new(v, path, &["groups"])?;
            let Some((names, gpath)) = o.strings("groups")? else {
                return Err(PolicyError::at(
                    &o.child("groups"),
                    "is required: a list of group names",
                ));
            };
            if names.is_empty() {
                return Err(PolicyError::at(&gpath, "must name at least one group"));
            }
            Ok(Scope::Groups(distinct_texts(
                &names, &gpath, 1000, 1, 256, "groups",
            )?))
        }
        _ => Err(PolicyError::at(&path, ALLOWED)),
    }
}

fn methods(names: &[&str], path: &str) -> R<Vec<Method>> {
    if names.is_empty() {
        return Err(PolicyError::at(path, "must enable at least one method"));
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let m: Method = name.parse().map_err(|_| {
            let allowed: Vec<&str> = Method::ALL.iter().map(|m| m.id()).collect();
            PolicyError::at(
                path,
                format!("unknown method; allowed: {}", allowed.join(", ")),
            )
        })?;
        if out.contains(&m) {
            return Err(PolicyError::at(path, format!("lists {m} more than once")));
        }
        out.push(m);
    }
    Ok(out)
}

fn read_limit(o: &Obj<'_>, limit: &mut Limit) -> R<()> {
    o.small("max", 1, 1000, &mut limit.max)?;
    o.uint("window_s", 1, 30 * DAY, &mut limit.window_s)?;
    o.uint("block_s", 1, 30 * DAY, &mut limit.block_s)
}

/// A list of distinct non-blank texts of bounded length, trimmed.
fn distinct_texts(
    list: &[&str],
    path: &str,
    max_items: usize,
    min: usize,
    max: usize,
    what: &str,
) -> R<Vec<String>> {
    if list.len() > max_items {
        return Err(PolicyError::at(
            path,
            format!("at most {max_items} {what} are allowed"),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let t = item.trim();
        let n = t.chars().count();
        if !(min..=max).contains(&n) {
            return Err(PolicyError::at(
                path,
                format!("item {i} must have {min} to {max} characters"),
            ));
        }
        if !seen.insert(t.to_lowercase()) {
            return Err(PolicyError::at(
                path,
                format!("item {i} repeats an earlier item"),
            ));
        }
        out.push(t.to_owned());
    }
    Ok(out)
}

/// Banned terms: at most 1000, each 4 to 16 characters; stored trimmed and lower-cased,
/// duplicates merged (the banned list is a set).
fn banned_terms(list: &[&str], path: &str) -> R<Vec<String>> {
    if list.len() > 1000 {
        return Err(PolicyError::at(path, "at most 1000 terms are allowed"));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let t = item.trim().to_lowercase();
        if !(4..=16).contains(&t.chars().count()) {
            return Err(PolicyError::at(
                path,
                format!("term {i} must have 4 to 16 characters"),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// A help-desk contact: an email address or an `https://` URL, at most 200 characters, no
/// control characters; empty for none.
fn help_desk_contact(v: &Value, path: &str) -> R<String> {
    const WHAT: &str = "must be an email address or an https:// URL of at most 200 characters";
    let s = v
        .as_str()
        .ok_or_else(|| PolicyError::at(path, WHAT))?
        .trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let is_url = s.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace)
    });
    let is_email = !s.contains("://") && crate::EmailAddress::parse(s).is_ok();
    if s.chars().count() > 200 || s.chars().any(char::is_control) || !(is_url || is_email) {
        return Err(PolicyError::at(path, WHAT));
    }
    Ok(s.to_owned())
}
