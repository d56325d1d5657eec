//! Banned passwords, scored the way Microsoft Entra Password Protection scores them.
//!
//! 1. **Normalise** the password: lower case, then `0→o`, `1→l`, `$→s`, `@→a`.
//! 2. **Find banned terms**: every substring within edit distance 1 of a term of the global or
//!    the organisation's list (one substitution anywhere, one missing character anywhere, or one
//!    extra character *inside* the term: an extra character before or after a term is simply a
//!    character outside it), and, when user information is on, every exact occurrence of the
//!    user's first name, last name, username (local part) and organisation name, and of each of
//!    their words, of 4 or more characters.
//! 3. **Score**: one point per term found plus one point per character outside the terms found.
//!    When matches overlap or compete, the score is the *lowest* any choice of non-overlapping
//!    matches gives (a shortest-path over the password), so a password is never credited for an
//!    unlucky reading of it; each occurrence of a term counts, so a term repeated twice is two
//!    points, like two different terms. A span with an extra character counts only if it
//!    starts and ends like the term (`ccontoso` is `c` + `contoso`, not one fuzzy `contoso`).
//! 4. A password needs `min_banned_score` points (5 by default).
//!
//! Microsoft's examples, with the organisation's terms "contoso" and "blank":
//! `C0ntos0Blank12` → `contosoblank12` → contoso + blank + 1 + 2 = 4 points (refused);
//! `ContoS0Bl@nkf9!` → `contosoblankf9!` → contoso + blank + f + 9 + ! = 5 points (accepted).
//!
//! Matching uses an index built once per list (at build time for the global list): each term
//! is split in two halves, and since one edit can damage only one half, every fuzzy occurrence
//! shows one half intact. Looking up the password's substrings of half-term lengths finds every
//! candidate, which is then checked exactly. The cost grows with the password's length, not the
//! list's size (`benches/` compares it with a plain scan).

use std::borrow::Cow;

use super::term::{
    Candidate, MAX_TERM_CHARS, MIN_TERM_CHARS, build_table, fold16, normalize_term, table_get,
    term_entries, term_key, term_split,
};

mod global {
    include!(concat!(env!("OUT_DIR"), "/global_banned.rs"));
}

/// The password (or term) as the banned-term search sees it: Entra's normalisation (lower case,
/// then `0→o`, `1→l`, `$→s`, `@→a`), as code points.
pub fn normalize(text: &str) -> Vec<u32> {
    normalize_term(text)
}

/// A list of banned terms with its search index.
#[derive(Debug, Clone)]
pub struct BannedIndex {
    text: Cow<'static, [u32]>,
    spans: Cow<'static, [(u32, u32)]>,
    prefix: Table,
    suffix: Table,
}

/// Half-term key → ids of the terms with that half.
#[derive(Debug, Clone)]
struct Table {
    slots: Cow<'static, [(u64, u32, u32)]>,
    ids: Cow<'static, [Candidate]>,
}

impl Table {
    fn new(entries: Vec<(u64, Candidate)>) -> Self {
        let (slots, ids) = build_table(entries);
        Self {
            slots: Cow::Owned(slots),
            ids: Cow::Owned(ids),
        }
    }

    fn get(&self, key: u64) -> &[Candidate] {
        table_get(&self.slots, &self.ids, key)
    }
}

static GLOBAL: BannedIndex = BannedIndex {
    text: Cow::Borrowed(&global::GLOBAL_TEXT),
    spans: Cow::Borrowed(&global::GLOBAL_SPANS),
    prefix: Table {
        slots: Cow::Borrowed(&global::GLOBAL_PREFIX_SLOTS),
        ids: Cow::Borrowed(&global::GLOBAL_PREFIX_IDS),
    },
    suffix: Table {
        slots: Cow::Borrowed(&global::GLOBAL_SUFFIX_SLOTS),
        ids: Cow::Borrowed(&global::GLOBAL_SUFFIX_IDS),
    },
};

/// A found term: `[start, end)` in the normalised password's code points.
pub(crate) type Span = (usize, usize);

