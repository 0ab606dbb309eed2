//! What each Tencent Cloud SMS error code means for the notice ledger: try again later,
//! give up, or "may have gone out" (never retried automatically, parked for staff).
//!
//! Codes come from Tencent's SendSms error list (短信 API 3.0 发送错误码), the common
//! error codes of API 3.0 (公共错误码) and the SDK's `sms/v20210111/errorcodes.py`. The
//! same code can arrive request-level (`Response.Error.Code`) or per number
//! (`Response.SendStatusSet[].Code`); both mean the same here.
//!
//! `InternalError.*` is split by what the error says happened:
//! - refused at the door, deterministic (`JsonParseFail`, `RestApiInterfaceNotExist`,
//!   `SigFieldMissing`, `SigVerificationFail`, `RequestTimeException` = our clock is off by
//!   more than ten minutes): **permanent**, the same request gets the same answer;
//! - the backend timed out or failed while handing the message on towards the carrier
//!   (`Timeout` = 60008/1008, `SendAndRecvFail`), or fails without saying where
//!   (`OtherError`, `UnknownError`, bare `InternalError`): **unknown**. Tencent suggests
//!   retrying `Timeout`, but nothing says the carrier did not get the first one, and a
//!   job offer sent twice is worse than a notice a staff member looks at.

use lingong_core::{board::mask_numbers, notices::port::SendError};

/// How the ledger treats a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not sent; worth trying again later (rate limits, a package that a top-up refills).
    Retryable,
    /// Not sent, and the same request will never be accepted.
    Permanent,
    /// May have been sent: never retried automatically.
    Unknown,
}

