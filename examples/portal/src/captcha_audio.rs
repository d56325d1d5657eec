//! The CAPTCHA's audio alternative: the challenge's characters read by espeak-ng, each at its
//! own pitch and pace with pauses of varying length, over a quieter voice reading other
//! characters and a floor of noise, so that a speech recogniser cannot simply transcribe it
//! while a listener follows the louder voice.
//!
//! Everything that varies is drawn from a stream seeded by the challenge (a keyed hash of its
//! id): fetching the audio again gives the same bytes, so averaging several fetches removes
//! no noise, and one challenge never sounds like another.

use std::io::Cursor;
use std::path::Path;
use std::process::Stdio;

use rand::rngs::ChaCha20Rng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use sspr_core::{PortError, PortName};
use tokio::io::AsyncWriteExt;

use crate::captcha::CHARS;

/// The voice reading decoy characters underneath is this loud, relative to the challenge's.
pub const DECOY_GAIN: f32 = 0.22;
/// The noise floor's peak, as a fraction of full scale.
pub const NOISE_PEAK: f32 = 0.025;
/// The challenge's voice is scaled so that its loudest sample is this fraction of full scale.
pub const SPEECH_PEAK: f32 = 0.7;
/// Decoy characters read underneath.
const DECOY_CHARS: usize = 14;
/// How long one espeak-ng run may take (it takes some 20 ms).
const SPEAK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest espeak-ng output read, in samples (a minute at 22 050 Hz): espeak-ng's
/// streamed WAV header claims far more than it writes.
const MAX_SAMPLES: usize = 22_050 * 60;

/// The SSML espeak-ng reads for `answer`: one character at a time, each with its own pitch
/// and rate, separated by pauses of varying length. Only characters of [`CHARS`] are read.
fn challenge_ssml(answer: &str, draw: &mut ChaCha20Rng) -> String {
    let mut ssml = String::from("<speak>");
    for c in answer.chars().filter(|c| CHARS.contains(*c)) {
        ssml.push_str(&format!(
            "<prosody pitch=\"{:+}%\" rate=\"{}%\">{c}.</prosody><break time=\"{}ms\"/>",
            draw.random_range(-30..=30),
            draw.random_range(65..=105),
            draw.random_range(450..=1000),
        ));
    }
    ssml.push_str("</speak>");
    ssml
}

