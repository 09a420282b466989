//! Reproduces the published BG/NBD and Gamma-Gamma estimates on the CDNOW sample: Fader,
//! Hardie and Lee (2005), "'Counting Your Customers' the Easy Way", Marketing Science 24(2),
//! and Fader and Hardie, "The Gamma-Gamma Model of Monetary Value" (2013).

use youshi_user_analytics::clv::bgnbd::BgNbd;
use youshi_user_analytics::clv::gamma_gamma::GammaGamma;
use youshi_user_analytics::clv::summary::{summarize, CustomerSummary, SummaryOptions, TimeUnit};
use youshi_user_analytics::clv::value::{customer_values, ClvOptions};
use youshi_user_analytics::time::{days_from_civil, MS_PER_DAY};
use youshi_user_analytics::transactions::read_cdnow;

const CDNOW: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/cdnow/CDNOW_sample.txt"
);

/// The 39-week calibration period ends on 1997-09-30; T is measured in weeks (days / 7) from
/// each customer's first purchase to that day, and same-day purchases are merged.
fn calibration() -> Vec<CustomerSummary> {
    let tx = read_cdnow(CDNOW).unwrap();
    assert_eq!(tx.len(), 6919);
    let cal_end = days_from_civil(1997, 9, 30) * MS_PER_DAY;
    let obs_end = days_from_civil(1998, 6, 30) * MS_PER_DAY;
    summarize(
        &tx,
        &SummaryOptions::new(cal_end, TimeUnit::Weeks).with_holdout(obs_end),
    )
    .unwrap()
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let s = 10f64.powi(decimals);
    (v * s).round() / s
}

#[test]
fn summary_matches_the_published_data_set() {
    let c = calibration();
    assert_eq!(c.len(), 2357);
    assert_eq!(c.iter().filter(|c| c.frequency > 0).count(), 946);
    assert_eq!(c.iter().map(|c| c.frequency).sum::<u64>(), 2457);
    // Customer 00004 (sample id 0001): first purchase 1997-01-01, repeats on 01-18 and 08-02.
    let first = &c[0];
    assert_eq!(first.customer, "00004");
    assert_eq!(first.frequency, 2);
    assert!((first.recency - 213.0 / 7.0).abs() < 1e-12);
    assert!((first.age - 272.0 / 7.0).abs() < 1e-12);
    assert!((first.monetary_value - (29.73 + 14.96) / 2.0).abs() < 1e-12);
    assert_eq!(first.holdout_frequency, 1);
    assert!((first.holdout_duration - 273.0 / 7.0).abs() < 1e-12);
}

#[test]
fn bgnbd_reproduces_fader_hardie_lee() {
    let c = calibration();
    let fit = BgNbd::fit(&c).unwrap();
    let p = fit.params;
    assert_eq!(round_to(p.r, 3), 0.243, "{p:?}");
    assert_eq!(round_to(p.alpha, 3), 4.414, "{p:?}");
    assert_eq!(round_to(p.a, 3), 0.793, "{p:?}");
    assert_eq!(round_to(p.b, 3), 2.426, "{p:?}");
    assert!(
        (fit.log_likelihood - -9582.4).abs() < 0.1,
        "{}",
        fit.log_likelihood
    );
    // FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226
    // purchases in the next 39 weeks.
    let e = p
        .conditional_expected_purchases(39.0, &CustomerSummary::new("c", 2, 30.43, 38.86))
        .unwrap();
    assert!((e - 1.226).abs() < 1e-3, "{e}");
    // Out of sample: the 1,882 purchase days of the 39-week holdout against the model's
    // conditional expectations (1,653), within 15%.
    let predicted: f64 = c
        .iter()
        .map(|c| {
            p.conditional_expected_purchases(c.holdout_duration, c)
                .unwrap()
        })
        .sum();
    let actual: u64 = c.iter().map(|c| c.holdout_frequency).sum();
    assert_eq!(actual, 1882);
    assert!(
        (predicted - actual as f64).abs() < 0.15 * actual as f64,
        "{predicted} vs {actual}"
    );
}

#[test]
fn gamma_gamma_reproduces_fader_hardie() {
    let c = calibration();
    let fit = GammaGamma::fit(&c).unwrap();
    assert_eq!(fit.customers, 946);
    let p = fit.params;
    assert_eq!(round_to(p.p, 2), 6.25, "{p:?}");
    assert_eq!(round_to(p.q, 2), 3.74, "{p:?}");
    assert_eq!(round_to(p.gamma, 2), 15.44, "{p:?}");

    // Lifetime values over a year at the published BG/NBD parameters.
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let values = customer_values(
        &bg,
        &p,
        &c,
        &ClvOptions::new(12, 4.345).with_discount_rate(0.01),
    )
    .unwrap();
    assert_eq!(values.len(), 2357);
    assert!(values.iter().all(|v| v.clv.is_finite() && v.clv >= 0.0));
    let json = serde_json::to_string(&values[0]).unwrap();
    assert!(json.starts_with("{\"customer\":\"00004\""), "{json}");
}
