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
//! use youshi_user_analytics::transactions::read_cdnow;
//!
//! // The CDNOW sample, calibrated on the 39 weeks to 1997-09-30.
//! let log = read_cdnow(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow/CDNOW_sample.txt"))?;
//! let end = days_from_civil(1997, 9, 30) * MS_PER_DAY;
//! let customers = summarize(&log, &SummaryOptions::new(end, TimeUnit::Weeks))?;
//! let bg = BgNbd::fit(&customers)?;
//! assert!((bg.params.r - 0.243).abs() < 5e-4);
//! assert!((bg.log_likelihood + 9582.4).abs() < 0.1);
//! let gg = GammaGamma::fit(&customers)?;
//! assert!((gg.params.p - 6.25).abs() < 5e-3);
//! // A year of monthly value, discounted at 1% a month.
//! let options = ClvOptions::new(12, 4.345).with_discount_rate(0.01);
//! let values = customer_values(&bg.params, &gg.params, &customers, &options)?;
//! assert_eq!(values.len(), 2357);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

pub mod bgnbd;
pub mod gamma_gamma;
pub mod hypergeometric;
pub mod optimize;
pub mod summary;
pub mod value;
