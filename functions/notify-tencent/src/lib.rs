//! SMS through Tencent Cloud SMS (腾讯云短信): [`TencentSms`] implements the core's
//! [`SmsGateway`] seam with the `SendSms` API (version 2021-01-11), a JSON POST signed
//! with TC3-HMAC-SHA256 ([`sign`]).
//!
//! Tencent sends only filed templates: a message without a template, or whose template
//! has no Tencent template id for its station, is refused before any network call. The
//! template's variables go out in the order the template numbers them (`{1}`, `{2}`, …),
//! which is the order of [`TemplateSms::params`].
//!
//! Nothing is retried here: whether to try again is the notice ledger's decision
//! ([`codes`] sorts each answer), because a retried send after a timeout could send the
//! same SMS twice.

pub mod codes;
pub mod config;
pub mod sign;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use lingong_core::notices::{
    port::{SendError, TemplateSms},
    sms::{OutgoingSms, SmsGateway},
};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

pub use config::{ConfigError, TemplateIds, TencentConfig};

/// The API version this adapter speaks.
pub const API_VERSION: &str = "2021-01-11";

/// The product name in the signature's credential scope.
pub const SERVICE: &str = "sms";

/// The content type sent and signed (the one Tencent's SDKs use for JSON).
const JSON: &str = "application/json";

/// Longest wait for a TCP (and TLS) connection; a failure within it means nothing was
/// sent, so it is worth a retry.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Tencent Cloud SMS as the SMS gateway.
#[derive(Clone, Debug)]
pub struct TencentSms {
    config: TencentConfig,
    url: reqwest::Url,
    host: String,
    client: reqwest::Client,
}

