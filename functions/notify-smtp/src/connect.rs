//! From settings to SMTP connections: which of lettre's URL forms (plain, STARTTLS,
//! implicit TLS) is in use, TLS parameters that also trust a station's own CA certificate
//! when it has one (a mainland provider with its own chain, or a test CA), and opening one
//! connection up to the point where mail can be sent (TLS, EHLO, AUTH).
//!
//! Each send opens its own connection rather than taking one from lettre's pool: a send
//! cut off by the deadline leaves its connection mid-conversation, and a pool would hand
//! that connection to the next notice.

use std::time::Duration;

use lettre::transport::smtp::{
    authentication::{Credentials, DEFAULT_MECHANISMS},
    client::{AsyncSmtpConnection, Certificate, Tls, TlsParameters},
    extension::ClientId,
};

use crate::{SmtpConfigError, SmtpSettings};

/// How the connection is protected, as the URL says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protection {
    /// `smtp://` without `tls=`: plain text, for a sink on this machine.
    Plain,
    /// `smtp://…?tls=required`: STARTTLS, refused if the server does not offer it.
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS if offered.
    Opportunistic,
    /// `smtps://`: TLS from the first byte (port 465).
    Implicit,
}

/// Opens connections to one SMTP server, as the settings say.
#[derive(Clone)]
pub(crate) struct Connector {
    host: String,
    port: u16,
    tls: Tls,
    hello: ClientId,
    credentials: Option<Credentials>,
    connect_timeout: Duration,
}

impl Connector {
    /// The connector for `settings`; `connect_timeout` bounds each TCP connect attempt.
    pub(crate) fn new(
        settings: &SmtpSettings,
        connect_timeout: Duration,
    ) -> Result<Connector, SmtpConfigError> {
        let parsed = url::Url::parse(settings.url.trim())
            .map_err(|e| SmtpConfigError::Url(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| SmtpConfigError::Url("no host".into()))?
            .to_owned();
        if parsed.password().is_some() {
            // A password in the URL ends up in environment listings and logs.
            return Err(SmtpConfigError::Url(
                "no password in the URL: give credentials separately".into(),
            ));
        }
        let protection = protection(&parsed)?;
        if protection == Protection::Plain
            && settings.credentials.is_some()
            && !is_loopback(&parsed)
        {
            // A password sent in clear over the Internet is a password given away.
            return Err(SmtpConfigError::Url(
                "credentials need TLS (smtps:// or ?tls=required) unless the server is on this machine"
                    .into(),
            ));
        }
        if protection == Protection::Plain && settings.extra_root_pem.is_some() {
            return Err(SmtpConfigError::Url(
                "an extra trust root needs TLS (smtps:// or ?tls=required)".into(),
            ));
        }
        let parameters = match (protection, &settings.extra_root_pem) {
            (Protection::Plain, _) => None,
            (_, Some(pem)) => Some(tls_parameters(&host, pem)?),
            (_, None) => Some(
                TlsParameters::new(host.clone())
                    .map_err(|e| SmtpConfigError::TrustRoot(e.to_string()))?,
            ),
        };
        // The same default ports as lettre's URL forms.
        let (tls, default_port) = match (protection, parameters) {
            (Protection::StartTls, Some(p)) => (Tls::Required(p), 587),
            (Protection::Opportunistic, Some(p)) => (Tls::Opportunistic(p), 587),
            (Protection::Implicit, Some(p)) => (Tls::Wrapper(p), 465),
            _ => (Tls::None, 25),
        };
        // As in lettre's URL form, a path names the EHLO domain.
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Connector {
            host,
            port: parsed.port().unwrap_or(default_port),
            tls,
            hello,
            credentials: settings
                .credentials
                .as_ref()
                .map(|(user, password)| Credentials::new(user.clone(), password.clone())),
            connect_timeout,
        })
    }

