//! Shared helpers of the integration tests: reading the PyTorch fixtures and comparing.

#![allow(dead_code)]

pub mod optim;
pub mod sched;

use serde_json::Value;
use youshi_autograd::Param;
use youshi_tensor::Tensor;

/// A fixture number: a JSON number, or a string holding a float's exact decimal form (or
/// "nan" / "inf" / "-inf").
pub fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("a float"),
        // Rust's parser rounds correctly, so the fixture's decimal strings give back
        // PyTorch's exact bits ("nan", "inf" and "-inf" included).
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        other => panic!("not a number: {other}"),
    }
}

/// A list of fixture numbers.
pub fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(num).collect()
}

/// A list of sizes.
pub fn dims(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|d| d.as_u64().expect("a size") as usize)
        .collect()
}

/// A tensor from a shape and row-major values.
pub fn tensor(shape: &[usize], data: Vec<f64>) -> Tensor<f64> {
    Tensor::from_vec(data, shape.to_vec()).expect("fixture data fits its shape")
}

/// `|a - b| <= rtol * |b| + atol` elementwise, with both NaN counting as equal; the message
/// names `what` and the worst element.
pub fn close(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        if a.is_nan() && b.is_nan() {
            continue;
        }
        if a == b {
            continue;
        }
        assert!(
            (a - b).abs() <= atol + rtol * b.abs(),
            "{what}: element {i}: got {a:e}, PyTorch {b:e} (rtol {rtol:e}, atol {atol:e})"
        );
    }
}

/// The largest relative difference `|a - b| / max(|b|, tiny)` over the elements.
pub fn max_rel(got: &[f64], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .filter(|(a, b)| !(a.is_nan() && b.is_nan()) && a != b)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1e-300))
        .fold(0.0, f64::max)
}

/// Fresh parameters holding copies of `values`.
pub fn params_from(values: &[Tensor<f64>]) -> Vec<Param<f64>> {
    values
        .iter()
        .map(|v| Param::new(Tensor::from_vec(v.to_vec(), v.shape().to_vec()).unwrap()))
        .collect()
}
