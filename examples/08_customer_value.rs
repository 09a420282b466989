//! Customer lifetime value on the CDNOW purchase log: BG/NBD for purchase counts, Gamma-Gamma
//! for spend, and a discounted CLV per customer.
//!
//! The data are the 2,357 CDNOW customers of Fader, Hardie and Lee (2005), bundled in
//! `data/cdnow/` (see its README). The first 39 weeks (to 1997-09-30) calibrate the models; the
//! remaining 39 weeks are the holdout, against which the predicted purchases are compared.
//!
//! Run with `cargo run --release --example 08_customer_value [-- PATH_TO_CDNOW_SAMPLE]`.

use youshi::user_analytics::clv::bgnbd::BgNbd;
use youshi::user_analytics::clv::gamma_gamma::GammaGamma;
use youshi::user_analytics::clv::summary::{summarize, SummaryOptions, TimeUnit};
use youshi::user_analytics::clv::value::{customer_values, ClvOptions};
use youshi::user_analytics::time::{days_from_civil, MS_PER_DAY};
use youshi::user_analytics::transactions::read_cdnow;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/cdnow/CDNOW_sample.txt").to_string()
    });
    let log = read_cdnow(&path)?;
    println!("read {} transactions from {path}", log.len());

    let calibration_end = days_from_civil(1997, 9, 30) * MS_PER_DAY;
    let holdout_end = days_from_civil(1998, 6, 30) * MS_PER_DAY;
    let customers = summarize(
        &log,
        &SummaryOptions::new(calibration_end, TimeUnit::Weeks).with_holdout(holdout_end),
    )?;
    let repeat = customers.iter().filter(|c| c.frequency > 0).count();
    println!(
        "{} customers, {repeat} repeat buyers in the 39-week calibration",
        customers.len()
    );

    let bg = BgNbd::fit(&customers)?;
    let p = bg.params;
    println!("\nBG/NBD (published: r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4)");
    println!(
        "  r {:.3}  alpha {:.3}  a {:.3}  b {:.3}  log-likelihood {:.1}  ({} iterations)",
        p.r, p.alpha, p.a, p.b, bg.log_likelihood, bg.iterations
    );
    let gg = GammaGamma::fit(&customers)?;
    let q = gg.params;
    println!("Gamma-Gamma (published: p 6.25, q 3.74, gamma 15.44)");
    println!(
        "  p {:.2}  q {:.2}  gamma {:.2}  on {} repeat buyers",
        q.p, q.q, q.gamma, gg.customers
    );

    // Holdout check: predicted against observed purchases in the 39 weeks after calibration.
    let mut predicted = 0.0;
    let mut observed = 0;
    for c in &customers {
        predicted += p.conditional_expected_purchases(c.holdout_duration, c)?;
        observed += c.holdout_frequency;
    }
    println!("\nholdout: {predicted:.0} purchases predicted, {observed} observed");

    // One year (12 periods of 4.345 weeks), 1 % monthly discount, 30 % margin.
    let options = ClvOptions::new(12, 4.345)
        .with_discount_rate(0.01)
        .with_margin(0.3);
    let mut values = customer_values(&bg.params, &gg.params, &customers, &options)?;
    values.sort_by(|a, b| b.clv.total_cmp(&a.clv));
    let total: f64 = values.iter().map(|v| v.clv).sum();
    println!(
        "\nexpected margin over the next year: ${total:.0} in all, ${:.2} per customer",
        total / values.len() as f64
    );
    println!("\ntop 10 customers by expected value");
    println!("  customer  P(alive)  purchases  spend/purchase      CLV");
    for v in values.iter().take(10) {
        println!(
            "  {:>8}  {:>8.3}  {:>9.2}  {:>14.2}  {:>7.2}",
            v.customer, v.probability_alive, v.expected_purchases, v.expected_average_spend, v.clv
        );
    }
    Ok(())
}
