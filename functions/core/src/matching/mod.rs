//! Matching (岗位匹配): fair, explainable offers.
//!
//! - [`candidates`]: who may be offered a job, found through indexes only;
//! - [`fairness`] and [`rank`]: each candidate's factors and the fair-rotation order;
//! - [`decision`]: every ranking kept with each candidate's factors;
//! - [`offer`]: offers and their short signed links;
//! - [`wave`]: waves of offers, topping up to `wave_factor` × open places;
//! - [`consumer`]: the change-stream step that runs waves as jobs, offers and workers
//!   change;
//! - [`settings`]: the station's `[matching]` section.
//!
//! Taking a place (accepting an offer, applying from the board) is a use case in
//! [`crate::app`]: it reserves the place with a conditional write, so a job is never
//! overbooked.

pub mod candidates;
pub mod consumer;
pub mod decision;
pub mod fairness;
pub mod offer;
pub mod rank;
pub mod settings;
pub mod wave;
