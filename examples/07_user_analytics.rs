//! Every user analysis on one generated product log: sessions, active users, funnels,
//! retention, paths, RFM segments, k-means, customer lifetime value, churn models and an A/B
//! test, written as one JSON report and a set of SVG charts.
//!
//! The log comes from the crate's seeded generator (`user_analytics::generate`, documented
//! there): 10,000 users and 500,000 events over 120 days, with signups, page views, searches,
//! item views, carts, checkouts and purchases with revenue. The same seed gives the same log
//! and the same report.
//!
//! Run with `cargo run --release --example 07_user_analytics [-- --out DIR]`; the output goes
//! to `target/07_user_analytics` by default.

use std::path::PathBuf;
use std::time::Instant;

use youshi::user_analytics::abtest::{sample_size_two_proportions, two_proportion_z_test, Sides};
use youshi::user_analytics::active::{active_users, ActiveOptions, ActiveUsers};
use youshi::user_analytics::chart::{
    clv_histogram_svg, funnel_svg, retention_svg, segments_svg, write_file_atomic, BarChart,
};
use youshi::user_analytics::churn::{
    churn_dataset, classification_report, permutation_importance, stratified_split, ChurnConfig,
    ChurnMlp, ChurnModel, LogisticRegression, TrainConfig, FEATURE_NAMES,
};
use youshi::user_analytics::clv::bgnbd::BgNbd;
use youshi::user_analytics::clv::gamma_gamma::GammaGamma;
use youshi::user_analytics::clv::summary::{summarize, SummaryOptions, TimeUnit};
use youshi::user_analytics::clv::value::{customer_values, ClvOptions};
use youshi::user_analytics::filter::EventFilter;
use youshi::user_analytics::funnel::{EntryRule, Funnel};
use youshi::user_analytics::generate::{generate, GeneratorConfig};
use youshi::user_analytics::kmeans::{sweep, KMeans};
use youshi::user_analytics::paths::{top_paths, PathOptions};
use youshi::user_analytics::report::{
    write_json, AbReport, ActiveSummary, AnalyticsReport, ChurnReport, ClvReport, KMeansReport,
};
use youshi::user_analytics::retention::{retention, Period, RetentionOptions};
use youshi::user_analytics::rfm::{rfm, segment_summary};
use youshi::user_analytics::scale::Standardizer;
use youshi::user_analytics::session::{session_stats, SessionOptions};
use youshi::user_analytics::time::{format_rfc3339, MS_PER_DAY, MS_PER_HOUR};
use youshi::user_analytics::transactions::from_event_log;

fn out_dir() -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    let mut out = PathBuf::from("target/07_user_analytics");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            other => return Err(format!("unknown argument {other:?}; usage: [--out DIR]")),
        }
    }
    Ok(out)
}

