//! SMS through Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25): [`AliyunSms`]
//! implements the core's [`SmsGateway`] seam with one `SendSms` call per message.
//!
//! Mainland gateways send only filed templates, so a message must carry its
//! [`TemplateSms`](lingong_core::notices::port::TemplateSms): the catalogue key is
//! turned into the station's template code ([`TemplateCodes`]), the variables into the
//! `TemplateParam` JSON object, and the notice id travels as `OutId`, which Alibaba's
//! delivery reports (SmsReport) name again as `out_id`.
//!
//! Every call is signed with V3 (`ACS3-HMAC-SHA256`, see [`sign`]), has one deadline for
//! the whole exchange, and is never retried here: whether to try again is the notice
//! ledger's decision ([`codes`] says what each answer means).

pub mod codes;
pub mod config;
pub mod sign;

use std::time::Duration;

use async_trait::async_trait;
use lingong_core::notices::{
    port::SendError,
    sms::{OutgoingSms, SmsGateway},
};
use serde::Deserialize;

use crate::codes::Outcome;
pub use crate::config::{AccessKeySecret, AliyunConfig, ConfigError, TemplateCodes};

/// The API version of SendSms.
const API_VERSION: &str = "2017-05-25";
/// The action.
const ACTION: &str = "SendSms";
/// The longest wait for a connection, within the deadline: a refused or unreachable
/// server must show as a connect failure (nothing went out), not as a timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The most of Alibaba's `Message` text kept in an error (it goes into the ledger).
const MAX_MESSAGE_CHARS: usize = 120;

/// Alibaba Cloud SMS as the SMS gateway.
#[derive(Clone, Debug)]
pub struct AliyunSms {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    host: String,
    access_key_id: String,
    access_key_secret: AccessKeySecret,
    templates: TemplateCodes,
}

impl AliyunSms {
    /// A gateway on `config`: one HTTPS client (rustls, Mozilla roots compiled in) with
    /// `config.deadline` around every call.
    pub fn new(config: AliyunConfig) -> Result<AliyunSms, ConfigError> {
        let endpoint = config::endpoint_url(&config.endpoint)?;
        let host = match (endpoint.host_str(), endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(ConfigError::Endpoint(config.endpoint)),
        };
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok());
        let client = reqwest::Client::builder()
            .tls_certs_only(roots)
            .timeout(config.deadline)
            .connect_timeout(CONNECT_TIMEOUT.min(config.deadline / 2))
            .user_agent(concat!("lingong-notify-aliyun/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(AliyunSms {
            client,
            endpoint,
            host,
            access_key_id: config.access_key_id,
            access_key_secret: config.access_key_secret,
            templates: config.templates,
        })
    }

    /// The SendSms parameters for `sms`, or why it cannot be sent here.
    fn params(&self, sms: &OutgoingSms<'_>) -> Result<Vec<(&'static str, String)>, SendError> {
        let Some(template) = sms.template else {
            return Err(SendError::Permanent(
                "Alibaba Cloud SMS sends filed templates only, and this message has none".into(),
            ));
        };
        let Some(code) = self
            .templates
            .code_for(&template.station, &template.template)
        else {
            return Err(SendError::Permanent(format!(
                "no Alibaba Cloud SMS template code for template {:?} at station {:?}",
                template.template, template.station
            )));
        };
        let phone = sms
            .e164
            .strip_prefix("+86")
            .filter(|n| n.len() == 11 && n.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| SendError::Permanent("not a mainland mobile number".into()))?;
        if template.signature.trim().is_empty() {
            return Err(SendError::Permanent(format!(
                "station {:?} has no SMS signature (签名)",
                template.station
            )));
        }
        let variables: serde_json::Map<String, serde_json::Value> = template
            .params
            .iter()
            .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
            .collect();
        let template_param = serde_json::Value::Object(variables).to_string();
        Ok(vec![
            ("PhoneNumbers", phone.to_owned()),
            ("SignName", template.signature.clone()),
            ("TemplateCode", code.to_owned()),
            ("TemplateParam", template_param),
            ("OutId", sms.notice_id.to_owned()),
        ])
    }
}

/// Alibaba's answer, success or error (gateway errors add `HostId` and `Recommend`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: Option<String>,
    message: Option<String>,
    biz_id: Option<String>,
    request_id: Option<String>,
}