impl TencentSms {
    /// A gateway on `config`, with an HTTPS client that trusts the Mozilla roots compiled
    /// in and gives up on a call after `config.deadline`.
    pub fn new(config: TencentConfig) -> Result<TencentSms, ConfigError> {
        let url = config.endpoint_url()?;
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(ConfigError::BadEndpoint(config.endpoint.clone())),
        };
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| reqwest::Certificate::from_der(der.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        let client = reqwest::Client::builder()
            .tls_certs_only(roots)
            .connect_timeout(CONNECT_TIMEOUT.min(config.deadline / 2))
            // The whole call, from connecting until the body is read.
            .timeout(config.deadline)
            // A Lambda may sit frozen for minutes; a connection idle that long is likely
            // dead, and a request written into a dead connection ends as an unknown
            // outcome instead of a clean reconnect.
            .pool_idle_timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(TencentSms {
            config,
            url,
            host,
            client,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &TencentConfig {
        &self.config
    }

    /// The request body for `sms` sent with `template` under `template_id`.
    fn body(
        &self,
        sms: &OutgoingSms<'_>,
        template: &TemplateSms,
        template_id: &str,
    ) -> Result<Vec<u8>, SendError> {
        let request = SendSmsRequest {
            phone_number_set: [sms.e164],
            sms_sdk_app_id: &self.config.sdk_app_id,
            sign_name: &template.signature,
            template_id,
            template_param_set: template.params.iter().map(|(_, v)| v.as_str()).collect(),
            session_context: sms.notice_id,
        };
        serde_json::to_vec(&request)
            .map_err(|e| SendError::Permanent(format!("Tencent SMS request not built: {e}")))
    }

    /// The signed headers for `body` at `timestamp`.
    fn headers(&self, body: &[u8], timestamp: i64) -> Result<HeaderMap, SendError> {
        let authorization = sign::authorization(
            &self.config.secret_id,
            &self.config.secret_key,
            &sign::SigningInput {
                service: SERVICE,
                host: &self.host,
                content_type: JSON,
                payload: body,
                timestamp,
            },
        );
        let value = |text: &str| {
            HeaderValue::from_str(text).map_err(|_| {
                SendError::Permanent("Tencent SMS header not valid (check the config)".into())
            })
        };
        let mut headers = HeaderMap::new();
        headers.insert(HOST, value(&self.host)?);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
        headers.insert("X-TC-Action", HeaderValue::from_static("SendSms"));
        headers.insert("X-TC-Version", HeaderValue::from_static(API_VERSION));
        headers.insert("X-TC-Timestamp", value(&timestamp.to_string())?);
        headers.insert("X-TC-Region", value(&self.config.region)?);
        let mut authorization = value(&authorization)?;
        authorization.set_sensitive(true);
        headers.insert(AUTHORIZATION, authorization);
        Ok(headers)
    }

    /// Posts `body` and reads the answer, within the deadline.
    async fn post(&self, body: Vec<u8>) -> Result<(u16, Vec<u8>), SendError> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let headers = self.headers(&body, timestamp)?;
        let response = self
            .client
            .post(self.url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| transport_error(&e))?;
        Ok((status, bytes.to_vec()))
    }
}

/// Sorts a failure of the HTTP exchange itself.
fn transport_error(error: &reqwest::Error) -> SendError {
    if error.is_connect() {
        // No connection, so no request went out.
        SendError::Retryable("Tencent SMS unreachable".into())
    } else if error.is_timeout() {
        SendError::Unknown("Tencent SMS did not answer in time".into())
    } else if error.is_builder() {
        SendError::Permanent("Tencent SMS request could not be built".into())
    } else {
        // Written but cut off, or an unreadable answer: it may have been taken.
        SendError::Unknown("Tencent SMS answer lost".into())
    }
}

/// Reads Tencent's answer: the serial number of a message it took, or why not.
pub fn read_answer(status: u16, body: &[u8]) -> Result<String, SendError> {
    let Ok(Envelope { response }) = serde_json::from_slice::<Envelope>(body) else {
        return Err(match status {
            // Busy or throttled in front of the API: the request was not taken.
            429 | 503 => SendError::Retryable(format!("Tencent SMS HTTP {status}")),
            _ => SendError::Unknown(format!("Tencent SMS unreadable answer (HTTP {status})")),
        });
    };
    if let Some(error) = response.error {
        return Err(codes::send_error(&error.code, &error.message));
    }
    let Some(first) = response
        .send_status_set
        .unwrap_or_default()
        .into_iter()
        .next()
    else {
        return Err(SendError::Unknown(
            "Tencent SMS answered without a send status".into(),
        ));
    };
    if first.code == "Ok" {
        Ok(first.serial_no.unwrap_or_default())
    } else {
        Err(codes::send_error(&first.code, &first.message))
    }
}

#[async_trait]
impl SmsGateway for TencentSms {
    fn name(&self) -> &'static str {
        "tencent"
    }

    async fn send_sms(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError> {
        let Some(template) = sms.template else {
            return Err(SendError::Permanent(
                "Tencent SMS sends filed templates only; this message has none".into(),
            ));
        };
        let Some(template_id) = self
            .config
            .template_id(&template.station, &template.template)
        else {
            return Err(SendError::Permanent(format!(
                "no Tencent template id for {:?} at station {:?}",
                template.template, template.station
            )));
        };
        let body = self.body(sms, template, template_id)?;
        let result = match self.post(body).await {
            Ok((status, body)) => read_answer(status, &body),
            Err(error) => Err(error),
        };
        match &result {
            Ok(serial) => tracing::info!(
                notice = sms.notice_id,
                template = %template.template,
                serial = %serial,
                "Tencent SMS accepted"
            ),
            Err(error) => tracing::warn!(
                notice = sms.notice_id,
                template = %template.template,
                error = %lingong_core::mask::mask_numbers(&error.to_string()),
                "Tencent SMS not sent"
            ),
        }
        result
    }
}

/// `SendSms` input (only what Lingong sends).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendSmsRequest<'a> {
    phone_number_set: [&'a str; 1],
    sms_sdk_app_id: &'a str,
    sign_name: &'a str,
    template_id: &'a str,
    template_param_set: Vec<&'a str>,
    session_context: &'a str,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Answer,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    error: Option<ApiError>,
    send_status_set: Option<Vec<SendStatus>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    serial_no: Option<String>,
    code: String,
    #[serde(default)]
    message: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn gateway(templates: &str) -> TencentSms {
        let config = TencentConfig::from_json(&format!(
            r#"{{"secret_id":"AKIDtest","secret_key":"test-key","sdk_app_id":"1400000001",
                "endpoint":"http://127.0.0.1:9","templates":{templates}}}"#
        ))
        .unwrap();
        TencentSms::new(config).unwrap()
    }

    fn offer() -> TemplateSms {
        TemplateSms {
            station: "st-east".into(),
            signature: "零工驿站".into(),
            template: "offer".into(),
            params: vec![
                ("job".into(), "搬运工".into()),
                ("date".into(), "12月8日".into()),
                ("code".into(), "K7Q2".into()),
            ],
        }
    }

