//! Customer lifetime value: the discounted expected margin of a customer's future purchases,
//! from a fitted BG/NBD model (how many) and Gamma-Gamma model (how much).
//!
//! CLV = Σ_{m=1}^{H} margin · E\[M\] · (E\[Y(mL) | x, t_x, T\] − E\[Y((m−1)L) | x, t_x, T\]) / (1 + d)^m
//!
//! with H periods (months, say) of L model time units each, a discount rate d per period,
//! E\[M\] the Gamma-Gamma expected spend per purchase and E\[Y(t) | …\] the BG/NBD expected
//! purchases in the next t time units. This is the convention of the `lifetimes` package's
//! `customer_lifetime_value` (which has margin 1), with purchases of period m discounted by a
//! whole period.
//!
//! ```
//! use youshi_user_analytics::clv::bgnbd::BgNbd;
//! use youshi_user_analytics::clv::gamma_gamma::GammaGamma;
//! use youshi_user_analytics::clv::summary::CustomerSummary;
//! use youshi_user_analytics::clv::value::{customer_lifetime_value, ClvOptions};
//!
//! let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?; // weeks
//! let gg = GammaGamma::new(6.25, 3.74, 15.44)?;
//! let mut c = CustomerSummary::new("c", 2, 30.43, 38.86);
//! c.monetary_value = 35.0;
//! // 12 months of 4.345 weeks, 1% discount a month, 30% margin.
//! let options = ClvOptions::new(12, 4.345).with_discount_rate(0.01).with_margin(0.3);
//! let v = customer_lifetime_value(&bg, &gg, &c, &options)?;
//! assert!(v.clv > 0.0 && v.clv < 0.3 * v.expected_average_spend * v.expected_purchases);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use serde::{Deserialize, Serialize};

use super::bgnbd::BgNbd;
use super::gamma_gamma::GammaGamma;
use super::summary::CustomerSummary;
use crate::error::{AnalyticsError, Result};

/// Settings of [`customer_lifetime_value`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvOptions {
    /// H: periods in the horizon.
    pub horizon: usize,
    /// L: length of a period in the models' time unit (4.345 weeks for a month with weekly
    /// models; 30 for days).
    pub period_length: f64,
    /// d: discount rate per period (default 0).
    pub discount_rate: f64,
    /// Share of spend that is margin (default 1: revenue).
    pub margin: f64,
}

impl ClvOptions {
    /// `horizon` periods of `period_length` time units, no discounting, margin 1.
    pub fn new(horizon: usize, period_length: f64) -> Self {
        ClvOptions {
            horizon,
            period_length,
            discount_rate: 0.0,
            margin: 1.0,
        }
    }

    /// With discount rate `d` per period.
    pub fn with_discount_rate(mut self, d: f64) -> Self {
        self.discount_rate = d;
        self
    }

    /// With `margin` (a share of spend).
    pub fn with_margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }
}

/// One customer's predicted value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerValue {
    /// The customer's id.
    pub customer: String,
    /// P(alive) now.
    pub probability_alive: f64,
    /// Expected purchases over the whole horizon (undiscounted).
    pub expected_purchases: f64,
    /// Expected spend per purchase.
    pub expected_average_spend: f64,
    /// The discounted expected margin over the horizon.
    pub clv: f64,
}

/// The lifetime value of `customer` over the horizon of `options` (formula in the module
/// docs), with its probability of being alive, expected purchases and expected spend.
///
/// # Complexity
/// H + 1 evaluations of the BG/NBD conditional expectation.
///
/// # Errors
/// [`AnalyticsError::InvalidArgument`] if the horizon is 0, the period length is not positive,
/// the discount rate is not > −1, the margin is not finite, or the models reject the
/// customer's history (see [`BgNbd::conditional_expected_purchases`] and
/// [`GammaGamma::expected_average_spend`]).
pub fn customer_lifetime_value(
    bgnbd: &BgNbd,
    gamma_gamma: &GammaGamma,
    customer: &CustomerSummary,
    options: &ClvOptions,
) -> Result<CustomerValue> {
    const OP: &str = "customer lifetime value";
    let ClvOptions {
        horizon,
        period_length,
        discount_rate,
        margin,
    } = *options;
    if horizon == 0 {
        return Err(AnalyticsError::invalid(
            OP,
            "horizon must be at least 1 period, got 0",
        ));
    }
    if !(period_length > 0.0 && period_length.is_finite()) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("period length {period_length} must be positive and finite"),
        ));
    }
    if !(discount_rate > -1.0 && discount_rate.is_finite()) {
        return Err(AnalyticsError::invalid(
            OP,
            format!("discount rate {discount_rate} must be greater than -1"),
        ));
    }
    if !margin.is_finite() {
        return Err(AnalyticsError::invalid(
            OP,
            format!("margin {margin} must be finite"),
        ));
    }
    let spend = gamma_gamma.expected_average_spend(customer.frequency, customer.monetary_value)?;
    let mut previous = 0.0;
    let mut clv = 0.0;
    for m in 1..=horizon {
        let cumulative =
            bgnbd.conditional_expected_purchases(m as f64 * period_length, customer)?;
        clv += margin * spend * (cumulative - previous) / (1.0 + discount_rate).powi(m as i32);
        previous = cumulative;
    }
    Ok(CustomerValue {
        customer: customer.customer.clone(),
        probability_alive: bgnbd.probability_alive(customer)?,
        expected_purchases: previous,
        expected_average_spend: spend,
        clv,
    })
}

