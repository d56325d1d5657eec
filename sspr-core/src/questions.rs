//! Security questions: the predefined list offered at registration, beside the policy's custom
//! ones.
//!
//! A predefined question has a **stable id**, `question-01` to `question-35` (its position in
//! [`PREDEFINED`], which only ever grows at its end): records store the id, views show the id,
//! and a host shows the question in the user's language from its catalog (`sspr-text`), so an
//! answer registered today stays valid whatever language the question is shown in. A custom
//! question (policy `security_questions.custom`) is its own text. Inputs may name a predefined
//! question by its id or by its English text; records written with English texts are read
//! with ids ([`canonical`]).

/// The predefined security questions (in the style of Microsoft Entra ID's list).
pub const PREDEFINED: &[&str] = &[
    "In what city did you meet your first spouse or partner?",
    "In what city did your parents meet?",
    "In what city does your nearest sibling live?",
    "In what city was your father born?",
    "In what city was your first job?",
    "In what city was your mother born?",
    "What city were you in on New Year's 2000?",
    "What is the last name of your favourite teacher in high school?",
    "What is the name of a college you applied to but didn't attend?",
    "What is the name of the place in which you held your first wedding reception?",
    "What is your father's middle name?",
    "What is your favourite food?",
    "What is your maternal grandmother's first and last name?",
    "What is your mother's middle name?",
    "What is your oldest sibling's birthday month and year?",
    "What is your oldest sibling's middle name?",
    "What is your paternal grandfather's first and last name?",
    "What is your youngest sibling's middle name?",
    "What school did you attend for sixth grade?",
    "What was the first and last name of your childhood best friend?",
    "What was the first and last name of your first significant other?",
    "What was the last name of your favourite grade school teacher?",
    "What was the make and model of your first car or motorcycle?",
    "What was the name of the first school you attended?",
    "What was the name of the hospital in which you were born?",
    "What was the name of the street of your first childhood home?",
    "What was the name of your childhood hero?",
    "What was the name of your favourite stuffed animal?",
    "What was the name of your first pet?",
    "What was your childhood nickname?",
    "What was your favourite sport in high school?",
    "What was your first job?",
    "What were the last four digits of your childhood telephone number?",
    "When you were young, what did you want to be when you grew up?",
    "Who is the most famous person you have ever met?",
];

/// The stable id of the predefined question at `index` (0-based): `question-01`, ….
pub fn id_at(index: usize) -> String {
    format!("question-{:02}", index.saturating_add(1))
}

/// The position in [`PREDEFINED`] of a predefined question named by its id or its English
/// text, or `None` for anything else (a custom question).
pub fn index_of(question: &str) -> Option<usize> {
    if let Some(n) = question.strip_prefix("question-")
        && n.len() == 2
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        let i = n.parse::<usize>().ok()?.checked_sub(1)?;
        return (i < PREDEFINED.len()).then_some(i);
    }
    PREDEFINED.iter().position(|q| *q == question)
}

/// How a question is stored and shown: a predefined question as its id, anything else as it is.
pub fn canonical(question: &str) -> String {
    index_of(question).map_or_else(|| question.to_owned(), id_at)
}

/// The English text of a question: a predefined one's, or the custom text itself.
pub fn english(question: &str) -> &str {
    index_of(question)
        .and_then(|i| PREDEFINED.get(i).copied())
        .unwrap_or(question)
}

/// Whether `question` (an id or a text) is offered under a policy with these custom questions.
pub fn is_offered(question: &str, custom: &[String]) -> bool {
    index_of(question).is_some() || custom.iter().any(|c| c == question)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_is_distinct() {
        let set: std::collections::HashSet<_> = super::PREDEFINED.iter().collect();
        assert_eq!(set.len(), super::PREDEFINED.len());
        assert!(super::is_offered(
            "What was the name of your first pet?",
            &[]
        ));
        assert!(super::is_offered("Robot?", &["Robot?".to_owned()]));
        assert!(!super::is_offered("Robot?", &[]));
    }

    #[test]
    fn ids_are_stable_and_read_both_ways() {
        use super::*;
        assert_eq!(id_at(0), "question-01");
        assert_eq!(
            canonical("What was the name of your first pet?"),
            "question-29"
        );
        assert_eq!(canonical("question-29"), "question-29");
        assert_eq!(
            english("question-29"),
            "What was the name of your first pet?"
        );
        assert_eq!(canonical("Robot?"), "Robot?");
        for bad in [
            "question-00",
            "question-36",
            "question-1",
            "question-001",
            "question-xx",
        ] {
            assert_eq!(index_of(bad), None, "{bad}");
            assert!(!is_offered(bad, &[]));
        }
        // The list only grows at its end: these stay where they are.
        assert_eq!(PREDEFINED.len(), 35);
        assert_eq!(
            english("question-01"),
            "In what city did you meet your first spouse or partner?"
        );
        assert_eq!(
            english("question-35"),
            "Who is the most famous person you have ever met?"
        );
    }
}
