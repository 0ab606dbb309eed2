//! E-mail over TLS without SES: the SMTP notifier against a real TLS SMTP server
//! (aiosmtpd from the test venv, `tools/smtp-tls-sink.py`) with implicit TLS and with
//! STARTTLS, trusting a CA this test makes; refused without that trust root; and the send
//! deadline against a server that takes the message and never answers (unknown outcome)
//! and one that never greets (nothing sent: retry).
//!
//! Needs `VIRTUAL_ENV` (the venv `scripts/test.sh` installs with `install_python_tools`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::BufRead,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use lingong_core::{
    notices::port::{Address, Message, Notifier, SendError},
    phone::Email,
};
use lingong_notify_smtp::{SmtpNotifier, SmtpSettings};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// A test CA and a certificate for `localhost` and 127.0.0.1 that it signed, as files.
struct TestPki {
    dir: tempfile::TempDir,
    ca_pem: Vec<u8>,
}

impl TestPki {
    fn new() -> TestPki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Lingong test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

        let server_key = KeyPair::generate().unwrap();
        let mut server_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server = server_params.signed_by(&server_key, &ca).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("server.pem"), server.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).unwrap();
        TestPki {
            ca_pem: ca.pem().into_bytes(),
            dir,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The venv's Python, where aiosmtpd is installed.
fn venv_python() -> PathBuf {
    let venv = std::env::var("VIRTUAL_ENV").unwrap_or_else(|_| {
        panic!(
            "VIRTUAL_ENV is not set: run the tests with scripts/test.sh, or `source scripts/lib/services.sh && install_python_tools` first (the TLS SMTP sink needs aiosmtpd)"
        )
    });
    Path::new(&venv).join("bin").join("python")
}

/// A running `tools/smtp-tls-sink.py`, killed when dropped.
struct TlsSink {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for TlsSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsSink {
    /// Starts the sink in `mode` (`implicit` or `starttls`) with the test certificate,
    /// and waits for the line that tells its port.
    fn start(mode: &str, pki: &TestPki) -> TlsSink {
        let maildir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/smtp-tls-sink.py");
        let mut child = Command::new(venv_python())
            .arg(script)
            .arg(mode)
            .arg(pki.file("server.pem"))
            .arg(pki.file("server.key"))
            .arg(maildir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the venv's python runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the TLS SMTP sink did not start (it printed {line:?}); see its stderr above")
        });
        TlsSink {
            child,
            port,
            maildir,
        }
    }

    /// `(To, Subject)` of every message the sink stored, headers decoded.
    fn delivered(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.maildir.path().join("new")).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let mail = mailparse::parse_mail(&bytes).unwrap();
            let header = |name: &str| {
                mail.headers
                    .iter()
                    .find(|h| h.get_key().eq_ignore_ascii_case(name))
                    .map(|h| h.get_value())
                    .unwrap_or_default()
            };
            out.push((header("To"), header("Subject")));
        }
        out
    }
}

fn settings(url: String, extra_root_pem: Option<Vec<u8>>) -> SmtpSettings {
    SmtpSettings {
        url,
        from: "notices@lingong.test".into(),
        credentials: None,
        extra_root_pem,
        send_timeout: None,
    }
}

fn notice(to: &str, subject: &str) -> Message {
    Message {
        notice_id: format!("01TLS.{}", to.replace(['@', '.'], "-")),
        to: Address::Email(Email::parse("email", to).unwrap()),
        from_name: "零工驿站".into(),
        subject: Some(subject.into()),
        text: "明天 8:00 到岗。".into(),
        html: None,
        sms_template: None,
    }
}

/// Sends `message` and fails the test, rather than hanging it, if no answer comes.
async fn send_guarded(notifier: &SmtpNotifier, message: &Message) -> Result<(), SendError> {
    tokio::time::timeout(Duration::from_secs(120), notifier.send(message))
        .await
        .expect("the send returned on its own")
        .map(|_| ())
}

#[tokio::test]
async fn implicit_tls_delivers_when_the_station_trusts_its_ca() {
    let pki = TestPki::new();
    let sink = TlsSink::start("implicit", &pki);
    let notifier = SmtpNotifier::new(&settings(
        format!("smtps://localhost:{}", sink.port),
        Some(pki.ca_pem.clone()),
    ))
    .unwrap();
    send_guarded(
        &notifier,
        &notice("wang.wu@example.cn", "岗位通知 implicit"),
    )
    .await
    .unwrap();
    let delivered = sink.delivered();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert!(
        delivered[0].0.contains("wang.wu@example.cn"),
        "{delivered:?}"
    );
    assert_eq!(delivered[0].1, "岗位通知 implicit");
}

