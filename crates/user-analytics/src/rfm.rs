//! RFM segmentation: each customer's recency, frequency and monetary value at a reference
//! date, scored 1–5 by quintile and named by segment.
//!
//! - **Recency**: whole days from the customer's last purchase day to the reference day.
//! - **Frequency**: number of transactions.
//! - **Monetary**: total amount spent.
//!
//! Transactions after the reference instant are left out. Days are UTC days.
//!
//! **Quintile scores and ties.** Each measure is ranked with ties sharing the lowest rank
//! (1-based "competition" ranking, SQL's `RANK()`), and a customer of rank ρ among n scores
//! ⌊5(ρ − 1)/n⌋ + 1. Without ties the five scores cover equal counts (±1); tied customers
//! always share a score; the lowest value always scores 1, so the many one-time buyers all get
//! F = 1. Recency is ranked in reverse, so the most recent customers score R = 5.
//!
//! **Segments** from (R, F), a common ten-segment map:
//!
//! | segment | R | F |
//! |---|---|---|
//! | Champions | 5 | 4–5 |
//! | Loyal customers | 3–4 | 4–5 |
//! | Potential loyalists | 4–5 | 2–3 |
//! | New customers | 5 | 1 |
//! | Promising | 4 | 1 |
//! | Need attention | 3 | 3 |
//! | About to sleep | 3 | 1–2 |
//! | At risk | 1–2 | 3–4 |
//! | Can't lose them | 1–2 | 5 |
//! | Hibernating | 1–2 | 1–2 |
//!
//! ```
//! use youshi_user_analytics::rfm::{rfm, RfmSegment};
//! use youshi_user_analytics::time::{days_from_civil, MS_PER_DAY};
//! use youshi_user_analytics::transactions::Transaction;
//!
//! let day = |d: i64| (days_from_civil(2024, 1, 1) + d) * MS_PER_DAY;
//! let mut tx = Vec::new();
//! for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
//!     for k in 0..=i as i64 {
//!         tx.push(Transaction::new(*name, day(10 * i as i64 + k), 10.0 * (i + 1) as f64));
//!     }
//! }
//! let table = rfm(&tx, day(60))?;
//! let e = &table[4]; // most recent, most frequent, biggest spender
//! assert_eq!((e.r_score, e.f_score, e.m_score), (5, 5, 5));
//! assert_eq!(e.segment, RfmSegment::Champions);
//! assert_eq!(table[0].segment, RfmSegment::Hibernating);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, Result};
use crate::time::{day_of, Timestamp};
use crate::transactions::Transaction;

/// A named RFM segment (see the module docs for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RfmSegment {
    /// R = 5, F ≥ 4: bought recently, buy often.
    Champions,
    /// R 3–4, F ≥ 4: buy often, fairly recently.
    LoyalCustomers,
    /// R ≥ 4, F 2–3: recent, with a few purchases.
    PotentialLoyalists,
    /// R = 5, F = 1: just made their first purchase.
    NewCustomers,
    /// R = 4, F = 1: recent first-time buyers.
    Promising,
    /// R = 3, F = 3: middling on both.
    NeedAttention,
    /// R = 3, F ≤ 2: fading, with few purchases.
    AboutToSleep,
    /// R ≤ 2, F 3–4: used to buy often, not lately.
    AtRisk,
    /// R ≤ 2, F = 5: the most frequent buyers, gone quiet.
    CannotLose,
    /// R ≤ 2, F ≤ 2: long gone, few purchases.
    Hibernating,
}

