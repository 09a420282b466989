//! Customer lifetime value: per-customer summaries of a purchase log, the BG/NBD model of how
//! often customers buy and when they leave, the Gamma-Gamma model of how much they spend, and
//! their discounted expected value.
//!
//! ```
//! use youshi_user_analytics::clv::bgnbd::BgNbd;
//! use youshi_user_analytics::clv::gamma_gamma::GammaGamma;
//! use youshi_user_analytics::clv::summary::{summarize, SummaryOptions, TimeUnit};
//! use youshi_user_analytics::clv::value::{customer_values, ClvOptions};
//! use youshi_user_analytics::time::{days_from_civil, MS_PER_DAY};
//! use youshi_user_analytics::transactions::Transaction;
//!
//! // A small synthetic log: customer i buys every (i % 5 + 2) weeks, for a while.
//! let start = days_from_civil(2024, 1, 1);
//! let mut log = Vec::new();
//! for i in 0..60i64 {
//!     let first = start + i % 30;
//!     for k in 0..(i % 7) {
//!         let day = first + k * 7 * (i % 5 + 2);
//!         log.push(Transaction::new(format!("c{i}"), day * MS_PER_DAY, 10.0 + (i % 4 + k) as f64));
//!     }
//!     log.push(Transaction::new(format!("c{i}"), first * MS_PER_DAY, 12.0));
//! }
//! let end = (start + 250) * MS_PER_DAY;
//! let customers = summarize(&log, &SummaryOptions::new(end, TimeUnit::Weeks))?;
//! let bg = BgNbd::fit(&customers)?;
//! let gg = GammaGamma::fit(&customers)?;
//! let values = customer_values(&bg.params, &gg.params, &customers, &ClvOptions::new(12, 4.345))?;
//! assert_eq!(values.len(), 60);
//! assert!(values.iter().all(|v| v.clv >= 0.0));
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

pub mod bgnbd;
pub mod gamma_gamma;
pub mod hypergeometric;
pub mod optimize;
pub mod summary;
pub mod value;