#[tokio::test]
async fn starttls_delivers_when_the_station_trusts_its_ca() {
    let pki = TestPki::new();
    let sink = TlsSink::start("starttls", &pki);
    let notifier = SmtpNotifier::new(&settings(
        format!("smtp://localhost:{}?tls=required", sink.port),
        Some(pki.ca_pem.clone()),
    ))
    .unwrap();
    send_guarded(&notifier, &notice("li.si@example.cn", "岗位通知 starttls"))
        .await
        .unwrap();
    let delivered = sink.delivered();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert!(delivered[0].0.contains("li.si@example.cn"), "{delivered:?}");
    assert_eq!(delivered[0].1, "岗位通知 starttls");
}

#[tokio::test]
async fn a_certificate_nobody_trusts_is_refused_and_nothing_arrives() {
    let pki = TestPki::new();
    for (mode, url) in [
        ("implicit", "smtps://localhost:{port}"),
        ("starttls", "smtp://localhost:{port}?tls=required"),
    ] {
        let sink = TlsSink::start(mode, &pki);
        let notifier = SmtpNotifier::new(&settings(
            url.replace("{port}", &sink.port.to_string()),
            None,
        ))
        .unwrap();
        let outcome = send_guarded(&notifier, &notice("zhao.liu@example.cn", "不该送达")).await;
        let Err(SendError::Retryable(reason) | SendError::Permanent(reason)) = &outcome else {
            panic!("{mode}: {outcome:?}");
        };
        assert!(reason.contains("certificate"), "{mode}: {reason}");
        assert!(sink.delivered().is_empty(), "{mode}");
    }
}

/// A server that speaks SMTP up to `354` after DATA, reads the whole message, and then
/// never answers — on its first connection; later connections are answered `250`, so a
/// second send shows whether the first one's half-finished connection was left behind
/// for it. Reports on `got_message` once the first connection has the final dot.
async fn hung_server(listener: TcpListener, got_message: tokio::sync::oneshot::Sender<()>) {
    let mut got_message = Some(got_message);
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        let hang_after_data = got_message.take();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 localhost ESMTP\r\n").await.unwrap();
            let mut hang_after_data = hang_after_data;
            while let Ok(Some(line)) = lines.next_line().await {
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let answer: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 localhost\r\n",
                    "QUIT" => b"221 bye\r\n",
                    "DATA" => {
                        write
                            .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                            .await
                            .unwrap();
                        while let Ok(Some(data)) = lines.next_line().await {
                            if data == "." {
                                break;
                            }
                        }
                        if let Some(report) = hang_after_data.take() {
                            report.send(()).unwrap();
                            // Keep the connection open and say nothing, as the broken
                            // server did.
                            std::future::pending::<()>().await;
                        }
                        b"250 queued\r\n"
                    }
                    _ => b"250 OK\r\n",
                };
                if write.write_all(answer).await.is_err() {
                    break;
                }
            }
        });
    }
}

#[tokio::test]
async fn a_server_that_takes_the_message_and_never_answers_meets_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (got_message, message_taken) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(hung_server(listener, got_message));
    let mut quick = settings(format!("smtp://127.0.0.1:{port}"), None);
    quick.send_timeout = Some(Duration::from_secs(2));
    let notifier = SmtpNotifier::new(&quick).unwrap();
    let outcome = send_guarded(&notifier, &notice("sun.qi@example.cn", "岗位通知 hung")).await;
    assert!(matches!(outcome, Err(SendError::Unknown(_))), "{outcome:?}");
    // The deadline passed after the server had the message: exactly the case where
    // sending again could send it twice.
    message_taken
        .await
        .expect("the server read the whole message");
    // The next notice gets a connection of its own, not the one left mid-conversation.
    send_guarded(&notifier, &notice("zhou.ba@example.cn", "岗位通知 next"))
        .await
        .unwrap();
    server.abort();
}

#[tokio::test]
async fn a_server_that_never_greets_is_retried_not_parked() {
    // Accepts the TCP connection and says nothing: not even the 220 greeting, so no
    // mail command was ever sent.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            held.push(stream);
        }
    });
    let mut quick = settings(format!("smtp://127.0.0.1:{port}"), None);
    quick.send_timeout = Some(Duration::from_secs(2));
    let notifier = SmtpNotifier::new(&quick).unwrap();
    let outcome = send_guarded(&notifier, &notice("wu.jiu@example.cn", "岗位通知 silent")).await;
    assert!(
        matches!(outcome, Err(SendError::Retryable(_))),
        "{outcome:?}"
    );
    server.abort();
}