/// [`customer_lifetime_value`] for every customer, in order.
///
/// # Errors
/// As [`customer_lifetime_value`], for the first customer that fails.
pub fn customer_values(
    bgnbd: &BgNbd,
    gamma_gamma: &GammaGamma,
    customers: &[CustomerSummary],
    options: &ClvOptions,
) -> Result<Vec<CustomerValue>> {
    customers
        .iter()
        .map(|c| customer_lifetime_value(bgnbd, gamma_gamma, c, options))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// CLV values written by `tests/fixtures/clv.py` with mpmath from the closed forms.
    #[derive(Deserialize)]
    struct Fixture {
        clv: Vec<Case>,
    }
    #[derive(Deserialize)]
    struct Case {
        x: u64,
        t_x: f64,
        age: f64,
        m: f64,
        horizon: usize,
        period_length: f64,
        discount_rate: f64,
        margin: f64,
        clv: f64,
    }

    #[test]
    fn matches_independent_computation() {
        let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let f: Fixture =
            serde_json::from_str(include_str!("../../tests/fixtures/clv.json")).unwrap();
        assert!(!f.clv.is_empty());
        for c in f.clv {
            let mut cust = CustomerSummary::new("c", c.x, c.t_x, c.age);
            cust.monetary_value = c.m;
            let opts = ClvOptions::new(c.horizon, c.period_length)
                .with_discount_rate(c.discount_rate)
                .with_margin(c.margin);
            let v = customer_lifetime_value(&bg, &gg, &cust, &opts).unwrap();
            assert!(
                (v.clv - c.clv).abs() <= 1e-9 * c.clv,
                "{} vs {}",
                v.clv,
                c.clv
            );
        }
    }

    #[test]
    fn undiscounted_value_is_margin_times_spend_times_purchases() {
        let bg = BgNbd::new(0.5, 3.0, 1.4, 2.0).unwrap();
        let gg = GammaGamma::new(4.0, 3.0, 10.0).unwrap();
        let mut c = CustomerSummary::new("c", 3, 8.0, 12.0);
        c.monetary_value = 25.0;
        let v = customer_lifetime_value(&bg, &gg, &c, &ClvOptions::new(6, 4.0).with_margin(0.25))
            .unwrap();
        let want = 0.25
            * gg.expected_average_spend(3, 25.0).unwrap()
            * bg.conditional_expected_purchases(24.0, &c).unwrap();
        assert!((v.clv - want).abs() < 1e-12 * want, "{} vs {want}", v.clv);
        let discounted = customer_lifetime_value(
            &bg,
            &gg,
            &c,
            &ClvOptions::new(6, 4.0)
                .with_margin(0.25)
                .with_discount_rate(0.05),
        )
        .unwrap();
        assert!(discounted.clv < v.clv && discounted.clv > v.clv / 1.05f64.powi(6));
        let all = customer_values(&bg, &gg, &[c.clone(), c], &ClvOptions::new(6, 4.0)).unwrap();
        assert_eq!(all.len(), 2);
        assert!(serde_json::to_string(&all[0]).unwrap().contains("\"clv\":"));
    }

    #[test]
    fn rejects_bad_options() {
        let bg = BgNbd::new(0.5, 3.0, 1.4, 2.0).unwrap();
        let gg = GammaGamma::new(4.0, 3.0, 10.0).unwrap();
        let c = CustomerSummary::new("c", 0, 0.0, 12.0);
        let run = |o: ClvOptions| {
            customer_lifetime_value(&bg, &gg, &c, &o)
                .unwrap_err()
                .to_string()
        };
        assert!(run(ClvOptions::new(0, 4.0)).contains("horizon must be at least 1"));
        assert!(run(ClvOptions::new(3, -4.0)).contains("period length -4"));
        assert!(run(ClvOptions::new(3, 4.0).with_discount_rate(-1.0)).contains("discount rate -1"));
        assert!(run(ClvOptions::new(3, 4.0).with_margin(f64::NAN)).contains("margin NaN"));
    }
}
