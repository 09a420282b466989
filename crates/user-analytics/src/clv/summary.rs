//! Per-customer summaries of a purchase log for the lifetime-value models: frequency,
//! recency and age in the calibration period, mean repeat spend, and the purchases of a
//! holdout period.
//!
//! Purchases are counted per day: all of a customer's transactions on one (UTC, or offset)
//! day merge into one purchase whose value is their sum.
//!
//! - frequency x: purchase days in the calibration period after the first one (repeat
//!   purchases);
//! - recency t_x: from the first to the last purchase day of the calibration period;
//! - age T: from the first purchase day to the calibration end day;
//! - monetary value: the mean value of the x repeat purchases (0 when x = 0): the first
//!   purchase is left out, as in Fader and Hardie's Gamma-Gamma note.
//!
//! Durations are whole days divided by the length of the [`TimeUnit`].
//!
//! ```
//! use youshi_user_analytics::clv::summary::{summarize, SummaryOptions, TimeUnit};
//! use youshi_user_analytics::time::{days_from_civil, MS_PER_DAY};
//! use youshi_user_analytics::transactions::Transaction;
//!
//! let day = |d: u32| days_from_civil(2024, 1, d) * MS_PER_DAY;
//! let tx = vec![
//!     Transaction::new("a", day(1), 10.0),
//!     Transaction::new("a", day(8), 20.0),
//!     Transaction::new("a", day(8), 4.0), // same day: one purchase of 24
//!     Transaction::new("a", day(29), 30.0),
//! ];
//! let s = summarize(&tx, &SummaryOptions::new(day(15), TimeUnit::Weeks))?;
//! assert_eq!(s[0].frequency, 1);
//! assert_eq!(s[0].recency, 1.0);
//! assert_eq!(s[0].age, 2.0);
//! assert_eq!(s[0].monetary_value, 24.0);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};
use crate::time::{day_of, Timestamp};
use crate::transactions::Transaction;

/// The unit of recency, age and prediction horizons.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// One day.
    Days,
    /// Seven days.
    Weeks,
    /// A given number of days (30.4375 for an average month).
    Custom(f64),
}

impl TimeUnit {
    /// The unit's length in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
            TimeUnit::Custom(d) => d,
        }
    }
}

/// Settings of [`summarize`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryOptions {
    /// The last instant of the calibration period: purchases on its day or before count.
    pub calibration_end: Timestamp,
    /// The last instant of the holdout period (`None`: no holdout).
    pub observation_end: Option<Timestamp>,
    /// The unit of recency, age and holdout duration.
    pub unit: TimeUnit,
    /// The offset east of UTC, in seconds, of the days that merge purchases (default 0).
    pub utc_offset_seconds: i32,
}

impl SummaryOptions {
    /// Calibration up to `calibration_end`, no holdout, in `unit`, UTC days.
    pub fn new(calibration_end: Timestamp, unit: TimeUnit) -> Self {
        SummaryOptions {
            calibration_end,
            observation_end: None,
            unit,
            utc_offset_seconds: 0,
        }
    }

    /// With a holdout period from the day after `calibration_end` to `observation_end`.
    pub fn with_holdout(mut self, observation_end: Timestamp) -> Self {
        self.observation_end = Some(observation_end);
        self
    }

    /// With days in a zone `seconds` east of UTC.
    pub fn with_utc_offset(mut self, seconds: i32) -> Self {
        self.utc_offset_seconds = seconds;
        self
    }
}

/// One customer's purchase history, as the BG/NBD and Gamma-Gamma models see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// The customer's id.
    pub customer: String,
    /// x: repeat purchases (purchase days after the first) in the calibration period.
    pub frequency: u64,
    /// t_x: time from the first to the last calibration purchase.
    pub recency: f64,
    /// T: time from the first purchase to the calibration end.
    pub age: f64,
    /// Mean value of the repeat purchases in the calibration period (0 when x = 0).
    pub monetary_value: f64,
    /// Purchase days in the holdout period (0 without one).
    pub holdout_frequency: u64,
    /// Mean value of the holdout purchases (0 when there are none).
    pub holdout_monetary_value: f64,
    /// Length of the holdout period (0 without one).
    pub holdout_duration: f64,
}

