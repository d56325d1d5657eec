//! The CAPTCHA's audio alternative over HTTP: a WAV of the challenge (espeak-ng, from Debian's
//! `espeak-ng`, which the test command installs), the same on every fetch of one challenge,
//! different for another, in the page's language, and never plain speech on silence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::header::{CONTENT_TYPE, COOKIE};

/// A client without a cookie jar: every cookie is spelt out by the test.
fn bare() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// A new challenge for `csrf`: its sealed cookie value.
async fn draw(p: &common::Portal, csrf: &str) -> String {
    p.draw_captcha(csrf).await.0
}

/// The status of `/captcha.wav` for `csrf`'s challenge `sealed`.
async fn audio_status(p: &common::Portal, csrf: &str, sealed: &str) -> u16 {
    bare()
        .get(p.url("/captcha.wav"))
        .header(COOKIE, format!("sspr_csrf={csrf}; sspr_captcha={sealed}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The audio of `csrf`'s challenge `sealed`, at `path` (which may carry `?lng=`).
async fn audio(p: &common::Portal, path: &str, csrf: &str, sealed: &str) -> Vec<u8> {
    let r = bare()
        .get(p.url(path))
        .header(COOKIE, format!("sspr_csrf={csrf}; sspr_captcha={sealed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "espeak-ng is installed (apt-get install espeak-ng)"
    );
    assert_eq!(r.headers()[CONTENT_TYPE], "audio/wav");
    r.bytes().await.unwrap().to_vec()
}

/// Samples and rate of a WAV file, checked to be whole: its header's length is its data's.
fn samples(wav: &[u8]) -> (Vec<i16>, u32) {
    let reader = hound::WavReader::new(std::io::Cursor::new(wav)).expect("a WAV file");
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (1, 16));
    let claimed = reader.len() as usize;
    let s: Vec<i16> = reader.into_samples::<i16>().map(Result::unwrap).collect();
    assert_eq!(s.len(), claimed, "the header tells the length");
    (s, spec.sample_rate)
}

fn rms(s: &[i16]) -> f64 {
    let sum: f64 = s.iter().map(|v| f64::from(*v).powi(2)).sum();
    (sum / s.len().max(1) as f64).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audio_reads_the_challenge_over_noise_and_a_quieter_voice() {
    let p = common::start(None).await;
    let sealed = draw(&p, "browser-a").await;
    let first = audio(&p, "/captcha.wav", "browser-a", &sealed).await;
    let (s, rate) = samples(&first);
    let seconds = s.len() as f64 / f64::from(rate);
    // Five characters with a pause after each: long enough to follow, short enough to bear.
    assert!((3.0..20.0).contains(&seconds), "{seconds} s");

    // Fetched again: the same bytes, so that averaging fetches removes no noise.
    assert_eq!(audio(&p, "/captcha.wav", "browser-a", &sealed).await, first);

    // Every tenth of a second carries sound: the gaps between characters are never silence
    // that would cut the challenge into its characters for a recogniser.
    let window = usize::try_from(rate / 10).unwrap();
    let quietest = s.chunks(window).map(rms).fold(f64::INFINITY, f64::min);
    assert!(
        quietest > 100.0,
        "quietest tenth of a second: rms {quietest}"
    );
    // And the challenge's voice stands out from what lies under it.
    let mut levels: Vec<f64> = s.chunks(window).map(rms).collect();
    levels.sort_by(f64::total_cmp);
    let loud = levels[levels.len() * 9 / 10];
    let floor = levels[levels.len() / 10];
    assert!(loud > 3.0 * floor, "loud {loud}, floor {floor}");

    // Another challenge sounds different, and so does the same in German.
    let other = draw(&p, "browser-a").await;
    let second = audio(&p, "/captcha.wav", "browser-a", &other).await;
    assert_ne!(samples(&second).0, s);
    let german = audio(&p, "/captcha.wav?lng=de", "browser-a", &other).await;
    assert_ne!(german, second);
    samples(&german);
    p.running.stop().await.unwrap();
}

/// Writes an executable shell script `name` into `dir`.
fn script(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The challenge reaches espeak-ng on its standard input, never its command line (where any
/// local user could read it in `ps`); a failing espeak-ng is a 503, not "no challenge".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_challenge_never_reaches_a_command_line_and_a_failing_reader_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("args");
    let real = "/usr/bin/espeak-ng";
    let recording = script(
        dir.path(),
        "recording",
        &format!("echo \"$@\" >> {}\nexec {real} \"$@\"", log.display()),
    );
    let p = common::start_with(|c| c.espeak_ng = recording).await;
    let sealed = draw(&p, "browser-b").await;
    let answer = p
        .running
        .app
        .captcha
        .answer("browser-b", &sealed)
        .unwrap()
        .unwrap();
    samples(&audio(&p, "/captcha.wav", "browser-b", &sealed).await);
    let args = std::fs::read_to_string(&log).unwrap();
    assert_eq!(args.lines().count(), 2, "two readings: {args}");
    assert!(!args.contains("speak") && !args.contains('.'), "{args}");
    assert!(
        !answer
            .chars()
            .any(|c| args.split_whitespace().any(|a| a == c.to_string())),
        "{args}"
    );
    p.running.stop().await.unwrap();

    for (name, body) in [
        ("failing", "exit 3"),
        ("silent", "cat > /dev/null"),
        ("garbage", "cat > /dev/null; echo not a wav"),
    ] {
        let program = script(dir.path(), name, body);
        let p = common::start_with(|c| c.espeak_ng = program).await;
        let sealed = draw(&p, "browser-c").await;
        assert_eq!(audio_status(&p, "browser-c", &sealed).await, 503, "{name}");
        p.running.stop().await.unwrap();
    }
    let p = common::start_with(|c| c.espeak_ng = dir.path().join("absent")).await;
    let sealed = draw(&p, "browser-d").await;
    assert_eq!(
        audio_status(&p, "browser-d", &sealed).await,
        503,
        "no espeak-ng"
    );
    p.running.stop().await.unwrap();
}
