//! Address classes: which addresses a remote homeserver on the public internet can use.
//! Pure: read by the judges, the planner and the redirect policy alike.

use std::net::IpAddr;

/// Private (RFC 1918, unique-local), shared (CGNAT), link-local: not reachable from the
/// public internet. Loopback is not included.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    // `::ffff:10.0.0.1` is 10.0.0.1.
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_link_local() || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Private, loopback or unspecified: inside a network, not on the internet.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    is_private(ip) || ip.is_loopback() || ip.is_unspecified()
}

/// Why no remote server can use this address, when it is one of the special-purpose ranges
/// that never reach the server from the internet (IANA special-purpose registries, RFC 6890):
/// "this host" (0.0.0.0/8, `::`), loopback, link-local, multicast, broadcast, documentation
/// (RFC 5737, RFC 3849), benchmarking (RFC 2544), reserved (240.0.0.0/4), discard-only
/// (RFC 6666). IPv4-mapped IPv6 forms count as their IPv4 address. Private ranges are not
/// here: they are usable inside one network ([`is_private`]).
pub(crate) fn unusable(ip: IpAddr) -> Option<&'static str> {
    // An IPv4 address carried in IPv6 (IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4
    // 2002::/16) is judged as that IPv4 address.
    if let Some(v4) = embedded_v4(ip) {
        return unusable(IpAddr::V4(v4));
    }
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if o[0] == 0 {
                Some("\"this host\" (0.0.0.0/8): a server that dials it reaches itself")
            } else if v4.is_loopback() {
                Some("loopback: a server that dials it reaches itself")
            } else if v4.is_link_local() {
                Some(
                    "link-local (169.254.0.0/16): never routed, and home of cloud metadata services",
                )
            } else if v4.is_multicast() {
                Some("multicast")
            } else if v4.is_broadcast() {
                Some("broadcast")
            } else if v4.is_documentation() {
                Some("documentation-only (RFC 5737)")
            } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
                Some("benchmarking-only (198.18.0.0/15)")
            } else if o[..3] == [192, 0, 0] {
                Some("reserved for protocol assignments (192.0.0.0/24)")
            } else if o[0] >= 240 {
                Some("reserved (240.0.0.0/4)")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_unspecified() {
                Some("unspecified (::): a server that dials it reaches itself")
            } else if v6.is_loopback() {
                Some("loopback: a server that dials it reaches itself")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("link-local (fe80::/10): never routed")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if (s[0] & 0xffc0) == 0xfec0 {
                Some("site-local (fec0::/10, deprecated): never routed")
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some("documentation-only (2001:db8::/32)")
            } else if (s[0] & 0xfff0) == 0x3ff0 {
                Some("documentation-only (3fff::/20)")
            } else if s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0 {
                Some("benchmarking-only (2001:2::/48)")
            } else if s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0 {
                Some("discard-only (100::/64)")
            } else {
                None
            }
        }
    }
}

/// The IPv4 address inside an IPv4-compatible (`::a.b.c.d`, not `::` or `::1`), NAT64
/// (`64:ff9b::/96`) or 6to4 (`2002:AABB:CCDD::/48`) IPv6 address.
fn embedded_v4(ip: IpAddr) -> Option<std::net::Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    let s = v6.segments();
    let low = |hi: u16, lo: u16| std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    let compatible = s[..6] == [0; 6] && (s[6] != 0 || s[7] > 1);
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if compatible || nat64 {
        Some(low(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(low(s[1], s[2]))
    } else {
        None
    }
}

/// Cloud metadata services on addresses outside link-local: AWS's IPv6 IMDS and Alibaba
/// Cloud's.
const METADATA: [&str; 2] = ["fd00:ec2::254", "100.100.100.200"];

/// Addresses delegcheck never connects to, whatever points there: no server answers on
/// them, and some (link-local 169.254.169.254, and [`METADATA`]) are where cloud metadata
/// services live.
pub(crate) fn never_dialled(ip: IpAddr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return never_dialled(IpAddr::V4(v4));
    }
    let ip = ip.to_canonical();
    if METADATA
        .iter()
        .any(|m| m.parse::<IpAddr>().is_ok_and(|m| m == ip))
    {
        return true;
    }
    let link_local = match ip {
        IpAddr::V4(v4) => v4.is_link_local() || v4.is_broadcast(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    };
    link_local || ip.is_unspecified() || ip.is_multicast()
}

/// The lab's stand-ins for public addresses: loopback and TEST-NET-1 (192.0.2.0/24).
pub(crate) fn lab_playground(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.is_loopback() || v4.octets()[..3] == [192, 0, 2],
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// A global address: neither special-purpose nor private (what `--public-only` allows).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    unusable(ip).is_none() && !is_private(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn special_purpose_addresses_are_unusable() {
        for a in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.7",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.1",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::7",
            "100::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "192.0.0.8",
            "fec0::1",
            "3fff::1",
            "2001:2::1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(unusable(ip(a)).is_some(), "{a}");
            assert!(!is_public(ip(a)), "{a}");
        }
        for a in [
            "8.8.8.8",
            "198.20.0.1",
            "2a01:4f8::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(unusable(ip(a)), None, "{a}");
            assert!(is_public(ip(a)), "{a}");
        }
        for a in ["10.0.0.1", "192.168.1.1", "fd00::1", "100.64.0.1"] {
            assert_eq!(unusable(ip(a)), None, "{a}: private is not unusable");
            assert!(!is_public(ip(a)), "{a}");
        }
    }

    #[test]
    fn link_local_and_metadata_are_never_dialled() {
        for a in [
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
            "100.100.100.200",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(never_dialled(ip(a)), "{a}");
        }
        for a in ["127.0.0.1", "10.0.0.1", "8.8.8.8", "::1"] {
            assert!(!never_dialled(ip(a)), "{a}");
        }
    }
}
