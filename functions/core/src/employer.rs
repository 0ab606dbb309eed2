//! Employers (用工单位): firms, shops and households that post work. They need no
//! account: the contact phone ties their postings to one record, which staff can verify.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    credit_code::CreditCode,
    phone::{Email, MobileNumber},
    station::StationId,
    text::{EmployerName, PersonName},
};

/// A stored employer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Employer {
    /// Identifier (ULID).
    pub id: String,
    /// The station.
    pub station: StationId,
    /// Name as first posted.
    pub name: EmployerName,
    /// Contact person.
    pub contact_name: PersonName,
    /// Contact mobile: the employer's identity at the station.
    pub contact_phone: MobileNumber,
    /// Contact e-mail, if given.
    pub contact_email: Option<Email>,
    /// Verified by staff (business licence checked).
    pub verified: bool,
    /// The unified social credit code staff checked, if verified as a business.
    #[serde(default)]
    pub credit_code: Option<CreditCode>,
    /// The name on the business licence, as staff recorded it.
    #[serde(default)]
    pub licence_name: Option<String>,
    /// Barred from posting by staff.
    #[serde(default)]
    pub blacklisted: bool,
    /// Why, when barred.
    #[serde(default)]
    pub blacklist_reason: Option<String>,
    /// First posting.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic version, as stored.
    pub version: u64,
}
