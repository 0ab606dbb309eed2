//! Whose address a request counts against, decided once at the edge of the router.
//!
//! The rate limits key on [`crate::staff::client_address`]: the last `X-Forwarded-For`
//! entry. Each front end makes that entry the client's real address before the router
//! sees the request:
//! - `lingong serve` writes the socket peer there itself (and nothing else is read);
//! - on AWS, [`behind_edge`] does it from what a client cannot forge:
//!   1. a request that did not come through the stack's CloudFront distribution (no
//!      [`ORIGIN_VERIFY_HEADER`], or a wrong one) counts against the peer API
//!      Gateway saw (the Lambda request context's `sourceIp`, given as [`Peer`]);
//!      whatever `CloudFront-Viewer-Address` or `X-Forwarded-For` it sent is ignored;
//!   2. a request through CloudFront carries [`ORIGIN_VERIFY_HEADER`] with the
//!      deployment's origin secret (a custom origin header CloudFront sets, replacing
//!      any a viewer sent); it counts against `CloudFront-Viewer-Address` (forwarded
//!      by the API's origin request policy), or where that header cannot be forwarded
//!      (the China regions take no origin request policy) against the entry CloudFront
//!      appended to `X-Forwarded-For`: the last one that is not the peer (API Gateway
//!      may append the edge's own address after it).
//!
//! Both headers are removed once read, so the secret never reaches a handler or a log.

use std::net::IpAddr;

use axum::{
    Router,
    extract::Request,
    http::{HeaderMap, HeaderValue},
    middleware::{self, Next},
    response::Response,
};

/// The header CloudFront sets on every request to the API origin, holding the origin
/// secret: the proof that a request came through the distribution.
pub const ORIGIN_VERIFY_HEADER: &str = "x-lingong-origin-verify";
/// The header CloudFront adds with the viewer's address and source port.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The address of the TCP peer that called the API, as the platform saw it (on
/// Lambda, API Gateway's `sourceIp`): put in the request's extensions by the front end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub IpAddr);

/// What the API trusts about its callers.
#[derive(Clone, Debug, Default)]
pub struct EdgeTrust {
    /// The origin secret CloudFront sends in [`ORIGIN_VERIFY_HEADER`]; `None` (or
    /// empty) trusts no CloudFront header at all.
    pub origin_secret: Option<String>,
}

/// The IP address in a `CloudFront-Viewer-Address` value: `ip:port`, where CloudFront
/// writes an IPv6 address without brackets (`2001:db8::1:443`); a bracketed
/// `[2001:db8::1]:443` is taken too. `None` for anything else (no port, a bad port, a
/// bad address).
pub fn parse_viewer_address(value: &str) -> Option<IpAddr> {
    let value = value.trim();
    let (ip, port) = match value.strip_prefix('[') {
        Some(rest) => {
            let (ip, port) = rest.split_once("]:")?;
            (ip, port)
        }
        None => value.rsplit_once(':')?,
    };
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse::<u16>().ok()?;
    ip.parse().ok()
}

/// Whether `headers` prove the request came through the distribution.
fn through_cloudfront(headers: &HeaderMap, trust: &EdgeTrust) -> bool {
    let Some(secret) = trust.origin_secret.as_deref().filter(|s| !s.is_empty()) else {
        return false;
    };
    let mut sent = headers.get_all(ORIGIN_VERIFY_HEADER).iter();
    match (sent.next(), sent.next()) {
        (Some(value), None) => {
            lingong_core::secrets::constant_time_eq(value.as_bytes(), secret.as_bytes())
        }
        _ => false,
    }
}

fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse().ok())
        .collect()
}

/// The address a request counts against, by the rules in the module documentation.
/// `None` when nothing trustworthy names one.
pub fn trusted_client(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    trust: &EdgeTrust,
) -> Option<IpAddr> {
    if through_cloudfront(headers, trust) {
        let mut viewer = headers.get_all(VIEWER_ADDRESS_HEADER).iter();
        if let (Some(value), None) = (viewer.next(), viewer.next())
            && let Some(ip) = value.to_str().ok().and_then(parse_viewer_address)
        {
            return Some(ip);
        }
        if let Some(ip) = forwarded_for(headers)
            .into_iter()
            .rev()
            .find(|ip| Some(*ip) != peer)
        {
            return Some(ip);
        }
    }
    match peer {
        Some(peer) => Some(peer),
        // No platform peer (not on Lambda): the front end wrote the last entry.
        None => forwarded_for(headers).last().copied(),
    }
}

/// Rewrites `request` so that its last (only) `X-Forwarded-For` entry is the trusted
/// client address and the edge headers are gone.
pub fn settle(request: &mut Request, trust: &EdgeTrust) {
    let peer = request.extensions().get::<Peer>().map(|p| p.0);
    let client = trusted_client(request.headers(), peer, trust);
    let headers = request.headers_mut();
    headers.remove(ORIGIN_VERIFY_HEADER);
    headers.remove(VIEWER_ADDRESS_HEADER);
    headers.remove("x-forwarded-for");
    if let Some(ip) = client
        && let Ok(value) = HeaderValue::from_str(&ip.to_string())
    {
        headers.insert("x-forwarded-for", value);
    }
}

