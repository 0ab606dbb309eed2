//! Lingong's domain core: what a gig-work station (零工驿站) knows and the rules it keeps.
//!
//! - [`station`]: a station's configuration (districts, trades, wage floors, moderation).
//! - [`job`], [`worker`], [`employer`]: the records, built only through validating parsers.
//! - [`store`]: the storage port every adapter implements; [`keys`] holds the table design.
//! - [`app`]: the use cases (post a job, sign up, manage) on top of the port.
//! - [`matching`]: fair, explainable offers in waves; [`notices`]: SMS and e-mail sent
//!   exactly once through one port.
//! - [`board`]: what the public board and data wall show; [`report`], [`complaint`]:
//!   reports on postings and requests for help (咨询维权).
//!
//! Nothing here knows about AWS or HTTP: adapters and handlers live in their own crates.

pub mod app;
pub mod audit;
pub mod board;
pub mod changes;
pub mod clock;
pub mod complaint;
pub mod credit_code;
pub mod dates;
pub mod employer;
pub mod events;
pub mod i18n;
pub mod idempotency;
pub mod input;
pub mod job;
pub mod keys;
pub mod limits;
pub mod mask;
pub mod matching;
pub mod money;
pub mod notices;
pub mod phone;
pub mod placement;
pub mod policy;
pub mod pow;
pub mod problem;
pub mod records;
pub mod rejections;
pub mod report;
pub mod secrets;
pub mod staff;
pub mod station;
pub mod station_report;
pub mod store;
pub mod store_memory;
pub mod text;
pub mod worker;

pub use app::App;
pub use clock::{Clock, FixedClock, SystemClock};
pub use i18n::Lang;
pub use store::ItemStore;
