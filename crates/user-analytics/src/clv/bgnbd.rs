//! The BG/NBD model of repeat purchasing (Fader, Hardie and Lee 2005, "'Counting Your
//! Customers' the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing Science*
//! 24(2)).
//!
//! While alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b). The model is fitted by maximum
//! likelihood on (ln r, ln α, ln a, ln b) with [`nelder_mead`](super::optimize::nelder_mead()).
//!
//! ```
//! use youshi_user_analytics::clv::bgnbd::BgNbd;
//! use youshi_user_analytics::clv::summary::CustomerSummary;
//!
//! // The published CDNOW estimates.
//! let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! // A customer with 2 repeat purchases, the last at week 30.43, observed for 38.86 weeks.
//! let c = CustomerSummary::new("c", 2, 30.43, 38.86);
//! let next_year = model.conditional_expected_purchases(39.0, &c)?;
//! assert!((next_year - 1.226).abs() < 1e-3);
//! assert!(model.probability_alive(&c)? > 0.7);
//! # Ok::<(), youshi_user_analytics::AnalyticsError>(())
//! ```

use serde::{Deserialize, Serialize};

use super::hypergeometric::hyp2f1;
use super::optimize::{nelder_mead, NelderMeadOptions};
use super::summary::CustomerSummary;
use crate::error::{AnalyticsError, Result};

/// BG/NBD parameters: purchase rates λ ~ Gamma(shape r, rate α), dropout probabilities
/// p ~ Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape r of the purchase-rate distribution.
    pub r: f64,
    /// Rate α of the purchase-rate distribution (in the summaries' time unit).
    pub alpha: f64,
    /// First shape a of the dropout-probability distribution.
    pub a: f64,
    /// Second shape b of the dropout-probability distribution.
    pub b: f64,
}

/// The outcome of [`BgNbd::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbdFit {
    /// The maximum-likelihood parameters.
    pub params: BgNbd,
    /// The log-likelihood at them (the full likelihood of FHL 2005, eq. 6).
    pub log_likelihood: f64,
    /// Customers fitted.
    pub customers: usize,
    /// Optimiser iterations.
    pub iterations: usize,
    /// Objective evaluations.
    pub evaluations: usize,
}

/// A history (x, t_x, T) checked for the model.
#[derive(Debug, Clone, Copy)]
struct History {
    x: f64,
    t_x: f64,
    age: f64,
}

fn history(op: &'static str, index: usize, c: &CustomerSummary) -> Result<History> {
    let (x, t_x, age) = (c.frequency as f64, c.recency, c.age);
    let ok = t_x >= 0.0 && age.is_finite() && t_x <= age && (c.frequency > 0 || t_x == 0.0);
    if !ok {
        return Err(AnalyticsError::invalid(
            op,
            format!(
                "customer {index} ({:?}) has frequency {}, recency {t_x} and age {age}: needs \
                 0 <= recency <= age, and recency 0 when frequency is 0",
                c.customer, c.frequency
            ),
        ));
    }
    Ok(History { x, t_x, age })
}

/// ln(eˣ + eʸ) without overflow.
fn log_add_exp(x: f64, y: f64) -> f64 {
    let m = x.max(y);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((x - m).exp() + (y - m).exp()).ln()
}

