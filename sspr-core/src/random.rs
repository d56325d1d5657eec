//! Secure random values drawn through the [`Randomness`] port, without modulo bias.
//!
//! Bytes are fetched from the port in blocks (one port call per block, not per value) and
//! every bounded value is drawn by rejection sampling: a byte or word that falls in the
//! incomplete last "lap" of the range is thrown away, so each outcome is exactly equally likely.

use zeroize::Zeroizing;

use crate::error::{PortError, PortErrorKind, PortName};
use crate::ports::Randomness;

const BLOCK: u32 = 64;

/// A buffered reader of secure random bytes.
pub(crate) struct Entropy<'a> {
    port: &'a dyn Randomness,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
}

impl<'a> Entropy<'a> {
    /// Reads from `port`.
    pub(crate) fn new(port: &'a dyn Randomness) -> Self {
        Self {
            port,
            buf: Zeroizing::new(Vec::new()),
            pos: 0,
        }
    }

    /// The port this reader draws from.
    pub(crate) fn port(&self) -> &'a dyn Randomness {
        self.port
    }

    fn refill(&mut self) -> Result<(), PortError> {
        let bytes = self.port.bytes(BLOCK)?;
        if bytes.len() != BLOCK as usize {
            return Err(PortError::new(
                PortName::Randomness,
                PortErrorKind::Contract,
                format!("asked for {BLOCK} bytes, got {}", bytes.len()),
            ));
        }
        self.buf = Zeroizing::new(bytes);
        self.pos = 0;
        Ok(())
    }

    /// One uniformly random byte.
    pub(crate) fn byte(&mut self) -> Result<u8, PortError> {
        if self.pos >= self.buf.len() {
            self.refill()?;
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// Fills `out` with random bytes.
    pub(crate) fn fill(&mut self, out: &mut [u8]) -> Result<(), PortError> {
        for b in out {
            *b = self.byte()?;
        }
        Ok(())
    }

    /// `len` random bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Result<Vec<u8>, PortError> {
        let mut v = vec![0; len];
        self.fill(&mut v)?;
        Ok(v)
    }

    /// A uniformly random integer in `0..n` (`n` ≥ 1), by rejection sampling.
    pub(crate) fn below(&mut self, n: u32) -> Result<u32, PortError> {
        debug_assert!(n >= 1);
        let n = n.max(1);
        if n <= 256 {
            // Accept bytes below the largest multiple of n that fits in a byte.
            let limit = 256 - (256 % n);
            loop {
                let b = u32::from(self.byte()?);
                if b < limit {
                    return Ok(b % n);
                }
            }
        }
        let limit = u64::from(u32::MAX) + 1 - ((u64::from(u32::MAX) + 1) % u64::from(n));
        loop {
            let mut w = [0u8; 4];
            self.fill(&mut w)?;
            let v = u64::from(u32::from_be_bytes(w));
            if v < limit {
                return Ok((v % u64::from(n)) as u32);
            }
        }
    }

    /// `len` characters drawn uniformly from `alphabet` (at most 256 ASCII characters).
    pub(crate) fn string(&mut self, alphabet: &[u8], len: usize) -> Result<String, PortError> {
        let mut s = String::with_capacity(len);
        for _ in 0..len {
            let i = self.below(alphabet.len() as u32)? as usize;
            s.push(char::from(alphabet[i]));
        }
        Ok(s)
    }

    /// `len` uniformly random decimal digits.
    pub(crate) fn digits(&mut self, len: usize) -> Result<String, PortError> {
        self.string(b"0123456789", len)
    }

    /// A URL-safe token with 256 bits of entropy (43 characters of unpadded base64url), for
    /// links, request ids and "this wasn't me" revocation.
    pub(crate) fn token(&mut self) -> Result<String, PortError> {
        let raw = Zeroizing::new(self.bytes(32)?);
        Ok(data_encoding::BASE64URL_NOPAD.encode(&raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::TestRandomness;
    use std::sync::Mutex;

    /// Cycles through every byte value in order: one full cycle must give a perfectly uniform
    /// result if and only if the sampling has no bias.
    struct Counting(Mutex<u8>);
    impl Randomness for Counting {
        fn bytes(&self, len: u32) -> Result<Vec<u8>, PortError> {
            let mut c = self.0.lock().unwrap();
            Ok((0..len)
                .map(|_| {
                    let b = *c;
                    *c = c.wrapping_add(1);
                    b
                })
                .collect())
        }
    }

    #[test]
    fn a_full_byte_cycle_gives_exactly_uniform_digits() {
        let port = Counting(Mutex::new(0));
        let mut e = Entropy::new(&port);
        // 256 bytes → 250 accepted (6 rejected) → exactly 25 of each digit.
        let mut counts = [0u32; 10];
        let s = e.digits(250).unwrap();
        for c in s.bytes() {
            counts[usize::from(c - b'0')] += 1;
        }
        assert_eq!(counts, [25; 10], "biased digits");
        // The next digit comes from the next cycle: bytes 250..=255 were skipped.
        assert_eq!(e.digits(1).unwrap(), "0");
    }

    #[test]
    fn bytes_near_the_top_are_rejected_not_folded() {
        struct Fixed;
        impl Randomness for Fixed {
            fn bytes(&self, len: u32) -> Result<Vec<u8>, PortError> {
                let mut v = vec![255, 251, 250, 7];
                v.resize(len as usize, 0);
                Ok(v)
            }
        }
        assert_eq!(Entropy::new(&Fixed).below(10).unwrap(), 7);
    }

    /// Pearson's chi-square statistic of observed counts against a uniform expectation.
    fn chi_square(counts: &[u64]) -> f64 {
        let total: u64 = counts.iter().sum();
        let expected = total as f64 / counts.len() as f64;
        counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum()
    }

    #[test]
    fn digits_and_numbers_pass_a_chi_square_test() {
        let port = TestRandomness::new(20_261_122);
        let mut e = Entropy::new(&port);
        let mut digits = [0u64; 10];
        for c in e.digits(200_000).unwrap().bytes() {
            digits[usize::from(c - b'0')] += 1;
        }
        // Critical value of chi-square with 9 degrees of freedom at p = 0.001: 27.88.
        let x = chi_square(&digits);
        assert!(x < 27.88, "digits chi-square {x}: {digits:?}");

        // A range that does not divide 2^32 evenly, drawn through the word path.
        let mut thirds = [0u64; 3];
        for _ in 0..90_000 {
            thirds[(e.below(3_000_000_000).unwrap() / 1_000_000_000) as usize] += 1;
        }
        // 2 degrees of freedom at p = 0.001: 13.82.
        let x = chi_square(&thirds);
        assert!(x < 13.82, "word chi-square {x}: {thirds:?}");
    }

    #[test]
    fn a_short_answer_from_the_port_is_a_contract_error() {
        struct Short;
        impl Randomness for Short {
            fn bytes(&self, _: u32) -> Result<Vec<u8>, PortError> {
                Ok(vec![1, 2, 3])
            }
        }
        let err = Entropy::new(&Short).byte().unwrap_err();
        assert_eq!(err.kind, PortErrorKind::Contract);
    }

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let port = TestRandomness::new(1);
        let mut e = Entropy::new(&port);
        let a = e.token().unwrap();
        let b = e.token().unwrap();
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }
}
