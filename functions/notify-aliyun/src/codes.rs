//! What each answer of Alibaba Cloud SMS means for the notice ledger: try again later,
//! give up, or ask a person (it may have gone out). The codes are those of the SMS
//! "API错误码" page (`isv.*`, `isp.*`, answered with HTTP 200) and of the API gateway's
//! common errors (signature, key, throttling; HTTP 4xx/5xx).
//!
//! A code that is not in the table is [`Outcome::Unknown`]: an unfamiliar answer is no
//! proof that nothing was sent, and a notice parked for staff is better than one sent
//! twice.

/// What a failed send means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not sent; trying again later may work (limits, balance, a busy service).
    Retryable,
    /// Not sent, and trying again as it stands never will (number, template,
    /// signature, account or key problems: a person must fix something first).
    Permanent,
    /// Perhaps sent: never retried automatically.
    Unknown,
}

/// Every code with a known meaning. Kept as one table so each row has its test.
pub const CODES: &[(&str, Outcome)] = &[
    // Flow control: the number or the account hit a rate; later it passes.
    ("isv.BUSINESS_LIMIT_CONTROL", Outcome::Retryable),
    ("isv.DAY_LIMIT_CONTROL", Outcome::Retryable),
    ("isv.MONTH_LIMIT_CONTROL", Outcome::Retryable),
    ("Throttling", Outcome::Retryable),
    // Balance: a top-up fixes it; the ledger parks the notice after its last try.
    ("isv.AMOUNT_NOT_ENOUGH", Outcome::Retryable),
    ("isv.OUT_OF_SERVICE", Outcome::Retryable),
    // isp.SYSTEM_ERROR is the SMS service itself answering that it failed, and
    // Alibaba's page says to call again. It comes without a BizId, so Alibaba holds no
    // message that it could still deliver: retrying is not sending twice.
    ("isp.SYSTEM_ERROR", Outcome::Retryable),
    // The gateway turned the call away before passing it on (HTTP 503).
    ("ServiceUnavailable", Outcome::Retryable),
    // The gateway failed somewhere while handling the call (HTTP 500); unlike
    // isp.SYSTEM_ERROR this is not the SMS service's own word, so it may have run.
    ("InternalError", Outcome::Unknown),
    // A request with this nonce arrived before: a copy of ours was delivered twice on
    // the way, and the first copy may have been sent.
    ("SignatureNonceUsed", Outcome::Unknown),
    // The number.
    ("isv.MOBILE_NUMBER_ILLEGAL", Outcome::Permanent),
    ("isv.MOBILE_COUNT_OVER_LIMIT", Outcome::Permanent),
    ("isv.DOMESTIC_NUMBER_NOT_SUPPORTED", Outcome::Permanent),
    ("isv.BLACK_KEY_CONTROL_LIMIT", Outcome::Permanent),
    // The template, its variables and the signature (签名).
    ("isv.SMS_TEMPLATE_ILLEGAL", Outcome::Permanent),
    ("isv.SMS_SIGNATURE_ILLEGAL", Outcome::Permanent),
    ("isv.SMS_SIGN_ILLEGAL", Outcome::Permanent),
    ("isv.SIGN_STATE_ILLEGAL", Outcome::Permanent),
    ("isv.SMS_SIGNATURE_SCENE_ILLEGAL", Outcome::Permanent),
    ("isv.TEMPLATE_MISSING_PARAMETERS", Outcome::Permanent),
    ("isv.TEMPLATE_PARAMS_ILLEGAL", Outcome::Permanent),
    ("isv.INVALID_JSON_PARAM", Outcome::Permanent),
    ("isv.PARAM_LENGTH_LIMIT", Outcome::Permanent),
    ("isv.PARAM_NOT_SUPPORT_URL", Outcome::Permanent),
    ("isv.SMS_CONTENT_ILLEGAL", Outcome::Permanent),
    ("isv.INVALID_PARAMETERS", Outcome::Permanent),
    ("isv.EXTEND_CODE_ERROR", Outcome::Permanent),
    // The account, its permissions and where it calls from.
    ("isv.DENY_IP_RANGE", Outcome::Permanent),
    ("isp.RAM_PERMISSION_DENY", Outcome::Permanent),
    ("isv.PRODUCT_UN_SUBSCRIPT", Outcome::Permanent),
    ("isv.PRODUCT_UNSUBSCRIBE", Outcome::Permanent),
    ("isv.ACCOUNT_NOT_EXISTS", Outcome::Permanent),
    ("isv.ACCOUNT_ABNORMAL", Outcome::Permanent),
    // The gateway refused the call itself: key, signature, clock or request shape.
    ("SignatureDoesNotMatch", Outcome::Permanent),
    ("IncompleteSignature", Outcome::Permanent),
    ("InvalidAccessKeyId.NotFound", Outcome::Permanent),
    ("InvalidAccessKeyId.Inactive", Outcome::Permanent),
    ("InvalidTimeStamp.Expired", Outcome::Permanent),
    ("InvalidTimeStamp.Format", Outcome::Permanent),
    ("InvalidAction.NotFound", Outcome::Permanent),
    ("InvalidVersion", Outcome::Permanent),
    ("InvalidParameter", Outcome::Permanent),
    ("Forbidden.RAM", Outcome::Permanent),
    ("MissingPhoneNumbers", Outcome::Permanent),
    ("MissingSignName", Outcome::Permanent),
    ("MissingTemplateCode", Outcome::Permanent),
];

