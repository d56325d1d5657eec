//! Email addresses, phone numbers and otpauth URIs from any text: parsing never panics, a parsed
//! value re-parses to itself, masks never show more than they should, and URIs parse back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sspr_core::otp::{OtpParams, SecretBytes, otpauth_uri};
use sspr_core::{EmailAddress, PhoneNumber};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = EmailAddress::parse(text) {
        assert_eq!(EmailAddress::parse(e.as_str()).expect("re-parse"), e);
        let masked = e.masked();
        assert_eq!(masked.chars().count(), e.as_str().chars().count());
        // The masked local part keeps at most two leading characters and stars the rest.
        let local = e.as_str().rsplit_once('@').map_or("", |(l, _)| l);
        let masked_local = masked.rsplit_once('@').map_or("", |(l, _)| l);
        let n = local.chars().count();
        let keep = n.saturating_sub(1).min(2);
        let want: String = local
            .chars()
            .take(keep)
            .chain(std::iter::repeat_n('*', n - keep))
            .collect();
        assert_eq!(masked_local, want);
    }
    if let Ok(p) = PhoneNumber::parse(text) {
        assert_eq!(PhoneNumber::parse(&p.e164()).expect("re-parse"), p);
        let hidden = p.masked().chars().filter(|c| *c == 'X').count();
        assert_eq!(hidden, p.e164().len() - 1 - p.country_code().len() - 2);
    }
    let (issuer, account) = text.split_once('\u{0}').unwrap_or(("Contoso", text));
    let secret = SecretBytes::new(vec![1; 20]);
    if let Ok(uri) = otpauth_uri(issuer, account, &secret, &OtpParams::default()) {
        assert!(uri.starts_with("otpauth://totp/"));
        assert!(!uri.contains(' ') && !uri.contains('\n'));
        assert!(uri.contains("secret=AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIB"));
    }
    let _ = SecretBytes::from_base32(text);
});
