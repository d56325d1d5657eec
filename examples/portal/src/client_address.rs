//! Which client a request comes from, for the engine's per-client limits.
//!
//! The client is the socket's peer, unless the peer is one of the host's reverse proxies
//! ([`crate::Config::trusted_proxies`], addresses or networks): then it is the address that
//! proxy says it forwarded for, the right-most entry of `X-Forwarded-For` that is not itself a
//! trusted proxy. A client that talks to the portal directly cannot choose its address with
//! the header: from an untrusted peer the header is ignored. Each entry is read on its own, so
//! bytes a client puts to the left of what its proxy appended change nothing.
//!
//! The key a client counts under:
//! * an IPv4 address is itself;
//! * an IPv6 address that carries an IPv4 one is that IPv4 address: IPv4-mapped
//!   (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`), 6to4 (`2002:AABB:CCDD::/48`) and Teredo
//!   (`2001:0::/32`, the client's address inverted in the last 32 bits);
//! * any other IPv6 address is its `/56` ([`IPV6_PREFIX_BITS`]): a subscriber commonly holds
//!   a `/64` or a `/56` and could otherwise take a fresh key for each guess. A holder of a
//!   `/48` gets 256 keys; a tighter prefix would put many mobile subscribers under one key.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::HeaderValue;
use ipnet::IpNet;

/// `X-Forwarded-For` entries read from the right, at most: a proxy chain is short, and a
/// client may send a long header of its own to the first proxy.
const MAX_HOPS: usize = 16;

/// The IPv6 prefix a client counts under.
pub const IPV6_PREFIX_BITS: u8 = 56;

/// The IPv4 address an IPv6 address carries, if it is of a kind that carries one.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let low = Ipv4Addr::from(u32::try_from(v6.to_bits() & 0xffff_ffff).unwrap_or(0));
    match s {
        // NAT64's well-known prefix (RFC 6052): 64:ff9b::/96.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 6to4 (RFC 3056): 2002:AABB:CCDD::/48.
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))),
        // Teredo (RFC 4380): 2001:0::/32, the client's address inverted in the last 32 bits.
        [0x2001, 0, ..] => Some(Ipv4Addr::from(!u32::from(low))),
        _ => None,
    }
}

/// The key a client's attempts count under: the IPv4 address (also one carried in an IPv6
/// address), or the IPv6 address's `/56`.
pub fn key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => v4.to_string(),
            None => {
                let mask = u128::MAX << (128 - u32::from(IPV6_PREFIX_BITS));
                let prefix = Ipv6Addr::from_bits(v6.to_bits() & mask);
                format!("{prefix}/{IPV6_PREFIX_BITS}")
            }
        },
    }
}

/// Whether `ip` is in one of `trusted`, an IPv4-mapped address counting as the IPv4 it maps.
fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    trusted.iter().any(|net| net.contains(&ip))
}

/// A trusted proxy as written on the command line: an address or a network
/// (`10.0.0.0/8`, `2001:db8::/32`); an IPv4-mapped one is taken as the IPv4 it maps.
pub fn parse_trusted(s: &str) -> Result<IpNet, String> {
    let net = s
        .parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("not an address or a network: {s:?}"))?;
    Ok(match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        other => other,
    })
}

/// One `X-Forwarded-For` entry: an address, with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`), in brackets or with a zone (`fe80::1%eth0`) as some proxies write
/// it; `None` for anything else (`unknown`, bytes that are not ASCII).
fn entry(raw: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    if let Ok(sa) = text.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let without_zone = bare.split_once('%').map_or(bare, |(a, _)| a);
    without_zone.parse::<IpAddr>().ok()
}