impl RfmSegment {
    /// The segment of recency score `r` and frequency score `f` (each 1–5; values outside are
    /// clamped).
    pub fn from_scores(r: u8, f: u8) -> Self {
        let (r, f) = (r.clamp(1, 5), f.clamp(1, 5));
        match (r, f) {
            (5, 4..=5) => RfmSegment::Champions,
            (3..=4, 4..=5) => RfmSegment::LoyalCustomers,
            (4..=5, 2..=3) => RfmSegment::PotentialLoyalists,
            (5, 1) => RfmSegment::NewCustomers,
            (4, 1) => RfmSegment::Promising,
            (3, 3) => RfmSegment::NeedAttention,
            (3, 1..=2) => RfmSegment::AboutToSleep,
            (1..=2, 5) => RfmSegment::CannotLose,
            (1..=2, 3..=4) => RfmSegment::AtRisk,
            _ => RfmSegment::Hibernating,
        }
    }

    /// The display name ("Champions", "Can't lose them", ...).
    pub fn name(self) -> &'static str {
        match self {
            RfmSegment::Champions => "Champions",
            RfmSegment::LoyalCustomers => "Loyal customers",
            RfmSegment::PotentialLoyalists => "Potential loyalists",
            RfmSegment::NewCustomers => "New customers",
            RfmSegment::Promising => "Promising",
            RfmSegment::NeedAttention => "Need attention",
            RfmSegment::AboutToSleep => "About to sleep",
            RfmSegment::AtRisk => "At risk",
            RfmSegment::CannotLose => "Can't lose them",
            RfmSegment::Hibernating => "Hibernating",
        }
    }
}

impl std::fmt::Display for RfmSegment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One customer's RFM values, scores and segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmRecord {
    /// The customer's id.
    pub customer: String,
    /// Days from the last purchase day to the reference day.
    pub recency_days: i64,
    /// Number of transactions.
    pub frequency: u64,
    /// Total amount spent.
    pub monetary: f64,
    /// Recency score, 1–5 (5 = most recent).
    pub r_score: u8,
    /// Frequency score, 1–5 (5 = most frequent).
    pub f_score: u8,
    /// Monetary score, 1–5 (5 = biggest spender).
    pub m_score: u8,
    /// The (R, F) segment.
    pub segment: RfmSegment,
}

impl RfmRecord {
    /// The three-digit RFM code, e.g. `"545"`.
    pub fn code(&self) -> String {
        format!("{}{}{}", self.r_score, self.f_score, self.m_score)
    }

    /// `[recency_days, frequency, monetary]`, as features for clustering.
    pub fn features(&self) -> Vec<f64> {
        vec![
            self.recency_days as f64,
            self.frequency as f64,
            self.monetary,
        ]
    }
}

/// Quintile scores of `values` (see the module docs): rank with ties sharing the lowest rank,
/// score ⌊5(rank − 1)/n⌋ + 1.
///
/// # Examples
/// ```
/// use youshi_user_analytics::rfm::quintile_scores;
/// assert_eq!(quintile_scores(&[10.0, 20.0, 30.0, 40.0, 50.0]), vec![1, 2, 3, 4, 5]);
/// // Ties share the lowest rank's score.
/// assert_eq!(quintile_scores(&[1.0, 1.0, 1.0, 1.0, 2.0, 3.0]), vec![1, 1, 1, 1, 4, 5]);
/// ```
pub fn quintile_scores(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut scores = vec![0u8; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Competition rank of the tied block is start + 1.
        let score = (5 * start / n) as u8 + 1;
        for &i in &order[start..end] {
            scores[i] = score;
        }
        start = end;
    }
    scores
}

