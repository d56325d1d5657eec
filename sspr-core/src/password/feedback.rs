//! Password feedback as stable message ids, with an English catalog a host can replace.
//!
//! Hosts show feedback by looking up the id in their own translations; [`english`] is the
//! default text. Ids never change spelling.

use serde::{Deserialize, Serialize};

macro_rules! messages {
    ($( $(#[$doc:meta])* $variant:ident => $id:literal, $text:literal; )*) => {
        /// A feedback message id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum MessageId {
            $( $(#[$doc])* #[serde(rename = $id)] $variant, )*
        }

        impl MessageId {
            /// Every message id.
            pub const ALL: &'static [MessageId] = &[ $( MessageId::$variant, )* ];

            /// The stable id, for example `strength.warning.common_password`.
            pub const fn id(self) -> &'static str {
                match self { $( MessageId::$variant => $id, )* }
            }
        }

        /// The default English text of a message.
        pub const fn english(id: MessageId) -> &'static str {
            match id { $( MessageId::$variant => $text, )* }
        }
    };
}

messages! {
    /// Warning: a straight row of keys.
    StraightRows => "strength.warning.straight_rows", "Straight rows of keys are easy to guess.";
    /// Warning: a short keyboard pattern.
    ShortKeyboardPatterns => "strength.warning.short_keyboard_patterns", "Short keyboard patterns are easy to guess.";
    /// Warning: repeated characters.
    RepeatedCharacters => "strength.warning.repeated_characters", "Repeats like \"aaa\" are easy to guess.";
    /// Warning: a repeated group of characters.
    RepeatedGroups => "strength.warning.repeated_groups", "Repeats like \"abcabcabc\" are only slightly harder to guess than \"abc\".";
    /// Warning: one of the ten most common passwords.
    Top10Password => "strength.warning.top10_password", "This is a top-10 common password.";
    /// Warning: one of the hundred most common passwords.
    Top100Password => "strength.warning.top100_password", "This is a top-100 common password.";
    /// Warning: a very common password.
    CommonPassword => "strength.warning.common_password", "This is a very common password.";
    /// Warning: close to a common password.
    SimilarToCommonPassword => "strength.warning.similar_to_common_password", "This is similar to a commonly used password.";
    /// Warning: a sequence like abc or 6543.
    Sequences => "strength.warning.sequences", "Sequences like abc or 6543 are easy to guess.";
    /// Warning: a recent year.
    RecentYears => "strength.warning.recent_years", "Recent years are easy to guess.";
    /// Warning: a single word.
    SingleWord => "strength.warning.single_word", "A word by itself is easy to guess.";
    /// Warning: a date.
    Dates => "strength.warning.dates", "Dates are often easy to guess.";
    /// Warning: a name on its own.
    NamesByThemselves => "strength.warning.names_by_themselves", "Names and surnames by themselves are easy to guess.";
    /// Warning: common names.
    CommonNames => "strength.warning.common_names", "Common names and surnames are easy to guess.";
    /// Suggestion: use a few words.
    UseAFewWords => "strength.suggestion.use_a_few_words", "Use a few words, avoid common phrases.";
    /// Suggestion: symbols are not needed.
    NoNeedForSymbols => "strength.suggestion.no_need_for_symbols", "No need for symbols, digits, or uppercase letters.";
    /// Suggestion: add words.
    AddAnotherWord => "strength.suggestion.add_another_word", "Add another word or two. Uncommon words are better.";
    /// Suggestion: capitals help little.
    CapitalizationHelpsLittle => "strength.suggestion.capitalization_helps_little", "Capitalization doesn't help very much.";
    /// Suggestion: all capitals help little.
    AllUppercaseHelpsLittle => "strength.suggestion.all_uppercase_helps_little", "All-uppercase is almost as easy to guess as all-lowercase.";
    /// Suggestion: reversing words helps little.
    ReversedWordsHelpLittle => "strength.suggestion.reversed_words_help_little", "Reversed words aren't much harder to guess.";
    /// Suggestion: substitutions like @ for a help little.
    PredictableSubstitutions => "strength.suggestion.predictable_substitutions", "Predictable substitutions like '@' instead of 'a' don't help very much.";
    /// Suggestion: a longer keyboard pattern.
    LongerKeyboardPattern => "strength.suggestion.longer_keyboard_pattern", "Use a longer keyboard pattern with more turns.";
    /// Suggestion: avoid repeats.
    AvoidRepeats => "strength.suggestion.avoid_repeats", "Avoid repeated words and characters.";
    /// Suggestion: avoid sequences.
    AvoidSequences => "strength.suggestion.avoid_sequences", "Avoid sequences.";
    /// Suggestion: avoid recent years.
    AvoidRecentYears => "strength.suggestion.avoid_recent_years", "Avoid recent years.";
    /// Suggestion: avoid personal years.
    AvoidPersonalYears => "strength.suggestion.avoid_personal_years", "Avoid years that are associated with you.";
    /// Suggestion: avoid personal dates.
    AvoidPersonalDates => "strength.suggestion.avoid_personal_dates", "Avoid dates and years that are associated with you.";
    /// Suggestion: avoid banned terms (names, the organisation, common passwords).
    AvoidBannedTerms => "password.suggestion.avoid_banned_terms", "Avoid common passwords, your name and your organisation's name.";
    /// Suggestion: make it longer.
    UseMoreCharacters => "password.suggestion.use_more_characters", "Use more characters.";
    /// Suggestion: mix character kinds.
    MixCharacterKinds => "password.suggestion.mix_character_kinds", "Mix lower case, upper case, digits and symbols.";
    /// Suggestion: choose one not used before.
    ChooseANewPassword => "password.suggestion.choose_a_new_password", "Choose a password you have not used before.";
    /// Suggestion: known from a breach.
    ChooseAnUnbreachedPassword => "password.suggestion.choose_an_unbreached_password", "This password appeared in a data breach. Choose another.";
}

impl From<zxcvbn::feedback::Warning> for MessageId {
    fn from(w: zxcvbn::feedback::Warning) -> Self {
        use zxcvbn::feedback::Warning as W;
        match w {
            W::StraightRowsOfKeysAreEasyToGuess => Self::StraightRows,
            W::ShortKeyboardPatternsAreEasyToGuess => Self::ShortKeyboardPatterns,
            W::RepeatsLikeAaaAreEasyToGuess => Self::RepeatedCharacters,
            W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => Self::RepeatedGroups,
            W::ThisIsATop10Password => Self::Top10Password,
            W::ThisIsATop100Password => Self::Top100Password,
            W::ThisIsACommonPassword => Self::CommonPassword,
            W::ThisIsSimilarToACommonlyUsedPassword => Self::SimilarToCommonPassword,
            W::SequencesLikeAbcAreEasyToGuess => Self::Sequences,
            W::RecentYearsAreEasyToGuess => Self::RecentYears,
            W::AWordByItselfIsEasyToGuess => Self::SingleWord,
            W::DatesAreOftenEasyToGuess => Self::Dates,
            W::NamesAndSurnamesByThemselvesAreEasyToGuess => Self::NamesByThemselves,
            W::CommonNamesAndSurnamesAreEasyToGuess => Self::CommonNames,
        }
    }
}

impl From<zxcvbn::feedback::Suggestion> for MessageId {
    fn from(s: zxcvbn::feedback::Suggestion) -> Self {
        use zxcvbn::feedback::Suggestion as S;
        match s {
            S::UseAFewWordsAvoidCommonPhrases => Self::UseAFewWords,
            S::NoNeedForSymbolsDigitsOrUppercaseLetters => Self::NoNeedForSymbols,
            S::AddAnotherWordOrTwo => Self::AddAnotherWord,
            S::CapitalizationDoesntHelpVeryMuch => Self::CapitalizationHelpsLittle,
            S::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => Self::AllUppercaseHelpsLittle,
            S::ReversedWordsArentMuchHarderToGuess => Self::ReversedWordsHelpLittle,
            S::PredictableSubstitutionsDontHelpVeryMuch => Self::PredictableSubstitutions,
            S::UseALongerKeyboardPatternWithMoreTurns => Self::LongerKeyboardPattern,
            S::AvoidRepeatedWordsAndCharacters => Self::AvoidRepeats,
            S::AvoidSequences => Self::AvoidSequences,
            S::AvoidRecentYears => Self::AvoidRecentYears,
            S::AvoidYearsThatAreAssociatedWithYou => Self::AvoidPersonalYears,
            S::AvoidDatesAndYearsThatAreAssociatedWithYou => Self::AvoidPersonalDates,
        }
    }
}

/// What to tell the user: at most one warning and a few suggestions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// What is wrong, if anything.
    pub warning: Option<MessageId>,
    /// What would help.
    pub suggestions: Vec<MessageId>,
}

impl Feedback {
    /// Adds a suggestion unless it is already there.
    pub fn suggest(&mut self, id: MessageId) {
        if !self.suggestions.contains(&id) {
            self.suggestions.push(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_have_text() {
        let mut seen = std::collections::HashSet::new();
        for m in MessageId::ALL {
            assert!(seen.insert(m.id()), "{}", m.id());
            assert!(english(*m).ends_with('.'));
            assert_eq!(serde_json::to_string(m).unwrap(), format!("\"{}\"", m.id()));
        }
    }
}
