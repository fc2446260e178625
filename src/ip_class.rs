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