/// `router` with every request settled by [`settle`] first (the AWS front end).
pub fn behind_edge(router: Router, trust: EdgeTrust) -> Router {
    router.layer(middleware::from_fn(
        move |mut request: Request, next: Next| {
            let trust = trust.clone();
            async move {
                settle(&mut request, &trust);
                let response: Response = next.run(request).await;
                response
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn trust() -> EdgeTrust {
        EdgeTrust {
            origin_secret: Some("s3cretOriginValue0123456789abcdef".into()),
        }
    }

    #[test]
    fn viewer_addresses_parse_in_cloudfronts_forms() {
        assert_eq!(
            parse_viewer_address("198.51.100.10:46532"),
            Some(ip("198.51.100.10"))
        );
        // CloudFront writes IPv6 without brackets: the port is after the last colon.
        assert_eq!(
            parse_viewer_address("2001:db8:85a3::8a2e:370:7334:46532"),
            Some(ip("2001:db8:85a3::8a2e:370:7334"))
        );
        assert_eq!(
            parse_viewer_address("[2001:db8::1]:443"),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(
            parse_viewer_address(" 203.0.113.5:1 "),
            Some(ip("203.0.113.5"))
        );
        for bad in [
            "",
            "198.51.100.10",
            "198.51.100.10:",
            "198.51.100.10:99999",
            "198.51.100.10:8o",
            "[2001:db8::1]",
            "example.com:443",
            "999.1.1.1:80",
            "198.51.100.10:80, 203.0.113.9:80",
        ] {
            assert_eq!(parse_viewer_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_direct_caller_counts_as_the_peer_whatever_it_sends() {
        let peer = Some(ip("203.0.113.50"));
        let forged = headers(&[
            (VIEWER_ADDRESS_HEADER, "198.51.100.1:5000"),
            ("x-forwarded-for", "198.51.100.2"),
        ]);
        assert_eq!(trusted_client(&forged, peer, &trust()), peer);
        // A wrong secret, or two of them, is no proof.
        let wrong = headers(&[
            (ORIGIN_VERIFY_HEADER, "guess"),
            (VIEWER_ADDRESS_HEADER, "198.51.100.1:5000"),
        ]);
        assert_eq!(trusted_client(&wrong, peer, &trust()), peer);
        let twice = headers(&[
            (ORIGIN_VERIFY_HEADER, "s3cretOriginValue0123456789abcdef"),
            (ORIGIN_VERIFY_HEADER, "s3cretOriginValue0123456789abcdef"),
            (VIEWER_ADDRESS_HEADER, "198.51.100.1:5000"),
        ]);
        assert_eq!(trusted_client(&twice, peer, &trust()), peer);
        // With no secret configured, nothing from CloudFront is trusted.
        let right = headers(&[
            (ORIGIN_VERIFY_HEADER, ""),
            (VIEWER_ADDRESS_HEADER, "198.51.100.1:5000"),
        ]);
        assert_eq!(trusted_client(&right, peer, &EdgeTrust::default()), peer);
    }

    #[test]
    fn through_cloudfront_the_viewer_counts() {
        let edge = Some(ip("130.176.1.1"));
        let through = headers(&[
            (ORIGIN_VERIFY_HEADER, "s3cretOriginValue0123456789abcdef"),
            (VIEWER_ADDRESS_HEADER, "2001:db8::7:61000"),
            ("x-forwarded-for", "10.0.0.1, 198.51.100.3, 130.176.1.1"),
        ]);
        assert_eq!(
            trusted_client(&through, edge, &trust()),
            Some(ip("2001:db8::7"))
        );
        // Without the viewer header (China), the entry CloudFront appended, skipping
        // the edge's own address API Gateway added after it.
        let china = headers(&[
            (ORIGIN_VERIFY_HEADER, "s3cretOriginValue0123456789abcdef"),
            ("x-forwarded-for", "10.0.0.1, 198.51.100.3, 130.176.1.1"),
        ]);
        assert_eq!(
            trusted_client(&china, edge, &trust()),
            Some(ip("198.51.100.3"))
        );
        let appended_not = headers(&[
            (ORIGIN_VERIFY_HEADER, "s3cretOriginValue0123456789abcdef"),
            ("x-forwarded-for", "10.0.0.1, 198.51.100.3"),
        ]);
        assert_eq!(
            trusted_client(&appended_not, edge, &trust()),
            Some(ip("198.51.100.3"))
        );
    }

    #[test]
    fn without_a_platform_peer_the_last_forwarded_entry_counts() {
        let served = headers(&[("x-forwarded-for", "198.51.100.2, 127.0.0.1")]);
        assert_eq!(
            trusted_client(&served, None, &EdgeTrust::default()),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            trusted_client(&HeaderMap::new(), None, &EdgeTrust::default()),
            None
        );
    }
}
