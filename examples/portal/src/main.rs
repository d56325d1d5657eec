//! `sspr-portal`: the reference web portal.
//!
//! ```sh
//! cargo run -p sspr-portal -- --demo [--listen 127.0.0.1:8080] [--data DIR] [--keys FILE] [--smtp HOST:PORT] [--gateway URL]
//!     [--postgres URL | --redis URL] [--trusted-proxy ADDR|NET ...] [--client-limit MAX/WINDOW_S/BLOCK_S | off]
//! ```
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use sspr_portal::gateway::GatewayUrl;
use sspr_portal::stores::Stores;
use sspr_portal::{Config, StartError};

const USAGE: &str = "usage: sspr-portal --demo [--listen ADDR:PORT] [--data DIR] [--keys FILE] [--policy FILE] [--smtp HOST:PORT] [--mail-from ADDR] [--gateway URL] [--country-budget MAX/WINDOW_S | off] [--secure-cookies] [--postgres URL | --redis URL] [--trusted-proxy ADDR|NET ...] [--client-limit MAX/WINDOW_S/BLOCK_S | off]";

/// The whole numbers of a `--flag A/B/…` value named `names` (`MAX`, `WINDOW_S`, …), or `None`
/// for `off`; an error that names the flag for anything else.
fn numbers<const N: usize>(
    flag: &str,
    names: [&str; N],
    v: &str,
) -> Result<Option<[u64; N]>, StartError> {
    if v == "off" {
        return Ok(None);
    }
    let form = names.join("/");
    let parts: Vec<&str> = v.split('/').collect();
    if parts.len() != N {
        return Err(format!("{flag} takes {form} or off\n{USAGE}").into());
    }
    let mut out = [0u64; N];
    for ((slot, name), part) in out.iter_mut().zip(names).zip(parts) {
        *slot = part
            .parse()
            .map_err(|_| format!("{flag}: {name} is not a whole number: {part:?}"))?;
    }
    Ok(Some(out))
}

/// `--client-limit`: `MAX/WINDOW_S/BLOCK_S` (failed checks allowed per client in the window,
/// then refused for the block), or `off`.
fn client_limit(v: &str) -> Result<Option<sspr_core::policy::Limit>, StartError> {
    let flag = "--client-limit";
    let Some([max, window, block]) = numbers(flag, ["MAX", "WINDOW_S", "BLOCK_S"], v)? else {
        return Ok(None);
    };
    let max = u32::try_from(max).map_err(|_| format!("{flag}: MAX is too large: {max}"))?;
    Ok(Some(sspr_core::policy::Limit::new(max, window, block)))
}

/// `--country-budget`: `MAX/WINDOW_S` (texts and calls per country calling code in the window),
/// or `off`.
fn country_budget(v: &str) -> Result<Option<sspr_core::engine::CountryBudget>, StartError> {
    let flag = "--country-budget";
    let Some([max, window_s]) = numbers(flag, ["MAX", "WINDOW_S"], v)? else {
        return Ok(None);
    };
    let max = u32::try_from(max).map_err(|_| format!("{flag}: MAX is too large: {max}"))?;
    Ok(Some(sspr_core::engine::CountryBudget { max, window_s }))
}

/// The gateway's URL from `source` (the flag, or the environment variable [`GATEWAY_ENV`]).
fn gateway_url(source: &str, v: &str) -> Result<GatewayUrl, StartError> {
    v.parse()
        .map_err(|e| format!("{source}: {e}\n{USAGE}").into())
}

/// The environment variable that may name the gateway instead of `--gateway`, which `ps` would
/// show with any credentials in it.
const GATEWAY_ENV: &str = "SSPR_GATEWAY_URL";

/// `config` with the gateway from `env` (the value of [`GATEWAY_ENV`]) unless the command line
/// named one.
fn with_gateway_env(mut config: Config, env: Option<String>) -> Result<Config, StartError> {
    if config.gateway.is_none()
        && let Some(v) = env.filter(|v| !v.is_empty())
    {
        config.gateway = Some(gateway_url(GATEWAY_ENV, &v)?);
    }
    Ok(config)
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
            "--gateway" => c.gateway = Some(gateway_url("--gateway", &value()?)?),
            "--country-budget" => c.country_budget = country_budget(&value()?)?,
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
    let config = with_gateway_env(parse(&args)?, std::env::var(GATEWAY_ENV).ok())?;
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
            "5000000000/600/300",
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
        assert_eq!(
            c.gateway,
            Some("http://relay.internal:8025/sms".parse().unwrap())
        );
        for (bad, why) in [
            ("relay:8025", "not an http:// URL"),
            ("ftp://relay/", "not an http:// URL"),
            ("https://relay/", "not an http:// URL"),
            ("http://", "not a URL"),
            ("", "not a URL"),
        ] {
            let e = parse(&args(&["--gateway", bad])).expect_err(bad);
            assert!(
                e.to_string().starts_with(&format!("--gateway: {why}")),
                "{bad}: {e}"
            );
        }
        // The environment names the gateway unless the command line does.
        let env = Some("http://u:hunter2@relay/".to_owned());
        let c = with_gateway_env(parse(&[]).unwrap(), env.clone()).expect("from the environment");
        assert_eq!(c.gateway, Some("http://u:hunter2@relay/".parse().unwrap()));
        let c =
            with_gateway_env(parse(&args(&["--gateway", "http://other/"])).unwrap(), env).unwrap();
        assert_eq!(c.gateway, Some("http://other/".parse().unwrap()));
        let e = with_gateway_env(parse(&[]).unwrap(), Some("relay".into())).expect_err("bad");
        assert!(e.to_string().starts_with("SSPR_GATEWAY_URL: "), "{e}");
        assert_eq!(
            with_gateway_env(parse(&[]).unwrap(), Some(String::new()))
                .unwrap()
                .gateway,
            None
        );
        // The country budget: on by default, set or off.
        assert_eq!(
            parse(&[]).unwrap().country_budget,
            Some(sspr_portal::app::COUNTRY_BUDGET)
        );
        let c = parse(&args(&["--country-budget", "50/600"])).unwrap();
        assert_eq!(
            c.country_budget,
            Some(sspr_core::engine::CountryBudget {
                max: 50,
                window_s: 600
            })
        );
        assert_eq!(
            parse(&args(&["--country-budget", "off"]))
                .unwrap()
                .country_budget,
            None
        );
        for bad in ["50", "a/600", "50/b", "50/600/1", "5000000000/600", ""] {
            let e = parse(&args(&["--country-budget", bad])).expect_err(bad);
            assert!(e.to_string().starts_with("--country-budget"), "{e}");
        }
        // The URLs (they may hold a password) are never shown.
        let c = parse(&args(&[
            "--postgres",
            "postgresql://u:hunter2@h/db",
            "--gateway",
            "http://u:hunter3@relay/",
        ]))
        .expect("parses");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
    }
}
