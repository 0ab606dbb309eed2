//! [`TencentConfig`]: where Tencent Cloud SMS is, the API key, the SMS app and which
//! filed template id each catalogue template has, per station.

use std::{collections::BTreeMap, fmt, time::Duration};

use serde::Deserialize;

/// Tencent's public endpoint for SMS.
pub const DEFAULT_ENDPOINT: &str = "https://sms.tencentcloudapi.com";

/// The region used when none is given (SMS is served from ap-guangzhou, ap-beijing and
/// ap-nanjing).
pub const DEFAULT_REGION: &str = "ap-guangzhou";

/// The total time one `SendSms` call may take, connection included.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// The station key whose templates apply to every station without its own entry.
pub const ANY_STATION: &str = "*";

/// Environment variable: the API key's SecretId.
pub const SECRET_ID_VAR: &str = "TENCENTCLOUD_SECRET_ID";
/// Environment variable: the API key's SecretKey.
pub const SECRET_KEY_VAR: &str = "TENCENTCLOUD_SECRET_KEY";
/// Environment variable: the SMS application's SdkAppId.
pub const APP_ID_VAR: &str = "LINGONG_TENCENT_SMS_APP_ID";
/// Environment variable (optional): the region.
pub const REGION_VAR: &str = "LINGONG_TENCENT_REGION";
/// Environment variable (optional): the endpoint.
pub const ENDPOINT_VAR: &str = "LINGONG_TENCENT_ENDPOINT";
/// Environment variable: the template map, station → (template key → template id), as
/// JSON.
pub const TEMPLATES_VAR: &str = "LINGONG_SMS_TEMPLATES";

/// Template ids filed with Tencent: station id → (catalogue key → template id). The
/// station [`ANY_STATION`] (`"*"`) holds the defaults.
pub type TemplateIds = BTreeMap<String, BTreeMap<String, String>>;

/// How to reach Tencent Cloud SMS.
#[derive(Clone, PartialEq, Eq)]
pub struct TencentConfig {
    /// The API endpoint, `https://…` (plain `http://` only to a loopback address, for
    /// the local fake).
    pub endpoint: String,
    /// The region sent as `X-TC-Region`.
    pub region: String,
    /// The API key's SecretId (names the key; not secret).
    pub secret_id: String,
    /// The API key's SecretKey. Never printed.
    pub secret_key: String,
    /// The SMS application's SdkAppId (`1400…`).
    pub sdk_app_id: String,
    /// Template ids per station and catalogue key.
    pub templates: TemplateIds,
    /// The total time one call may take.
    pub deadline: Duration,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is missing or empty.
    #[error("Tencent SMS: {0} is not set")]
    Missing(&'static str),
    /// The JSON does not have the expected shape.
    #[error("Tencent SMS: {what} is not valid JSON of the expected shape: {source}")]
    Json {
        /// Which setting.
        what: &'static str,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// The endpoint is not a usable URL.
    #[error("Tencent SMS: the endpoint {0:?} is not an http(s) URL with a host")]
    BadEndpoint(String),
    /// Plain HTTP to a host other than loopback would expose phone numbers and texts.
    #[error("Tencent SMS: the endpoint {0:?} must use https (http is for a loopback fake)")]
    InsecureEndpoint(String),
    /// The HTTPS client could not be built.
    #[error("Tencent SMS: the HTTPS client could not be built: {0}")]
    Client(String),
}

#[derive(Deserialize)]
struct JsonConfig {
    secret_id: Option<String>,
    secret_key: Option<String>,
    sdk_app_id: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    templates: Option<TemplateIds>,
}

impl TencentConfig {
    /// A configuration from JSON:
    /// `{"secret_id","secret_key","sdk_app_id","region"?,"endpoint"?,"templates":{"*":{"offer":"1234567"}}}`.
    pub fn from_json(json: &str) -> Result<TencentConfig, ConfigError> {
        let parsed: JsonConfig =
            serde_json::from_str(json).map_err(|source| ConfigError::Json {
                what: "the configuration",
                source,
            })?;
        TencentConfig::build(
            parsed.secret_id,
            parsed.secret_key,
            parsed.sdk_app_id,
            parsed.region,
            parsed.endpoint,
            parsed.templates,
        )
    }

    /// A configuration from the environment: [`SECRET_ID_VAR`], [`SECRET_KEY_VAR`],
    /// [`APP_ID_VAR`], optional [`REGION_VAR`] and [`ENDPOINT_VAR`], and the template map
    /// from [`TEMPLATES_VAR`].
    pub fn from_env() -> Result<TencentConfig, ConfigError> {
        TencentConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// A configuration from any variable lookup (the environment, or a map in tests).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<TencentConfig, ConfigError> {
        let templates = match lookup(TEMPLATES_VAR) {
            Some(json) if !json.trim().is_empty() => Some(serde_json::from_str(&json).map_err(
                |source| ConfigError::Json {
                    what: TEMPLATES_VAR,
                    source,
                },
            )?),
            _ => return Err(ConfigError::Missing(TEMPLATES_VAR)),
        };
        TencentConfig::build(
            lookup(SECRET_ID_VAR),
            lookup(SECRET_KEY_VAR),
            lookup(APP_ID_VAR),
            lookup(REGION_VAR),
            lookup(ENDPOINT_VAR),
            templates,
        )
    }

    fn build(
        secret_id: Option<String>,
        secret_key: Option<String>,
        sdk_app_id: Option<String>,
        region: Option<String>,
        endpoint: Option<String>,
        templates: Option<TemplateIds>,
    ) -> Result<TencentConfig, ConfigError> {
        let required = |value: Option<String>, name: &'static str| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let optional = |value: Option<String>, default: &str| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let config = TencentConfig {
            endpoint: optional(endpoint, DEFAULT_ENDPOINT),
            region: optional(region, DEFAULT_REGION),
            secret_id: required(secret_id, "secret_id")?,
            secret_key: required(secret_key, "secret_key")?,
            sdk_app_id: required(sdk_app_id, "sdk_app_id")?,
            templates: templates.ok_or(ConfigError::Missing("templates"))?,
            deadline: DEFAULT_DEADLINE,
        };
        config.endpoint_url()?;
        Ok(config)
    }

    /// The same configuration with another deadline per call (tests shorten it).
    pub fn with_deadline(mut self, deadline: Duration) -> TencentConfig {
        self.deadline = deadline;
        self
    }

    /// The template id for catalogue key `template` at `station`: the station's own
    /// entry, else the [`ANY_STATION`] default.
    pub fn template_id(&self, station: &str, template: &str) -> Option<&str> {
        [station, ANY_STATION]
            .iter()
            .find_map(|s| self.templates.get(*s)?.get(template))
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }

    /// The endpoint, checked: http(s) with a host, and https unless the host is loopback.
    pub fn endpoint_url(&self) -> Result<reqwest::Url, ConfigError> {
        let bad = || ConfigError::BadEndpoint(self.endpoint.clone());
        let url = reqwest::Url::parse(&self.endpoint).map_err(|_| bad())?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(bad)?;
        let loopback = host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        match url.scheme() {
            "https" => Ok(url),
            "http" if loopback => Ok(url),
            "http" => Err(ConfigError::InsecureEndpoint(self.endpoint.clone())),
            _ => Err(bad()),
        }
    }
}

impl fmt::Debug for TencentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TencentConfig")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("sdk_app_id", &self.sdk_app_id)
            .field("templates", &self.templates)
            .field("deadline", &self.deadline)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashMap;