impl BannedIndex {
    /// The global list shipped with sspr: the 10,000 most common passwords (from the zxcvbn
    /// package's frequency list, MIT licence), normalised, 4 to 16 characters, de-duplicated.
    pub fn global() -> &'static Self {
        &GLOBAL
    }

    /// An index over `terms`: each is normalised; terms outside 4 to 16 characters are skipped
    /// (the policy parser already refuses them), duplicates merged.
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> Self {
        let mut seen = std::collections::HashSet::new();
        let (mut text, mut spans, mut prefix, mut suffix) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for t in terms {
            let t = normalize_term(t.trim());
            if !(MIN_TERM_CHARS..=MAX_TERM_CHARS).contains(&t.len()) || !seen.insert(t.clone()) {
                continue;
            }
            let [p, s] = term_entries(&t, spans.len() as u32);
            prefix.push(p);
            suffix.push(s);
            spans.push((text.len() as u32, t.len() as u32));
            text.extend_from_slice(&t);
        }
        Self {
            text: Cow::Owned(text),
            spans: Cow::Owned(spans),
            prefix: Table::new(prefix),
            suffix: Table::new(suffix),
        }
    }

    /// How many terms the list holds.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn term(&self, i: u32) -> &[u32] {
        let (start, len) = self.spans[i as usize];
        &self.text[start as usize..(start + len) as usize]
    }

    /// Adds to `out` every span of `pw` (normalised code points) within edit distance 1 of a term.
    pub fn find(&self, pw: &[u32], out: &mut Vec<Span>) {
        if self.is_empty() {
            return;
        }
        let n = pw.len();
        let min_half = term_split(MIN_TERM_CHARS);
        let max_half = MAX_TERM_CHARS - term_split(MAX_TERM_CHARS);
        let at = |i: usize| pw.get(i).map(|&c| fold16(c));
        for p in 0..n {
            for half in min_half..=max_half.min(n - p) {
                let key = term_key(&pw[p..p + half]);
                let end = p + half;
                // First half intact at p: the second half follows with at most one edit, so one
                // of its first two characters lines up with the text, directly or shifted by one.
                let (x0, x1) = (at(end), at(end + 1));
                for &(i, b0, b1) in self.prefix.get(key) {
                    if !may_follow(b0, b1, x0, x1) {
                        continue;
                    }
                    let t = self.term(i);
                    let h = term_split(t.len());
                    if h == half && t[..h] == pw[p..end] {
                        for len in tail_matches(&t[h..], &pw[end..]) {
                            out.push((p, end + len));
                        }
                    }
                }
                // Second half intact ending at `end`: the first half precedes it.
                let (y0, y1) = (p.checked_sub(1).and_then(at), p.checked_sub(2).and_then(at));
                for &(i, a0, a1) in self.suffix.get(key) {
                    if !may_follow(a0, a1, y0, y1) {
                        continue;
                    }
                    let t = self.term(i);
                    let h = term_split(t.len());
                    if t.len() - h == half && t[h..] == pw[p..end] {
                        for len in head_matches(&t[..h], &pw[..p]) {
                            out.push((p - len, end));
                        }
                    }
                }
            }
        }
    }

    /// The same search by comparing every term at every position: the reference the index is
    /// tested and benchmarked against.
    pub fn find_by_scan(&self, pw: &[u32], out: &mut Vec<Span>) {
        for i in 0..self.len() as u32 {
            let t = self.term(i);
            for len in [t.len() - 1, t.len(), t.len() + 1] {
                for start in 0..=pw.len().saturating_sub(len) {
                    if start + len <= pw.len() && within_one(&pw[start..start + len], t) {
                        out.push((start, start + len));
                    }
                }
            }
        }
    }
}

/// Whether a term part starting `(c0, c1)` can begin text starting `(x0, x1)` with at most one
/// edit: a substitution, deletion or insertion at the first or second character still leaves
/// one of these four pairs equal (and an edit further on leaves the first pair equal).
fn may_follow(c0: u16, c1: u16, x0: Option<u16>, x1: Option<u16>) -> bool {
    match (x0, x1) {
        (None, _) => false,
        (Some(x0), None) => x0 == c0 || x0 == c1,
        (Some(x0), Some(x1)) => x0 == c0 || x1 == c1 || x0 == c1 || x1 == c0,
    }
}