/// The table: a code, or a family of codes ending in `.*`. An exact code wins over a
/// family; a code in neither is [`Verdict::Unknown`].
pub const CODES: &[(&str, Verdict)] = &[
    // Frequency limits, of the API (requests per second) or of the SMS console policy
    // (per number per 30 s / hour / day, per app per day): a later try can pass.
    ("RequestLimitExceeded", Verdict::Retryable),
    ("RequestLimitExceeded.*", Verdict::Retryable),
    ("LimitExceeded", Verdict::Retryable),
    ("LimitExceeded.*", Verdict::Retryable),
    // Not a frequency limit: more than 200 numbers in one request never passes.
    ("LimitExceeded.PhoneNumberCountLimit", Verdict::Permanent),
    // Money: a top-up fixes both; the ledger parks the notice after its last try.
    (
        "FailedOperation.InsufficientBalanceInSmsPackage",
        Verdict::Retryable,
    ),
    (
        "UnauthorizedOperation.SerivceSuspendDueToArrears",
        Verdict::Retryable,
    ),
    // Marketing SMS only go out 08:00–22:00; a later try passes.
    (
        "FailedOperation.MarketingSendTimeConstraint",
        Verdict::Retryable,
    ),
    // The service says it is briefly unavailable: the request was not taken.
    ("ServiceUnavailable", Verdict::Retryable),
    // The number, the signature, the template or its variables: fixed only by a person.
    (
        "InvalidParameterValue.IncorrectPhoneNumber",
        Verdict::Permanent,
    ),
    ("FailedOperation.PhoneNumberInBlacklist", Verdict::Permanent),
    ("FailedOperation.PhoneNumberOnBlacklist", Verdict::Permanent),
    (
        "FailedOperation.SignatureIncorrectOrUnapproved",
        Verdict::Permanent,
    ),
    (
        "FailedOperation.TemplateIncorrectOrUnapproved",
        Verdict::Permanent,
    ),
    ("FailedOperation.ContainSensitiveWord", Verdict::Permanent),
    ("FailedOperation.FailResolvePacket", Verdict::Permanent),
    ("FailedOperation.JsonParseFail", Verdict::Permanent),
    ("FailedOperation.MissingSignatureList", Verdict::Permanent),
    ("FailedOperation.MissingTemplateList", Verdict::Permanent),
    // "其他错误，一般是由于参数携带不符合要求导致": a parameter problem.
    ("FailedOperation.OtherError", Verdict::Permanent),
    (
        "InvalidParameterValue.TemplateParameterFormatError",
        Verdict::Permanent,
    ),
    (
        "InvalidParameterValue.TemplateParameterLengthLimit",
        Verdict::Permanent,
    ),
    (
        "InvalidParameterValue.ContentLengthLimit",
        Verdict::Permanent,
    ),
    (
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        Verdict::Permanent,
    ),
    ("InvalidParameterValue.SdkAppIdNotExist", Verdict::Permanent),
    ("InvalidParameterValue.*", Verdict::Permanent),
    ("InvalidParameter", Verdict::Permanent),
    ("InvalidParameter.*", Verdict::Permanent),
    ("MissingParameter", Verdict::Permanent),
    ("MissingParameter.*", Verdict::Permanent),
    ("UnknownParameter", Verdict::Permanent),
    ("UnsupportedOperation", Verdict::Permanent),
    ("UnsupportedOperation.*", Verdict::Permanent),
    (
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
        Verdict::Permanent,
    ),
    ("UnsupportedRegion", Verdict::Permanent),
    // Credentials, permissions and the app: configuration a person must fix.
    ("AuthFailure", Verdict::Permanent),
    ("AuthFailure.*", Verdict::Permanent),
    ("UnauthorizedOperation", Verdict::Permanent),
    ("UnauthorizedOperation.*", Verdict::Permanent),
    ("IpInBlacklist", Verdict::Permanent),
    ("IpNotInWhitelist", Verdict::Permanent),
    ("InvalidAction", Verdict::Permanent),
    ("ActionOffline", Verdict::Permanent),
    ("NoSuchVersion", Verdict::Permanent),
    ("NoSuchProduct", Verdict::Permanent),
    ("InvalidRequest", Verdict::Permanent),
    ("RequestSizeLimitExceeded", Verdict::Permanent),
    // Internal errors (see the module comment).
    ("InternalError.JsonParseFail", Verdict::Permanent),
    ("InternalError.RestApiInterfaceNotExist", Verdict::Permanent),
    ("InternalError.SigFieldMissing", Verdict::Permanent),
    ("InternalError.SigVerificationFail", Verdict::Permanent),
    ("InternalError.RequestTimeException", Verdict::Permanent),
    ("InternalError.Timeout", Verdict::Unknown),
    ("InternalError.SendAndRecvFail", Verdict::Unknown),
    ("InternalError.OtherError", Verdict::Unknown),
    ("InternalError.UnknownError", Verdict::Unknown),
    ("InternalError", Verdict::Unknown),
    ("InternalError.*", Verdict::Unknown),
];

/// The verdict for `code`: its exact row, else its family's row, else unknown.
pub fn verdict(code: &str) -> Verdict {
    if let Some((_, verdict)) = CODES.iter().find(|(row, _)| *row == code) {
        return *verdict;
    }
    CODES
        .iter()
        .filter_map(|(row, verdict)| {
            let family = row.strip_suffix('*')?;
            code.starts_with(family).then_some((family.len(), *verdict))
        })
        .max_by_key(|(len, _)| *len)
        .map_or(Verdict::Unknown, |(_, verdict)| verdict)
}

