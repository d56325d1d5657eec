// Banned-term normalisation and index keys. This file is also compiled into build.rs (with
// `include!`), which builds the global list's index at build time, so it uses std only and the
// two always agree.

/// Fewest characters in a banned term.
pub(super) const MIN_TERM_CHARS: usize = 4;
/// Most characters in a banned term.
pub(super) const MAX_TERM_CHARS: usize = 16;

/// Microsoft Entra Password Protection normalisation of one character sequence: lower case,
/// then the substitutions `0→o`, `1→l`, `$→s`, `@→a`. Returns code points.
pub(super) fn normalize_term(s: &str) -> Vec<u32> {
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
pub(super) fn term_key(chars: &[u32]) -> u64 {
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
pub(super) fn term_split(len: usize) -> usize {
    len / 2
}

/// A candidate in a half-key table: the term id and two characters of the term's *other* half
/// next to the split (folded to 16 bits), so most wrong candidates are rejected without reading
/// the term.
pub(super) type Candidate = (u32, u16, u16);

/// Folds a code point to the 16 bits a [`Candidate`] signature keeps.
pub(super) fn fold16(c: u32) -> u16 {
    (c ^ (c >> 16)) as u16
}

/// An open-addressing hash table from half-term keys to runs of candidates: `slots` holds
/// `(key, start, len)` (`len == 0`: empty) and `cands[start..start + len]` are the terms with
/// that key. Built the same way at build time (global list) and at run time (other lists).
pub(super) fn build_table(
    mut entries: Vec<(u64, Candidate)>,
) -> (Vec<(u64, u32, u32)>, Vec<Candidate>) {
    entries.sort_unstable();
    let mut cands = Vec::with_capacity(entries.len());
    let mut runs: Vec<(u64, u32, u32)> = Vec::new();
    for (key, cand) in entries {
        match runs.last_mut() {
            Some(run) if run.0 == key => run.2 += 1,
            _ => runs.push((key, cands.len() as u32, 1)),
        }
        cands.push(cand);
    }
    let size = (runs.len() * 2).next_power_of_two().max(16);
    let mut slots = vec![(0u64, 0u32, 0u32); size];
    for run in runs {
        let mut i = (run.0 as usize) & (size - 1);
        while slots[i].2 != 0 {
            i = (i + 1) & (size - 1);
        }
        slots[i] = run;
    }
    (slots, cands)
}

/// The candidates stored under `key` in a table made by [`build_table`].
pub(super) fn table_get<'a>(
    slots: &[(u64, u32, u32)],
    cands: &'a [Candidate],
    key: u64,
) -> &'a [Candidate] {
    let mask = slots.len() - 1;
    let mut i = (key as usize) & mask;
    loop {
        let (k, start, len) = slots[i];
        if len == 0 {
            return &[];
        }
        if k == key {
            return &cands[start as usize..(start + len) as usize];
        }
        i = (i + 1) & mask;
    }
}

/// Index entries of one term with id `id`: its first half keyed with the start of the second
/// half, and its second half keyed with the end of the first half (nearest character first).
pub(super) fn term_entries(t: &[u32], id: u32) -> [(u64, Candidate); 2] {
    let h = term_split(t.len());
    let (a, b) = (&t[..h], &t[h..]);
    [
        (term_key(a), (id, fold16(b[0]), fold16(b[1]))),
        (term_key(b), (id, fold16(a[h - 1]), fold16(a[h - 2]))),
    ]
}