/// Characters for the quieter voice underneath, drawn from the same alphabet.
fn decoy_text(draw: &mut ChaCha20Rng) -> String {
    let alphabet: Vec<char> = CHARS.chars().collect();
    (0..DECOY_CHARS)
        .filter_map(|_| alphabet.choose(draw).map(|c| format!("{c}.")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// espeak-ng failed: not installed, stopped, too slow, or wrote no 16-bit mono speech.
fn unavailable() -> PortError {
    PortError::unavailable(PortName::Captcha, "espeak-ng")
}

/// One espeak-ng run on `text`, given on its standard input (never on the command line, where
/// other local users could read the challenge): its samples and their rate. The process is
/// killed when the request goes away or after [`SPEAK_TIMEOUT`].
async fn speak(program: &Path, args: &[&str], text: &str) -> Result<(Vec<i16>, u32), PortError> {
    let mut child = tokio::process::Command::new(program)
        .args(["--stdout", "--stdin"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|_| unavailable())?;
    let mut stdin = child.stdin.take().ok_or_else(unavailable)?;
    let run = async {
        stdin
            .write_all(text.as_bytes())
            .await
            .map_err(|_| unavailable())?;
        drop(stdin);
        child.wait_with_output().await.map_err(|_| unavailable())
    };
    let output = tokio::time::timeout(SPEAK_TIMEOUT, run)
        .await
        .map_err(|_| unavailable())??;
    if !output.status.success() {
        return Err(unavailable());
    }
    let reader = hound::WavReader::new(Cursor::new(output.stdout)).map_err(|_| unavailable())?;
    let spec = reader.spec();
    if spec.channels != 1
        || spec.bits_per_sample != 16
        || !(8_000..=48_000).contains(&spec.sample_rate)
    {
        return Err(unavailable());
    }
    // The header of a streamed WAV claims more samples than there are: read to the end.
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .take(MAX_SAMPLES)
        .map_while(Result::ok)
        .collect();
    if samples.is_empty() {
        return Err(unavailable());
    }
    Ok((samples, spec.sample_rate))
}

/// Mixes the challenge's `speech` (scaled to [`SPEECH_PEAK`]) with the `decoy` voice (looped
/// from `decoy_start`, at [`DECOY_GAIN`] of the speech's scale) and a noise floor drawn from
/// `draw`; samples are clamped, never wrapped. As long as the speech.
fn mix(speech: &[i16], decoy: &[i16], decoy_start: usize, draw: &mut ChaCha20Rng) -> Vec<i16> {
    let peak = speech
        .iter()
        .map(|s| s.unsigned_abs())
        .max()
        .unwrap_or(0)
        .max(1);
    let full = f32::from(i16::MAX);
    let scale = SPEECH_PEAK * full / f32::from(peak);
    speech
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let under = match decoy.len() {
                0 => 0.0,
                n => decoy
                    .get(decoy_start.wrapping_add(i) % n)
                    .map_or(0.0, |d| f32::from(*d) * scale * DECOY_GAIN),
            };
            let noise = draw.random_range(-1.0..1.0) * NOISE_PEAK * full;
            let v = f32::from(*s) * scale + under + noise;
            v.clamp(f32::from(i16::MIN), full) as i16
        })
        .collect()
}

/// The audio of `answer` in `voice` (an espeak-ng voice name: the page's language) as a WAV
/// file, read by `program` (espeak-ng) and drawn from `seed`; an error when the program is
/// missing or fails.
pub async fn render(
    program: &Path,
    seed: [u8; 32],
    answer: &str,
    voice: &str,
) -> Result<Vec<u8>, PortError> {
    // What varies between two challenges' audio: a stream seeded by the challenge.
    let mut draw = ChaCha20Rng::from_seed(seed);
    let ssml = challenge_ssml(answer, &mut draw);
    let decoy = decoy_text(&mut draw);
    let variant = ["m3", "f2", "m7", "f4"].choose(&mut draw).unwrap_or(&"m3");
    let decoy_voice = format!("{voice}+{variant}");
    let speed = draw.random_range(165..=200).to_string();
    let speech_args = ["-m", "-s", "120", "-v", voice];
    let decoy_args = ["-s", speed.as_str(), "-v", decoy_voice.as_str()];
    let (speech, under) = tokio::join!(
        speak(program, &speech_args, &ssml),
        speak(program, &decoy_args, &decoy)
    );
    let (speech, rate) = speech?;
    let (under, under_rate) = under?;
    if under_rate != rate {
        return Err(unavailable());
    }
    // A pause of varying length before the first character (espeak-ng ignores a break before
    // any text): the noise and the voice underneath play in it.
    let lead_ms: u64 = draw.random_range(300..=800);
    // At most 800 ms at 48 kHz: the rate was checked.
    let lead = usize::try_from(lead_ms.saturating_mul(u64::from(rate)) / 1000).unwrap_or(0);
    let speech: Vec<i16> = std::iter::repeat_n(0, lead).chain(speech).collect();
    let start = draw.random_range(0..=under.len());
    let mixed = mix(&speech, &under, start, &mut draw);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = Cursor::new(Vec::with_capacity(mixed.len() * 2 + 44));
    let written = (|| {
        let mut w = hound::WavWriter::new(&mut out, spec)?;
        for s in &mixed {
            w.write_sample(*s)?;
        }
        w.finalize()
    })();
    written.map_err(|_| PortError::unavailable(PortName::Captcha, "audio"))?;
    Ok(out.into_inner())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rms(s: &[i16]) -> f64 {
        let sum: f64 = s.iter().map(|v| f64::from(*v).powi(2)).sum();
        (sum / s.len().max(1) as f64).sqrt()
    }

    #[test]
    fn the_ssml_reads_only_the_alphabet_and_varies_with_the_seed() {
        let a = challenge_ssml("K7M<x", &mut ChaCha20Rng::from_seed([1; 32]));
        assert_eq!(
            a.matches("<prosody").count(),
            3,
            "'<' and 'x' are not read: {a}"
        );
        assert!(!a.contains("<x"));
        assert_eq!(
            a,
            challenge_ssml("K7M<x", &mut ChaCha20Rng::from_seed([1; 32]))
        );
        assert_ne!(
            a,
            challenge_ssml("K7M<x", &mut ChaCha20Rng::from_seed([2; 32]))
        );
    }

    #[test]
    fn the_mix_puts_the_speech_above_the_decoy_and_never_wraps() {
        // A speech burst, then silence; a decoy as loud as the speech throughout.
        let speech: Vec<i16> = (0..8000)
            .map(|i| {
                if i < 4000 {
                    if i % 20 < 10 { 8000 } else { -8000 }
                } else {
                    0
                }
            })
            .collect();
        let decoy: Vec<i16> = (0..3000)
            .map(|i| if i % 14 < 7 { 8000 } else { -8000 })
            .collect();
        let out = mix(&speech, &decoy, 123, &mut ChaCha20Rng::from_seed([3; 32]));
        assert_eq!(out.len(), speech.len());
        let (voiced, quiet) = out.split_at(4000);
        let ratio = rms(voiced) / rms(quiet);
        assert!(ratio > 3.0, "the challenge stands out: {ratio}");
        assert!(rms(quiet) > 0.0, "never plain silence");
        // Full-scale input with a full-scale decoy clamps instead of wrapping around.
        let loud = vec![i16::MIN; 100];
        let out = mix(&loud, &loud, 0, &mut ChaCha20Rng::from_seed([4; 32]));
        assert!(out.iter().all(|s| *s < -20_000), "{:?}", &out[..4]);
        // No speech at all (a zero peak) and no decoy are no division by zero.
        let out = mix(&[0; 10], &[], 0, &mut ChaCha20Rng::from_seed([5; 32]));
        assert!(out.iter().all(|s| s.unsigned_abs() <= 1000));
    }
}
