//! The Gamma-Gamma model of monetary value (Fader, Hardie and Lee 2005, "RFM and CLV: Using
//! Iso-Value Curves for Customer Base Analysis", *Journal of Marketing Research* 42(4); Fader
//! and Hardie, "The Gamma-Gamma Model of Monetary Value", 2013).
//!
//! A customer's transaction values are Gamma(p, ν) with a customer-level rate
//! ν ~ Gamma(q, γ), independent of the purchase process. Given x repeat purchases with mean
//! value m̄, the density of m̄ is
//!
//! f(m̄ | p, q, γ; x) = Γ(px + q) / (Γ(px) Γ(q)) · γ^q m̄^{px−1} x^{px} / (γ + m̄x)^{px+q},
//!
//! and the expected value of a transaction is
//! E\[M | p, q, γ; m̄, x\] = (q − 1)/(px + q − 1) · pγ/(q − 1) + px/(px + q − 1) · m̄,
//! a weighted mean of the population mean pγ/(q − 1) and the customer's own m̄.
//!
//! ```
//! use youshi_user_analytics::clv::gamma_gamma::GammaGamma;
//! // The published CDNOW estimates.
//! let gg = GammaGamma::new(6.25, 3.74, 15.44)?;
//! let population = gg.expected_average_spend(0, 0.0)?;
//! assert!((population - 6.25 * 15.44 / 2.74).abs() < 1e-12);
//! // A customer with 4 repeat purchases averaging $60 is expected to spend a little less.
//! let spend = gg.expected_average_spend(4, 60.0)?;
//! assert!(population < spend && spend < 60.0);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use serde::{Deserialize, Serialize};

use super::optimize::{nelder_mead, NelderMeadOptions};
use super::summary::CustomerSummary;
use crate::error::{AnalyticsError, Result};

/// Gamma-Gamma parameters: transaction values Gamma(shape p, rate ν), ν ~ Gamma(shape q,
/// rate γ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape p of a customer's transaction values.
    pub p: f64,
    /// Shape q of the rate distribution.
    pub q: f64,
    /// Rate γ of the rate distribution.
    pub gamma: f64,
}

/// The outcome of [`GammaGamma::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaFit {
    /// The maximum-likelihood parameters.
    pub params: GammaGamma,
    /// The log-likelihood at them (the full density above, summed over repeat buyers).
    pub log_likelihood: f64,
    /// Repeat buyers fitted (customers with x > 0).
    pub customers: usize,
    /// Optimiser iterations.
    pub iterations: usize,
}

impl GammaGamma {
    /// Parameters p, q, γ.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] unless all three are positive and finite.
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self> {
        for (name, v) in [("p", p), ("q", q), ("gamma", gamma)] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(AnalyticsError::invalid(
                    "Gamma-Gamma parameters",
                    format!("{name} = {v} must be positive and finite"),
                ));
            }
        }
        Ok(GammaGamma { p, q, gamma })
    }

    /// ln f(m̄ | p, q, γ; x) for x ≥ 1 repeat purchases of mean value m̄ > 0.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] if x = 0 or m̄ is not positive and finite.
    pub fn log_likelihood(&self, frequency: u64, mean_value: f64) -> Result<f64> {
        check_spend("Gamma-Gamma log-likelihood", 0, "", frequency, mean_value)?;
        Ok(self.ll(frequency as f64, mean_value))
    }

    fn ll(&self, x: f64, m: f64) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let px = p * x;
        libm::lgamma(px + q) - libm::lgamma(px) - libm::lgamma(q)
            + q * gamma.ln()
            + (px - 1.0) * m.ln()
            + px * x.ln()
            - (px + q) * (gamma + m * x).ln()
    }

    /// Fits the model by maximum likelihood to the customers with at least one repeat purchase
    /// (x > 0), using each one's frequency and mean repeat spend
    /// ([`CustomerSummary::monetary_value`]); customers with x = 0 are skipped. Default
    /// optimiser settings; see [`GammaGamma::fit_with`].
    ///
    /// # Errors
    /// As [`GammaGamma::fit_with`].
    pub fn fit(customers: &[CustomerSummary]) -> Result<GammaGammaFit> {
        Self::fit_with(customers, &NelderMeadOptions::default())
    }

    /// [`GammaGamma::fit`] with given optimiser settings: Nelder–Mead with restarts on
    /// (ln p, ln q, ln γ) from 0.
    ///
    /// # Errors
    /// [`AnalyticsError::Empty`] if no customer has a repeat purchase;
    /// [`AnalyticsError::InvalidArgument`] if a repeat buyer's mean spend is not positive
    /// (naming the customer); [`AnalyticsError::NotConverged`] with the last estimate if the
    /// iterations run out.
    pub fn fit_with(
        customers: &[CustomerSummary],
        options: &NelderMeadOptions,
    ) -> Result<GammaGammaFit> {
        const OP: &str = "fit Gamma-Gamma";
        let mut data = Vec::new();
        for (i, c) in customers.iter().enumerate() {
            if c.frequency == 0 {
                continue;
            }
            check_spend(OP, i, &c.customer, c.frequency, c.monetary_value)?;
            data.push((c.frequency as f64, c.monetary_value));
        }
        if data.is_empty() {
            return Err(AnalyticsError::empty(
                OP,
                format!(
                    "none of the {} customers has a repeat purchase",
                    customers.len()
                ),
            ));
        }
        let from_theta = |t: &[f64]| GammaGamma {
            p: t[0].exp(),
            q: t[1].exp(),
            gamma: t[2].exp(),
        };
        let minimum = nelder_mead(
            |t| {
                let m = from_theta(t);
                -data.iter().map(|&(x, v)| m.ll(x, v)).sum::<f64>()
            },
            &[0.0; 3],
            options,
        )?;
        let params = from_theta(&minimum.x);
        if !minimum.converged {
            return Err(AnalyticsError::NotConverged {
                op: OP,
                iterations: minimum.iterations,
                reason: "iteration budget exhausted before the simplex met its tolerances".into(),
                last_estimate: format!(
                    "p = {}, q = {}, gamma = {}, log-likelihood = {}",
                    params.p, params.q, params.gamma, -minimum.value
                ),
            });
        }
        Ok(GammaGammaFit {
            params,
            log_likelihood: -minimum.value,
            customers: data.len(),
            iterations: minimum.iterations,
        })
    }

    /// E\[M | p, q, γ; m̄, x\] = p(γ + m̄x)/(px + q − 1): the expected value of a future
    /// transaction of a customer with x repeat purchases of mean value m̄ (the population mean
    /// pγ/(q − 1) when x = 0, whatever m̄).
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] if q ≤ 1 (the mean does not exist) or, for x > 0,
    /// m̄ is negative or not finite.
    pub fn expected_average_spend(&self, frequency: u64, mean_value: f64) -> Result<f64> {
        const OP: &str = "Gamma-Gamma expected average spend";
        if self.q <= 1.0 {
            return Err(AnalyticsError::invalid(
                OP,
                format!("q = {} <= 1: the expected spend is infinite", self.q),
            ));
        }
        let x = frequency as f64;
        if frequency == 0 {
            return Ok(self.p * self.gamma / (self.q - 1.0));
        }
        if !(mean_value >= 0.0 && mean_value.is_finite()) {
            return Err(AnalyticsError::invalid(
                OP,
                format!("mean spend {mean_value} must be non-negative and finite"),
            ));
        }
        Ok(self.p * (self.gamma + mean_value * x) / (self.p * x + self.q - 1.0))
    }
}

