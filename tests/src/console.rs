//! Driving the staff console in tests: accounts, logging in, and requests with the
//! session cookie.

// Test set-up that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use axum::{body::Body, http::Request};
use lingong_core::staff::Role;

use crate::{Answer, Backend, TestApi, encode, test_api};

/// Every test account's password.
pub const PASSWORD: &str = "station-desk-2026";

/// A router on a fresh store with an `admin` and a `clerk` account.
pub async fn with_staff(backend: Backend) -> TestApi {
    let api = test_api(backend).await;
    let station = api.state.app.stations.default_station().clone();
    api.state
        .app
        .add_staff(&station, "admin", "王主任", Role::Admin, PASSWORD)
        .await
        .unwrap();
    api.state
        .app
        .add_staff(&station, "clerk", "李专员", Role::Staff, PASSWORD)
        .await
        .unwrap();
    api
}

pub(crate) fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// POSTs a form as the holder of `cookie` (if any), from address `from`.
pub async fn post_form_as(
    api: &TestApi,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
    from: &str,
) -> Answer {
    let mut request = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", from);
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("lg_staff={cookie}"));
    }
    api.call(request.body(Body::from(form_body(fields))).unwrap())
        .await
}

/// GETs a page as the holder of `cookie` (if any).
pub async fn get_as(api: &TestApi, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("lg_staff={cookie}"));
    }
    api.call(request.body(Body::empty()).unwrap()).await
}

/// Logs in; returns the cookie value and the CSRF token from the console's first page.
pub async fn login(api: &TestApi, user: &str) -> (String, String) {
    let answer = post_form_as(
        api,
        "/staff/login",
        None,
        &[("username", user), ("password", PASSWORD)],
        "203.0.113.1",
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let set_cookie = answer.headers["set-cookie"].to_str().unwrap().to_owned();
    for flag in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/staff",
        "Max-Age=28800",
    ] {
        assert!(set_cookie.contains(flag), "{set_cookie} lacks {flag}");
    }
    let cookie = set_cookie
        .trim_start_matches("lg_staff=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let home = get_as(api, "/staff/", Some(&cookie)).await;
    assert_eq!(home.status, 200, "{}", home.body);
    let csrf = home
        .body
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (cookie, csrf)
}