/// Lengths `l` such that `text[..l]` is `part` with at most one edit, where `part` is the end of
/// a term (so a span with an extra character must still end with the term's last character). A wrong candidate is usually rejected after
/// one or two comparisons: all three alignments share the common prefix.
fn tail_matches(part: &[u32], text: &[u32]) -> impl Iterator<Item = usize> {
    let k = part.iter().zip(text).take_while(|(a, b)| a == b).count();
    let m = part.len();
    let exact = k == m;
    // Substitution at k: the rest lines up.
    let sub = !exact && text.len() >= m && part[k + 1..] == text[k + 1..m];
    // Deletion at k: the text lacks part[k].
    let del = !exact && text.len() + 1 >= m && part[k + 1..] == text[k..m - 1];
    // One extra character (the span must still end with the term's last character).
    let ins =
        text.len() > m && text[m] == part[m - 1] && part[k.min(m)..] == text[k.min(m) + 1..=m];
    [(exact || sub, m), (exact || del, m - 1), (ins, m + 1)]
        .into_iter()
        .filter_map(|(ok, l)| ok.then_some(l))
}

/// Lengths `l` such that `text[text.len() - l..]` is `part` with at most one edit, where `part`
/// is the start of a term (so a span with an extra character must still start with the term's
/// first character).
fn head_matches(part: &[u32], text: &[u32]) -> impl Iterator<Item = usize> {
    let m = part.len();
    let t = text.len();
    let k = part
        .iter()
        .rev()
        .zip(text.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let exact = k == m;
    let sub = !exact && t >= m && part[..m - k - 1] == text[t - m..t - k - 1];
    let del = !exact && t + 1 >= m && part[..m - k - 1] == text[t + 1 - m..t - k];
    // One extra character (the span must still start with the term's first character).
    let ins = t > m && text[t - m - 1] == part[0] && part[..m - k] == text[t - m - 1..t - k - 1];
    [(exact || sub, m), (exact || del, m - 1), (ins, m + 1)]
        .into_iter()
        .filter_map(|(ok, l)| ok.then_some(l))
}

/// Whether `seg` is `term` with at most one edit: a substitution anywhere, a deletion
/// anywhere, or an insertion inside: the span must then start and end with the term's first and
/// last characters (which also settles runs like "aab" for "ab" without caring which "a" is the
/// extra one).
fn within_one(seg: &[u32], term: &[u32]) -> bool {
    use std::cmp::Ordering;
    match seg.len().cmp(&term.len()) {
        Ordering::Equal => seg.iter().zip(term).filter(|(a, b)| a != b).count() <= 1,
        Ordering::Less => {
            // seg = term with one character missing.
            seg.len() + 1 == term.len() && {
                let k = seg.iter().zip(term).take_while(|(a, b)| a == b).count();
                seg[k..] == term[k + 1..]
            }
        }
        Ordering::Greater => {
            // seg = term with one extra character inside.
            seg.len() == term.len() + 1
                && seg.first() == term.first()
                && seg.last() == term.last()
                && {
                    let k = seg.iter().zip(term).take_while(|(a, b)| a == b).count();
                    seg[k + 1..] == term[k..]
                }
        }
    }
}

/// The user's own terms: names, the username's local part and the organisation name, whole
/// and word by word, normalised, 4 or more characters.
pub(crate) fn user_terms(values: &[&str]) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    for v in values {
        let v = v.trim();
        let whole = normalize_term(v);
        let words =
            v.split(|c: char| c.is_whitespace() || matches!(c, '.' | '_' | '-' | '+' | ','));
        for t in std::iter::once(whole).chain(words.map(normalize_term)) {
            if t.len() >= MIN_TERM_CHARS && !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// Adds every exact occurrence of each of `terms` in `pw`.
pub(crate) fn find_exact(terms: &[Vec<u32>], pw: &[u32], out: &mut Vec<Span>) {
    for t in terms {
        if t.len() <= pw.len() {
            for start in 0..=pw.len() - t.len() {
                if pw[start..start + t.len()] == t[..] {
                    out.push((start, start + t.len()));
                }
            }
        }
    }
}

/// The banned-password score and how many terms the scoring reading of the password uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BannedScore {
    /// Points: one per term plus one per other character.
    pub score: u32,
    /// Terms counted in that reading.
    pub terms: u32,
}

/// The lowest score over all choices of non-overlapping `matches` in a password of `len`
/// code points.
pub(crate) fn score(len: usize, matches: &[Span]) -> BannedScore {
    let mut by_start: Vec<Vec<usize>> = vec![Vec::new(); len + 1];
    for &(s, e) in matches {
        if s < e && e <= len {
            by_start[s].push(e);
        }
    }
    // best[i]: (score, terms) for the suffix starting at i.
    let mut best = vec![(0u32, 0u32); len + 1];
    for i in (0..len).rev() {
        let mut b = (best[i + 1].0 + 1, best[i + 1].1);
        for &e in &by_start[i] {
            let cand = (best[e].0 + 1, best[e].1 + 1);
            if cand < b {
                b = cand;
            }
        }
        best[i] = b;
    }
    BannedScore {
        score: best[0].0,
        terms: best[0].1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score_of(index: &BannedIndex, user: &[&str], pw: &str) -> u32 {
        let p = normalize_term(pw);
        let mut m = Vec::new();
        index.find(&p, &mut m);
        find_exact(&user_terms(user), &p, &mut m);
        score(p.len(), &m).score
    }

    #[test]
    fn microsofts_examples() {
        let list = BannedIndex::new(["contoso", "blank"]);
        assert_eq!(score_of(&list, &[], "C0ntos0Blank12"), 4);
        assert_eq!(score_of(&list, &[], "ContoS0Bl@nkf9!"), 5);
    }

    #[test]
    fn one_edit_fuzzy_matches() {
        let list = BannedIndex::new(["abcdef"]);
        assert_eq!(score_of(&list, &[], "abcdeg12"), 3, "substitution");
        assert_eq!(score_of(&list, &[], "abcdf12"), 3, "deletion");
        assert_eq!(score_of(&list, &[], "abcxdef12"), 3, "insertion inside");
        assert_eq!(
            score_of(&list, &[], "xabcdef"),
            2,
            "extra character before is outside the term"
        );
        assert_eq!(
            score_of(&list, &[], "abxdxf12"),
            8,
            "two edits do not match"
        );
        assert_eq!(
            score_of(&list, &[], "bacdef"),
            2,
            "\"acdef\" is the term less one character"
        );
        assert_eq!(
            score_of(&list, &[], "bacedf"),
            6,
            "a transposition inside is two edits"
        );
        assert_eq!(
            score_of(&list, &[], "ABCDEFabcdef"),
            2,
            "each occurrence counts"
        );
    }

    #[test]
    fn substitutions_are_normalised_on_both_sides() {
        let list = BannedIndex::new(["P@$$w0rd1"]);
        assert_eq!(score_of(&list, &[], "password1!"), 2);
    }

    #[test]
    fn user_information_counts_as_exact_substrings() {
        let none = BannedIndex::new(std::iter::empty());
        assert_eq!(score_of(&none, &["Marguerite"], "Marguerite24"), 3);
        assert_eq!(
            score_of(&none, &["Marguerite"], "Marguerit24"),
            11,
            "no fuzzy match on user info"
        );
        assert_eq!(
            score_of(&none, &["alice.smith", "Contoso Ltd"], "smith-contoso"),
            3
        );
        assert_eq!(
            score_of(&none, &["Al", "Ng"], "AlNg2024"),
            8,
            "terms under 4 characters are ignored"
        );
    }

    #[test]
    fn the_index_finds_exactly_what_a_scan_finds() {
        let list = BannedIndex::new([
            "love",
            "dragon",
            "password",
            "qwertyuiop",
            "blank",
            "abcdefghijklmnop",
            "ünïcode",
        ]);
        for pw in [
            "iloveyou",
            "dragonnn",
            "passwrd",
            "passw0rdx",
            "qwertyuiopp",
            "xxblankxx",
            "abcdefghijklmnp",
            "ÜNÏCODE!",
            "lvoe",
            "",
            "a",
            "lov",
        ] {
            let p = normalize_term(pw);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            list.find(&p, &mut a);
            list.find_by_scan(&p, &mut b);
            a.sort_unstable();
            a.dedup();
            b.sort_unstable();
            b.dedup();
            assert_eq!(a, b, "{pw}");
        }
    }

    #[test]
    fn the_global_list_is_large_and_catches_common_passwords() {
        let g = BannedIndex::global();
        assert_eq!(g.len(), 10_000);
        assert!(score_of(g, &[], "Password123") < 5);
        assert!(score_of(g, &[], "iloveyou!") < 5);
        assert!(score_of(g, &[], "violet tugboat ladders whisper 1987") >= 5);
    }
}
