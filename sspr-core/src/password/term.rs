// Banned-term normalisation and index keys. This file is also compiled into build.rs (with
// `include!`), which builds the global list's index at build time, so it uses std only and the
// two always agree.

/// Fewest characters in a banned term.
pub const MIN_TERM_CHARS: usize = 4;
/// Most characters in a banned term.
pub const MAX_TERM_CHARS: usize = 16;

/// Microsoft Entra Password Protection normalisation of one character sequence: lower case,
/// then the substitutions `0→o`, `1→l`, `$→s`, `@→a`. Returns code points.
pub fn normalize_term(s: &str) -> Vec<u32> {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '0' => 'o',
            '1' => 'l',
            '$' => 's',
            '@' => 'a',
            c => c,
        } as u32)
        .collect()
}

/// A 64-bit key of a code-point sequence (FNV-1a over its length and code points). Equal
/// sequences have equal keys; a collision only costs an extra comparison.
pub fn term_key(chars: &[u32]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in std::iter::once(chars.len() as u32).chain(chars.iter().copied()) {
        for b in x.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Where a term is split for indexing: the first half has `len / 2` characters, the second
/// the rest. One edit can damage only one half, so every match shows one half intact.
pub fn term_split(len: usize) -> usize {
    len / 2
}