/// A stable A/B assignment: FNV-1a of the user id, even = A, odd = B.
fn arm(user: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h & 1) as usize
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = out_dir()?;
    std::fs::create_dir_all(&out)?;
    let clock = Instant::now();

    // The log.
    let generator = GeneratorConfig::new(10_000, 500_000, 120).with_seed(2024);
    let log = generate(&generator)?;
    let day = |d: i64| generator.start + d * MS_PER_DAY;
    println!(
        "generated {} events of {} users over {} days ({:.1} s)",
        log.len(),
        log.num_users(),
        generator.days,
        clock.elapsed().as_secs_f64()
    );

    // Behaviour.
    let sessions = session_stats(&log, &SessionOptions::default())?;
    println!(
        "sessions: {} ({:.2} per user, {:.1} events each, median duration {:.1} min)",
        sessions.sessions,
        sessions.mean_sessions_per_user,
        sessions.mean_events_per_session,
        sessions.median_duration_ms / 60_000.0
    );
    let active: ActiveUsers = active_users(&log, &ActiveOptions::default())?;
    let active = ActiveSummary {
        users: active.users,
        mean_dau: active.mean_dau,
        mean_wau: active.mean_wau,
        mean_mau: active.mean_mau,
        stickiness: active.stickiness,
    };
    println!(
        "active users: mean DAU {:.0}, WAU {:.0}, MAU {:.0}, stickiness (DAU/MAU) {:.3}",
        active.mean_dau,
        active.mean_wau.unwrap_or(f64::NAN),
        active.mean_mau.unwrap_or(f64::NAN),
        active.stickiness.unwrap_or(f64::NAN)
    );

    let steps = ["view_item", "add_to_cart", "purchase"].map(EventFilter::named);
    let funnel = Funnel::new(steps, MS_PER_DAY)?.with_breakdown("platform");
    let funnel_first = funnel.clone().with_entry(EntryRule::First).run(&log)?;
    let funnel_best = funnel.with_entry(EntryRule::Best).run(&log)?;
    for (name, f) in [("first", &funnel_first), ("best", &funnel_best)] {
        let users: Vec<String> = f.steps.iter().map(|s| s.users.to_string()).collect();
        println!(
            "funnel view_item > add_to_cart > purchase within 1 day ({name} entry): {} users, {:.1}% convert",
            users.join(" > "),
            100.0 * f.overall_conversion
        );
    }
    if let Some(b) = &funnel_first.breakdown {
        for g in &b.groups {
            let value = g
                .value
                .as_ref()
                .map_or("(none)".to_string(), |v| v.to_string());
            println!(
                "  {} = {value}: {:.1}%",
                b.property,
                100.0 * g.overall_conversion
            );
        }
    }

    let retention = retention(&log, &RetentionOptions::new(Period::Week, 8))?;
    let rates: Vec<String> = retention
        .summary
        .iter()
        .map(|s| {
            s.rate
                .map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r))
        })
        .collect();
    println!("weekly retention, weeks 0-8: {}", rates.join(" "));

    let paths = top_paths(
        &log,
        3,
        5,
        &PathOptions::default().with_max_gap_ms(MS_PER_HOUR),
    )?;
    println!("top 3-event paths:");
    for p in &paths.paths {
        println!("  {:>7}  {}", p.occurrences, p.events.join(" > "));
    }

    // Value: purchases as transactions.
    let transactions = from_event_log(&log, "purchase")?;
    let end = day(i64::from(generator.days));
    let records = rfm(&transactions, end)?;
    let segments = segment_summary(&records);
    println!(
        "{} purchases by {} buyers; RFM segments:",
        transactions.len(),
        records.len()
    );
    for s in &segments {
        println!(
            "  {:<20} {:>5} ({:.1}%)",
            s.segment.name(),
            s.customers,
            100.0 * s.share
        );
    }

    // Frequency and revenue are heavy-tailed: cluster on log(1 + x) so that a few big
    // spenders do not take a cluster of their own.
    let features: Vec<Vec<f64>> = records
        .iter()
        .map(|r| {
            let f = r.features();
            vec![f[0], f[1].ln_1p(), f[2].ln_1p()]
        })
        .collect();
    let scaler = Standardizer::fit(&features)?;
    let scaled = scaler.transform(&features)?;
    let base = KMeans::new(2).with_seed(7).with_n_init(4);
    let k_sweep = sweep(&scaled, &[2, 3, 4, 5, 6], &base)?;
    let chosen_k = k_sweep
        .iter()
        .filter_map(|p| p.silhouette.map(|s| (p.k, s)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(3, |(k, _)| k);
    let fit = KMeans {
        k: chosen_k,
        ..base
    }
    .fit(&scaled)?;
    let centroids: Vec<Vec<f64>> = scaler
        .inverse_transform(&fit.centroids)?
        .into_iter()
        .map(|c| vec![c[0], c[1].exp_m1(), c[2].exp_m1()])
        .collect();
    println!("k-means on standardised (recency, log frequency, log revenue): silhouette by k");
    for p in &k_sweep {
        println!(
            "  k = {}: inertia {:.0}, silhouette {}",
            p.k,
            p.inertia,
            p.silhouette.map_or("-".to_string(), |s| format!("{s:.3}"))
        );
    }
    println!(
        "  chose k = {chosen_k}; cluster sizes {:?}",
        fit.cluster_sizes
    );
    let kmeans = KMeansReport {
        sweep: k_sweep,
        chosen_k,
        cluster_sizes: fit.cluster_sizes.clone(),
        centroids,
    };

    // Lifetime value: calibrate on the whole log, in days.
    let customers = summarize(&transactions, &SummaryOptions::new(end, TimeUnit::Days))?;
    let bg = BgNbd::fit(&customers)?;
    let p = bg.params;
    println!(
        "BG/NBD: r {:.3}, alpha {:.3}, a {:.3}, b {:.3} (log-likelihood {:.1})",
        p.r, p.alpha, p.a, p.b, bg.log_likelihood
    );
    let clv = match GammaGamma::fit(&customers) {
        Ok(gg) => {
            let values = customer_values(
                &bg.params,
                &gg.params,
                &customers,
                &ClvOptions::new(12, 30.0).with_discount_rate(0.01),
            )?;
            let clvs: Vec<f64> = values.iter().map(|v| v.clv).collect();
            let total: f64 = clvs.iter().sum();
            println!(
                "Gamma-Gamma: p {:.2}, q {:.2}, gamma {:.2}; expected revenue over 12 months {:.0} ({:.2} per buyer)",
                gg.params.p,
                gg.params.q,
                gg.params.gamma,
                total,
                total / clvs.len() as f64
            );
            write_file_atomic(
                out.join("clv_histogram.svg"),
                &clv_histogram_svg(&clvs, 30)?,
            )?;
            ClvReport {
                customers: customers.len(),
                bgnbd: bg,
                gamma_gamma: Some(gg),
                total_clv: Some(total),
                mean_clv: Some(total / clvs.len() as f64),
                note: None,
            }
        }
        Err(e) => {
            println!("Gamma-Gamma could not be fitted: {e}");
            ClvReport {
                customers: customers.len(),
                bgnbd: bg,
                gamma_gamma: None,
                total_clv: None,
                mean_clv: None,
                note: Some(e.to_string()),
            }
        }
    };

    // Churn: features from the first 84 days, churned = no event in the next 28.
    let config = ChurnConfig::new(day(84), 28);
    let data = churn_dataset(&log, &config)?;
    let split = stratified_split(&data.labels, 0.3, 1)?;
    let (x_train, y_train) = data.select(&split.train);
    let (x_test, y_test) = data.select(&split.test);
    let train = TrainConfig::default()
        .with_epochs(300)
        .with_lr(0.05)
        .with_seed(3);
    let logistic = LogisticRegression::fit(&x_train, &y_train, &train)?;
    let mlp = ChurnMlp::fit(
        &x_train,
        &y_train,
        &train.with_batch_size(256).with_epochs(40),
    )?;
    let lr_report = classification_report(&logistic.predict_proba(&x_test)?, &y_test, 0.5)?;
    let mlp_report = classification_report(&mlp.predict_proba(&x_test)?, &y_test, 0.5)?;
    let importance_logistic =
        permutation_importance(&logistic, &x_test, &y_test, &FEATURE_NAMES, 5, 9)?;
    let importance_mlp = permutation_importance(&mlp, &x_test, &y_test, &FEATURE_NAMES, 5, 9)?;
    println!(
        "churn at day 84, horizon 28 days: {} users, {:.1}% churned; test set {}",
        data.len(),
        100.0 * data.churn_rate(),
        y_test.len()
    );
    for (name, r) in [("logistic", &lr_report), ("MLP", &mlp_report)] {
        println!(
            "  {name:<8} AUC {:.3}  accuracy {:.3} (majority baseline {:.3})  precision {:.3}  recall {:.3}",
            r.auc, r.accuracy, r.baseline_accuracy, r.precision, r.recall
        );
    }
    let ranked: Vec<String> = importance_logistic
        .ranked()
        .iter()
        .map(|f| format!("{} {:.3}", f.feature, f.mean_drop))
        .collect();
    println!(
        "  permutation importance (logistic, AUC drop): {}",
        ranked.join(", ")
    );
    let churn = ChurnReport {
        cutoff: format_rfc3339(config.cutoff),
        horizon_days: config.horizon_days,
        users: data.len(),
        churn_rate: data.churn_rate(),
        train: y_train.len(),
        test: y_test.len(),
        logistic: lr_report,
        logistic_coefficients: logistic.coefficients(),
        mlp: mlp_report,
        importance_logistic,
        importance_mlp,
    };

    // A/B: users split by a hash of their id (an A/A test: no real difference exists), the
    // conversion being "made a purchase"; then the users needed to detect a 10 % lift.
    let mut users = [0u64; 2];
    let mut converted = [0u64; 2];
    let buyers: std::collections::HashSet<&str> =
        transactions.iter().map(|t| t.customer.as_str()).collect();
    for u in log.users() {
        let name = log.user_name(u);
        users[arm(name)] += 1;
        converted[arm(name)] += u64::from(buyers.contains(name));
    }
    let conversion = two_proportion_z_test(converted[0], users[0], converted[1], users[1], 0.95)?;
    let base_rate = (converted[0] + converted[1]) as f64 / (users[0] + users[1]) as f64;
    let needed = sample_size_two_proportions(base_rate, base_rate * 0.1, 0.05, 0.8, Sides::Two)?;
    println!(
        "A/A test on purchase conversion: A {:.2}% vs B {:.2}%, p = {:.3}; {:.0} users per arm to detect a 10% lift",
        100.0 * conversion.rate_a,
        100.0 * conversion.rate_b,
        conversion.p_value_two_sided,
        needed.n_per_group
    );
    let ab_test = AbReport {
        description: "A/A split by FNV-1a hash of the user id; conversion = any purchase; \
                      sample size for a 10% relative lift at alpha 0.05, power 0.8"
            .into(),
        conversion,
        sample_size: needed,
    };

    // Charts.
    write_file_atomic(out.join("funnel.svg"), &funnel_svg(&funnel_first))?;
    write_file_atomic(out.join("retention.svg"), &retention_svg(&retention))?;
    write_file_atomic(out.join("rfm_segments.svg"), &segments_svg(&segments))?;
    let mut clusters = BarChart::new(
        format!("k-means clusters of buyers (k = {chosen_k})"),
        "cluster (mean recency days, purchases, revenue)",
        "buyers",
    );
    for (i, (size, c)) in fit.cluster_sizes.iter().zip(&kmeans.centroids).enumerate() {
        let label = format!("{i}: {:.0}d, {:.1}, {:.0}", c[0], c[1], c[2]);
        clusters = clusters.bar(label, *size as f64, None);
    }
    write_file_atomic(out.join("kmeans_clusters.svg"), &clusters.to_svg())?;
    let mut churn_chart = BarChart::new(
        "Permutation importance (logistic regression)",
        "feature",
        "drop in test AUC",
    );
    for f in &churn.importance_logistic.features {
        churn_chart = churn_chart.bar(&f.feature, f.mean_drop, Some(format!("{:.3}", f.mean_drop)));
    }
    write_file_atomic(out.join("churn_importance.svg"), &churn_chart.to_svg())?;

    let report = AnalyticsReport {
        generator,
        events: log.len(),
        users: log.num_users(),
        sessions,
        active,
        funnel_first,
        funnel_best,
        retention,
        top_paths: paths,
        rfm_segments: segments,
        kmeans,
        clv,
        churn,
        ab_test,
    };
    write_json(out.join("report.json"), &report)?;
    println!(
        "wrote report.json and 6 charts to {} in {:.1} s",
        out.display(),
        clock.elapsed().as_secs_f64()
    );
    Ok(())
}