/// What an HTTP answer means: the BizId on success, else the classified failure.
fn interpret(status: u16, body: &[u8]) -> Result<String, SendError> {
    let answer = serde_json::from_slice::<Answer>(body)
        .ok()
        .and_then(|a| a.code.clone().map(|code| (code, a)));
    let Some((code, answer)) = answer else {
        let detail = format!("Alibaba Cloud SMS answered HTTP {status} without a result code");
        return Err(to_send_error(codes::outcome_of_status(status), detail));
    };
    let request_id = answer.request_id.as_deref().unwrap_or("-");
    if code == "OK" {
        return match answer.biz_id.filter(|id| !id.is_empty()) {
            Some(biz_id) => Ok(biz_id),
            // Accepted, but without the id its delivery report will carry: it went out,
            // so this is no failure; the report can still be matched by OutId.
            None => {
                tracing::warn!(request_id, "SendSms accepted without a BizId");
                Ok(String::new())
            }
        };
    }
    let message = answer.message.as_deref().map(masked).unwrap_or_default();
    let detail =
        format!("Alibaba Cloud SMS {code} (HTTP {status}, request {request_id}): {message}");
    Err(to_send_error(codes::outcome_of(&code), detail))
}

fn to_send_error(outcome: Outcome, detail: String) -> SendError {
    match outcome {
        Outcome::Retryable => SendError::Retryable(detail),
        Outcome::Permanent => SendError::Permanent(detail),
        Outcome::Unknown => SendError::Unknown(detail),
    }
}

/// Alibaba's message, shortened, with any long run of digits (a phone number echoed
/// back) hidden: it is stored in the ledger and logged.
fn masked(message: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 7 {
            out.push_str("***");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in message.chars().take(MAX_MESSAGE_CHARS) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// What a transport failure means: no connection means nothing went out; anything
/// after the request was written (timeout, reset, unreadable answer) may have sent it.
fn transport_error(error: &reqwest::Error) -> SendError {
    if error.is_connect() {
        SendError::Retryable("Alibaba Cloud SMS unreachable (no connection)".into())
    } else if error.is_builder() {
        SendError::Permanent("SendSms request could not be built".into())
    } else if error.is_timeout() {
        SendError::Unknown("Alibaba Cloud SMS did not answer before the deadline".into())
    } else {
        SendError::Unknown("Alibaba Cloud SMS connection failed after the request was sent".into())
    }
}

fn nonce() -> Result<String, SendError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| SendError::Retryable(format!("no randomness for the nonce: {e}")))?;
    Ok(sign::hex(&bytes))
}

