//! Tests of the A/B-test functions against SciPy, R and hand-computed values.

use super::*;
use serde::Deserialize;

/// Reference values written by `tests/fixtures/abtest.py` with SciPy.
#[derive(Deserialize)]
struct Fixture {
    z_tests: Vec<ZCase>,
    welch: Vec<WelchCase>,
    chi2: Vec<ChiCase>,
    power: Vec<[f64; 5]>,
}
#[derive(Deserialize)]
struct ZCase {
    xa: u64,
    na: u64,
    xb: u64,
    nb: u64,
    z: f64,
    p_two: f64,
    p_greater: f64,
    p_less: f64,
    ci_low: f64,
    ci_high: f64,
    prop_test_chi2: f64,
}
#[derive(Deserialize)]
struct WelchCase {
    a: Vec<f64>,
    b: Vec<f64>,
    t: f64,
    df: f64,
    p_two: f64,
    p_greater: f64,
    ci_low: f64,
    ci_high: f64,
}
#[derive(Deserialize)]
struct ChiCase {
    variants: Vec<(u64, u64)>,
    statistic: f64,
    df: u64,
    p_value: f64,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("../../tests/fixtures/abtest.json")).unwrap()
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-300),
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn z_test_hand_computed_example() {
    // 200/2000 vs 240/2000: pooled p = 0.11, SE = sqrt(0.11 * 0.89 * 2 / 2000) = 0.0098944,
    // z = 0.02 / SE = 2.02133; two-sided p = 2 (1 - Phi(2.02133)) = 0.043245.
    let t = two_proportion_z_test(200, 2000, 240, 2000, 0.95).unwrap();
    close(t.pooled_rate, 0.11, 1e-15, "pooled");
    close(
        t.standard_error_pooled,
        (0.11f64 * 0.89 / 1000.0).sqrt(),
        1e-14,
        "se",
    );
    close(t.z, 0.02 / (0.11f64 * 0.89 / 1000.0).sqrt(), 1e-12, "z");
    close(t.p_value_two_sided, 0.043_245, 1e-4, "p");
    close(t.relative_lift.unwrap(), 0.2, 1e-12, "lift");
}

#[test]
fn z_test_matches_scipy_and_prop_test() {
    for c in fixture().z_tests {
        let t = two_proportion_z_test(c.xa, c.na, c.xb, c.nb, 0.95).unwrap();
        let what = format!("{}/{} vs {}/{}", c.xa, c.na, c.xb, c.nb);
        close(t.z, c.z, 1e-12, &what);
        close(t.p_value_two_sided, c.p_two, 1e-10, &what);
        close(t.p_value_greater, c.p_greater, 1e-10, &what);
        close(t.p_value_less, c.p_less, 1e-10, &what);
        close(t.ci_low, c.ci_low, 1e-10, &what);
        close(t.ci_high, c.ci_high, 1e-10, &what);
        close(t.z * t.z, c.prop_test_chi2, 1e-10, &what);
    }
}

#[test]
fn sample_size_matches_r_power_prop_test() {
    // R: power.prop.test(p1 = 0.10, p2 = 0.12, sig.level = 0.05, power = 0.8)
    // n = 3840.847 per group.
    let s = sample_size_two_proportions(0.10, 0.02, 0.05, 0.8, Sides::Two).unwrap();
    assert!((s.n_per_group - 3840.847).abs() < 5e-4, "{}", s.n_per_group);
    assert_eq!(s.n_per_group_rounded, 3841);
    // The same rates in the other direction need the same n.
    let back = sample_size_two_proportions(0.12, -0.02, 0.05, 0.8, Sides::Two).unwrap();
    close(back.n_per_group, s.n_per_group, 1e-12, "symmetric");
    // The power at that n is the power asked for, and the MDE at that n is the effect.
    let pw = power_two_proportions(0.10, 0.12, s.n_per_group, 0.05, Sides::Two).unwrap();
    close(pw, 0.8, 1e-12, "power");
    let mde = minimum_detectable_effect(0.10, s.n_per_group, 0.05, 0.8, Sides::Two).unwrap();
    close(mde, 0.02, 1e-9, "mde");
    let one = sample_size_two_proportions(0.10, 0.02, 0.05, 0.8, Sides::One).unwrap();
    assert!(one.n_per_group < s.n_per_group);
}

#[test]
fn power_matches_scipy_closed_form() {
    for [p1, p2, n, alpha, want] in fixture().power {
        let got = power_two_proportions(p1, p2, n, alpha, Sides::Two).unwrap();
        close(got, want, 1e-12, &format!("power({p1}, {p2}, {n})"));
    }
}

#[test]
fn welch_matches_scipy() {
    for c in fixture().welch {
        let t = welch_t_test(&c.a, &c.b, 0.95).unwrap();
        close(t.t, c.t, 1e-12, "t");
        close(t.df, c.df, 1e-12, "df");
        close(t.p_value_two_sided, c.p_two, 1e-10, "p two-sided");
        close(t.p_value_greater, c.p_greater, 1e-10, "p greater");
        close(t.p_value_less, 1.0 - c.p_greater, 1e-10, "p less");
        close(t.ci_low, c.ci_low, 1e-9, "ci low");
        close(t.ci_high, c.ci_high, 1e-9, "ci high");
    }
}

#[test]
fn chi_square_matches_scipy() {
    for c in fixture().chi2 {
        let t = chi_square_test(&c.variants).unwrap();
        close(t.statistic, c.statistic, 1e-12, "statistic");
        assert_eq!(t.df, c.df);
        close(t.p_value, c.p_value, 1e-10, "p");
    }
    // Two variants: the chi-square statistic is the square of the pooled z.
    let z = two_proportion_z_test(30, 400, 52, 410, 0.95).unwrap().z;
    let c = chi_square_test(&[(30, 400), (52, 410)]).unwrap();
    close(c.statistic, z * z, 1e-12, "z^2");
    close(c.expected[0][0], 400.0 * 82.0 / 810.0, 1e-12, "expected");
}