/// `code` (with Tencent's `message`, phone numbers masked: Tencent may echo the number)
/// as the ledger's error.
pub fn send_error(code: &str, message: &str) -> SendError {
    let text = format!("Tencent SMS {code}: {}", mask_numbers(message));
    match verdict(code) {
        Verdict::Retryable => SendError::Retryable(text),
        Verdict::Permanent => SendError::Permanent(text),
        Verdict::Unknown => SendError::Unknown(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    /// One case per row of [`CODES`]: the row's code (or a member of its family) and the
    /// verdict expected for it. A new row without a case here fails
    /// `every_row_has_a_case`.
    const CASES: &[(&str, &str, Verdict)] = &[
        ("RequestLimitExceeded", "RequestLimitExceeded", Retryable),
        (
            "RequestLimitExceeded.*",
            "RequestLimitExceeded.UinLimitExceeded",
            Retryable,
        ),
        ("LimitExceeded", "LimitExceeded", Retryable),
        (
            "LimitExceeded.*",
            "LimitExceeded.PhoneNumberThirtySecondLimit",
            Retryable,
        ),
        (
            "LimitExceeded.PhoneNumberCountLimit",
            "LimitExceeded.PhoneNumberCountLimit",
            Permanent,
        ),
        (
            "FailedOperation.InsufficientBalanceInSmsPackage",
            "FailedOperation.InsufficientBalanceInSmsPackage",
            Retryable,
        ),
        (
            "UnauthorizedOperation.SerivceSuspendDueToArrears",
            "UnauthorizedOperation.SerivceSuspendDueToArrears",
            Retryable,
        ),
        (
            "FailedOperation.MarketingSendTimeConstraint",
            "FailedOperation.MarketingSendTimeConstraint",
            Retryable,
        ),
        ("ServiceUnavailable", "ServiceUnavailable", Retryable),
        (
            "InvalidParameterValue.IncorrectPhoneNumber",
            "InvalidParameterValue.IncorrectPhoneNumber",
            Permanent,
        ),
        (
            "FailedOperation.PhoneNumberInBlacklist",
            "FailedOperation.PhoneNumberInBlacklist",
            Permanent,
        ),
        (
            "FailedOperation.PhoneNumberOnBlacklist",
            "FailedOperation.PhoneNumberOnBlacklist",
            Permanent,
        ),
        (
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "FailedOperation.SignatureIncorrectOrUnapproved",
            Permanent,
        ),
        (
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "FailedOperation.TemplateIncorrectOrUnapproved",
            Permanent,
        ),
        (
            "FailedOperation.ContainSensitiveWord",
            "FailedOperation.ContainSensitiveWord",
            Permanent,
        ),
        (
            "FailedOperation.FailResolvePacket",
            "FailedOperation.FailResolvePacket",
            Permanent,
        ),
        (
            "FailedOperation.JsonParseFail",
            "FailedOperation.JsonParseFail",
            Permanent,
        ),
        (
            "FailedOperation.MissingSignatureList",
            "FailedOperation.MissingSignatureList",
            Permanent,
        ),
        (
            "FailedOperation.MissingTemplateList",
            "FailedOperation.MissingTemplateList",
            Permanent,
        ),
        (
            "FailedOperation.OtherError",
            "FailedOperation.OtherError",
            Permanent,
        ),
        (
            "InvalidParameterValue.TemplateParameterFormatError",
            "InvalidParameterValue.TemplateParameterFormatError",
            Permanent,
        ),
        (
            "InvalidParameterValue.TemplateParameterLengthLimit",
            "InvalidParameterValue.TemplateParameterLengthLimit",
            Permanent,
        ),
        (
            "InvalidParameterValue.ContentLengthLimit",
            "InvalidParameterValue.ContentLengthLimit",
            Permanent,
        ),
        (
            "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
            "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
            Permanent,
        ),
        (
            "InvalidParameterValue.SdkAppIdNotExist",
            "InvalidParameterValue.SdkAppIdNotExist",
            Permanent,
        ),
        (
            "InvalidParameterValue.*",
            "InvalidParameterValue.InvalidTemplateFormat",
            Permanent,
        ),
        ("InvalidParameter", "InvalidParameter", Permanent),
        (
            "InvalidParameter.*",
            "InvalidParameter.DirtyWordFound",
            Permanent,
        ),
        ("MissingParameter", "MissingParameter", Permanent),
        (
            "MissingParameter.*",
            "MissingParameter.EmptyPhoneNumberSet",
            Permanent,
        ),
        ("UnknownParameter", "UnknownParameter", Permanent),
        ("UnsupportedOperation", "UnsupportedOperation", Permanent),
        (
            "UnsupportedOperation.*",
            "UnsupportedOperation.UnsuportedRegion",
            Permanent,
        ),
        (
            "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
            "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
            Permanent,
        ),
        ("UnsupportedRegion", "UnsupportedRegion", Permanent),
        ("AuthFailure", "AuthFailure", Permanent),
        ("AuthFailure.*", "AuthFailure.SignatureFailure", Permanent),
        ("UnauthorizedOperation", "UnauthorizedOperation", Permanent),
        (
            "UnauthorizedOperation.*",
            "UnauthorizedOperation.RequestIpNotInWhitelist",
            Permanent,
        ),
        ("IpInBlacklist", "IpInBlacklist", Permanent),
        ("IpNotInWhitelist", "IpNotInWhitelist", Permanent),
        ("InvalidAction", "InvalidAction", Permanent),
        ("ActionOffline", "ActionOffline", Permanent),
        ("NoSuchVersion", "NoSuchVersion", Permanent),
        ("NoSuchProduct", "NoSuchProduct", Permanent),
        ("InvalidRequest", "InvalidRequest", Permanent),
        (
            "RequestSizeLimitExceeded",
            "RequestSizeLimitExceeded",
            Permanent,
        ),
        (
            "InternalError.JsonParseFail",
            "InternalError.JsonParseFail",
            Permanent,
        ),
        (
            "InternalError.RestApiInterfaceNotExist",
            "InternalError.RestApiInterfaceNotExist",
            Permanent,
        ),
        (
            "InternalError.SigFieldMissing",
            "InternalError.SigFieldMissing",
            Permanent,
        ),
        (
            "InternalError.SigVerificationFail",
            "InternalError.SigVerificationFail",
            Permanent,
        ),
        (
            "InternalError.RequestTimeException",
            "InternalError.RequestTimeException",
            Permanent,
        ),
        ("InternalError.Timeout", "InternalError.Timeout", Unknown),
        (
            "InternalError.SendAndRecvFail",
            "InternalError.SendAndRecvFail",
            Unknown,
        ),
        (
            "InternalError.OtherError",
            "InternalError.OtherError",
            Unknown,
        ),
        (
            "InternalError.UnknownError",
            "InternalError.UnknownError",
            Unknown,
        ),
        ("InternalError", "InternalError", Unknown),
        ("InternalError.*", "InternalError.SomethingNew", Unknown),
    ];

    #[test]
    fn every_case_gets_its_verdict() {
        for (_, code, expected) in CASES {
            assert_eq!(verdict(code), *expected, "{code}");
        }
    }

    #[test]
    fn every_row_has_a_case() {
        for (row, row_verdict) in CODES {
            let case = CASES.iter().find(|(for_row, _, _)| for_row == row);
            let Some((_, _, expected)) = case else {
                panic!("row {row} has no test case");
            };
            assert_eq!(expected, row_verdict, "{row}");
        }
        assert_eq!(CASES.len(), CODES.len(), "a case for a row that is gone");
    }

    #[test]
    fn an_exact_row_wins_over_its_family() {
        assert_eq!(verdict("LimitExceeded.PhoneNumberDailyLimit"), Retryable);
        assert_eq!(verdict("LimitExceeded.PhoneNumberCountLimit"), Permanent);
    }

    #[test]
    fn a_code_in_no_row_is_unknown() {
        assert_eq!(verdict("SomethingTencentAddsNextYear"), Unknown);
        assert_eq!(verdict("FailedOperation.Unlisted"), Unknown);
        assert_eq!(verdict(""), Unknown);
        // A family matches only at a dot, not as a bare prefix of another word.
        assert_eq!(verdict("AuthFailureX"), Unknown);
    }

    #[test]
    fn phone_numbers_in_messages_are_masked() {
        assert!(matches!(
            send_error("InvalidParameterValue.IncorrectPhoneNumber", "13800138000"),
            SendError::Permanent(text) if !text.contains("13800138000")
        ));
    }
}