    fn sms(template: Option<&TemplateSms>) -> OutgoingSms<'_> {
        OutgoingSms {
            notice_id: "01JOB.01WKR.offer",
            e164: "+8613800138000",
            text: "【零工驿站】…",
            template,
        }
    }

    #[test]
    fn the_body_carries_the_params_in_template_order() {
        let gateway = gateway(r#"{"*":{"offer":"1000001"}}"#);
        let template = offer();
        let body = gateway
            .body(&sms(Some(&template)), &template, "1000001")
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "PhoneNumberSet": ["+8613800138000"],
                "SmsSdkAppId": "1400000001",
                "SignName": "零工驿站",
                "TemplateId": "1000001",
                "TemplateParamSet": ["搬运工", "12月8日", "K7Q2"],
                "SessionContext": "01JOB.01WKR.offer",
            })
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let printed = format!("{:?}", gateway(r#"{"*":{}}"#));
        assert!(!printed.contains("test-key"), "{printed}");
    }

    #[test]
    fn the_headers_are_signed_for_the_host_sent() {
        let gateway = gateway(r#"{"*":{"offer":"1000001"}}"#);
        let headers = gateway.headers(b"{}", 1_551_113_065).unwrap();
        assert_eq!(headers[HOST], "127.0.0.1:9");
        assert_eq!(headers["X-TC-Action"], "SendSms");
        assert_eq!(headers["X-TC-Version"], "2021-01-11");
        assert_eq!(headers["X-TC-Region"], "ap-guangzhou");
        assert_eq!(headers["X-TC-Timestamp"], "1551113065");
        let expected = sign::authorization(
            "AKIDtest",
            "test-key",
            &sign::SigningInput {
                service: "sms",
                host: "127.0.0.1:9",
                content_type: "application/json",
                payload: b"{}",
                timestamp: 1_551_113_065,
            },
        );
        assert_eq!(headers[AUTHORIZATION], expected.as_str());
        assert!(headers[AUTHORIZATION].is_sensitive());
    }

    #[tokio::test]
    async fn no_template_or_no_template_id_is_permanent_without_a_call() {
        // The endpoint is a closed port: a network call would be Retryable, not Permanent.
        let gateway = gateway(r#"{"*":{"course":"1000002"}}"#);
        assert!(matches!(
            gateway.send_sms(&sms(None)).await,
            Err(SendError::Permanent(_))
        ));
        let template = offer();
        assert!(matches!(
            gateway.send_sms(&sms(Some(&template))).await,
            Err(SendError::Permanent(text)) if text.contains("offer")
        ));
    }

    #[test]
    fn answers_are_read_as_tencent_documents_them() {
        let ok = br#"{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619",
            "PhoneNumber":"+8613800138000","Fee":1,"SessionContext":"n1","Code":"Ok",
            "Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6"}}"#;
        assert_eq!(
            read_answer(200, ok).unwrap(),
            "5000:1045710669157053657849499619"
        );
        let per_number = br#"{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800138000",
            "Fee":0,"SessionContext":"n1","Code":"LimitExceeded.PhoneNumberDailyLimit",
            "Message":"the number of sms messages sent from a single mobile number every day exceeds the upper limit","IsoCode":"CN"}],
            "RequestId":"b"}}"#;
        assert!(matches!(
            read_answer(200, per_number),
            Err(SendError::Retryable(_))
        ));
        let request_level = br#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure",
            "Message":"The provided credentials could not be validated."},"RequestId":"c"}}"#;
        assert!(matches!(
            read_answer(200, request_level),
            Err(SendError::Permanent(_))
        ));
        assert!(matches!(
            read_answer(200, br#"{"Response":{"RequestId":"d"}}"#),
            Err(SendError::Unknown(_))
        ));
        assert!(matches!(
            read_answer(502, b"<html>bad gateway</html>"),
            Err(SendError::Unknown(_))
        ));
        assert!(matches!(
            read_answer(503, b"busy"),
            Err(SendError::Retryable(_))
        ));
    }

    #[tokio::test]
    async fn a_refused_connection_is_retryable() {
        // Port 9 (discard) on loopback: nothing listens there on a test machine.
        let gateway = gateway(r#"{"*":{"offer":"1000001"}}"#);
        let template = offer();
        assert!(matches!(
            gateway.send_sms(&sms(Some(&template))).await,
            Err(SendError::Retryable(_))
        ));
    }
}
