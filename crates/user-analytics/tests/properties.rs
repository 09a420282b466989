//! Property tests of the segmentation, A/B-test and lifetime-value building blocks against
//! naive references and invariants.

use proptest::prelude::*;
use youshi_user_analytics::abtest::{bonferroni, holm};
use youshi_user_analytics::clv::bgnbd::BgNbd;
use youshi_user_analytics::clv::hypergeometric::hyp2f1;
use youshi_user_analytics::clv::summary::CustomerSummary;
use youshi_user_analytics::kmeans::{silhouette_samples, KMeans};
use youshi_user_analytics::rfm::quintile_scores;
use youshi_user_analytics::stats::{
    chi_square_cdf, chi_square_sf, normal_cdf, normal_quantile, student_t_cdf, student_t_sf,
};

/// ₂F₁ by brute-force summation of its power series (no transformation).
fn naive_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for n in 0..5_000_000 {
        let n = n as f64;
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-17 * sum.abs() && n > 10.0 {
            break;
        }
    }
    sum
}

/// The silhouette of each point computed cluster list by cluster list.
fn naive_silhouette(points: &[Vec<f64>], labels: &[usize]) -> Vec<f64> {
    let dist = |a: &[f64], b: &[f64]| -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let mut clusters: Vec<usize> = labels.to_vec();
    clusters.sort_unstable();
    clusters.dedup();
    (0..points.len())
        .map(|i| {
            let members = |c: usize| -> Vec<usize> {
                (0..points.len())
                    .filter(|&j| labels[j] == c && j != i)
                    .collect()
            };
            let own = members(labels[i]);
            if own.is_empty() {
                return 0.0;
            }
            let a = own
                .iter()
                .map(|&j| dist(&points[i], &points[j]))
                .sum::<f64>()
                / own.len() as f64;
            let b = clusters
                .iter()
                .filter(|&&c| c != labels[i])
                .map(|&c| {
                    let m = members(c);
                    m.iter().map(|&j| dist(&points[i], &points[j])).sum::<f64>() / m.len() as f64
                })
                .fold(f64::INFINITY, f64::min);
            (b - a) / a.max(b)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn quintile_scores_are_monotone_tied_and_balanced(values in prop::collection::vec(0u8..40, 1..60)) {
        let v: Vec<f64> = values.iter().map(|&x| f64::from(x)).collect();
        let s = quintile_scores(&v);
        for i in 0..v.len() {
            prop_assert!((1..=5).contains(&s[i]));
            for j in 0..v.len() {
                if v[i] < v[j] { prop_assert!(s[i] <= s[j]); }
                if v[i] == v[j] { prop_assert_eq!(s[i], s[j]); }
            }
        }
        // Distinct values: the five groups differ in size by at most one.
        let mut distinct = v.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let ds = quintile_scores(&distinct);
        if distinct.len() >= 5 {
            let counts: Vec<usize> = (1..=5u8).map(|k| ds.iter().filter(|&&x| x == k).count()).collect();
            prop_assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "{:?}", counts);
        }
    }

    #[test]
    fn holm_lies_between_raw_and_bonferroni(p in prop::collection::vec(0.0f64..=1.0, 0..20)) {
        let h = holm(&p).unwrap();
        let b = bonferroni(&p).unwrap();
        for i in 0..p.len() {
            prop_assert!(h[i] >= p[i] - 1e-15 && h[i] <= b[i] + 1e-15);
            for j in 0..p.len() {
                if p[i] < p[j] { prop_assert!(h[i] <= h[j]); }
            }
        }
    }

    #[test]
    fn kmeans_labels_are_nearest_and_inertia_is_their_sum(
        raw in prop::collection::vec((-50.0f64..50.0, -50.0f64..50.0), 3..40),
        k in 1usize..5,
        seed in 0u64..1000,
    ) {
        let points: Vec<Vec<f64>> = raw.iter().map(|&(x, y)| vec![x, y]).collect();
        let k = k.min(points.len());
        let fit = KMeans::new(k).with_n_init(2).with_seed(seed).fit(&points).unwrap();
        prop_assert_eq!(fit.predict(&points).unwrap(), fit.labels.clone());
        let inertia: f64 = points.iter().zip(&fit.labels)
            .map(|(p, &l)| (p[0] - fit.centroids[l][0]).powi(2) + (p[1] - fit.centroids[l][1]).powi(2))
            .sum();
        prop_assert!((inertia - fit.inertia).abs() <= 1e-9 * inertia.max(1.0));
        // No worse than one cluster at the mean.
        let n = points.len() as f64;
        let (mx, my) = (points.iter().map(|p| p[0]).sum::<f64>() / n, points.iter().map(|p| p[1]).sum::<f64>() / n);
        let total: f64 = points.iter().map(|p| (p[0] - mx).powi(2) + (p[1] - my).powi(2)).sum();
        prop_assert!(fit.inertia <= total * (1.0 + 1e-12));
        prop_assert_eq!(fit.cluster_sizes.iter().sum::<usize>(), points.len());
    }

    #[test]
    fn silhouette_matches_naive(
        raw in prop::collection::vec((-5.0f64..5.0, -5.0f64..5.0, 0usize..4), 4..30),
    ) {
        let points: Vec<Vec<f64>> = raw.iter().map(|&(x, y, _)| vec![x, y]).collect();
        let labels: Vec<usize> = raw.iter().map(|r| r.2).collect();
        let mut distinct = labels.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assume!(distinct.len() >= 2 && distinct.len() < points.len());
        let got = silhouette_samples(&points, &labels).unwrap();
        let want = naive_silhouette(&points, &labels);
        for (g, w) in got.iter().zip(&want) {
            prop_assert!((g - w).abs() < 1e-12 && (-1.0..=1.0).contains(g), "{} vs {}", g, w);
        }
    }

    #[test]
    fn hyp2f1_transformations_match_the_plain_series(
        a in 0.05f64..3.0, b in -0.9f64..3.0, c in 0.3f64..6.0, z in 0.76f64..0.95,
    ) {
        // The plain series converges for |z| < 1; compare the 1 − z connection branch with it.
        let want = naive_hyp2f1(a, b, c, z);
        let got = hyp2f1(a, b, c, z).unwrap();
        prop_assert!((got - want).abs() <= 1e-9 * want.abs().max(1e-3), "{} vs {}", got, want);
        // And the Pfaff branch for negative z.
        let want = naive_hyp2f1(a, b, c, -z);
        let got = hyp2f1(a, b, c, -z).unwrap();
        prop_assert!((got - want).abs() <= 1e-9 * want.abs().max(1e-3), "{} vs {}", got, want);
    }

    #[test]
    fn distribution_functions_are_consistent(x in -8.0f64..8.0, df in 0.5f64..200.0) {
        // Round trip in the lower tail, where p keeps its relative precision.
        let lower = -x.abs();
        let p = normal_cdf(lower);
        prop_assert!((normal_quantile(p).unwrap() - lower).abs() < 1e-12 * lower.abs().max(1.0));
        let s = student_t_cdf(x, df).unwrap() + student_t_sf(x, df).unwrap();
        prop_assert!((s - 1.0).abs() < 1e-13);
        let y = x.abs() * 5.0;
        let s = chi_square_cdf(y, df).unwrap() + chi_square_sf(y, df).unwrap();
        prop_assert!((s - 1.0).abs() < 1e-13);
    }

    #[test]
    fn bgnbd_expectations_grow_with_the_horizon(
        r in 0.1f64..3.0, alpha in 0.5f64..20.0, a in 0.2f64..3.0, b in 0.5f64..6.0,
        x in 0u64..20, t_frac in 0.0f64..1.0, age in 1.0f64..60.0, t in 0.5f64..100.0,
    ) {
        let m = BgNbd::new(r, alpha, a, b).unwrap();
        let t_x = if x == 0 { 0.0 } else { age * t_frac };
        let c = CustomerSummary::new("c", x, t_x, age);
        let e1 = m.conditional_expected_purchases(t, &c).unwrap();
        let e2 = m.conditional_expected_purchases(1.5 * t, &c).unwrap();
        prop_assert!(e1 > 0.0 && e2 > e1, "{} {}", e1, e2);
        let alive = m.probability_alive(&c).unwrap();
        prop_assert!(alive > 0.0 && alive <= 1.0);
        // Never more than a customer alive for sure, buying at the posterior mean rate.
        let rate_bound = (r + x as f64) / (alpha + age);
        prop_assert!(e1 <= rate_bound * t * (1.0 + 1e-9), "{} > {}", e1, rate_bound * t);
    }
}
