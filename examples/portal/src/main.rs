//! `sspr-portal`: the reference web portal.
//!
//! ```sh
//! cargo run -p sspr-portal -- --demo [--listen 127.0.0.1:8080] [--data DIR] [--keys FILE] [--smtp HOST:PORT] [--gateway URL]
//!     [--postgres URL | --redis URL] [--trusted-proxy ADDR|NET ...] [--client-limit MAX/WINDOW_S/BLOCK_S | off]
//! ```
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use sspr_portal::stores::Stores;
use sspr_portal::{Config, StartError};

const USAGE: &str = "usage: sspr-portal --demo [--listen ADDR:PORT] [--data DIR] [--keys FILE] [--policy FILE] [--smtp HOST:PORT] [--mail-from ADDR] [--gateway URL] [--secure-cookies] [--postgres URL | --redis URL] [--trusted-proxy ADDR|NET ...] [--client-limit MAX/WINDOW_S/BLOCK_S | off]";

/// `--client-limit`: `MAX/WINDOW_S/BLOCK_S` (failed checks allowed per client in the window,
/// then refused for the block), or `off`.
fn client_limit(v: &str) -> Result<Option<sspr_core::policy::Limit>, StartError> {
    if v == "off" {
        return Ok(None);
    }
    let parts: Vec<&str> = v.split('/').collect();
    let [max, window, block] = parts.as_slice() else {
        return Err(format!("--client-limit takes MAX/WINDOW_S/BLOCK_S or off\n{USAGE}").into());
    };
    let number = |what: &str, n: &str| {
        n.parse::<u64>()
            .map_err(|_| format!("--client-limit: {what} is not a whole number: {n:?}"))
    };
    let max = u32::try_from(number("MAX", max)?)
        .map_err(|_| format!("--client-limit: MAX is too large: {max:?}"))?;
    Ok(Some(sspr_core::policy::Limit::new(
        max,
        number("WINDOW_S", window)?,
        number("BLOCK_S", block)?,
    )))
}

fn parse(args: &[String]) -> Result<Config, StartError> {
    let mut c = Config::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--demo" => c.demo = true,
            "--listen" => c.listen = value()?.parse()?,
            "--data" => c.data = Some(PathBuf::from(value()?)),
            "--keys" => c.keys = Some(PathBuf::from(value()?)),
            "--policy" => c.policy = Some(std::fs::read_to_string(value()?)?),
            "--smtp" => {
                let v = value()?;
                let (host, port) = v.rsplit_once(':').ok_or("--smtp takes HOST:PORT")?;
                c.smtp = Some((host.to_owned(), port.parse()?));
            }
            "--mail-from" => c.mail_from = value()?,
            "--gateway" => {
                let v = value()?;
                if !v.starts_with("http://") || v.parse::<reqwest::Url>().is_err() {
                    return Err(
                        "--gateway takes an http:// URL (a relay on the host's network)".into(),
                    );
                }
                c.gateway = Some(v);
            }
            "--secure-cookies" => c.secure_cookies = true,
            "--trusted-proxy" => c.trusted_proxies.push(
                sspr_portal::client_address::parse_trusted(&value()?)
                    .map_err(|e| format!("--trusted-proxy: {e}"))?,
            ),
            "--client-limit" => c.client_limit = client_limit(&value()?)?,
            "--postgres" | "--redis" if c.stores != Stores::Sqlite => {
                return Err(format!("choose one of --postgres and --redis\n{USAGE}").into());
            }
            "--postgres" => c.stores = Stores::Postgres(value()?),
            "--redis" => c.stores = Stores::Redis(value()?),
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}").into()),
        }
    }
    Ok(c)
}

#[tokio::main]
async fn main() -> Result<(), StartError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = parse(&args)?;
    let demo = config.demo;
    let running = sspr_portal::start(config).await?;
    println!("sspr portal listening on {}", running.url());
    println!("data directory: {}", running.app.data_dir.display());
    if demo {
        println!("demo users (sign-in name / password):");
        for u in sspr_portal::demo::USERS {
            println!(
                "  {:<24} {}{}",
                u.username,
                u.password,
                if u.admin { "  (administrator)" } else { "" }
            );
        }
        println!("dev mailbox: {}/dev/mailbox", running.url());
    }
    // Ctrl-C or a service manager's SIGTERM: stop serving, finish the requests under way and
    // drop the app, which removes a temporary data directory.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => { r?; }
        _ = term.recv() => {}
        r = running.wait() => { r?; return Ok(()); }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_store_flags_choose_the_backend() {
        let c = parse(&args(&["--demo"])).expect("parses");
        assert_eq!(c.stores, Stores::Sqlite);
        let c = parse(&args(&["--postgres", "postgresql://sspr@127.0.0.1/sspr"])).expect("parses");
        assert_eq!(
            c.stores,
            Stores::Postgres("postgresql://sspr@127.0.0.1/sspr".into())
        );
        let c = parse(&args(&["--redis", "redis://127.0.0.1:6379/"])).expect("parses");
        assert_eq!(c.stores, Stores::Redis("redis://127.0.0.1:6379/".into()));
        assert!(parse(&args(&["--redis"])).is_err(), "a value is needed");
        assert!(
            parse(&args(&[
                "--redis",
                "redis://a/",
                "--postgres",
                "postgresql://b/"
            ]))
            .is_err(),
            "one backend"
        );
        let c = parse(&args(&[
            "--trusted-proxy",
            "10.0.0.1",
            "--trusted-proxy",
            "::1",
            "--client-limit",
            "100/600/300",
        ]))
        .expect("parses");
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(
            c.client_limit,
            Some(sspr_core::policy::Limit::new(100, 600, 300))
        );
        assert_eq!(
            parse(&args(&["--client-limit", "off"]))
                .expect("parses")
                .client_limit,
            None
        );
        assert_eq!(
            parse(&[]).expect("parses").client_limit,
            Some(sspr_portal::app::CLIENT_LIMIT),
            "on unless turned off"
        );
        for bad in [
            "100",
            "100/600",
            "a/600/300",
            "100/600/300/1",
            "-1/600/300",
            "",
        ] {
            assert!(parse(&args(&["--client-limit", bad])).is_err(), "{bad}");
        }
        let c = parse(&args(&["--trusted-proxy", "10.0.0.0/8"])).expect("a network");
        assert_eq!(
            c.trusted_proxies,
            ["10.0.0.0/8".parse::<ipnet::IpNet>().unwrap()]
        );
        for bad in ["ten", "10.0.0.0/33", ""] {
            let e = parse(&args(&["--trusted-proxy", bad])).expect_err(bad);
            assert!(e.to_string().starts_with("--trusted-proxy: "), "{e}");
        }
        let e = parse(&args(&["--client-limit", "a/1/1"])).expect_err("a");
        assert!(e.to_string().starts_with("--client-limit: MAX "), "{e}");
        let c = parse(&args(&["--gateway", "http://relay.internal:8025/sms"])).expect("parses");
        assert_eq!(c.gateway.as_deref(), Some("http://relay.internal:8025/sms"));
        for bad in ["relay:8025", "ftp://relay/", "http://", ""] {
            let e = parse(&args(&["--gateway", bad])).expect_err(bad);
            assert!(e.to_string().starts_with("--gateway "), "{e}");
        }
        // The URL (it may hold a password) is never shown.
        let c = parse(&args(&["--postgres", "postgresql://u:hunter2@h/db"])).expect("parses");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