/// RFM values, quintile scores and segments of every customer with a transaction at or before
/// `reference`, sorted by customer id.
///
/// # Complexity
/// O(n log n) for n transactions.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if an amount is not finite;
/// [`AnalyticsError::Empty`] if no transaction is at or before `reference`.
pub fn rfm(transactions: &[Transaction], reference: Timestamp) -> Result<Vec<RfmRecord>> {
    const OP: &str = "RFM";
    let ref_day = day_of(reference, 0);
    // customer -> (last day, count, total)
    let mut acc: BTreeMap<&str, (i64, u64, f64)> = BTreeMap::new();
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
        if t.time > reference {
            continue;
        }
        let e = acc.entry(t.customer.as_str()).or_insert((i64::MIN, 0, 0.0));
        e.0 = e.0.max(day_of(t.time, 0));
        e.1 += 1;
        e.2 += t.amount;
    }
    if acc.is_empty() {
        return Err(AnalyticsError::empty(
            OP,
            format!(
                "none of the {} transactions is at or before the reference time {reference} ms",
                transactions.len()
            ),
        ));
    }
    let recency: Vec<i64> = acc.values().map(|v| ref_day - v.0).collect();
    let r_key: Vec<f64> = recency.iter().map(|&d| -(d as f64)).collect();
    let f_key: Vec<f64> = acc.values().map(|v| v.1 as f64).collect();
    let m_key: Vec<f64> = acc.values().map(|v| v.2).collect();
    let (rs, fs, ms) = (
        quintile_scores(&r_key),
        quintile_scores(&f_key),
        quintile_scores(&m_key),
    );
    Ok(acc
        .into_iter()
        .enumerate()
        .map(|(i, (customer, (_, count, total)))| RfmRecord {
            customer: customer.to_string(),
            recency_days: recency[i],
            frequency: count,
            monetary: total,
            r_score: rs[i],
            f_score: fs[i],
            m_score: ms[i],
            segment: RfmSegment::from_scores(rs[i], fs[i]),
        })
        .collect())
}

/// Customers and mean RFM values of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    /// The segment.
    pub segment: RfmSegment,
    /// Its customers.
    pub customers: usize,
    /// Their share of all customers.
    pub share: f64,
    /// Mean recency in days.
    pub mean_recency_days: f64,
    /// Mean frequency.
    pub mean_frequency: f64,
    /// Mean monetary value.
    pub mean_monetary: f64,
}

