//! TC3-HMAC-SHA256, Tencent Cloud API 3.0's request signature ("签名方法 v3"), for a JSON
//! POST to `/` that signs the two headers Tencent requires (`content-type` and `host`),
//! the same set Tencent's own SDKs sign.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The headers covered by the signature, lower case, sorted, `;`-separated.
pub const SIGNED_HEADERS: &str = "content-type;host";

/// What one signature covers.
#[derive(Clone, Copy, Debug)]
pub struct SigningInput<'a> {
    /// The product's short name as in its host (`sms` for `sms.tencentcloudapi.com`).
    pub service: &'a str,
    /// The `Host` header exactly as sent.
    pub host: &'a str,
    /// The `Content-Type` header exactly as sent.
    pub content_type: &'a str,
    /// The request body, byte for byte.
    pub payload: &'a [u8],
    /// Seconds since the epoch, as sent in `X-TC-Timestamp`.
    pub timestamp: i64,
}

/// The `Authorization` header value for `input`, signed with `secret_id`/`secret_key`.
pub fn authorization(secret_id: &str, secret_key: &str, input: &SigningInput<'_>) -> String {
    let date = utc_date(input.timestamp);
    let scope = format!("{date}/{}/tc3_request", input.service);
    let signature = signature(secret_key, &date, input);
    format!(
        "{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )
}

/// The hex signature of `input` (step 3 of Tencent's description).
pub fn signature(secret_key: &str, date: &str, input: &SigningInput<'_>) -> String {
    let string_to_sign = string_to_sign(date, input);
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, input.service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    hex(&hmac_sha256(&secret_signing, string_to_sign.as_bytes()))
}

/// The canonical request (step 1): method, URI, empty query, canonical headers, signed
/// headers and the payload's hash.
pub fn canonical_request(input: &SigningInput<'_>) -> String {
    // Tencent lower-cases header names and values and trims them.
    let content_type = input.content_type.trim().to_ascii_lowercase();
    let host = input.host.trim().to_ascii_lowercase();
    format!(
        "POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\n{SIGNED_HEADERS}\n{}",
        hex(&Sha256::digest(input.payload))
    )
}

/// The string to sign (step 2): algorithm, timestamp, credential scope and the canonical
/// request's hash.
pub fn string_to_sign(date: &str, input: &SigningInput<'_>) -> String {
    format!(
        "{ALGORITHM}\n{}\n{date}/{}/tc3_request\n{}",
        input.timestamp,
        input.service,
        hex(&Sha256::digest(canonical_request(input).as_bytes()))
    )
}

/// The UTC date of `timestamp` as `YYYY-MM-DD`. Tencent insists on UTC: a local date
/// would make every call fail around midnight.
pub fn utc_date(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Tencent's "签名方法 v3" page (CVM `DescribeInstances` in
    /// Guangzhou): its inputs, intermediate hashes and final signature.
    fn documented_example() -> SigningInput<'static> {
        SigningInput {
            service: "cvm",
            host: "cvm.tencentcloudapi.com",
            content_type: "application/json; charset=utf-8",
            payload: br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#,
            timestamp: 1_551_113_065,
        }
    }

    #[test]
    fn matches_the_worked_example_in_tencents_documentation() {
        let input = documented_example();
        assert_eq!(
            hex(&Sha256::digest(input.payload)),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            canonical_request(&input),
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            string_to_sign("2019-02-25", &input),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            authorization(
                "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                &input
            ),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn the_date_is_utc_even_just_after_midnight_in_beijing() {
        // 2019-02-26 00:44:25 in UTC+8 is still the 25th in UTC (the page's own warning).
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
    }

    #[test]
    fn another_key_or_body_changes_the_signature() {
        let input = documented_example();
        let base = signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", &input);
        assert_ne!(
            base,
            signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLF", "2019-02-25", &input)
        );
        let other = SigningInput {
            payload: b"{}",
            ..input
        };
        assert_ne!(
            base,
            signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "2019-02-25", &other)
        );
    }
}