#[test]
fn corrections_match_r_p_adjust() {
    // R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") = 0.05 0.08 0.09 0.09 0.09;
    // "bonferroni" = 0.05 0.10 0.15 0.20 0.25.
    let p = [0.01, 0.02, 0.03, 0.04, 0.05];
    let h = holm(&p).unwrap();
    for (g, w) in h.iter().zip([0.05, 0.08, 0.09, 0.09, 0.09]) {
        close(*g, w, 1e-12, "holm");
    }
    let b = bonferroni(&p).unwrap();
    for (g, w) in b.iter().zip([0.05, 0.10, 0.15, 0.20, 0.25]) {
        close(*g, w, 1e-12, "bonferroni");
    }
    // Unsorted input keeps its order; values cap at 1.
    let h = holm(&[0.5, 0.001, 0.9]).unwrap();
    for (g, w) in h.iter().zip([1.0, 0.003, 1.0]) {
        close(*g, w, 1e-12, "holm unsorted");
    }
    let b = bonferroni(&[0.5, 0.001]).unwrap();
    for (g, w) in b.iter().zip([1.0, 0.002]) {
        close(*g, w, 1e-12, "bonferroni cap");
    }
    assert!(holm(&[]).unwrap().is_empty());
}

#[test]
fn impossible_inputs_are_typed_errors() {
    let msg = |r: Result<ProportionTest>| r.unwrap_err().to_string();
    let e = msg(two_proportion_z_test(1, 0, 1, 10, 0.95));
    assert!(e.contains("group A has n = 0"), "{e}");
    let e = msg(two_proportion_z_test(1, 10, 11, 10, 0.95));
    assert!(
        e.contains("group B has 11 conversions but only 10 users"),
        "{e}"
    );
    let e = msg(two_proportion_z_test(1, 10, 1, 10, 1.0));
    assert!(e.contains("confidence level 1"), "{e}");
    let e = msg(two_proportion_z_test(0, 10, 0, 10, 0.95));
    assert!(e.contains("pooled conversion rate is 0"), "{e}");

    let e = sample_size_two_proportions(0.1, 0.0, 0.05, 0.8, Sides::Two)
        .unwrap_err()
        .to_string();
    assert!(e.contains("minimum detectable effect 0"), "{e}");
    let e = sample_size_two_proportions(0.95, 0.1, 0.05, 0.8, Sides::Two)
        .unwrap_err()
        .to_string();
    assert!(e.contains("target rate") && e.contains("1.05"), "{e}");
    let e = sample_size_two_proportions(0.1, 0.02, 0.0, 0.8, Sides::Two)
        .unwrap_err()
        .to_string();
    assert!(e.contains("alpha = 0"), "{e}");
    let e = sample_size_two_proportions(0.1, 0.02, 0.05, 1.2, Sides::Two)
        .unwrap_err()
        .to_string();
    assert!(e.contains("power 1.2"), "{e}");
    let e = power_two_proportions(0.1, 0.2, 0.0, 0.05, Sides::Two)
        .unwrap_err()
        .to_string();
    assert!(e.contains("n = 0"), "{e}");
    let e = minimum_detectable_effect(0.1, 2.0, 0.05, 0.999_999, Sides::Two)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot reach power"), "{e}");

    let e = welch_t_test(&[1.0], &[1.0, 2.0], 0.95)
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least 2 observations, got 1"), "{e}");
    let e = welch_t_test(&[1.0, 1.0], &[2.0, 2.0], 0.95)
        .unwrap_err()
        .to_string();
    assert!(e.contains("zero variance"), "{e}");
    let e = welch_t_test(&[1.0, f64::NAN], &[2.0, 2.0], 0.95)
        .unwrap_err()
        .to_string();
    assert!(e.contains("observation 1 is NaN"), "{e}");

    let e = chi_square_test(&[(1, 10)]).unwrap_err().to_string();
    assert!(e.contains("at least 2 variants, got 1"), "{e}");
    let e = chi_square_test(&[(1, 10), (3, 2)]).unwrap_err().to_string();
    assert!(
        e.contains("group 1 has 3 conversions but only 2 users"),
        "{e}"
    );
    let e = chi_square_test(&[(0, 10), (0, 20)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not vary"), "{e}");
    let e = chi_square_independence(&[vec![1.0, 2.0], vec![3.0]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1 has 1 columns"), "{e}");
    let e = chi_square_independence(&[vec![1.0, 2.0], vec![0.0, 0.0]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1 sums to 0"), "{e}");
    let e = chi_square_independence(&[vec![1.0, -2.0], vec![1.0, 1.0]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 0, column 1 is -2"), "{e}");

    let e = holm(&[0.1, 1.5]).unwrap_err().to_string();
    assert!(e.contains("Holm") && e.contains("p-value 1 is 1.5"), "{e}");
    assert!(bonferroni(&[f64::NAN]).is_err());
}

#[test]
fn results_serialise_to_json() {
    let t = two_proportion_z_test(10, 100, 20, 100, 0.9).unwrap();
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains("\"p_value_two_sided\""), "{json}");
    let back: ProportionTest = serde_json::from_str(&json).unwrap();
    assert_eq!(back.users_b, 100);
    close(
        back.p_value_two_sided,
        t.p_value_two_sided,
        1e-15,
        "round trip",
    );
    let s = sample_size_two_proportions(0.1, 0.02, 0.05, 0.8, Sides::One).unwrap();
    assert!(serde_json::to_string(&s)
        .unwrap()
        .contains("\"sides\":\"one\""));
}
