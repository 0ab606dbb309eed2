//! Lambda function `lingong-notifier`, on the table's stream: sends each new notice
//! once — SMS through the configured gateway, e-mail over SMTP — keeping the send ledger
//! (see `lingong_core::notices`). `main` only wires.
//!
//! | variable | meaning |
//! |---|---|
//! | `PUBLIC_BASE_URL` | origin of the links in notices |
//! | `SMS_GATEWAY` | `aliyun` or `tencent` (mainland, by filed templates), `sns` (global regions only) |
//! | `SMS_SECRET_ARN` | Secrets Manager secret with the gateway's settings as JSON (aliyun, tencent) |
//! | `SMS_SENDER_ID` | optional SNS sender id, where the destination supports one |
//! | `SMTP_URL` | e.g. `smtps://smtpdm.aliyun.com:465` (mainland) or SES's SMTP endpoint |
//! | `SMTP_SECRET_ARN` | Secrets Manager secret `{"username": …, "password": …}` |
//! | `MAIL_FROM` | sender address of e-mail notices |

use std::sync::Arc;

use anyhow::Context;
use lingong_aws_wiring::{aws_config, required_env, secret_text};
use lingong_core::notices::{
    consumer::NotifierConsumer,
    port::ByChannel,
    send::NoticeSender,
    sms::{SmsGateway, SmsNotifier},
};
use lingong_notify_sns::SnsGateway;
use lingong_site::{NoticeTemplates, Renderer};

/// The SMS gateway `SMS_GATEWAY` names, with its settings from `SMS_SECRET_ARN`.
async fn sms_gateway(config: &::aws_config::SdkConfig) -> anyhow::Result<Arc<dyn SmsGateway>> {
    let choice = std::env::var("SMS_GATEWAY").unwrap_or_else(|_| "aliyun".into());
    Ok(match choice.as_str() {
        "sns" => {
            let mut sns = SnsGateway::new(config);
            if let Ok(sender_id) = std::env::var("SMS_SENDER_ID")
                && !sender_id.is_empty()
            {
                sns = sns.with_sender_id(sender_id);
            }
            Arc::new(sns)
        }
        "aliyun" => {
            let settings = secret_text(config, &required_env("SMS_SECRET_ARN")?).await?;
            Arc::new(lingong_notify_aliyun::AliyunSms::new(
                lingong_notify_aliyun::AliyunConfig::from_json(&settings)
                    .context("the Alibaba Cloud SMS secret")?,
            )?)
        }
        "tencent" => {
            let settings = secret_text(config, &required_env("SMS_SECRET_ARN")?).await?;
            Arc::new(lingong_notify_tencent::TencentSms::new(
                lingong_notify_tencent::TencentConfig::from_json(&settings)
                    .context("the Tencent Cloud SMS secret")?,
            )?)
        }
        other => anyhow::bail!("SMS_GATEWAY must be aliyun, tencent or sns, not `{other}`"),
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config().await;
    let app = lingong_aws_wiring::app_with(&config).await?;
    let email = lingong_aws_wiring::smtp_mailer(&config).await?;
    let sender = NoticeSender {
        app,
        notifier: Arc::new(ByChannel {
            sms: Arc::new(SmsNotifier::new(sms_gateway(&config).await?)),
            email: Arc::new(email),
        }),
        renderer: Arc::new(NoticeTemplates::new(
            Arc::new(Renderer::new()?),
            &required_env("PUBLIC_BASE_URL")?,
        )),
    };
    lingong_aws_wiring::stream::run(Arc::new(NotifierConsumer { sender })).await
}