/// The client of a request from `peer` that carries the `X-Forwarded-For` header values
/// `forwarded` (in order), as the key its attempts count under; `None` without a peer.
pub fn client<'a>(
    peer: Option<IpAddr>,
    forwarded: impl DoubleEndedIterator<Item = &'a HeaderValue>,
    trusted: &[IpNet],
) -> Option<String> {
    let mut client = peer?;
    if is_trusted(client, trusted) {
        // Each proxy appends the peer it heard from: walk back from the right while the entry
        // is another trusted proxy. A malformed entry ends the walk at the last known hop.
        let entries = forwarded
            .rev()
            .flat_map(|v| v.as_bytes().rsplit(|b| *b == b','))
            .take(MAX_HOPS);
        for raw in entries {
            let Some(ip) = entry(raw) else {
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

    fn of_raw(peer: &str, xff: &[&[u8]], trusted: &[&str]) -> Option<String> {
        let trusted: Vec<IpNet> = trusted.iter().map(|t| parse_trusted(t).unwrap()).collect();
        let values: Vec<HeaderValue> = xff
            .iter()
            .map(|v| HeaderValue::from_bytes(v).unwrap())
            .collect();
        client(Some(ip(peer)), values.iter(), &trusted)
    }

    fn of(peer: &str, xff: &[&str], trusted: &[&str]) -> Option<String> {
        let raw: Vec<&[u8]> = xff.iter().map(|v| v.as_bytes()).collect();
        of_raw(peer, &raw, trusted)
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
            of("203.0.113.7", &["198.51.100.1"], &["10.0.0.0/8"]),
            Some("203.0.113.7".into())
        );
        assert_eq!(client(None, std::iter::empty(), &[]), None);
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
            of("10.0.0.1", &["unknown, 10.0.0.2"], &t),
            Some("10.0.0.2".into())
        );
        // With a port, in brackets or with a zone, as some proxies write it.
        assert_eq!(
            of("10.0.0.1", &["198.51.100.9:4711"], &t),
            Some("198.51.100.9".into())
        );
        for written in ["[2001:db8::5]:4711", "[2001:db8::5]", "2001:db8::5%eth0"] {
            assert_eq!(
                of("10.0.0.1", &[written], &t),
                Some("2001:db8::/56".into()),
                "{written}"
            );
        }
        // An IPv4-mapped peer is the IPv4 proxy it maps, and so is a mapped proxy's name.
        assert_eq!(
            of("::ffff:10.0.0.1", &["198.51.100.9"], &t),
            Some("198.51.100.9".into())
        );
        assert_eq!(
            of("10.0.0.1", &["198.51.100.9"], &["::ffff:10.0.0.1"]),
            Some("198.51.100.9".into())
        );
    }

    #[test]
    fn bytes_a_client_writes_to_the_left_do_not_hide_what_its_proxy_appended() {
        // One line, as nginx's `$proxy_add_x_forwarded_for` merges the client's header and
        // its own entry.
        let line: &[u8] = b"\xff\xfe, 198.51.100.9";
        assert_eq!(
            of_raw("10.0.0.1", &[line], &["10.0.0.1"]),
            Some("198.51.100.9".into())
        );
        let line: &[u8] = b"198.51.100.1, \xff, 198.51.100.9";
        assert_eq!(
            of_raw("10.0.0.1", &[line], &["10.0.0.1"]),
            Some("198.51.100.9".into())
        );
    }

    #[test]
    fn proxies_may_be_named_by_network() {
        let t = ["10.0.0.0/8", "2001:db8:ffff::/48"];
        assert_eq!(
            of("10.200.3.4", &["198.51.100.9, 10.1.1.1"], &t),
            Some("198.51.100.9".into())
        );
        assert_eq!(
            of("2001:db8:ffff:1::9", &["198.51.100.9"], &t),
            Some("198.51.100.9".into())
        );
        assert_eq!(
            of("11.0.0.1", &["198.51.100.9"], &t),
            Some("11.0.0.1".into())
        );
        for bad in [
            "10.0.0.0/33",
            "ten",
            "",
            "10.0.0.1/8/8",
            "::ffff:10.0.0.0/129",
        ] {
            assert!(parse_trusted(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_trusted("::ffff:10.0.0.0/104").unwrap(),
            parse_trusted("10.0.0.0/8").unwrap()
        );
    }

    #[test]
    fn a_long_header_is_read_only_so_far() {
        let many = vec!["10.0.0.2"; 100].join(", ");
        assert_eq!(
            of(
                "10.0.0.1",
                &["198.51.100.9", &many],
                &["10.0.0.1", "10.0.0.2"]
            ),
            Some("10.0.0.2".into())
        );
        let commas = ",".repeat(300_000);
        assert_eq!(
            of("10.0.0.1", &[&commas], &["10.0.0.1"]),
            Some("10.0.0.1".into())
        );
    }

    #[test]
    fn an_ipv6_client_counts_as_its_slash_56() {
        assert_eq!(
            of("2001:db8:1:2:aaaa::1", &[], &[]),
            Some("2001:db8:1::/56".into())
        );
        // Another /64 of the same /56: the same client.
        assert_eq!(
            of("2001:db8:1:ff:bbbb::99", &[], &[]),
            of("2001:db8:1:2:aaaa::1", &[], &[])
        );
        assert_ne!(
            of("2001:db8:1:100::1", &[], &[]),
            of("2001:db8:1:2::1", &[], &[])
        );
    }

    #[test]
    fn an_ipv6_address_that_carries_an_ipv4_one_is_that_ipv4_address() {
        for (v6, v4) in [
            ("::ffff:192.0.2.5", "192.0.2.5"),
            ("64:ff9b::c000:201", "192.0.2.1"),
            ("64:ff9b::c633:6401", "198.51.100.1"),
            ("2002:c000:201:7::1", "192.0.2.1"),
            // Teredo: the client's 192.0.2.45 inverted in the last 32 bits.
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),
        ] {
            assert_eq!(of(v6, &[], &[]), Some(v4.into()), "{v6}");
        }
        // Two IPv4 clients behind NAT64 are two clients.
        assert_ne!(
            of("64:ff9b::c000:201", &[], &[]),
            of("64:ff9b::c000:202", &[], &[])
        );
    }
}
