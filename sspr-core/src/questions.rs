//! Security questions: the predefined list offered at registration, beside the policy's custom
//! ones. A question's id is its text.

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

/// Whether `question` is offered under a policy with these custom questions.
pub fn is_offered(question: &str, custom: &[String]) -> bool {
    PREDEFINED.contains(&question) || custom.iter().any(|c| c == question)
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
}