#[async_trait]
impl SmsGateway for AliyunSms {
    fn name(&self) -> &'static str {
        "aliyun"
    }

    async fn send_sms(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError> {
        let params = self.params(sms)?;
        let query = sign::canonical_query(params.iter().map(|(k, v)| (*k, v.as_str())));
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = nonce()?;
        let headers = [
            ("host", self.host.as_str()),
            ("x-acs-action", ACTION),
            ("x-acs-content-sha256", sign::EMPTY_PAYLOAD_SHA256),
            ("x-acs-date", date.as_str()),
            ("x-acs-signature-nonce", nonce.as_str()),
            ("x-acs-version", API_VERSION),
        ];
        let authorization = sign::authorization(
            &sign::SigningInput {
                method: "POST",
                query: &query,
                headers: &headers,
                payload_sha256: sign::EMPTY_PAYLOAD_SHA256,
            },
            &self.access_key_id,
            self.access_key_secret.expose(),
        );
        let mut url = self.endpoint.clone();
        url.set_query(Some(&query));
        let mut request = self
            .client
            .post(url)
            .header("authorization", authorization)
            .header("accept", "application/json")
            .body(Vec::new());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let result = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(body) => interpret(status, &body),
                    Err(error) => Err(transport_error(&error)),
                }
            }
            Err(error) => Err(transport_error(&error)),
        };
        match &result {
            Ok(biz_id) => tracing::info!(notice = sms.notice_id, biz_id, "SendSms accepted"),
            // Alibaba's message may quote the number: masked in the log.
            Err(error) => tracing::warn!(
                notice = sms.notice_id,
                error = %lingong_core::mask::mask_numbers(&error.to_string()),
                "SendSms failed"
            ),
        }
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use lingong_core::notices::port::TemplateSms;

    use super::*;

    fn gateway(endpoint: &str) -> AliyunSms {
        let mut config = AliyunConfig::from_json(
            r#"{"access_key_id":"LTAI-unit","access_key_secret":"s3cret",
                "templates":{"*":{"offer":"SMS_100"}}}"#,
        )
        .unwrap();
        config.endpoint = endpoint.to_owned();
        config.deadline = Duration::from_secs(2);
        AliyunSms::new(config).unwrap()
    }

    fn template(key: &str) -> TemplateSms {
        TemplateSms {
            station: "st-1".into(),
            signature: "零工驿站".into(),
            template: key.into(),
            params: vec![("job".into(), "搬运 2人".into())],
        }
    }

    fn sms<'a>(template: Option<&'a TemplateSms>) -> OutgoingSms<'a> {
        OutgoingSms {
            notice_id: "01JOB.01WKR.offer",
            e164: "+8613800000000",
            text: "【零工驿站】岗位通知",
            template,
        }
    }

    /// A loopback port with nothing listening: any call would fail to connect and be
    /// Retryable, so a Permanent answer proves no call was made.
    fn closed_port() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    }

    #[tokio::test]
    async fn without_a_template_nothing_is_sent() {
        let gateway = gateway(&closed_port());
        let error = gateway.send_sms(&sms(None)).await.unwrap_err();
        assert!(
            matches!(&error, SendError::Permanent(m) if m.contains("templates only")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_template_without_a_code_is_not_sent() {
        let gateway = gateway(&closed_port());
        let pay = template("pay");
        let error = gateway.send_sms(&sms(Some(&pay))).await.unwrap_err();
        assert!(
            matches!(&error, SendError::Permanent(m) if m.contains("\"pay\"") && m.contains("st-1")),
            "{error}"
        );
    }

    #[tokio::test]
    async fn no_connection_is_retryable() {
        let gateway = gateway(&closed_port());
        let offer = template("offer");
        let error = gateway.send_sms(&sms(Some(&offer))).await.unwrap_err();
        assert!(matches!(error, SendError::Retryable(_)), "{error}");
    }

    #[test]
    fn the_parameters_are_what_sendsms_wants() {
        let gateway = gateway("http://127.0.0.1:9");
        let offer = template("offer");
        let params = gateway.params(&sms(Some(&offer))).unwrap();
        assert_eq!(
            params,
            vec![
                ("PhoneNumbers", "13800000000".to_owned()),
                ("SignName", "零工驿站".to_owned()),
                ("TemplateCode", "SMS_100".to_owned()),
                ("TemplateParam", r#"{"job":"搬运 2人"}"#.to_owned()),
                ("OutId", "01JOB.01WKR.offer".to_owned()),
            ]
        );
        let mut foreign = sms(Some(&offer));
        foreign.e164 = "+14155550100";
        assert!(matches!(
            gateway.params(&foreign),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn the_host_header_carries_a_non_default_port() {
        assert_eq!(gateway("http://127.0.0.1:8123").host, "127.0.0.1:8123");
        assert_eq!(
            gateway("https://dysmsapi.aliyuncs.com").host,
            "dysmsapi.aliyuncs.com"
        );
    }

    #[test]
    fn answers_are_read_as_documented() {
        let ok = br#"{"Code":"OK","Message":"OK","BizId":"9006197469364984400^0","RequestId":"F655A8D5"}"#;
        assert_eq!(interpret(200, ok).unwrap(), "9006197469364984400^0");
        let limited = r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发天级流控Permits:10","RequestId":"C0A0"}"#;
        let error = interpret(200, limited.as_bytes()).unwrap_err();
        assert!(
            matches!(&error, SendError::Retryable(m) if m.contains("isv.BUSINESS_LIMIT_CONTROL") && m.contains("C0A0")),
            "{error}"
        );
        let signature = br#"{"Code":"SignatureDoesNotMatch","Message":"Specified signature does not match our calculation.","RequestId":"R","HostId":"dysmsapi.aliyuncs.com"}"#;
        assert!(matches!(
            interpret(400, signature),
            Err(SendError::Permanent(_))
        ));
        // A 5xx with an Alibaba code follows the code; without one, the status.
        let busy = br#"{"Code":"ServiceUnavailable","Message":"busy","RequestId":"R"}"#;
        assert!(matches!(interpret(503, busy), Err(SendError::Retryable(_))));
        assert!(matches!(
            interpret(502, b"<html>Bad Gateway</html>"),
            Err(SendError::Unknown(_))
        ));
        assert!(matches!(interpret(503, b""), Err(SendError::Retryable(_))));
        assert!(matches!(interpret(200, b"{}"), Err(SendError::Unknown(_))));
        assert_eq!(
            interpret(200, br#"{"Code":"OK","RequestId":"R"}"#).unwrap(),
            ""
        );
    }

    #[test]
    fn phone_numbers_in_messages_are_hidden() {
        assert_eq!(
            masked("号码13800000000非法, 限流Permits:10"),
            "号码***非法, 限流Permits:10"
        );
        assert_eq!(masked(&"长".repeat(500)).chars().count(), MAX_MESSAGE_CHARS);
    }
}
