//! Every id the engine can give has words in every shipped language, and nothing else is in
//! the catalogs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;
use sspr_core::Reason;
use sspr_core::password::feedback::MessageId;
use sspr_core::ports::{Channel, MessageKind};
use sspr_text::{Catalog, Locale, NOTICES, NoticeArgs, message_id};

fn source(locale: Locale) -> String {
    std::fs::read_to_string(format!(
        "{}/locales/{}/sspr.ftl",
        env!("CARGO_MANIFEST_DIR"),
        locale.tag()
    ))
    .unwrap()
}

/// Every message id a catalog must hold.
fn expected_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    ids.extend(Reason::ALL.iter().map(|r| message_id("reason", r.id())));
    ids.extend(
        MessageId::ALL
            .iter()
            .map(|m| message_id("feedback", m.id())),
    );
    ids.extend((1..=sspr_core::questions::PREDEFINED.len()).map(|i| format!("question-{i:02}")));
    for (kind, channel) in NOTICES {
        let base = format!("notice-{}-{}", kind.id().replace('_', "-"), channel.id());
        if channel == Channel::Email {
            ids.insert(format!("{base}-subject"));
            ids.insert(format!("{base}-body"));
        } else {
            ids.insert(base);
        }
    }
    ids
}

#[test]
fn every_catalog_parses_and_holds_exactly_the_expected_ids() {
    for locale in Locale::ALL {
        let resource = FluentResource::try_new(source(locale))
            .unwrap_or_else(|(_, e)| panic!("{}: {e:?}", locale.tag()));
        let ids: BTreeSet<String> = resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        let expected = expected_ids();
        let missing: Vec<_> = expected.difference(&ids).collect();
        let stale: Vec<_> = ids.difference(&expected).collect();
        assert!(
            missing.is_empty(),
            "{}: no text for {missing:?}",
            locale.tag()
        );
        assert!(
            stale.is_empty(),
            "{}: ids nothing uses: {stale:?}",
            locale.tag()
        );
        let mut bundle = FluentBundle::new_concurrent(vec![locale.tag().parse().unwrap()]);
        bundle
            .add_resource(resource)
            .unwrap_or_else(|e| panic!("{}: duplicate ids {e:?}", locale.tag()));
    }
}

#[test]
fn every_id_formats_in_every_language() {
    let args = NoticeArgs {
        org: "Contoso".into(),
        code: Some("48151623".into()),
        minutes: Some(5),
        number: Some(42),
    };
    for locale in Locale::ALL {
        let c = Catalog::new(locale);
        for r in Reason::ALL {
            let text = c.reason(*r);
            assert!(
                !text.is_empty() && text != r.id(),
                "{}: {}",
                locale.tag(),
                r.id()
            );
        }
        for m in MessageId::ALL {
            let id = message_id("feedback", m.id());
            assert!(c.message(&id, None).is_some(), "{}: {id}", locale.tag());
        }
        for i in 0..sspr_core::questions::PREDEFINED.len() {
            assert!(
                c.predefined_question(i).is_some(),
                "{}: question {i}",
                locale.tag()
            );
        }
        assert!(
            c.predefined_question(sspr_core::questions::PREDEFINED.len())
                .is_none()
        );
        for (kind, channel) in NOTICES {
            let n = c
                .notice(kind, channel, &args)
                .unwrap_or_else(|| panic!("{}: {kind:?} by {channel:?}", locale.tag()));
            assert_eq!(n.subject.is_some(), channel == Channel::Email);
            let all = format!("{} {}", n.subject.unwrap_or_default(), n.text);
            assert!(all.contains("Contoso"), "{}: {all}", locale.tag());
            assert!(
                !all.contains('{') && !all.contains('$'),
                "{}: {all}",
                locale.tag()
            );
            if kind == MessageKind::Code {
                // A call reads it one character at a time.
                let digits: String = all.chars().filter(char::is_ascii_digit).collect();
                assert!(digits.contains("48151623"), "{}: {all}", locale.tag());
            }
            if kind == MessageKind::ApprovalRequest {
                assert!(all.contains("42"), "{}: {all}", locale.tag());
            }
        }
        assert!(c.notice(MessageKind::Code, Channel::Push, &args).is_none());
    }
}

