//! Lambda function `lingong-notifier`, on the table's stream: sends each new notice
//! once — SMS through Amazon SNS, e-mail through SES's SMTP endpoint — keeping the send
//! ledger (see `lingong_core::notices`). `main` only wires.
//!
//! | variable | meaning |
//! |---|---|
//! | `PUBLIC_BASE_URL` | origin of the links in notices |
//! | `SMTP_URL` | e.g. `smtp://email-smtp.cn-northwest-1.amazonaws.com.cn:587?tls=required` |
//! | `SMTP_SECRET_ARN` | Secrets Manager secret `{"username": …, "password": …}` |
//! | `MAIL_FROM` | sender address of e-mail notices |
//! | `SMS_SENDER_ID` | optional SMS sender id, where the destination supports one |

use std::sync::Arc;

use lingong_aws_wiring::{aws_config, required_env};
use lingong_core::notices::sms::SmsNotifier;
use lingong_core::notices::{consumer::NotifierConsumer, port::ByChannel, send::NoticeSender};
use lingong_notify_sns::SnsGateway;
use lingong_site::{NoticeTemplates, Renderer};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config().await;
    let app = lingong_aws_wiring::app_with(&config).await?;
    let email = lingong_aws_wiring::smtp_mailer(&config).await?;
    let mut sns = SnsGateway::new(&config);
    if let Ok(sender_id) = std::env::var("SMS_SENDER_ID")
        && !sender_id.is_empty()
    {
        sns = sns.with_sender_id(sender_id);
    }
    let sender = NoticeSender {
        app,
        notifier: Arc::new(ByChannel {
            sms: Arc::new(SmsNotifier::new(Arc::new(sns))),
            email: Arc::new(email),
        }),
        renderer: Arc::new(NoticeTemplates::new(
            Arc::new(Renderer::new()?),
            &required_env("PUBLIC_BASE_URL")?,
        )),
    };
    lingong_aws_wiring::stream::run(Arc::new(NotifierConsumer { sender })).await
}
