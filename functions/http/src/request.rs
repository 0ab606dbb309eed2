//! Reading a submission: size limit (413), content type (415), body shape (400), the
//! reader's language and the idempotency key.

use axum::{
    body::Body,
    http::{HeaderMap, header},
};
use lingong_core::{
    Lang,
    idempotency::IdempotencyKey,
    input::{JsonShape, RawInput},
    problem::{FieldError, Invalid},
};

use std::sync::Arc;

use axum::response::Response;
use lingong_core::station::Station;

use crate::{
    AppState,
    reply::{Failure, Flavor},
};

/// The largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How a link's page is answered (JSON or HTML, language) and the station its query
/// names (`None`: the deployment's default). An unknown station is answered 404.
pub fn link_request(
    state: &AppState,
    headers: &HeaderMap,
    station: Option<&str>,
) -> Result<(Flavor, Lang, Arc<Station>), Box<Response>> {
    let lang = header_lang(headers);
    let flavor = if wants_json(headers) {
        Flavor::Json
    } else {
        Flavor::Html
    };
    match state.app.station(station) {
        Some(station) => Ok((flavor, lang, station.clone())),
        None => Err(Box::new(
            Failure::NotFound { flavor, lang }.respond(state, state.app.stations.default_station()),
        )),
    }
}

/// A public form's submission and the station its `station` field names (`None`: the
/// deployment's default); a failure is the answer.
pub async fn read_public(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Submitted, Arc<Station>), Response> {
    let default = state.app.stations.default_station();
    let submitted = read(headers, body)
        .await
        .map_err(|failure| failure.respond(state, default))?;
    match state.app.station(submitted.input.one("station")) {
        Some(station) => Ok((submitted, station.clone())),
        None => Err(Failure::NotFound {
            flavor: submitted.flavor,
            lang: submitted.lang,
        }
        .respond(state, default)),
    }
}

/// A submission to a link and the station its query names; a failure is the answer.
pub async fn read_at(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    station: Option<&str>,
) -> Result<(Submitted, Arc<Station>), Response> {
    let default = state.app.stations.default_station();
    let submitted = read(headers, body)
        .await
        .map_err(|failure| failure.respond(state, default))?;
    match state.app.station(station) {
        Some(station) => Ok((submitted, station.clone())),
        None => Err(Failure::NotFound {
            flavor: submitted.flavor,
            lang: submitted.lang,
        }
        .respond(state, default)),
    }
}

/// A readable submission.
#[derive(Debug)]
pub struct Submitted {
    /// The fields.
    pub input: RawInput,
    /// JSON in, JSON out; form in, page out.
    pub flavor: Flavor,
    /// The reader's language.
    pub lang: Lang,
}

/// The language a request prefers from its `Accept-Language` header.
pub fn header_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// Whether the client asked for JSON (`Accept: application/json`).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json") && !accept.contains("text/html"))
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// Reads and checks the body of a POST.
pub async fn read(headers: &HeaderMap, body: Body) -> Result<Submitted, Failure> {
    let lang = header_lang(headers);
    let flavor = match media_type(headers).as_deref() {
        Some("application/json") => Flavor::Json,
        Some("application/x-www-form-urlencoded") => Flavor::Html,
        _ => {
            let flavor = if wants_json(headers) || headers.get(header::CONTENT_TYPE).is_some() {
                Flavor::Json
            } else {
                Flavor::Html
            };
            return Err(Failure::UnsupportedMediaType { flavor, lang });
        }
    };
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return Err(Failure::PayloadTooLarge { flavor, lang }),
    };
    let mut input = match flavor {
        Flavor::Json => {
            let value: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|_| Failure::Malformed { flavor, lang })?;
            match RawInput::from_json(&value) {
                Ok(input) => input,
                Err(JsonShape::NotAnObject) => return Err(Failure::Malformed { flavor, lang }),
                Err(JsonShape::NotScalar(error)) => {
                    return Err(Failure::Invalid {
                        flavor,
                        lang,
                        invalid: Invalid::one(error),
                    });
                }
            }
        }
        Flavor::Html => {
            if std::str::from_utf8(&bytes).is_err() {
                return Err(Failure::Malformed { flavor, lang });
            }
            let mut input = RawInput::new();
            for (name, value) in form_urlencoded::parse(&bytes) {
                input.push(name.into_owned(), value.into_owned());
            }
            input
        }
    };
    let lang = input.one("_lang").and_then(Lang::parse).unwrap_or(lang);
    if input.one("_lang").and_then(Lang::parse).is_none() {
        // Use cases read the submitter's language from the input (notices go out in it).
        input.push("_lang", lang.tag());
    }
    Ok(Submitted {
        input,
        flavor,
        lang,
    })
}

impl Submitted {
    /// The idempotency key: the `Idempotency-Key` header, else a form's hidden nonce,
    /// else (plain forms only) one derived from the form's content, so a double click
    /// or a browser resend has one effect.
    pub fn idempotency_key(
        &self,
        headers: &HeaderMap,
        action: &str,
    ) -> Result<Option<IdempotencyKey>, Failure> {
        let invalid = |error: FieldError| Failure::Invalid {
            flavor: self.flavor,
            lang: self.lang,
            invalid: Invalid::one(error),
        };
        if let Some(value) = headers.get("idempotency-key") {
            let text = value.to_str().map_err(|_| {
                invalid(FieldError::new("idempotency_key", "error.idempotency_key"))
            })?;
            return IdempotencyKey::parse("idempotency_key", text)
                .map(Some)
                .map_err(invalid);
        }
        match self.input.one("_nonce").map(str::trim) {
            Some(nonce) if !nonce.is_empty() => IdempotencyKey::parse("_nonce", nonce)
                .map(Some)
                .map_err(invalid),
            _ if self.flavor == Flavor::Html => Ok(Some(IdempotencyKey::from_fingerprint(
                &self.input.fingerprint(action),
            ))),
            _ => Ok(None),
        }
    }
}