#[test]
fn english_questions_are_the_predefined_ones_and_german_is_a_translation() {
    let en = Catalog::new(Locale::English);
    let de = Catalog::new(Locale::German);
    for (i, q) in sspr_core::questions::PREDEFINED.iter().enumerate() {
        assert_eq!(en.predefined_question(i).as_deref(), Some(*q));
        assert_eq!(de.question(q), de.predefined_question(i).unwrap());
        assert_ne!(de.question(q), *q, "untranslated: {q}");
        // Views name it by its stable id: the same words either way.
        let id = sspr_core::questions::id_at(i);
        assert_eq!(de.question(&id), de.question(q));
        assert_eq!(en.question(&id), *q);
    }
    assert_eq!(
        de.question("Name of your first robot?"),
        "Name of your first robot?"
    );
    for id in expected_ids() {
        let (e, d) = (en.message(&id, None), de.message(&id, None));
        // Notices need their arguments; the rest must differ word for word.
        if !id.starts_with("notice-") {
            assert_ne!(e, d, "German copies English for {id}");
        }
    }
    assert_eq!(
        en.reason(Reason::CodeMismatch),
        "That code didn't work. Check the code and try again."
    );
}

#[test]
fn tags_choose_a_shipped_locale_or_english() {
    assert_eq!(Locale::from_tag("de"), Some(Locale::German));
    assert_eq!(Locale::from_tag("de-AT"), Some(Locale::German));
    assert_eq!(Locale::from_tag(" en-GB "), Some(Locale::English));
    assert_eq!(Locale::from_tag("fr"), None);
    assert_eq!(Locale::from_tag("not a tag!"), None);
    assert_eq!(Catalog::for_tag("nl").locale(), Locale::English);
    assert_eq!(Catalog::for_tag("DE").locale(), Locale::German);
}

#[test]
fn ids_as_strings_reach_the_same_words() {
    let c = Catalog::new(Locale::German);
    assert_eq!(
        c.reason_by_id("code.mismatch"),
        Some(c.reason(Reason::CodeMismatch))
    );
    assert_eq!(c.reason_by_id("code.nope"), None);
    assert_eq!(
        c.feedback_by_id("strength.warning.dates"),
        Some(c.feedback(MessageId::Dates))
    );
    assert_eq!(c.feedback_by_id("nope"), None);
    let args = NoticeArgs {
        org: "Contoso".into(),
        code: Some("123456".into()),
        ..Default::default()
    };
    assert_eq!(
        c.notice_by_id("code", "sms", &args),
        c.notice(MessageKind::Code, Channel::Sms, &args)
    );
    assert_eq!(c.notice_by_id("code", "fax", &args), None);
    for k in MessageKind::ALL {
        assert_eq!(MessageKind::from_id(k.id()), Some(k));
    }
    for ch in Channel::ALL {
        assert_eq!(Channel::from_id(ch.id()), Some(ch));
    }
}

#[test]
fn a_call_reads_the_code_one_character_at_a_time_and_a_text_shows_it_whole() {
    let args = NoticeArgs {
        org: "Contoso".into(),
        code: Some("48151623".into()),
        minutes: Some(5),
        number: None,
    };
    for locale in Locale::ALL {
        let c = Catalog::new(locale);
        let call = c.notice(MessageKind::Code, Channel::Voice, &args).unwrap();
        assert!(
            call.text.contains("4, 8, 1, 5, 1, 6, 2, 3"),
            "{}",
            call.text
        );
        assert!(!call.text.contains("48151623"), "{}", call.text);
        let text = c.notice(MessageKind::Code, Channel::Sms, &args).unwrap();
        assert!(text.text.contains("48151623"), "{}", text.text);
    }
    // The code never shows in the arguments' Debug.
    assert!(!format!("{args:?}").contains("48151623"));
}