fn check_spend(op: &'static str, index: usize, customer: &str, x: u64, m: f64) -> Result<()> {
    if x == 0 {
        return Err(AnalyticsError::invalid(
            op,
            format!("customer {index} ({customer:?}) has no repeat purchase"),
        ));
    }
    if !(m > 0.0 && m.is_finite()) {
        return Err(AnalyticsError::invalid(
            op,
            format!(
                "customer {index} ({customer:?}) has {x} repeat purchases of mean value {m}: \
                 the Gamma-Gamma model needs positive spend"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_likelihood_integrates_to_one() {
        // The density of m̄ for x = 3 integrates to 1 (trapezoid rule on a log grid).
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let (lo, hi, n) = (1e-3f64.ln(), 1e5f64.ln(), 200_000);
        let h = (hi - lo) / n as f64;
        let mut total = 0.0;
        for i in 0..=n {
            let u = lo + i as f64 * h;
            let m = u.exp();
            let w = if i == 0 || i == n { 0.5 } else { 1.0 };
            total += w * (gg.log_likelihood(3, m).unwrap() + u).exp() * h;
        }
        assert!((total - 1.0).abs() < 1e-6, "{total}");
    }

    #[test]
    fn expected_spend_is_a_weighted_mean() {
        let gg = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
        let (x, m) = (5u64, 42.0);
        let pop = gg.p * gg.gamma / (gg.q - 1.0);
        let w = gg.p * x as f64 / (gg.p * x as f64 + gg.q - 1.0);
        let want = (1.0 - w) * pop + w * m;
        let got = gg.expected_average_spend(x, m).unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }

    #[test]
    fn errors_are_typed_and_named() {
        let e = GammaGamma::new(1.0, -1.0, 1.0).unwrap_err().to_string();
        assert!(e.contains("q = -1"), "{e}");
        let none = [CustomerSummary::new("a", 0, 0.0, 3.0)];
        let e = GammaGamma::fit(&none).unwrap_err().to_string();
        assert!(
            e.contains("none of the 1 customers has a repeat purchase"),
            "{e}"
        );
        let mut zero = CustomerSummary::new("b", 2, 1.0, 3.0);
        zero.monetary_value = 0.0;
        let e = GammaGamma::fit(&[zero]).unwrap_err().to_string();
        assert!(
            e.contains("customer 0 (\"b\")") && e.contains("positive spend"),
            "{e}"
        );
        let e = GammaGamma::new(1.0, 0.9, 1.0)
            .unwrap()
            .expected_average_spend(1, 5.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("q = 0.9 <= 1"), "{e}");
        assert!(GammaGamma::new(1.0, 2.0, 1.0)
            .unwrap()
            .log_likelihood(0, 3.0)
            .is_err());
        let mut few: Vec<CustomerSummary> = (1..30)
            .map(|i| {
                let mut c = CustomerSummary::new("c", 1 + i % 4, 1.0, 2.0);
                c.monetary_value = 10.0 + i as f64;
                c
            })
            .collect();
        few.truncate(10);
        let opts = NelderMeadOptions {
            max_iterations: 3,
            ..Default::default()
        };
        let e = GammaGamma::fit_with(&few, &opts).unwrap_err().to_string();
        assert!(
            e.contains("did not converge after 3 iterations") && e.contains("gamma = "),
            "{e}"
        );
    }
}
