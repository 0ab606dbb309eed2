//! Lambda function `lingong-report`, on EventBridge Scheduler schedules in the stations'
//! time zone (Asia/Shanghai): daily at 08:00 with input `{"period": "daily"}`, weekly on
//! Monday at 08:00 with `{"period": "weekly"}`. It e-mails each station's report to its
//! staff list. `main` only wires.
//!
//! | variable | meaning |
//! |---|---|
//! | `SMTP_URL` | SES SMTP endpoint with STARTTLS |
//! | `SMTP_SECRET_ARN` | Secrets Manager secret `{"username": …, "password": …}` |
//! | `MAIL_FROM` | sender address |

use lambda_runtime::{Error, LambdaEvent, service_fn};
use lingong_core::Lang;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = lingong_aws_wiring::aws_config().await;
    let app = lingong_aws_wiring::app_with(&config).await?;
    let mailer = lingong_aws_wiring::smtp_mailer(&config).await?;
    let renderer = std::sync::Arc::new(lingong_site::Renderer::new()?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (app, mailer, renderer) = (app.clone(), mailer.clone(), renderer.clone());
        async move {
            let period = lingong_report::period_of(&event.payload)
                .ok_or("the event names no period (daily or weekly)")?;
            let sent =
                lingong_report::send_reports(&app, &renderer, &mailer, period, Lang::Zh, None)
                    .await?;
            Ok::<_, Error>(json!({ "period": period.as_str(), "stations": sent.len() }))
        }
    }))
    .await
}
