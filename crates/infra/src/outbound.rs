//! The one HTTP client for requests to URLs a user supplied (model endpoints now; Notion, web
//! pages and tool APIs later).
//!
//! - Only `http` and `https`.
//! - The address is checked after resolution, by the resolver the client connects with, so
//!   what was checked is what is connected (no DNS-rebinding gap); an IP written in the URL
//!   (in any spelling the URL standard accepts: `127.1`, `2130706433`, `0x7f000001`, …) is
//!   checked by [`check_url`], since no resolution happens for it.
//! - Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) are
//!   always refused; loopback and private ranges are allowed (self-hosted models live there)
//!   unless `OUTBOUND_ALLOW_PRIVATE=false`.
//! - Redirects are not followed.
//! - `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` are not used: a proxy would resolve and
//!   reach the target itself, past every check above.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What an address is to the outbound policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Anywhere on the internet.
    Public,
    /// This host or a private network: allowed unless `OUTBOUND_ALLOW_PRIVATE=false`.
    Private,
    /// Link-local, cloud metadata, multicast: never.
    Forbidden,
}

/// The process's setting (`OUTBOUND_ALLOW_PRIVATE`, set once at start; default true).
static ALLOW_PRIVATE: AtomicBool = AtomicBool::new(true);

/// Applies `OUTBOUND_ALLOW_PRIVATE`.
pub fn configure(allow_private: bool) {
    ALLOW_PRIVATE.store(allow_private, Ordering::Relaxed);
}

/// Whether a connection to `ip` is allowed now.
pub fn allowed(ip: IpAddr) -> bool {
    match classify(ip) {
        Class::Public => true,
        Class::Private => ALLOW_PRIVATE.load(Ordering::Relaxed),
        Class::Forbidden => false,
    }
}

/// The class of an address; IPv4-mapped IPv6 addresses count as their IPv4 address.
pub fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() || ip.is_multicast() || ip.is_broadcast() {
        Class::Forbidden
    } else if ip.is_loopback()
        || ip.is_private()
        || ip.is_unspecified()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19))
    // benchmarking
    {
        Class::Private
    } else {
        Class::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    let first = ip.segments()[0];
    let aws_metadata = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    if ip == aws_metadata || (first & 0xffc0) == 0xfe80 || ip.is_multicast() {
        Class::Forbidden
    } else if ip.is_loopback() || ip.is_unspecified() || (first & 0xfe00) == 0xfc00 {
        Class::Private
    } else {
        Class::Public
    }
}

/// Why a URL may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0:?} is not a valid URL")]
    Invalid(String),
    #[error("only http and https URLs may be used, not {0}")]
    Scheme(String),
    #[error("requests to {0} are not allowed")]
    Address(IpAddr),
}

/// Checks what can be checked before connecting: the scheme, and an IP written in the URL.
/// Host names are checked by the client's resolver when it connects.
pub fn check_url(raw: &str) -> Result<(), Refused> {
    let url = url::Url::parse(raw).map_err(|_| Refused::Invalid(raw.chars().take(200).collect()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme(url.scheme().to_owned()));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if allowed(ip) { Ok(()) } else { Err(Refused::Address(ip)) }
}

/// Resolves with the system resolver and keeps only allowed addresses: the client connects to
/// nothing else.
#[derive(Debug, Clone, Copy, Default)]
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found.iter().copied().filter(|a| allowed(a.ip())).collect();
            match (kept.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs),
                (true, Some(refused)) => Err(Refused::Address(refused.ip()).into()),
                (true, None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

/// A client builder with the policy in place (resolver, no redirects, no proxy, no Nagle
/// delay on small writes); callers add timeouts.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver))
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn addresses_are_classified_without_traffic() {
        for forbidden in
            ["169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254", "::ffff:169.254.169.254", "224.0.0.1"]
        {
            assert_eq!(classify(ip(forbidden)), Class::Forbidden, "{forbidden}");
        }
        for private in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ] {
            assert_eq!(classify(ip(private)), Class::Private, "{private}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1"] {
            assert_eq!(classify(ip(public)), Class::Public, "{public}");
        }
    }

    #[test]
    fn urls_are_checked_in_every_spelling() {
        configure(false);
        for url in [
            "http://127.1:9/",
            "http://2130706433:9/",
            "http://0x7f000001:9/",
            "http://0177.0.0.1:9/",
            "http://[::ffff:127.0.0.1]:9/",
            "http://[::1]:9/",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            assert!(matches!(check_url(url), Err(Refused::Address(_))), "{url}");
        }
        assert!(matches!(check_url("file:///etc/passwd"), Err(Refused::Scheme(_))));
        assert!(matches!(check_url("gopher://x"), Err(Refused::Scheme(_))));
        assert_eq!(check_url("https://api.openai.com/v1"), Ok(()));
        // Names are the resolver's to check.
        assert_eq!(check_url("http://localhost:9/"), Ok(()));
        configure(true);
        assert_eq!(check_url("http://127.0.0.1:9/"), Ok(()));
        assert!(matches!(check_url("http://169.254.169.254/"), Err(Refused::Address(_))), "metadata: always");
    }
}
