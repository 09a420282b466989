//! Product analytics for Youshi: event logs, behaviour analysis, segmentation, customer
//! lifetime value, churn and A/B tests.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod error;

pub mod abtest;
pub mod chart;
pub mod churn;
pub mod clv;
pub mod kmeans;
pub mod rfm;
pub mod scale;
pub mod stats;
pub mod transactions;

pub mod time;

pub mod active;
pub mod event;
pub mod filter;
pub mod funnel;
pub mod generate;
mod intern;
pub mod paths;
pub mod read;
pub mod report;
pub mod retention;
pub mod session;

pub use error::{AnalyticsError, Result};
