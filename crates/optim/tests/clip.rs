//! Gradient clipping against PyTorch (`fixtures/optim.py` → `fixtures/clip.json`) and against
//! a naive reference over random gradients.

mod common;

use common::{close, dims, num, nums};
use proptest::prelude::*;
use serde_json::Value;
use youshi_autograd::Param;
use youshi_optim::{clip_grad_norm, clip_grad_value, grad_norm, ClipGradNorm};
use youshi_tensor::Tensor;

const FIXTURE: &str = include_str!("fixtures/clip.json");

/// Parameters of the given shapes holding the given gradients (or none).
fn with_grads(shapes: &[Vec<usize>], grads: &[Option<Vec<f64>>]) -> Vec<Param<f64>> {
    shapes
        .iter()
        .zip(grads)
        .map(|(s, g)| {
            let p = Param::new(Tensor::zeros(s.clone()));
            p.set_grad(g.clone().map(|g| Tensor::from_vec(g, s.clone()).unwrap()))
                .unwrap();
            p
        })
        .collect()
}

fn optional_nums(v: &Value) -> Vec<Option<Vec<f64>>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|g| (!g.is_null()).then(|| nums(g)))
        .collect()
}

fn check_clipped(what: &str, params: &[Param<f64>], want: &Value, rtol: f64) {
    for (i, (p, w)) in params.iter().zip(want.as_array().unwrap()).enumerate() {
        match (p.grad(), w.is_null()) {
            (None, true) => {}
            (Some(g), false) => close(
                &format!("{what}: gradient {i}"),
                &g.to_vec(),
                &nums(w),
                rtol,
                0.0,
            ),
            (g, _) => panic!("{what}: gradient {i} is {g:?}, PyTorch's {w}"),
        }
    }
}

#[test]
fn clip_grad_norm_matches_pytorch() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let shapes: Vec<Vec<usize>> = v["shapes"].as_array().unwrap().iter().map(dims).collect();
    let grads = optional_nums(&v["grads"]);
    for case in v["norm"].as_array().unwrap() {
        let (max_norm, norm_type) = (num(&case["max_norm"]), num(&case["norm_type"]));
        let what = format!("max_norm {max_norm}, norm_type {norm_type}");
        let params = with_grads(&shapes, &grads);
        let before = grad_norm(&params, norm_type).unwrap();
        let total = clip_grad_norm(&params, max_norm, norm_type).unwrap();
        assert_eq!(
            before, total,
            "{what}: clipping returns the norm before clipping"
        );
        close(&what, &[total], &[num(&case["total_norm"])], 1e-13, 0.0);
        check_clipped(&what, &params, &case["clipped"], 1e-13);
    }
}

#[test]
fn nonfinite_norms_scale_as_pytorch_does() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let grads: Vec<Option<Vec<f64>>> = v["nonfinite_grads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| Some(nums(g)))
        .collect();
    let shapes: Vec<Vec<usize>> = grads
        .iter()
        .map(|g| vec![g.as_ref().unwrap().len()])
        .collect();
    for case in v["nonfinite"].as_array().unwrap() {
        let norm_type = num(&case["norm_type"]);
        let what = format!("non-finite, norm_type {norm_type}");
        let params = with_grads(&shapes, &grads);
        let e = ClipGradNorm::new(num(&case["max_norm"]))
            .norm_type(norm_type)
            .error_if_nonfinite(true)
            .apply(&params)
            .unwrap_err();
        assert!(e.to_string().contains("is inf"), "{what}: {e}");
        let total = ClipGradNorm::new(num(&case["max_norm"]))
            .norm_type(norm_type)
            .apply(&params)
            .unwrap();
        close(&what, &[total], &[num(&case["total_norm"])], 0.0, 0.0);
        check_clipped(&what, &params, &case["clipped"], 0.0);
    }
}

#[test]
fn clip_grad_value_matches_pytorch() {
    let v: Value = serde_json::from_str(FIXTURE).unwrap();
    let shapes: Vec<Vec<usize>> = v["shapes"].as_array().unwrap().iter().map(dims).collect();
    let grads = optional_nums(&v["grads"]);
    for case in v["value"].as_array().unwrap() {
        let c = num(&case["clip_value"]);
        let params = with_grads(&shapes, &grads);
        clip_grad_value(&params, c).unwrap();
        check_clipped(&format!("clip_value {c}"), &params, &case["clipped"], 0.0);
    }
}

#[test]
fn clipping_works_on_f32_gradients() {
    let p = Param::new(Tensor::<f32>::zeros([2]));
    p.set_grad(Some(Tensor::from_vec(vec![3.0, 4.0], [2]).unwrap()))
        .unwrap();
    let total = clip_grad_norm(std::slice::from_ref(&p), 1.0, 2.0).unwrap();
    assert_eq!(total, 5.0);
    let g = p.grad().unwrap().to_vec();
    assert!(
        (g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6,
        "{g:?}"
    );
    clip_grad_value(std::slice::from_ref(&p), 0.7).unwrap();
    assert_eq!(p.grad().unwrap().to_vec()[1], 0.7);
}

/// The norm of all gradient elements at once (not per tensor first), the naive reference.
fn naive_norm(grads: &[Vec<f64>], p: f64) -> f64 {
    let all = grads.iter().flatten().map(|x| x.abs());
    if p.is_infinite() {
        all.fold(0.0, f64::max)
    } else {
        all.map(|x| x.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn clip_grad_norm_matches_a_naive_reference(
        sizes in prop::collection::vec(0usize..7, 1..5),
        seed in 0u64..1000,
        max_norm in 0.0f64..3.0,
        p in prop::sample::select(vec![1.0, 2.0, 3.0, 0.5, f64::INFINITY]),
    ) {
        let grads: Vec<Vec<f64>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| youshi_testkit::uniform_vec(n, seed * 31 + i as u64))
            .collect();
        let shapes: Vec<Vec<usize>> = sizes.iter().map(|&n| vec![n]).collect();
        let params = with_grads(&shapes, &grads.iter().cloned().map(Some).collect::<Vec<_>>());
        let total = clip_grad_norm(&params, max_norm, p).unwrap();
        let want = naive_norm(&grads, p);
        prop_assert!((total - want).abs() <= 1e-12 * want.max(1.0), "seed {seed}: total {total}, naive {want}");
        let coef = (max_norm / (want + 1e-6)).min(1.0);
        for (param, g) in params.iter().zip(&grads) {
            let got = param.grad().unwrap().to_vec();
            for (a, b) in got.iter().zip(g) {
                prop_assert!((a - b * coef).abs() <= 1e-12, "seed {seed}: {a} vs {}", b * coef);
            }
        }
        // After clipping, the norm is at most max_norm (up to the 1e-6 guard and rounding).
        let after = grad_norm(&params, p).unwrap();
        prop_assert!(after <= max_norm + 1e-9, "seed {seed}: {after} > {max_norm}");
    }

    #[test]
    fn clip_grad_value_bounds_every_element(
        n in 0usize..20,
        seed in 0u64..1000,
        c in 0.0f64..1.0,
    ) {
        let g = youshi_testkit::uniform_vec(n, seed);
        let params = with_grads(&[vec![n]], &[Some(g.clone())]);
        clip_grad_value(&params, c).unwrap();
        let got = params[0].grad().unwrap().to_vec();
        for (a, b) in got.iter().zip(&g) {
            prop_assert_eq!(*a, b.clamp(-c, c));
        }
    }
}
