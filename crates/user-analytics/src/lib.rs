//! Product analytics for Youshi: event logs, behaviour analysis, segmentation, customer
//! lifetime value, churn and A/B tests.
//!
//! ```
//! use youshi_user_analytics::abtest::two_proportion_z_test;
//! use youshi_user_analytics::funnel::{EntryRule, Funnel};
//! use youshi_user_analytics::generate::{generate, GeneratorConfig};
//! use youshi_user_analytics::time::MS_PER_DAY;
//!
//! // A seeded, realistic product log: 300 users, 6,000 events over 30 days.
//! let log = generate(&GeneratorConfig::new(300, 6_000, 30).with_seed(7))?;
//! assert_eq!(log.len(), 6_000);
//!
//! // Unique users who viewed an item, then added to cart, then bought, within a day.
//! let report = Funnel::new(["view_item", "add_to_cart", "purchase"], MS_PER_DAY)?
//!     .with_entry(EntryRule::First)
//!     .run(&log)?;
//! let users: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
//! assert!(users.windows(2).all(|w| w[0] >= w[1]));
//! let json = serde_json::to_string(&report).expect("plain data serialises");
//! assert!(json.contains("overall_conversion"));
//!
//! // Is 230 / 1,000 conversions better than 200 / 1,000 (95 % interval)?
//! let test = two_proportion_z_test(230, 1_000, 200, 1_000, 0.95)?;
//! assert!(test.p_value_two_sided > 0.05);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```
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
