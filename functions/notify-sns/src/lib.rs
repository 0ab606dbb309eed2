//! SMS through Amazon SNS: [`SnsGateway`] implements the core's
//! [`SmsGateway`](lingong_core::notices::sms::SmsGateway) seam by publishing free text
//! to a phone number (global regions only: SNS in China has no SMS).
//!
//! The SNS client retries nothing by
//! itself: whether to try again is the notice ledger's decision, because a retried
//! publish after a timeout could send the same SMS twice.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sns::{
    config::{retry::RetryConfig, timeout::TimeoutConfig},
    error::{ProvideErrorMetadata, SdkError},
    types::MessageAttributeValue,
};
use lingong_core::notices::{
    port::SendError,
    sms::{OutgoingSms, SmsGateway},
};

/// Amazon SNS as the SMS gateway (`Publish` to a phone number, transactional).
#[derive(Clone, Debug)]
pub struct SnsGateway {
    client: aws_sdk_sns::Client,
    sender_id: Option<String>,
}

/// Error codes SNS uses when it did not take the request and asks to slow down.
const THROTTLING: [&str; 5] = [
    "Throttling",
    "Throttled",
    "ThrottlingException",
    "ThrottledException",
    "KMSThrottlingException",
];

impl SnsGateway {
    /// A gateway on `config` with SDK retries off and a 10-second attempt timeout.
    pub fn new(config: &aws_config::SdkConfig) -> SnsGateway {
        let conf = aws_sdk_sns::config::Builder::from(config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .build(),
            )
            .build();
        SnsGateway::from_client(aws_sdk_sns::Client::from_conf(conf))
    }

    /// A gateway on an existing client (tests, custom endpoints).
    pub fn from_client(client: aws_sdk_sns::Client) -> SnsGateway {
        SnsGateway {
            client,
            sender_id: None,
        }
    }

    /// Sets the sender id where the destination supports one.
    pub fn with_sender_id(mut self, sender_id: impl Into<String>) -> SnsGateway {
        self.sender_id = Some(sender_id.into());
        self
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, SendError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| SendError::Permanent(e.to_string()))
}

/// Sorts an SNS failure into retry, give up, or unknown outcome.
pub fn classify<E, R>(error: &SdkError<E, R>) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_owned();
            if THROTTLING.contains(&code.as_str())
                || code == "InternalError"
                || code == "InternalErrorException"
                || code == "ServiceUnavailable"
            {
                SendError::Retryable(format!("SNS {code}"))
            } else {
                SendError::Permanent(format!("SNS {code}"))
            }
        }
        // Never got a response, and nothing says the request was not received.
        SdkError::TimeoutError(_) => SendError::Unknown("SNS request timed out".into()),
        SdkError::ResponseError(_) => SendError::Unknown("SNS response unreadable".into()),
        // The request could not be sent (no connection): nothing went out.
        SdkError::DispatchFailure(_) => SendError::Retryable("SNS unreachable".into()),
        SdkError::ConstructionFailure(_) => {
            SendError::Permanent("SNS request could not be built".into())
        }
        _ => SendError::Unknown("SNS failed in an unexpected way".into()),
    }
}

#[async_trait]
impl SmsGateway for SnsGateway {
    fn name(&self) -> &'static str {
        "sns"
    }

    async fn send_sms(&self, sms: &OutgoingSms<'_>) -> Result<String, SendError> {
        let mut request = self
            .client
            .publish()
            .phone_number(sms.e164)
            .message(sms.text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?);
        if let Some(sender_id) = &self.sender_id {
            request =
                request.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(sender_id)?);
        }
        match request.send().await {
            Ok(output) => Ok(output.message_id().unwrap_or_default().to_owned()),
            Err(error) => {
                let classified = classify(&error);
                tracing::warn!(error = %classified, "SNS publish failed");
                Err(classified)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aws_sdk_sns::{
        Client,
        operation::publish::{PublishError, PublishOutput},
        types::error::InvalidParameterException,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use std::sync::Arc;

    use lingong_core::{
        notices::{
            port::{Address, Message, Notifier},
            sms::SmsNotifier,
        },
        phone::MobileNumber,
    };

    use super::*;

    fn message(to: &str) -> Message {
        Message {
            notice_id: "01JOB.01WKR.offer".into(),
            to: Address::Sms(MobileNumber::parse("to", to).unwrap()),
            from_name: "零工驿站".into(),
            subject: None,
            text: "【零工驿站】岗位通知：测试。回复TD退订".into(),
            html: None,
            sms_template: None,
        }
    }

    #[tokio::test]
    async fn throttling_is_retryable_and_a_bad_number_is_not() {
        // What SNS answers when the account's SMS rate is exceeded.
        let throttled = mock!(Client::publish).then_http_response(|| {
            Response::new(
                StatusCode::try_from(400).unwrap(),
                SdkBody::from(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttled</Code>\
                     <Message>Rate exceeded</Message></Error></ErrorResponse>",
                ),
            )
        });
        let invalid = mock!(Client::publish).then_error(|| {
            PublishError::InvalidParameterException(InvalidParameterException::builder().build())
        });
        let ok = mock!(Client::publish)
            .match_requests(|r| r.phone_number() == Some("+8613800000000"))
            .then_output(|| PublishOutput::builder().message_id("m-1").build());
        let client = mock_client!(
            aws_sdk_sns,
            RuleMode::Sequential,
            &[&throttled, &invalid, &ok]
        );
        let notifier = SmsNotifier::new(Arc::new(SnsGateway::from_client(client)));
        let sms = message("13800000000");
        assert!(matches!(
            notifier.send(&sms).await,
            Err(SendError::Retryable(_))
        ));
        assert!(matches!(
            notifier.send(&sms).await,
            Err(SendError::Permanent(_))
        ));
        let receipt = notifier.send(&sms).await.unwrap();
        assert_eq!(receipt.provider, "sns");
        assert_eq!(receipt.message_id.as_deref(), Some("m-1"));
    }

    #[tokio::test]
    async fn a_timeout_is_an_unknown_outcome_not_a_retry() {
        // A server that never answers: the attempt times out after the request went out.
        let client = Client::from_conf(
            aws_sdk_sns::Config::builder()
                .with_test_defaults_v2()
                .http_client(aws_smithy_http_client::test_util::NeverClient::new())
                .retry_config(RetryConfig::disabled())
                .timeout_config(
                    TimeoutConfig::builder()
                        .operation_attempt_timeout(Duration::from_millis(200))
                        .build(),
                )
                .build(),
        );
        let notifier = SmsNotifier::new(Arc::new(SnsGateway::from_client(client)));
        assert!(matches!(
            notifier.send(&message("13800000000")).await,
            Err(SendError::Unknown(_))
        ));
    }

    #[tokio::test]
    async fn e_mail_addresses_are_refused() {
        let client = mock_client!(
            aws_sdk_sns,
            RuleMode::Sequential,
            &[] as &[&aws_smithy_mocks::Rule]
        );
        let notifier = SmsNotifier::new(Arc::new(SnsGateway::from_client(client)));
        let mut email = message("13800000000");
        email.to = Address::Email(lingong_core::phone::Email::parse("e", "a@example.com").unwrap());
        assert!(matches!(
            notifier.send(&email).await,
            Err(SendError::Permanent(_))
        ));
    }
}