/// The meaning of `code`. `Throttling.*` (`Throttling.User`, `Throttling.Api`, …) is
/// flow control like `Throttling`.
pub fn outcome_of(code: &str) -> Outcome {
    if let Some((_, outcome)) = CODES.iter().find(|(known, _)| *known == code) {
        return *outcome;
    }
    if code.starts_with("Throttling.") {
        return Outcome::Retryable;
    }
    Outcome::Unknown
}

/// The meaning of an HTTP status whose body carried no readable Alibaba answer (a
/// proxy's or load balancer's page, or nothing).
///
/// 5xx: only 503 says the call was turned away before it was passed on; a 500, 502 or
/// 504 can come after SendSms ran (a proxy timing out while the service works), so
/// those are [`Outcome::Unknown`]. 429 is a rate limit. Any other 4xx refused the call.
pub fn outcome_of_status(status: u16) -> Outcome {
    match status {
        429 | 503 => Outcome::Retryable,
        400..=499 => Outcome::Permanent,
        _ => Outcome::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: &str, expected: Outcome) {
        assert_eq!(outcome_of(code), expected, "{code}");
    }

    #[test]
    fn codes_are_listed_once() {
        for (i, (code, _)) in CODES.iter().enumerate() {
            assert!(
                !CODES[i + 1..].iter().any(|(other, _)| other == code),
                "{code} twice"
            );
        }
    }

    // One test per row of the table.
    #[test]
    fn business_limit_control_is_retryable() {
        check("isv.BUSINESS_LIMIT_CONTROL", Outcome::Retryable);
    }
    #[test]
    fn day_limit_control_is_retryable() {
        check("isv.DAY_LIMIT_CONTROL", Outcome::Retryable);
    }
    #[test]
    fn month_limit_control_is_retryable() {
        check("isv.MONTH_LIMIT_CONTROL", Outcome::Retryable);
    }
    #[test]
    fn throttling_is_retryable() {
        check("Throttling", Outcome::Retryable);
    }
    #[test]
    fn every_throttling_subcode_is_retryable() {
        check("Throttling.User", Outcome::Retryable);
        check("Throttling.Api", Outcome::Retryable);
        // Only the dotted family: a code that merely starts alike is unknown.
        check("ThrottlingSomething", Outcome::Unknown);
    }
    #[test]
    fn amount_not_enough_is_retryable() {
        check("isv.AMOUNT_NOT_ENOUGH", Outcome::Retryable);
    }
    #[test]
    fn out_of_service_is_retryable() {
        check("isv.OUT_OF_SERVICE", Outcome::Retryable);
    }
    #[test]
    fn system_error_is_retryable() {
        check("isp.SYSTEM_ERROR", Outcome::Retryable);
    }
    #[test]
    fn service_unavailable_is_retryable() {
        check("ServiceUnavailable", Outcome::Retryable);
    }
    #[test]
    fn internal_error_is_unknown() {
        check("InternalError", Outcome::Unknown);
    }
    #[test]
    fn signature_nonce_used_is_unknown() {
        check("SignatureNonceUsed", Outcome::Unknown);
    }
    #[test]
    fn mobile_number_illegal_is_permanent() {
        check("isv.MOBILE_NUMBER_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn mobile_count_over_limit_is_permanent() {
        check("isv.MOBILE_COUNT_OVER_LIMIT", Outcome::Permanent);
    }
    #[test]
    fn domestic_number_not_supported_is_permanent() {
        check("isv.DOMESTIC_NUMBER_NOT_SUPPORTED", Outcome::Permanent);
    }
    #[test]
    fn black_key_control_limit_is_permanent() {
        check("isv.BLACK_KEY_CONTROL_LIMIT", Outcome::Permanent);
    }
    #[test]
    fn sms_template_illegal_is_permanent() {
        check("isv.SMS_TEMPLATE_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn sms_signature_illegal_is_permanent() {
        check("isv.SMS_SIGNATURE_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn sms_sign_illegal_is_permanent() {
        check("isv.SMS_SIGN_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn sign_state_illegal_is_permanent() {
        check("isv.SIGN_STATE_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn sms_signature_scene_illegal_is_permanent() {
        check("isv.SMS_SIGNATURE_SCENE_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn template_missing_parameters_is_permanent() {
        check("isv.TEMPLATE_MISSING_PARAMETERS", Outcome::Permanent);
    }
    #[test]
    fn template_params_illegal_is_permanent() {
        check("isv.TEMPLATE_PARAMS_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn invalid_json_param_is_permanent() {
        check("isv.INVALID_JSON_PARAM", Outcome::Permanent);
    }
    #[test]
    fn param_length_limit_is_permanent() {
        check("isv.PARAM_LENGTH_LIMIT", Outcome::Permanent);
    }
    #[test]
    fn param_not_support_url_is_permanent() {
        check("isv.PARAM_NOT_SUPPORT_URL", Outcome::Permanent);
    }
    #[test]
    fn sms_content_illegal_is_permanent() {
        check("isv.SMS_CONTENT_ILLEGAL", Outcome::Permanent);
    }
    #[test]
    fn invalid_parameters_is_permanent() {
        check("isv.INVALID_PARAMETERS", Outcome::Permanent);
    }
    #[test]
    fn extend_code_error_is_permanent() {
        check("isv.EXTEND_CODE_ERROR", Outcome::Permanent);
    }
    #[test]
    fn deny_ip_range_is_permanent() {
        check("isv.DENY_IP_RANGE", Outcome::Permanent);
    }
    #[test]
    fn ram_permission_deny_is_permanent() {
        check("isp.RAM_PERMISSION_DENY", Outcome::Permanent);
    }
    #[test]
    fn product_un_subscript_is_permanent() {
        check("isv.PRODUCT_UN_SUBSCRIPT", Outcome::Permanent);
    }
    #[test]
    fn product_unsubscribe_is_permanent() {
        check("isv.PRODUCT_UNSUBSCRIBE", Outcome::Permanent);
    }
    #[test]
    fn account_not_exists_is_permanent() {
        check("isv.ACCOUNT_NOT_EXISTS", Outcome::Permanent);
    }
    #[test]
    fn account_abnormal_is_permanent() {
        check("isv.ACCOUNT_ABNORMAL", Outcome::Permanent);
    }
    #[test]
    fn signature_does_not_match_is_permanent() {
        check("SignatureDoesNotMatch", Outcome::Permanent);
    }
    #[test]
    fn incomplete_signature_is_permanent() {
        check("IncompleteSignature", Outcome::Permanent);
    }
    #[test]
    fn access_key_not_found_is_permanent() {
        check("InvalidAccessKeyId.NotFound", Outcome::Permanent);
    }
    #[test]
    fn access_key_inactive_is_permanent() {
        check("InvalidAccessKeyId.Inactive", Outcome::Permanent);
    }
    #[test]
    fn expired_time_stamp_is_permanent() {
        check("InvalidTimeStamp.Expired", Outcome::Permanent);
    }
    #[test]
    fn badly_formatted_time_stamp_is_permanent() {
        check("InvalidTimeStamp.Format", Outcome::Permanent);
    }
    #[test]
    fn unknown_action_is_permanent() {
        check("InvalidAction.NotFound", Outcome::Permanent);
    }
    #[test]
    fn invalid_version_is_permanent() {
        check("InvalidVersion", Outcome::Permanent);
    }
    #[test]
    fn invalid_parameter_is_permanent() {
        check("InvalidParameter", Outcome::Permanent);
    }
    #[test]
    fn ram_forbidden_is_permanent() {
        check("Forbidden.RAM", Outcome::Permanent);
    }
    #[test]
    fn missing_phone_numbers_is_permanent() {
        check("MissingPhoneNumbers", Outcome::Permanent);
    }
    #[test]
    fn missing_sign_name_is_permanent() {
        check("MissingSignName", Outcome::Permanent);
    }
    #[test]
    fn missing_template_code_is_permanent() {
        check("MissingTemplateCode", Outcome::Permanent);
    }
    #[test]
    fn an_unlisted_code_is_unknown() {
        check("isv.SOMETHING_NEW", Outcome::Unknown);
        check("", Outcome::Unknown);
    }
    #[test]
    fn bare_statuses() {
        assert_eq!(outcome_of_status(503), Outcome::Retryable);
        assert_eq!(outcome_of_status(429), Outcome::Retryable);
        assert_eq!(outcome_of_status(500), Outcome::Unknown);
        assert_eq!(outcome_of_status(502), Outcome::Unknown);
        assert_eq!(outcome_of_status(504), Outcome::Unknown);
        assert_eq!(outcome_of_status(403), Outcome::Permanent);
        assert_eq!(outcome_of_status(200), Outcome::Unknown);
    }
}
