//! Settings of the Alibaba Cloud SMS gateway: where to call, the AccessKey, and which
//! filed template (template code, `SMS_…`) each catalogue template is at each station.
//! Read from one JSON document or from the environment; the secret never shows in
//! `Debug` output or in errors.

use std::{collections::BTreeMap, fmt, time::Duration};

use serde::Deserialize;

/// Alibaba Cloud SMS's public endpoint (mainland China).
pub const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com";

/// How long one SendSms call may take in all, connecting included.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// The station key whose templates every station uses unless it has its own.
pub const ANY_STATION: &str = "*";

/// Environment variable: the AccessKey id (Alibaba's own SDKs read the same name).
pub const KEY_ID_VAR: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable: the AccessKey secret (Alibaba's own SDKs read the same name).
pub const KEY_SECRET_VAR: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Environment variable: another endpoint (optional; a local fake in tests).
pub const ENDPOINT_VAR: &str = "LINGONG_ALIYUN_ENDPOINT";
/// Environment variable: the template codes, the JSON map of [`TemplateCodes`].
pub const TEMPLATES_VAR: &str = "LINGONG_SMS_TEMPLATES";

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The JSON document is malformed or has unknown or missing fields.
    #[error("Alibaba Cloud SMS settings are not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// A required environment variable is not set.
    #[error("environment variable {0} is not set")]
    MissingVar(&'static str),
    /// A required value is empty.
    #[error("Alibaba Cloud SMS setting {0} is empty")]
    Empty(&'static str),
    /// The endpoint is not an `http(s)://host[:port]` URL.
    #[error("Alibaba Cloud SMS endpoint {0:?} must be an http(s) URL with a host and no path")]
    Endpoint(String),
    /// A template code is empty or has spaces.
    #[error("template code for {template:?} at station {station:?} is not a template code")]
    TemplateCode {
        /// The station key.
        station: String,
        /// The catalogue template key.
        template: String,
    },
    /// The HTTPS client could not be built.
    #[error("HTTPS client: {0}")]
    Client(String),
}

/// The AccessKey secret. Shown nowhere: `Debug` prints a placeholder and there is no
/// `Display`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct AccessKeySecret(String);

impl AccessKeySecret {
    /// Wraps `secret`.
    pub fn new(secret: impl Into<String>) -> AccessKeySecret {
        AccessKeySecret(secret.into())
    }

    /// The secret itself, for signing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKeySecret(<redacted>)")
    }
}

/// Template codes: station id → (catalogue template key → template code), with the
/// [`ANY_STATION`] entry as every station's default. A station's own entry overrides
/// the default key by key, so a station lists only the templates it filed itself.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct TemplateCodes(BTreeMap<String, BTreeMap<String, String>>);

impl TemplateCodes {
    /// The codes in `map`, checked.
    pub fn new(map: BTreeMap<String, BTreeMap<String, String>>) -> Result<Self, ConfigError> {
        let codes = TemplateCodes(map);
        codes.check()?;
        Ok(codes)
    }

    /// Parses the JSON map, as in `LINGONG_SMS_TEMPLATES`.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let codes: TemplateCodes = serde_json::from_str(json)?;
        codes.check()?;
        Ok(codes)
    }

    /// The template code of `template` at `station`: the station's own, else the
    /// default.
    pub fn code_for(&self, station: &str, template: &str) -> Option<&str> {
        [station, ANY_STATION]
            .iter()
            .filter_map(|s| self.0.get(*s))
            .find_map(|codes| codes.get(template))
            .map(String::as_str)
    }

    fn check(&self) -> Result<(), ConfigError> {
        for (station, codes) in &self.0 {
            for (template, code) in codes {
                if code.is_empty() || code.chars().any(char::is_whitespace) {
                    return Err(ConfigError::TemplateCode {
                        station: station.clone(),
                        template: template.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Everything the gateway needs.
#[derive(Clone, Debug)]
pub struct AliyunConfig {
    /// `https://dysmsapi.aliyuncs.com` unless set (plain `http://` for a local fake).
    pub endpoint: String,
    /// The AccessKey id (a RAM user with SMS send permission only).
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: AccessKeySecret,
    /// Which template code each catalogue template is, per station.
    pub templates: TemplateCodes,
    /// The most one call may take, connecting and reading the answer included.
    pub deadline: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigJson {
    access_key_id: String,
    access_key_secret: AccessKeySecret,
    endpoint: Option<String>,
    templates: TemplateCodes,
}

impl AliyunConfig {
    /// Reads `{"access_key_id", "access_key_secret", "endpoint"?, "templates": {"*":
    /// {"offer": "SMS_…", …}, "<station>": {…}}}`.
    pub fn from_json(json: &str) -> Result<AliyunConfig, ConfigError> {
        let raw: ConfigJson = serde_json::from_str(json)?;
        raw.templates.check()?;
        AliyunConfig {
            endpoint: raw.endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
            access_key_id: raw.access_key_id,
            access_key_secret: raw.access_key_secret,
            templates: raw.templates,
            deadline: DEFAULT_DEADLINE,
        }
        .checked()
    }

    /// Reads [`KEY_ID_VAR`], [`KEY_SECRET_VAR`], [`ENDPOINT_VAR`] (optional) and
    /// [`TEMPLATES_VAR`] from the process environment.
    pub fn from_env() -> Result<AliyunConfig, ConfigError> {
        AliyunConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`AliyunConfig::from_env`], with `var` looking each variable up.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<AliyunConfig, ConfigError> {
        let required = |name: &'static str| var(name).ok_or(ConfigError::MissingVar(name));
        AliyunConfig {
            endpoint: var(ENDPOINT_VAR)
                .filter(|e| !e.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
            access_key_id: required(KEY_ID_VAR)?,
            access_key_secret: AccessKeySecret::new(required(KEY_SECRET_VAR)?),
            templates: TemplateCodes::from_json(&required(TEMPLATES_VAR)?)?,
            deadline: DEFAULT_DEADLINE,
        }
        .checked()
    }

    fn checked(self) -> Result<AliyunConfig, ConfigError> {
        if self.access_key_id.trim().is_empty() {
            return Err(ConfigError::Empty("access_key_id"));
        }
        if self.access_key_secret.expose().is_empty() {
            return Err(ConfigError::Empty("access_key_secret"));
        }
        endpoint_url(&self.endpoint)?;
        Ok(self)
    }
}

/// `endpoint` as a URL with path `/`, or why it cannot be one.
pub(crate) fn endpoint_url(endpoint: &str) -> Result<reqwest::Url, ConfigError> {
    let bad = || ConfigError::Endpoint(endpoint.to_owned());
    let url = reqwest::Url::parse(endpoint).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if plain { Ok(url) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const JSON: &str = r#"{
        "access_key_id": "LTAI-test",
        "access_key_secret": "very-secret-value",
        "templates": {
            "*": {"offer": "SMS_100", "course": "SMS_200"},
            "st-east": {"offer": "SMS_101"}
        }
    }"#;

    #[test]
    fn reads_the_json_document_with_the_default_endpoint() {
        let config = AliyunConfig::from_json(JSON).unwrap();
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.access_key_id, "LTAI-test");
        assert_eq!(config.access_key_secret.expose(), "very-secret-value");
        assert_eq!(config.deadline, DEFAULT_DEADLINE);
    }

    #[test]
    fn a_station_overrides_the_default_key_by_key() {
        let config = AliyunConfig::from_json(JSON).unwrap();
        let codes = &config.templates;
        assert_eq!(codes.code_for("st-east", "offer"), Some("SMS_101"));
        assert_eq!(codes.code_for("st-east", "course"), Some("SMS_200"));
        assert_eq!(codes.code_for("st-west", "offer"), Some("SMS_100"));
        assert_eq!(codes.code_for("st-west", "pay"), None);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let config = AliyunConfig::from_json(JSON).unwrap();
        let shown = format!("{config:?} {:#?}", config);
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("LTAI-test"));
    }

    #[test]
    fn errors_never_show_the_secret() {
        let json = JSON.replace("\"templates\"", "\"endpoint\": \"ftp://x\", \"templates\"");
        let error = AliyunConfig::from_json(&json).unwrap_err();
        assert!(matches!(error, ConfigError::Endpoint(_)));
        assert!(!error.to_string().contains("very-secret-value"));
        let error = AliyunConfig::from_json(&JSON.replace("\"LTAI-test\"", "7")).unwrap_err();
        assert!(!error.to_string().contains("very-secret-value"));
    }

    #[test]
    fn refuses_bad_documents() {
        for bad in [
            JSON.replace("\"very-secret-value\"", "\"\""),
            JSON.replace("\"SMS_101\"", "\"SMS 101\""),
            JSON.replace("\"access_key_id\"", "\"acess_key_id\""),
            JSON.replace(
                "\"templates\"",
                "\"endpoint\": \"http://h/path\", \"templates\"",
            ),
            "[]".into(),
        ] {
            assert!(AliyunConfig::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_the_environment() {
        let vars = |name: &str| match name {
            KEY_ID_VAR => Some("LTAI-env".to_owned()),
            KEY_SECRET_VAR => Some("env-secret".to_owned()),
            ENDPOINT_VAR => Some("http://127.0.0.1:4566".to_owned()),
            TEMPLATES_VAR => Some(r#"{"*":{"offer":"SMS_1"}}"#.to_owned()),
            _ => None,
        };
        let config = AliyunConfig::from_vars(vars).unwrap();
        assert_eq!(config.endpoint, "http://127.0.0.1:4566");
        assert_eq!(config.templates.code_for("any", "offer"), Some("SMS_1"));

        let no_endpoint = |name: &str| (name != ENDPOINT_VAR).then(|| vars(name)).flatten();
        assert_eq!(
            AliyunConfig::from_vars(no_endpoint).unwrap().endpoint,
            DEFAULT_ENDPOINT
        );
        let no_templates = |name: &str| (name != TEMPLATES_VAR).then(|| vars(name)).flatten();
        assert!(matches!(
            AliyunConfig::from_vars(no_templates),
            Err(ConfigError::MissingVar(TEMPLATES_VAR))
        ));
    }
}
