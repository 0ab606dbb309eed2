//! Whose quota a request uses on AWS, through the router as the Lambda front end wraps
//! it (`client_ip::behind_edge`), on both stores: a direct caller cannot pick its
//! address by sending `CloudFront-Viewer-Address`; a request through CloudFront (with
//! the origin secret) counts against its viewer, not the shared edge.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_core::limits::Limit;
use lingong_http::client_ip::{self, EdgeTrust, ORIGIN_VERIFY_HEADER, Peer, VIEWER_ADDRESS_HEADER};
use lingong_tests::{Backend, TestApi, test_api};
use tower::ServiceExt;

lingong_tests::on_both_backends!(
    a_forged_viewer_address_from_a_direct_caller_is_not_trusted,
    through_cloudfront_each_viewer_has_its_own_quota,
);

const SECRET: &str = "originSecretForTests0123456789abcdef";

/// `GET /api/challenge` as API Gateway hands it over: from `peer`, with `headers`.
async fn challenge(api: &TestApi, peer: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = axum::http::Request::get("/api/challenge");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(axum::body::Body::empty()).unwrap();
    request.extensions_mut().insert(Peer(peer.parse().unwrap()));
    let router = client_ip::behind_edge(
        lingong_http::router(api.state.clone()),
        EdgeTrust {
            origin_secret: Some(SECRET.into()),
        },
    );
    router.oneshot(request).await.unwrap().status().as_u16()
}

async fn a_forged_viewer_address_from_a_direct_caller_is_not_trusted(backend: Backend) {
    let api = test_api(backend).await;
    let limit = Limit::CHALLENGE_ADDRESS.max;
    // A new "viewer" every time, and a wrong secret on some: all one caller.
    for n in 0..limit {
        let viewer = format!("198.51.100.{}:4{n:04}", n % 250);
        let forwarded = format!("192.0.2.{}", n % 250);
        let mut headers = vec![
            (VIEWER_ADDRESS_HEADER, viewer.as_str()),
            ("x-forwarded-for", forwarded.as_str()),
        ];
        if n % 2 == 0 {
            headers.push((ORIGIN_VERIFY_HEADER, "a-guess"));
        }
        assert_eq!(challenge(&api, "203.0.113.50", &headers).await, 200, "{n}");
    }
    assert_eq!(
        challenge(
            &api,
            "203.0.113.50",
            &[(VIEWER_ADDRESS_HEADER, "198.51.100.251:5000")]
        )
        .await,
        429
    );
    // Another caller has its own quota.
    assert_eq!(challenge(&api, "203.0.113.51", &[]).await, 200);
}

async fn through_cloudfront_each_viewer_has_its_own_quota(backend: Backend) {
    let api = test_api(backend).await;
    let limit = Limit::CHALLENGE_ADDRESS.max;
    let edge = "130.176.1.1";
    // Many viewers through one edge address: none of them is limited.
    for n in 0..=limit {
        let viewer = format!("198.51.100.{}:443", n + 1);
        let viewer6 = format!("2001:db8::{n:x}:61000");
        for address in [&viewer, &viewer6] {
            let headers = [
                (ORIGIN_VERIFY_HEADER, SECRET),
                (VIEWER_ADDRESS_HEADER, address.as_str()),
            ];
            assert_eq!(challenge(&api, edge, &headers).await, 200, "{address}");
        }
    }
    // One viewer gets the limit and no more, whichever port it comes from.
    for n in 0..limit {
        let viewer = format!("203.0.113.77:{}", 1024 + n);
        let headers = [
            (ORIGIN_VERIFY_HEADER, SECRET),
            (VIEWER_ADDRESS_HEADER, viewer.as_str()),
        ];
        assert_eq!(challenge(&api, edge, &headers).await, 200, "{n}");
    }
    let headers = [
        (ORIGIN_VERIFY_HEADER, SECRET),
        (VIEWER_ADDRESS_HEADER, "203.0.113.77:9999"),
    ];
    assert_eq!(challenge(&api, edge, &headers).await, 429);
}
