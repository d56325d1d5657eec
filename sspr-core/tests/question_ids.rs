//! Predefined security questions have stable ids (`question-01` …): records store them, views
//! show them, hosts translate them; records written with English texts still work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::world;
use sspr_core::engine::SecurityInfoImport;
use sspr_core::ports::SecurityInfoStore;
use sspr_core::reset::ResetInput;
use sspr_core::testing::fixtures::{self, ALICE};
use sspr_core::{Policy, Reason, ResetOption, SecretString};

const QUESTIONS: &str = r#"{"reset": {"methods": ["email", "security_questions"]}}"#;

const ANSWERS: [(&str, &str); 3] = [
    ("What was the name of your first pet?", "Rex"),
    ("question-12", "lasagne"),
    ("In what city was your first job?", "Leeds"),
];

/// Alice with an alternate email and the three answers, named by text and by id.
fn import_alice(w: &common::World) {
    let import = SecurityInfoImport {
        email: Some("alice.smith@fabrikam.example".into()),
        questions: ANSWERS
            .iter()
            .map(|(q, a)| ((*q).to_owned(), SecretString::new(*a)))
            .collect(),
        ..Default::default()
    };
    w.engine
        .import_security_info(&ALICE.user_id(), &import)
        .unwrap();
}

fn stored_questions(w: &common::World) -> Vec<String> {
    let record = w.mem.security_info.load(ALICE.user_id()).unwrap().unwrap();
    fixtures::opened(&ALICE.user_id(), &record.data)
        .questions
        .iter()
        .map(|q| q.question.clone())
        .collect()
}

fn answer_all(w: &common::World, by_text: bool) -> sspr_core::engine::ResetOutcome {
    let id = w.start(ALICE.username);
    let v = w
        .step(&id, ResetInput::Choose(ResetOption::SecurityQuestions))
        .view
        .unwrap();
    assert!(
        v.questions.iter().all(|q| q.starts_with("question-")),
        "{:?}",
        v.questions
    );
    let given: BTreeMap<String, SecretString> = v
        .questions
        .iter()
        .map(|q| {
            let text = sspr_core::questions::english(q);
            let answer = ANSWERS
                .iter()
                .find(|(k, _)| sspr_core::questions::english(k) == text)
                .map(|(_, a)| *a)
                .unwrap();
            let key = if by_text { text.to_owned() } else { q.clone() };
            (key, SecretString::new(answer))
        })
        .collect();
    w.step(&id, ResetInput::Answer(given))
}

#[test]
fn questions_are_stored_and_shown_by_id_and_answered_by_id_or_text() {
    let w = world(QUESTIONS);
    import_alice(&w);
    let mut stored = stored_questions(&w);
    stored.sort();
    assert_eq!(stored, ["question-05", "question-12", "question-29"]);
    assert_eq!(answer_all(&w, false).view.unwrap().state, "new_password");
    assert_eq!(answer_all(&w, true).view.unwrap().state, "new_password");
}

#[test]
fn a_record_with_english_texts_keeps_its_answers() {
    let w = world(QUESTIONS);
    import_alice(&w);
    // Written by a release before stable ids: the questions as English text.
    let record = w.mem.security_info.load(ALICE.user_id()).unwrap().unwrap();
    let mut old = fixtures::opened(&ALICE.user_id(), &record.data);
    for q in &mut old.questions {
        q.question = sspr_core::questions::english(&q.question).to_owned();
    }
    assert!(old.to_record().contains("first pet"));
    fixtures::overwrite_info(w.mem.security_info.as_ref(), &ALICE.user_id(), &old);
    // Read by id, answered as before.
    assert_eq!(answer_all(&w, false).view.unwrap().state, "new_password");
    let o = answer_all(&w, true);
    assert_eq!(o.view.unwrap().state, "new_password");
}

#[test]
fn a_wrong_answer_is_still_wrong_whatever_the_key() {
    let w = world(QUESTIONS);
    import_alice(&w);
    let id = w.start(ALICE.username);
    let v = w
        .step(&id, ResetInput::Choose(ResetOption::SecurityQuestions))
        .view
        .unwrap();
    let given = v
        .questions
        .iter()
        .map(|q| (q.clone(), SecretString::new("not it")))
        .collect();
    assert_eq!(
        w.step(&id, ResetInput::Answer(given)).rejection,
        Some(Reason::AnswersWrong)
    );
}

#[test]
fn decoys_show_ids_too_and_custom_questions_may_not_take_one() {
    let w = world(QUESTIONS);
    for i in 0..20 {
        let id = w.start(&format!("nobody{i}@contoso.example"));
        let v = w.engine.reset_view_of(&id).unwrap();
        if v.options
            .iter()
            .any(|o| o.option == ResetOption::SecurityQuestions)
        {
            let v = w
                .step(&id, ResetInput::Choose(ResetOption::SecurityQuestions))
                .view
                .unwrap();
            assert!(v.questions.iter().all(|q| q.starts_with("question-")));
        }
    }
    let err = Policy::parse(r#"{"security_questions": {"custom": ["question-05"]}}"#).unwrap_err();
    assert!(
        err.to_string().contains("security_questions.custom"),
        "{err}"
    );
    assert!(Policy::parse(r#"{"security_questions": {"custom": ["question-99?"]}}"#).is_ok());
}