impl CustomerSummary {
    /// A summary with the given calibration history and no spend or holdout data, for model
    /// predictions on hypothetical customers.
    pub fn new(customer: impl Into<String>, frequency: u64, recency: f64, age: f64) -> Self {
        CustomerSummary {
            customer: customer.into(),
            frequency,
            recency,
            age,
            monetary_value: 0.0,
            holdout_frequency: 0,
            holdout_monetary_value: 0.0,
            holdout_duration: 0.0,
        }
    }
}

/// Summarises `transactions` per customer (sorted by customer id). Customers whose first
/// purchase falls after the calibration end are not part of the calibration cohort and are
/// left out; transactions after the observation end are ignored.
///
/// # Complexity
/// O(n log n) for n transactions.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if the unit is not a positive number of days, the
/// observation end precedes the calibration end, or a transaction amount is not finite;
/// [`AnalyticsError::Empty`] if no customer made a purchase by the calibration end.
pub fn summarize(
    transactions: &[Transaction],
    options: &SummaryOptions,
) -> Result<Vec<CustomerSummary>> {
    const OP: &str = "summarize transactions";
    let unit = options.unit.days();
    if !(unit > 0.0 && unit.is_finite()) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("time unit must be a positive number of days, got {unit}"),
        ));
    }
    let offset = options.utc_offset_seconds;
    let cal_day = day_of(options.calibration_end, offset);
    let obs_day = match options.observation_end {
        Some(end) if end < options.calibration_end => {
            return Err(AnalyticsError::invalid(
                OP,
                format!(
                    "observation end {end} ms precedes calibration end {} ms",
                    options.calibration_end
                ),
            ))
        }
        Some(end) => Some(day_of(end, offset)),
        None => None,
    };
    // customer -> day -> summed value.
    let mut by_customer: BTreeMap<&str, BTreeMap<i64, f64>> = BTreeMap::new();
    for (i, t) in transactions.iter().enumerate() {
        if !t.amount.is_finite() {
            return Err(AnalyticsError::invalid(
                OP,
                format!(
                    "transaction {i} of customer {:?} has amount {}",
                    t.customer, t.amount
                ),
            ));
        }
        let day = day_of(t.time, offset);
        if day > obs_day.unwrap_or(cal_day) {
            continue;
        }
        *by_customer
            .entry(t.customer.as_str())
            .or_default()
            .entry(day)
            .or_insert(0.0) += t.amount;
    }
    let mut out = Vec::with_capacity(by_customer.len());
    for (customer, days) in by_customer {
        let mut cal = days.range(..=cal_day);
        let Some((&first, _)) = cal.next() else {
            continue;
        };
        let repeats: Vec<(i64, f64)> = cal.map(|(d, v)| (*d, *v)).collect();
        let last = repeats.last().map_or(first, |r| r.0);
        let x = repeats.len();
        let monetary = if x > 0 {
            repeats.iter().map(|r| r.1).sum::<f64>() / x as f64
        } else {
            0.0
        };
        let (holdout_frequency, holdout_monetary_value, holdout_duration) = match obs_day {
            Some(obs) => {
                let values: Vec<f64> = days.range(cal_day + 1..).map(|(_, v)| *v).collect();
                let mean = if values.is_empty() {
                    0.0
                } else {
                    values.iter().sum::<f64>() / values.len() as f64
                };
                (values.len() as u64, mean, (obs - cal_day) as f64 / unit)
            }
            None => (0, 0.0, 0.0),
        };
        out.push(CustomerSummary {
            customer: customer.to_string(),
            frequency: x as u64,
            recency: (last - first) as f64 / unit,
            age: (cal_day - first) as f64 / unit,
            monetary_value: monetary,
            holdout_frequency,
            holdout_monetary_value,
            holdout_duration,
        });
    }
    if out.is_empty() {
        return Err(AnalyticsError::empty(
            OP,
            format!(
                "no customer purchased by the calibration end ({} transactions)",
                transactions.len()
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{days_from_civil, MS_PER_DAY, MS_PER_HOUR};

    fn at(d: u32, hour: i64) -> Timestamp {
        days_from_civil(2024, 3, d) * MS_PER_DAY + hour * MS_PER_HOUR
    }

    #[test]
    fn calibration_holdout_and_cohort() {
        let tx = vec![
            Transaction::new("b", at(2, 9), 5.0),
            Transaction::new("a", at(1, 10), 1.0),
            Transaction::new("a", at(1, 23), 2.0),
            Transaction::new("a", at(4, 0), 6.0),
            Transaction::new("a", at(10, 12), 100.0), // calibration end day: counts
            Transaction::new("a", at(12, 12), 7.0),   // holdout
            Transaction::new("a", at(14, 12), 9.0),   // holdout
            Transaction::new("a", at(30, 12), 50.0),  // after observation end: ignored
            Transaction::new("c", at(11, 12), 3.0),   // first purchase in holdout: not in cohort
        ];
        let opts = SummaryOptions::new(at(10, 18), TimeUnit::Days).with_holdout(at(20, 0));
        let s = summarize(&tx, &opts).unwrap();
        assert_eq!(s.len(), 2);
        let a = &s[0];
        assert_eq!(a.customer, "a");
        assert_eq!(a.frequency, 2);
        assert_eq!(a.recency, 9.0);
        assert_eq!(a.age, 9.0);
        assert_eq!(a.monetary_value, 53.0);
        assert_eq!(a.holdout_frequency, 2);
        assert_eq!(a.holdout_monetary_value, 8.0);
        assert_eq!(a.holdout_duration, 10.0);
        let b = &s[1];
        assert_eq!((b.frequency, b.recency, b.age), (0, 0.0, 8.0));
        assert_eq!(b.monetary_value, 0.0);
        assert_eq!(b.holdout_frequency, 0);
    }

    #[test]
    fn utc_offset_moves_day_boundaries() {
        // 23:00 UTC on the 1st is the 2nd at UTC+2: two distinct purchase days.
        let tx = vec![
            Transaction::new("a", at(1, 10), 1.0),
            Transaction::new("a", at(1, 23), 2.0),
        ];
        let utc = summarize(&tx, &SummaryOptions::new(at(5, 0), TimeUnit::Days)).unwrap();
        assert_eq!(utc[0].frequency, 0);
        let east = summarize(
            &tx,
            &SummaryOptions::new(at(5, 0), TimeUnit::Days).with_utc_offset(2 * 3600),
        )
        .unwrap();
        assert_eq!(east[0].frequency, 1);
        assert_eq!(east[0].monetary_value, 2.0);
    }

    #[test]
    fn errors_name_their_values() {
        let tx = vec![Transaction::new("a", at(3, 0), 1.0)];
        let e = summarize(&tx, &SummaryOptions::new(at(1, 0), TimeUnit::Days))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no customer purchased") && e.contains("1 transactions"),
            "{e}"
        );
        let e = summarize(&tx, &SummaryOptions::new(at(5, 0), TimeUnit::Custom(0.0)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("positive number of days, got 0"), "{e}");
        let e = summarize(
            &tx,
            &SummaryOptions::new(at(5, 0), TimeUnit::Days).with_holdout(at(4, 0)),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("precedes calibration end"), "{e}");
        let bad = vec![Transaction::new("z", at(3, 0), f64::INFINITY)];
        let e = summarize(&bad, &SummaryOptions::new(at(5, 0), TimeUnit::Days))
            .unwrap_err()
            .to_string();
        assert!(e.contains("customer \"z\" has amount inf"), "{e}");
    }
}