/// One [`SegmentSummary`] per segment present in `records`, in the order of [`RfmSegment`].
pub fn segment_summary(records: &[RfmRecord]) -> Vec<SegmentSummary> {
    let mut groups: BTreeMap<RfmSegment, (usize, f64, f64, f64)> = BTreeMap::new();
    for r in records {
        let g = groups.entry(r.segment).or_insert((0, 0.0, 0.0, 0.0));
        g.0 += 1;
        g.1 += r.recency_days as f64;
        g.2 += r.frequency as f64;
        g.3 += r.monetary;
    }
    let total = records.len() as f64;
    groups
        .into_iter()
        .map(|(segment, (n, rec, freq, mon))| SegmentSummary {
            segment,
            customers: n,
            share: n as f64 / total,
            mean_recency_days: rec / n as f64,
            mean_frequency: freq / n as f64,
            mean_monetary: mon / n as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{days_from_civil, MS_PER_DAY, MS_PER_HOUR};

    #[test]
    fn quintiles_split_equal_counts_without_ties() {
        let v: Vec<f64> = (0..10).map(|i| (i * 7 % 10) as f64).collect();
        let s = quintile_scores(&v);
        for score in 1..=5u8 {
            assert_eq!(s.iter().filter(|&&x| x == score).count(), 2);
        }
        for (x, sc) in v.iter().zip(&s) {
            assert_eq!(*sc, (*x as u8) / 2 + 1);
        }
        // n = 7: ranks 1..7 give 1,1,2,3,3,4,5.
        let seven: Vec<f64> = (0..7).map(f64::from).collect();
        assert_eq!(quintile_scores(&seven), vec![1, 1, 2, 3, 3, 4, 5]);
        assert!(quintile_scores(&[]).is_empty());
        assert_eq!(quintile_scores(&[3.0]), vec![1]);
    }

    #[test]
    fn ties_share_the_lowest_rank_score() {
        let v = [5.0, 1.0, 5.0, 5.0, 9.0, 1.0, 7.0, 5.0, 2.0, 8.0];
        // Sorted: 1 1 2 5 5 5 5 7 8 9; competition ranks 1 1 3 4 4 4 4 8 9 10.
        let s = quintile_scores(&v);
        assert_eq!(s, vec![2, 1, 2, 2, 5, 1, 4, 2, 2, 5]);
    }

    #[test]
    fn every_score_pair_has_one_segment() {
        let mut seen = std::collections::BTreeSet::new();
        for r in 1..=5 {
            for f in 1..=5 {
                seen.insert(RfmSegment::from_scores(r, f));
            }
        }
        assert_eq!(seen.len(), 10);
        assert_eq!(RfmSegment::from_scores(5, 5), RfmSegment::Champions);
        assert_eq!(RfmSegment::from_scores(4, 5), RfmSegment::LoyalCustomers);
        assert_eq!(
            RfmSegment::from_scores(5, 2),
            RfmSegment::PotentialLoyalists
        );
        assert_eq!(RfmSegment::from_scores(5, 1), RfmSegment::NewCustomers);
        assert_eq!(RfmSegment::from_scores(4, 1), RfmSegment::Promising);
        assert_eq!(RfmSegment::from_scores(3, 3), RfmSegment::NeedAttention);
        assert_eq!(RfmSegment::from_scores(3, 2), RfmSegment::AboutToSleep);
        assert_eq!(RfmSegment::from_scores(2, 4), RfmSegment::AtRisk);
        assert_eq!(RfmSegment::from_scores(1, 5), RfmSegment::CannotLose);
        assert_eq!(RfmSegment::from_scores(2, 2), RfmSegment::Hibernating);
        assert_eq!(RfmSegment::from_scores(0, 9), RfmSegment::CannotLose);
        assert_eq!(RfmSegment::CannotLose.to_string(), "Can't lose them");
    }

    #[test]
    fn values_at_the_reference_date() {
        let at = |d: u32, h: i64| days_from_civil(2024, 5, d) * MS_PER_DAY + h * MS_PER_HOUR;
        let tx = vec![
            Transaction::new("x", at(1, 9), 10.0),
            Transaction::new("x", at(3, 23), 5.5),
            Transaction::new("y", at(10, 8), 100.0),
            Transaction::new("y", at(20, 12), 1.0), // after the reference: ignored
            Transaction::new("z", at(25, 0), 3.0),  // after the reference: no record
        ];
        let table = rfm(&tx, at(10, 10)).unwrap();
        assert_eq!(table.len(), 2);
        let (x, y) = (&table[0], &table[1]);
        assert_eq!((x.recency_days, x.frequency, x.monetary), (7, 2, 15.5));
        assert_eq!((y.recency_days, y.frequency, y.monetary), (0, 1, 100.0));
        // Two customers: ranks 1 and 2 give scores 1 and 3.
        assert_eq!((x.r_score, x.f_score, x.m_score), (1, 3, 1));
        assert_eq!((y.r_score, y.f_score, y.m_score), (3, 1, 3));
        assert_eq!(x.code(), "131");
        assert_eq!(x.segment, RfmSegment::AtRisk);
        assert_eq!(y.segment, RfmSegment::AboutToSleep);
        assert_eq!(y.features(), vec![0.0, 1.0, 100.0]);
        let json = serde_json::to_string(&table[0]).unwrap();
        assert!(json.contains("\"segment\":\"at_risk\""), "{json}");
        let summary = segment_summary(&table);
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].segment, RfmSegment::AboutToSleep);
        assert_eq!(summary[0].share, 0.5);
        assert_eq!(summary[1].mean_monetary, 15.5);
    }

    #[test]
    fn errors_name_their_values() {
        let e = rfm(&[Transaction::new("a", 10 * MS_PER_DAY, 1.0)], 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("none of the 1 transactions"), "{e}");
        let e = rfm(&[Transaction::new("a", 0, f64::NAN)], 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("customer \"a\" has amount NaN"), "{e}");
    }
}