    use super::*;

    const JSON: &str = r#"{
        "secret_id": "AKIDexample",
        "secret_key": "do-not-print-me",
        "sdk_app_id": "1400000001",
        "templates": {
            "*": {"offer": "1000001", "course": "1000002"},
            "st-east": {"offer": "2000001"}
        }
    }"#;

    #[test]
    fn json_with_defaults() {
        let config = TencentConfig::from_json(JSON).unwrap();
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.region, DEFAULT_REGION);
        assert_eq!(config.sdk_app_id, "1400000001");
        assert_eq!(config.deadline, DEFAULT_DEADLINE);
    }

    #[test]
    fn a_station_entry_overrides_the_default_per_key() {
        let config = TencentConfig::from_json(JSON).unwrap();
        assert_eq!(config.template_id("st-east", "offer"), Some("2000001"));
        assert_eq!(config.template_id("st-east", "course"), Some("1000002"));
        assert_eq!(config.template_id("st-west", "offer"), Some("1000001"));
        assert_eq!(config.template_id("st-west", "pay"), None);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let config = TencentConfig::from_json(JSON).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("do-not-print-me"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }

    #[test]
    fn missing_settings_are_named() {
        let err = TencentConfig::from_json(r#"{"secret_id":"a","secret_key":"b"}"#).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("sdk_app_id")), "{err}");
        let err =
            TencentConfig::from_json(r#"{"secret_id":"a","secret_key":"b","sdk_app_id":"1"}"#)
                .unwrap_err();
        assert!(matches!(err, ConfigError::Missing("templates")), "{err}");
        let err = TencentConfig::from_json("[1]").unwrap_err();
        assert!(matches!(err, ConfigError::Json { .. }), "{err}");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let with = |endpoint: &str| {
            TencentConfig::from_json(&JSON.replacen(
                "\"sdk_app_id\"",
                &format!("\"endpoint\": \"{endpoint}\", \"sdk_app_id\""),
                1,
            ))
        };
        assert!(with("http://127.0.0.1:8080").is_ok());
        assert!(with("http://localhost:8080").is_ok());
        assert!(with("https://sms.ap-beijing.tencentcloudapi.com").is_ok());
        assert!(matches!(
            with("http://sms.tencentcloudapi.com"),
            Err(ConfigError::InsecureEndpoint(_))
        ));
        assert!(matches!(
            with("ftp://127.0.0.1"),
            Err(ConfigError::BadEndpoint(_))
        ));
        assert!(matches!(
            with("not a url"),
            Err(ConfigError::BadEndpoint(_))
        ));
    }

    #[test]
    fn environment_variables() {
        let vars: HashMap<&str, &str> = HashMap::from([
            (SECRET_ID_VAR, "AKIDexample"),
            (SECRET_KEY_VAR, "secret"),
            (APP_ID_VAR, "1400000001"),
            (REGION_VAR, "ap-beijing"),
            (TEMPLATES_VAR, r#"{"*":{"offer":"1000001"}}"#),
        ]);
        let config =
            TencentConfig::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())).unwrap();
        assert_eq!(config.region, "ap-beijing");
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.template_id("any", "offer"), Some("1000001"));

        let without_templates = |name: &str| {
            (name != TEMPLATES_VAR)
                .then(|| vars.get(name).map(|v| (*v).to_owned()))
                .flatten()
        };
        assert!(matches!(
            TencentConfig::from_lookup(without_templates),
            Err(ConfigError::Missing(TEMPLATES_VAR))
        ));
    }
}
