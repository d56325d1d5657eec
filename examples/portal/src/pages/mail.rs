//! A message in the catalog's words (what the SMTP worker sends and the dev mailbox shows).

use sspr_core::ports::Message;
use sspr_text::{NoticeArgs, NoticeText};

use crate::i18n::Texts;

/// The subject and text of `message` in `texts`' language.
pub fn words(texts: &Texts, org: &str, minutes: u64, message: &Message) -> Option<NoticeText> {
    let args = NoticeArgs {
        org: org.to_owned(),
        code: message.code.as_ref().map(|c| c.expose().to_owned()),
        minutes: Some(minutes),
        number: message.approval.as_ref().map(|a| a.number),
    };
    texts.sspr.notice(message.kind, message.channel, &args)
}
