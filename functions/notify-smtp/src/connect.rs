//! From settings to a lettre transport: which of lettre's URL forms (plain, STARTTLS,
//! implicit TLS) is in use, and TLS parameters that also trust a station's own CA
//! certificate when it has one (a mainland provider with its own chain, or a test CA).

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, Tokio1Executor,
    transport::smtp::{
        AsyncSmtpTransportBuilder,
        authentication::Credentials,
        client::{Certificate, Tls, TlsParameters},
    },
};

use crate::{SmtpConfigError, SmtpSettings};

/// How long lettre may take to open the TCP connection. Kept below the send deadline so
/// that a server that cannot be reached reports itself as such (retry later) before the
/// deadline, which cannot tell what the server got.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

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

/// The transport for `settings`, with lettre's connect timeout set from `deadline`.
pub(crate) fn transport(
    settings: &SmtpSettings,
    deadline: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpConfigError> {
    let text = settings.url.trim();
    let parsed = url::Url::parse(text).map_err(|e| SmtpConfigError::Url(e.to_string()))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| SmtpConfigError::Url("no host".into()))?
        .to_owned();
    let protection = protection(&parsed)?;
    if protection == Protection::Plain
        && (settings.credentials.is_some() || parsed.password().is_some())
        && !is_loopback(&parsed)
    {
        // A password sent in clear over the Internet is a password given away.
        return Err(SmtpConfigError::Url(
            "credentials need TLS (smtps:// or ?tls=required) unless the server is on this machine"
                .into(),
        ));
    }
    let mut builder: AsyncSmtpTransportBuilder =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(text)
            .map_err(|e| SmtpConfigError::Url(e.to_string()))?
            .timeout(Some(CONNECT_TIMEOUT.min(deadline / 2)));
    if let Some(pem) = &settings.extra_root_pem {
        if protection == Protection::Plain {
            return Err(SmtpConfigError::Url(
                "an extra trust root needs TLS (smtps:// or ?tls=required)".into(),
            ));
        }
        let parameters = tls_parameters(&host, pem)?;
        builder = match protection {
            Protection::Plain => builder,
            Protection::StartTls => builder.tls(Tls::Required(parameters)),
            Protection::Opportunistic => builder.tls(Tls::Opportunistic(parameters)),
            Protection::Implicit => builder.tls(Tls::Wrapper(parameters)),
        };
    }
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
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

    #[tokio::test]
    async fn passwords_travel_only_over_tls_or_loopback() {
        let mut remote = settings("smtp://smtp.example.cn:25");
        remote.credentials = Some(("user".into(), "secret".into()));
        assert!(transport(&remote, Duration::from_secs(30)).is_err());
        remote.url = "smtps://smtp.example.cn:465".into();
        assert!(transport(&remote, Duration::from_secs(30)).is_ok());
        let mut local = settings("smtp://localhost:2525");
        local.credentials = Some(("user".into(), "secret".into()));
        assert!(transport(&local, Duration::from_secs(30)).is_ok());
    }

    #[tokio::test]
    async fn an_extra_root_must_be_a_certificate_and_needs_tls() {
        let mut with_root = settings("smtps://smtp.example.cn:465");
        with_root.extra_root_pem = Some(b"not a certificate".to_vec());
        assert!(matches!(
            transport(&with_root, Duration::from_secs(30)),
            Err(SmtpConfigError::TrustRoot(_))
        ));
        with_root.url = "smtp://127.0.0.1:2525".into();
        assert!(matches!(
            transport(&with_root, Duration::from_secs(30)),
            Err(SmtpConfigError::Url(_))
        ));
    }
}
