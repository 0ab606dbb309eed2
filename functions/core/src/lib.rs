//! Lingong's domain core: what a gig-work station (零工驿站) knows and the rules it keeps.
//!
//! - [`station`]: a station's configuration (districts, trades, wage floors, moderation).
//! - [`job`], [`worker`], [`employer`]: the records, built only through validating parsers.
//! - [`store`]: the storage port every adapter implements; [`keys`] holds the table design.
//! - [`app`]: the use cases (post a job, sign up, manage) on top of the port.
//! - [`board`]: what the public board and data wall show; [`report`], [`complaint`]:
//!   reports on postings and requests for help (咨询维权).
//!
//! Nothing here knows about AWS or HTTP: adapters and handlers live in their own crates.

pub mod app;
pub mod board;
pub mod changes;
pub mod clock;
pub mod complaint;
pub mod dates;
pub mod employer;
pub mod i18n;
pub mod idempotency;
pub mod input;
pub mod job;
pub mod keys;
pub mod money;
pub mod phone;
pub mod placement;
pub mod problem;
pub mod records;
pub mod report;
pub mod secrets;
pub mod station;
pub mod store;
pub mod text;
pub mod worker;

pub use app::App;
pub use clock::{Clock, FixedClock, SystemClock};
pub use i18n::Lang;
pub use store::ItemStore;