impl BgNbd {
    /// Parameters r, α, a, b.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] unless all four are positive and finite.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        for (name, v) in [("r", r), ("alpha", alpha), ("a", a), ("b", b)] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(AnalyticsError::invalid(
                    "BG/NBD parameters",
                    format!("{name} = {v} must be positive and finite"),
                ));
            }
        }
        Ok(BgNbd { r, alpha, a, b })
    }

    /// The log-likelihood of one customer's history (x, t_x, T) (FHL 2005, eq. 6):
    ///
    /// ln L = A₁ + A₂ + ln(e^{A₃} + δ(x > 0) e^{A₄}), with
    /// A₁ = ln Γ(r + x) − ln Γ(r) + r ln α,
    /// A₂ = ln Γ(a + b) + ln Γ(b + x) − ln Γ(b) − ln Γ(a + b + x),
    /// A₃ = −(r + x) ln(α + T),
    /// A₄ = ln a − ln(b + x − 1) − (r + x) ln(α + t_x).
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] for an impossible history (recency outside
    /// [0, age], or non-zero recency with no repeat purchase).
    pub fn log_likelihood(&self, customer: &CustomerSummary) -> Result<f64> {
        let h = history("BG/NBD log-likelihood", 0, customer)?;
        Ok(self.ll_terms(h.x) + self.ll_tail(h))
    }

    /// A₁ + A₂, which depend on x only.
    fn ll_terms(&self, x: f64) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        libm::lgamma(r + x) - libm::lgamma(r)
            + r * alpha.ln()
            + libm::lgamma(a + b)
            + libm::lgamma(b + x)
            - libm::lgamma(b)
            - libm::lgamma(a + b + x)
    }

    /// ln(e^{A₃} + δ(x > 0) e^{A₄}).
    fn ll_tail(&self, h: History) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let a3 = -(r + h.x) * (alpha + h.age).ln();
        if h.x > 0.0 {
            let a4 = a.ln() - (b + h.x - 1.0).ln() - (r + h.x) * (alpha + h.t_x).ln();
            log_add_exp(a3, a4)
        } else {
            a3
        }
    }

    /// Fits the model to `customers` by maximum likelihood with default optimiser settings
    /// (see [`BgNbd::fit_with`]).
    ///
    /// # Errors
    /// As [`BgNbd::fit_with`].
    pub fn fit(customers: &[CustomerSummary]) -> Result<BgNbdFit> {
        Self::fit_with(customers, &NelderMeadOptions::default())
    }

    /// Fits the model to `customers` by maximising the summed log-likelihood over
    /// θ = (ln r, ln α, ln a, ln b) with Nelder–Mead and restarts, from θ = 0. The terms
    /// A₁ + A₂ are computed once per distinct frequency in each evaluation.
    ///
    /// # Errors
    /// [`AnalyticsError::Empty`] with no customers; [`AnalyticsError::InvalidArgument`] for
    /// an impossible history (naming the customer); [`AnalyticsError::NotConverged`] with the
    /// last estimate of r, α, a, b and its log-likelihood if the iterations run out.
    ///
    /// # Examples
    /// ```
    /// use youshi_user_analytics::clv::bgnbd::BgNbd;
    /// use youshi_user_analytics::clv::optimize::NelderMeadOptions;
    /// use youshi_user_analytics::clv::summary::{summarize, SummaryOptions, TimeUnit};
    /// use youshi_user_analytics::time::{days_from_civil, MS_PER_DAY};
    /// use youshi_user_analytics::transactions::read_cdnow;
    /// use youshi_user_analytics::AnalyticsError;
    ///
    /// let log = read_cdnow(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow/CDNOW_sample.txt"))?;
    /// let end = days_from_civil(1997, 9, 30) * MS_PER_DAY;
    /// let customers = summarize(&log, &SummaryOptions::new(end, TimeUnit::Weeks))?;
    /// // Too small an iteration budget: the error carries the last estimate.
    /// let tight = NelderMeadOptions { max_iterations: 20, ..Default::default() };
    /// let err = BgNbd::fit_with(&customers, &tight).unwrap_err();
    /// assert!(matches!(err, AnalyticsError::NotConverged { iterations: 20, .. }));
    /// assert!(err.to_string().contains("last estimate r = "));
    /// let fit = BgNbd::fit_with(&customers, &NelderMeadOptions::default())?;
    /// assert!((fit.params.a - 0.793).abs() < 5e-4);
    /// # Ok::<(), youshi_user_analytics::AnalyticsError>(())
    /// ```
    pub fn fit_with(
        customers: &[CustomerSummary],
        options: &NelderMeadOptions,
    ) -> Result<BgNbdFit> {
        const OP: &str = "fit BG/NBD";
        if customers.is_empty() {
            return Err(AnalyticsError::empty(OP, "no customers to fit"));
        }
        let histories = customers
            .iter()
            .enumerate()
            .map(|(i, c)| history(OP, i, c))
            .collect::<Result<Vec<_>>>()?;
        // Distinct frequencies and their counts.
        let mut counts: std::collections::BTreeMap<u64, f64> = Default::default();
        for c in customers {
            *counts.entry(c.frequency).or_insert(0.0) += 1.0;
        }
        let counts: Vec<(f64, f64)> = counts.into_iter().map(|(x, n)| (x as f64, n)).collect();
        let total_ll = |m: &BgNbd| -> f64 {
            let head: f64 = counts.iter().map(|&(x, n)| n * m.ll_terms(x)).sum();
            let tail: f64 = histories.iter().map(|&h| m.ll_tail(h)).sum();
            head + tail
        };
        let from_theta = |t: &[f64]| BgNbd {
            r: t[0].exp(),
            alpha: t[1].exp(),
            a: t[2].exp(),
            b: t[3].exp(),
        };
        let minimum = nelder_mead(|t| -total_ll(&from_theta(t)), &[0.0; 4], options)?;
        let params = from_theta(&minimum.x);
        if !minimum.converged {
            return Err(AnalyticsError::NotConverged {
                op: OP,
                iterations: minimum.iterations,
                reason: "iteration budget exhausted before the simplex met its tolerances".into(),
                last_estimate: format!(
                    "r = {}, alpha = {}, a = {}, b = {}, log-likelihood = {}",
                    params.r, params.alpha, params.a, params.b, -minimum.value
                ),
            });
        }
        Ok(BgNbdFit {
            params,
            log_likelihood: -minimum.value,
            customers: customers.len(),
            iterations: minimum.iterations,
            evaluations: minimum.evaluations,
        })
    }

    /// E\[X(t)\]: expected purchases in (0, t] of a customer just acquired at time 0 (FHL 2005,
    /// eq. 9): (a + b − 1)/(a − 1) · [1 − (α/(α + t))^r ₂F₁(r, b; a + b − 1; t/(α + t))].
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] if `t` is negative or not finite;
    /// [`AnalyticsError::NotConverged`] if the hypergeometric series does not converge.
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        self.conditional(
            t,
            History {
                x: 0.0,
                t_x: 0.0,
                age: 0.0,
            },
            "BG/NBD expected purchases",
        )
    }

    /// E\[Y(t) | x, t_x, T\]: expected purchases in (T, T + t] of a customer with the given
    /// calibration history (FHL 2005, eq. 10):
    ///
    /// [(a + b + x − 1)/(a − 1)] · [1 − ((α + T)/(α + T + t))^{r+x}
    /// ₂F₁(r + x, b + x; a + b + x − 1; t/(α + T + t))] / [1 + δ(x > 0) a/(b + x − 1)
    /// ((α + T)/(α + t_x))^{r+x}].
    ///
    /// It is evaluated through Euler's transformation, ((α + T)/(α + T + t))^{r+x}
    /// ₂F₁(r + x, b + x; c; z) = (1 − z)^{a−1} ₂F₁(a + b − 1 − r, a − 1; c; z) with
    /// z = t/(α + T + t), whose parameters stay small for large x. At a = 1 (where the closed
    /// form is 0/0) it is the mean of the values at a = 1 ± 10⁻⁶.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] if `t` is negative or not finite or the history is
    /// impossible; [`AnalyticsError::NotConverged`] if the hypergeometric series does not
    /// converge.
    pub fn conditional_expected_purchases(
        &self,
        t: f64,
        customer: &CustomerSummary,
    ) -> Result<f64> {
        const OP: &str = "BG/NBD conditional expected purchases";
        let h = history(OP, 0, customer)?;
        self.conditional(t, h, OP)
    }

    fn conditional(&self, t: f64, h: History, op: &'static str) -> Result<f64> {
        if !(t >= 0.0 && t.is_finite()) {
            return Err(AnalyticsError::invalid(
                op,
                format!("horizon t = {t} must be non-negative and finite"),
            ));
        }
        if t == 0.0 {
            return Ok(0.0);
        }
        if (self.a - 1.0).abs() < 1e-6 {
            let lo = BgNbd {
                a: 1.0 - 1e-6,
                ..*self
            }
            .conditional_at(t, h)?;
            let hi = BgNbd {
                a: 1.0 + 1e-6,
                ..*self
            }
            .conditional_at(t, h)?;
            return Ok(0.5 * (lo + hi));
        }
        self.conditional_at(t, h)
    }

    fn conditional_at(&self, t: f64, h: History) -> Result<f64> {
        let BgNbd { r, alpha, a, b } = *self;
        let x = h.x;
        let c = a + b + x - 1.0;
        let z = t / (alpha + h.age + t);
        // (1 − z)^{a−1} with 1 − z = (α + T)/(α + T + t) computed without cancellation.
        let w = (alpha + h.age) / (alpha + h.age + t);
        let tail = w.powf(a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)?;
        let numerator = c / (a - 1.0) * (1.0 - tail);
        Ok(numerator * self.alive_given(h))
    }

    /// P(alive | x, t_x, T) (FHL 2005, eq. 13):
    /// 1 / (1 + δ(x > 0) a/(b + x − 1) ((α + T)/(α + t_x))^{r+x}); 1 for x = 0.
    ///
    /// # Errors
    /// [`AnalyticsError::InvalidArgument`] for an impossible history.
    pub fn probability_alive(&self, customer: &CustomerSummary) -> Result<f64> {
        let h = history("BG/NBD probability alive", 0, customer)?;
        Ok(self.alive_given(h))
    }

    fn alive_given(&self, h: History) -> f64 {
        if h.x == 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let ln_odds = a.ln() - (b + h.x - 1.0).ln()
            + (r + h.x) * ((alpha + h.age).ln() - (alpha + h.t_x).ln());
        1.0 / (1.0 + ln_odds.exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Values written by `tests/fixtures/clv.py` with mpmath from the closed forms, at the
    /// published CDNOW parameters and at a = 1.35 (a > 1).
    #[derive(Deserialize)]
    struct Fixture {
        bgnbd: Vec<Case>,
    }
    #[derive(Deserialize)]
    struct Case {
        params: [f64; 4],
        x: u64,
        t_x: f64,
        age: f64,
        t: f64,
        conditional: f64,
        p_alive: f64,
        log_likelihood: f64,
        unconditional: f64,
    }

    #[test]
    fn closed_forms_match_mpmath() {
        let f: Fixture =
            serde_json::from_str(include_str!("../../tests/fixtures/clv.json")).unwrap();
        assert!(f.bgnbd.len() > 10);
        for c in f.bgnbd {
            let [r, alpha, a, b] = c.params;
            let m = BgNbd::new(r, alpha, a, b).unwrap();
            let cust = CustomerSummary::new("c", c.x, c.t_x, c.age);
            let what = format!(
                "{:?} x={} t_x={} T={} t={}",
                c.params, c.x, c.t_x, c.age, c.t
            );
            let got = m.conditional_expected_purchases(c.t, &cust).unwrap();
            assert!(
                (got - c.conditional).abs() <= 1e-10 * c.conditional,
                "E[Y] {what}: {got} vs {}",
                c.conditional
            );
            let got = m.probability_alive(&cust).unwrap();
            assert!(
                (got - c.p_alive).abs() <= 1e-12,
                "P(alive) {what}: {got} vs {}",
                c.p_alive
            );
            let got = m.log_likelihood(&cust).unwrap();
            assert!(
                (got - c.log_likelihood).abs() <= 1e-11 * c.log_likelihood.abs(),
                "LL {what}"
            );
            let got = m.expected_purchases(c.t).unwrap();
            assert!(
                (got - c.unconditional).abs() <= 1e-10 * c.unconditional,
                "E[X] {what}: {got} vs {}",
                c.unconditional
            );
        }
    }

    #[test]
    fn a_equal_to_one_is_the_limit() {
        let c = CustomerSummary::new("c", 3, 10.0, 20.0);
        let at = |a: f64| {
            BgNbd::new(0.5, 4.0, a, 2.0)
                .unwrap()
                .conditional_expected_purchases(12.0, &c)
                .unwrap()
        };
        let one = at(1.0);
        assert!(one.is_finite());
        assert!((one - 0.5 * (at(1.001) + at(0.999))).abs() < 1e-6, "{one}");
    }

    #[test]
    fn fit_recovers_parameters_from_simulated_histories() {
        use rand::{Rng, SeedableRng};
        use rand_chacha::ChaCha8Rng;
        /// Gamma(shape, 1) by Marsaglia and Tsang's method (boosted for shape < 1).
        fn gamma(rng: &mut ChaCha8Rng, shape: f64) -> f64 {
            if shape < 1.0 {
                let u: f64 = rng.gen();
                return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
            }
            let d = shape - 1.0 / 3.0;
            let c = 1.0 / (9.0 * d).sqrt();
            loop {
                let (u1, u2): (f64, f64) = (rng.gen(), rng.gen());
                let n = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let v = (1.0 + c * n).powi(3);
                if v > 0.0 && rng.gen::<f64>().ln() < 0.5 * n * n + d - d * v + d * v.ln() {
                    return d * v;
                }
            }
        }
        let truth = BgNbd::new(0.8, 5.0, 1.5, 4.0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut customers = Vec::new();
        for i in 0..3000 {
            let lambda = gamma(&mut rng, truth.r) / truth.alpha;
            let g1 = gamma(&mut rng, truth.a);
            let p = g1 / (g1 + gamma(&mut rng, truth.b));
            let age = 30.0 + (i % 10) as f64;
            let (mut now, mut x, mut last) = (0.0, 0u64, 0.0);
            loop {
                now += -(1.0 - rng.gen::<f64>()).ln() / lambda;
                if now > age {
                    break;
                }
                x += 1;
                last = now;
                if rng.gen::<f64>() < p {
                    break;
                }
            }
            customers.push(CustomerSummary::new(format!("{i}"), x, last, age));
        }
        let fit = BgNbd::fit(&customers).unwrap();
        let p = fit.params;
        assert!((p.r - truth.r).abs() < 0.15 * truth.r, "{p:?}");
        assert!((p.alpha - truth.alpha).abs() < 0.25 * truth.alpha, "{p:?}");
        assert!((p.a - truth.a).abs() < 0.5 * truth.a, "{p:?}");
        assert!((p.b - truth.b).abs() < 0.6 * truth.b, "{p:?}");
        let ll_truth: f64 = customers
            .iter()
            .map(|c| truth.log_likelihood(c).unwrap())
            .sum();
        assert!(
            fit.log_likelihood >= ll_truth,
            "{} < {ll_truth}",
            fit.log_likelihood
        );
    }

    #[test]
    fn errors_are_typed_and_named() {
        let e = BgNbd::new(0.0, 1.0, 1.0, 1.0).unwrap_err().to_string();
        assert!(e.contains("r = 0 must be positive"), "{e}");
        let e = BgNbd::fit(&[]).unwrap_err().to_string();
        assert!(e.contains("no customers"), "{e}");
        let bad = [
            CustomerSummary::new("ok", 1, 1.0, 2.0),
            CustomerSummary::new("late", 2, 5.0, 3.0),
        ];
        let e = BgNbd::fit(&bad).unwrap_err().to_string();
        assert!(
            e.contains("customer 1 (\"late\")") && e.contains("recency 5"),
            "{e}"
        );
        let zero = [CustomerSummary::new("z", 0, 1.0, 2.0)];
        assert!(BgNbd::fit(&zero).is_err());
        let customers: Vec<_> = (0..20)
            .map(|i| CustomerSummary::new("c", i % 3, if i % 3 == 0 { 0.0 } else { 5.0 }, 10.0))
            .collect();
        let opts = NelderMeadOptions {
            max_iterations: 5,
            ..Default::default()
        };
        let e = BgNbd::fit_with(&customers, &opts).unwrap_err();
        assert!(
            matches!(e, AnalyticsError::NotConverged { iterations: 5, .. }),
            "{e}"
        );
        let e = e.to_string();
        assert!(
            e.contains("did not converge after 5 iterations") && e.contains("alpha = "),
            "{e}"
        );
        let m = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let e = m.expected_purchases(-1.0).unwrap_err().to_string();
        assert!(e.contains("t = -1"), "{e}");
        assert_eq!(m.expected_purchases(0.0).unwrap(), 0.0);
    }
}
