//! Which client a request comes from, for the engine's per-client limits.
//!
//! The client is the socket's peer, unless the peer is one of the host's reverse proxies
//! ([`crate::Config::trusted_proxies`]): then it is the address that proxy says it forwarded
//! for, the right-most entry of `X-Forwarded-For` that is not itself a trusted proxy. A client
//! that talks to the portal directly cannot choose its address with the header: from an
//! untrusted peer the header is ignored.
//!
//! An IPv6 client is its `/64`: one subscriber commonly holds a whole `/64` and could
//! otherwise take a fresh address for each guess. An IPv4-mapped IPv6 address is the IPv4
//! address it maps.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderValue;

/// `X-Forwarded-For` entries read from the right, at most: a proxy chain is short, and a
/// client may send a long header of its own to the first proxy.
const MAX_HOPS: usize = 16;

/// The key a client's attempts count under: the IPv4 address, or the IPv6 address's `/64`.
pub fn key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
    }
}

/// Whether `ip` is one of `trusted`, comparing an IPv4-mapped address as the IPv4 it maps.
fn is_trusted(ip: IpAddr, trusted: &[IpAddr]) -> bool {
    let canonical = |a: IpAddr| a.to_canonical();
    trusted.iter().any(|t| canonical(*t) == canonical(ip))
}

/// The client of a request from `peer` that carries the `X-Forwarded-For` header values
/// `forwarded` (in order), as the key its attempts count under; `None` without a peer.
pub fn client<'a>(
    peer: Option<IpAddr>,
    forwarded: impl DoubleEndedIterator<Item = &'a HeaderValue>,
    trusted: &[IpAddr],
) -> Option<String> {
    let mut client = peer?;
    if is_trusted(client, trusted) {
        // Each proxy appends the peer it heard from: walk back from the right while the entry
        // is another trusted proxy. A malformed entry ends the walk at the last known hop.
        let entries = forwarded
            .rev()
            .flat_map(|v| {
                let list = v.to_str().unwrap_or("");
                list.rsplit(',').map(str::trim).collect::<Vec<_>>()
            })
            .take(MAX_HOPS);
        for entry in entries {
            // Some proxies write the port too: `192.0.2.1:4711`, `[2001:db8::1]:4711`.
            let parsed = entry
                .parse::<IpAddr>()
                .or_else(|_| entry.parse::<std::net::SocketAddr>().map(|s| s.ip()));
            let Ok(ip) = parsed else {
                break;
            };
            client = ip;
            if !is_trusted(ip, trusted) {
                break;
            }
        }
    }
    Some(key(client))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(values: &[&'static str]) -> Vec<HeaderValue> {
        values.iter().map(|v| HeaderValue::from_static(v)).collect()
    }

    fn of(peer: &str, xff: &[&'static str], trusted: &[&str]) -> Option<String> {
        let trusted: Vec<IpAddr> = trusted.iter().map(|t| ip(t)).collect();
        client(Some(ip(peer)), headers(xff).iter(), &trusted)
    }

    #[test]
    fn a_direct_client_is_its_own_address_whatever_it_claims() {
        assert_eq!(of("203.0.113.7", &[], &[]), Some("203.0.113.7".into()));
        assert_eq!(
            of("203.0.113.7", &["198.51.100.1"], &[]),
            Some("203.0.113.7".into()),
            "the header from an untrusted peer is ignored"
        );
        assert_eq!(
            of("203.0.113.7", &["198.51.100.1"], &["10.0.0.1"]),
            Some("203.0.113.7".into())
        );
        assert_eq!(client(None, headers(&[]).iter(), &[]), None);
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_right_most_untrusted_entry() {
        let t = ["10.0.0.1", "10.0.0.2"];
        assert_eq!(
            of("10.0.0.1", &["198.51.100.9"], &t),
            Some("198.51.100.9".into())
        );
        // What the client wrote itself is to the left of what the proxies appended.
        assert_eq!(
            of("10.0.0.1", &["1.2.3.4, 198.51.100.9, 10.0.0.2"], &t),
            Some("198.51.100.9".into())
        );
        // Several header lines are one list, in order.
        assert_eq!(
            of("10.0.0.1", &["1.2.3.4", "198.51.100.9", "10.0.0.2"], &t),
            Some("198.51.100.9".into())
        );
        // A proxy that forwarded nothing: the proxy itself.
        assert_eq!(of("10.0.0.1", &[], &t), Some("10.0.0.1".into()));
        // Garbage ends the walk at the last hop known good.
        assert_eq!(
            of("10.0.0.1", &["198.51.100.9, not-an-address"], &t),
            Some("10.0.0.1".into())
        );
        assert_eq!(
            of("10.0.0.1", &["garbage, 10.0.0.2"], &t),
            Some("10.0.0.2".into())
        );
        // With a port, as some proxies write it.
        assert_eq!(
            of("10.0.0.1", &["198.51.100.9:4711"], &t),
            Some("198.51.100.9".into())
        );
        assert_eq!(
            of("10.0.0.1", &["[2001:db8::5]:4711"], &t),
            Some("2001:db8::/64".into())
        );
        // An IPv4-mapped peer is the IPv4 proxy it maps.
        assert_eq!(
            of("::ffff:10.0.0.1", &["198.51.100.9"], &t),
            Some("198.51.100.9".into())
        );
    }

    #[test]
    fn a_long_chain_of_trusted_entries_is_read_only_so_far() {
        let many: &'static str = Box::leak(vec!["10.0.0.2"; 100].join(", ").into_boxed_str());
        assert_eq!(
            of(
                "10.0.0.1",
                &["198.51.100.9", many],
                &["10.0.0.1", "10.0.0.2"]
            ),
            Some("10.0.0.2".into())
        );
    }

    #[test]
    fn an_ipv6_client_counts_as_its_slash_64() {
        assert_eq!(
            of("2001:db8:1:2:aaaa::1", &[], &[]),
            Some("2001:db8:1:2::/64".into())
        );
        assert_eq!(
            of("2001:db8:1:2:bbbb::99", &[], &[]),
            of("2001:db8:1:2:aaaa::1", &[], &[])
        );
        assert_ne!(
            of("2001:db8:1:3::1", &[], &[]),
            of("2001:db8:1:2::1", &[], &[])
        );
        assert_eq!(of("::ffff:192.0.2.5", &[], &[]), Some("192.0.2.5".into()));
    }
}
