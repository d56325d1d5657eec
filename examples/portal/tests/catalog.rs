//! The portal's page text: every key in both languages, and every key the code uses exists.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sspr_portal::i18n::{message_ids, portal_source};
use sspr_text::Locale;

#[test]
fn every_key_is_in_both_languages() {
    let en = message_ids(portal_source(Locale::English));
    let de = message_ids(portal_source(Locale::German));
    assert!(en.len() > 100);
    for k in &en {
        assert!(de.contains(k), "{k} is missing in German");
    }
    for k in &de {
        assert!(en.contains(k), "{k} is missing in English");
    }
}

#[test]
fn every_key_the_pages_name_exists() {
    let en = message_ids(portal_source(Locale::English));
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = vec![];
    for entry in std::fs::read_dir(dir)
        .unwrap()
        .chain(std::fs::read_dir(format!("{dir}/pages")).unwrap())
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            files.push(std::fs::read_to_string(path).unwrap());
        }
    }
    let mut checked = 0;
    for src in files {
        for pat in [".t(\"", ".fmt(\""] {
            for (i, _) in src.match_indices(pat) {
                let rest = &src[i + pat.len()..];
                let id = &rest[..rest.find('"').unwrap()];
                if id.contains('{') || id.is_empty() {
                    continue;
                }
                assert!(
                    en.contains(&id.to_owned()),
                    "page text {id} is not in the catalog"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50);
}