    /// A connection ready for `MAIL FROM`: connected, TLS as the URL says, EHLO and AUTH
    /// done. Nothing of a message has been sent when this returns.
    pub(crate) async fn open(&self) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let implicit = match &self.tls {
            Tls::Wrapper(parameters) => Some(parameters.clone()),
            _ => None,
        };
        let mut connection = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(self.connect_timeout),
            &self.hello,
            implicit,
            None,
        )
        .await?;
        match &self.tls {
            Tls::Required(parameters) => {
                connection.starttls(parameters.clone(), &self.hello).await?;
            }
            Tls::Opportunistic(parameters) if connection.can_starttls() => {
                connection.starttls(parameters.clone(), &self.hello).await?;
            }
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(connection)
    }
}

/// The protection the URL asks for, with the same forms lettre's `from_url` accepts.
fn protection(url: &url::Url) -> Result<Protection, SmtpConfigError> {
    let tls = url
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    match (url.scheme(), tls.as_deref()) {
        ("smtp", None) => Ok(Protection::Plain),
        ("smtp", Some("required")) => Ok(Protection::StartTls),
        ("smtp", Some("opportunistic")) => Ok(Protection::Opportunistic),
        ("smtps", _) => Ok(Protection::Implicit),
        _ => Err(SmtpConfigError::Url(
            "must be smtp://, smtp://…?tls=required or smtps://".into(),
        )),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// TLS parameters for `host` that trust the usual public roots and the CA certificate(s)
/// in `pem` as well.
fn tls_parameters(host: &str, pem: &[u8]) -> Result<TlsParameters, SmtpConfigError> {
    // lettre reads a PEM without certificates as an empty list, which would quietly add
    // nothing; a station that set a root means one.
    if !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(SmtpConfigError::TrustRoot(
            "no PEM certificate in it".into(),
        ));
    }
    let certificate =
        Certificate::from_pem(pem).map_err(|e| SmtpConfigError::TrustRoot(e.to_string()))?;
    TlsParameters::builder(host.to_owned())
        .add_root_certificate(certificate)
        .build_rustls()
        .map_err(|e| SmtpConfigError::TrustRoot(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn settings(url: &str) -> SmtpSettings {
        SmtpSettings {
            url: url.into(),
            from: "notices@lingong.example.cn".into(),
            credentials: None,
            extra_root_pem: None,
            send_timeout: None,
        }
    }

    #[test]
    fn the_url_says_how_the_connection_is_protected() {
        let read = |text: &str| protection(&url::Url::parse(text).unwrap());
        assert_eq!(read("smtp://127.0.0.1:2525").unwrap(), Protection::Plain);
        assert_eq!(
            read("smtp://smtp.example.cn:587?tls=required").unwrap(),
            Protection::StartTls
        );
        assert_eq!(
            read("smtps://smtp.example.cn:465").unwrap(),
            Protection::Implicit
        );
        assert!(read("smtp://smtp.example.cn?tls=sometimes").is_err());
        assert!(read("http://smtp.example.cn").is_err());
    }

    #[test]
    fn passwords_travel_only_over_tls_or_loopback() {
        let mut remote = settings("smtp://smtp.example.cn:25");
        remote.credentials = Some(("user".into(), "secret".into()));
        assert!(Connector::new(&remote, Duration::from_secs(30)).is_err());
        remote.url = "smtps://smtp.example.cn:465".into();
        assert!(Connector::new(&remote, Duration::from_secs(30)).is_ok());
        let mut local = settings("smtp://localhost:2525");
        local.credentials = Some(("user".into(), "secret".into()));
        assert!(Connector::new(&local, Duration::from_secs(30)).is_ok());
        let in_url = settings("smtps://user:secret@smtp.example.cn:465");
        assert!(Connector::new(&in_url, Duration::from_secs(30)).is_err());
    }

    #[test]
    fn an_extra_root_must_be_a_certificate_and_needs_tls() {
        let mut with_root = settings("smtps://smtp.example.cn:465");
        with_root.extra_root_pem = Some(b"not a certificate".to_vec());
        assert!(matches!(
            Connector::new(&with_root, Duration::from_secs(30)),
            Err(SmtpConfigError::TrustRoot(_))
        ));
        with_root.url = "smtp://127.0.0.1:2525".into();
        assert!(matches!(
            Connector::new(&with_root, Duration::from_secs(30)),
            Err(SmtpConfigError::Url(_))
        ));
    }
}
