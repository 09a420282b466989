//! Gradient checks of the elementwise ops (arithmetic with broadcasting, scalar forms,
//! `where_cond`, `clamp`, unary maths, activations, `mul_mask` and `dropout`) against central
//! finite differences, with proptest-chosen broadcast shapes, layouts and hyper-parameters;
//! plus gradient accumulation through reused values, error propagation, no recording of
//! constant-only computations and dropout statistics.
//!
//! Inputs are built away from kinks rather than loosening tolerances: positive bases for
//! `log`, `sqrt` and `pow`, values bounded away from 0 for `relu`, `abs`, `recip` and `div`,
//! values on interleaved grids for `maximum`/`minimum` (no ties), and values bounded away from
//! the bounds for `clamp` and from the threshold for `softplus`.

use proptest::prelude::*;
use youshi_autograd::{gradcheck, AutogradError, GradcheckOptions, Graph, Result, Var};
use youshi_tensor::{seeded_rng, Tensor};
use youshi_testkit::{assert_close, uniform_vec};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Seeded values of `shape`, each `u` in [-1, 1) mapped through `f`.
fn data_with(shape: &[usize], seed: u64, f: impl Fn(f64) -> f64) -> Tensor<f64> {
    let v = uniform_vec(numel(shape), seed).into_iter().map(f).collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// Seeded values in [-1, 1).
fn data(shape: &[usize], seed: u64) -> Tensor<f64> {
    data_with(shape, seed, |u| u)
}

/// Seeded values in [0.5, 2): positive and well inside the domain of `log`, `sqrt`, `pow`.
fn positive(shape: &[usize], seed: u64) -> Tensor<f64> {
    data_with(shape, seed, |u| 1.25 + 0.75 * u)
}

/// Seeded values with `0.2 <= |x| < 1.2`, both signs: away from the kink of `relu`/`abs` and
/// the pole of `recip`/`div`.
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor<f64> {
    data_with(shape, seed, |u| u.signum() * (0.2 + u.abs()))
}

/// Seeded values on the grid `(2k + odd) * 0.05`, `k` in -10..10: two tensors with different
/// `odd` (0 or 1) differ by at least 0.05 everywhere, so `maximum`/`minimum` have no ties.
fn grid(shape: &[usize], seed: u64, odd: bool) -> Tensor<f64> {
    data_with(shape, seed, |u| {
        let k = (u * 10.0).floor();
        (2.0 * k + f64::from(u8::from(odd))) * 0.05
    })
}

/// The stored leaf for an input of logical `shape`: with the axes reversed when `strided`, so
/// that [`view`] hands the op a transposed (non-contiguous) value.
fn stored(t: Tensor<f64>, strided: bool) -> Tensor<f64> {
    if strided {
        let perm: Vec<isize> = (0..t.ndim() as isize).rev().collect();
        t.permute(&perm).unwrap().contiguous()
    } else {
        t
    }
}

/// The op's input: the leaf itself, or its axes reversed back (a strided view of the logical
/// value).
fn view(x: &Var<f64>, strided: bool) -> Result<Var<f64>> {
    if strided {
        let perm: Vec<isize> = (0..x.shape().len() as isize).rev().collect();
        x.permute(&perm)
    } else {
        Ok(x.clone())
    }
}

/// Runs [`gradcheck`] with the default step and tolerances, as a proptest failure.
fn check<F>(f: F, inputs: &[Tensor<f64>]) -> std::result::Result<(), TestCaseError>
where
    F: Fn(&[Var<f64>]) -> Result<Var<f64>>,
{
    gradcheck(|_g, x| f(x), inputs, GradcheckOptions::default())
        .map(|_| ())
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

/// A shape that broadcasts to `out`: `drop` leading dimensions removed and the dimensions
/// flagged in `ones` set to 1.
fn operand_shape(out: &[usize], drop: usize, ones: &[bool]) -> Vec<usize> {
    let drop = drop.min(out.len());
    (drop..out.len())
        .map(|d| if ones[d] { 1 } else { out[d] })
        .collect()
}

/// An output shape of rank 0..=3 and `n` operand shapes broadcasting to it (e.g. `[3, 1, 4]`
/// with `[2, 4]`, or `[]` with `[2, 3]`).
fn broadcast_shapes(n: usize) -> BoxedStrategy<(Vec<usize>, Vec<Vec<usize>>)> {
    (
        prop::collection::vec(1usize..=4, 0..=3),
        prop::collection::vec((0usize..=3, prop::collection::vec(any::<bool>(), 3)), n),
    )
        .prop_map(|(out, ops)| {
            let shapes = ops
                .iter()
                .map(|(drop, ones)| operand_shape(&out, *drop, ones))
                .collect();
            (out, shapes)
        })
        .boxed()
}

fn shape_strategy() -> BoxedStrategy<Vec<usize>> {
    prop::collection::vec(1usize..=4, 0..=3).boxed()
}

/// A binary op under test.
type Binary = fn(&Var<f64>, &Var<f64>) -> Result<Var<f64>>;

/// Every broadcasting binary op, with its input generator for each side.
fn binary_ops() -> Vec<(&'static str, Binary)> {
    vec![
        ("add", Var::add),
        ("sub", Var::sub),
        ("mul", Var::mul),
        ("div", Var::div),
        ("pow", Var::pow),
        ("maximum", Var::maximum),
        ("minimum", Var::minimum),
    ]
}

/// Inputs for `op` of the given shapes, away from its kinks and poles.
fn binary_inputs(op: &str, sa: &[usize], sb: &[usize], seed: u64) -> (Tensor<f64>, Tensor<f64>) {
    match op {
        "div" => (data(sa, seed), away_from_zero(sb, seed + 1)),
        // A positive base, any exponent in [-2, 2).
        "pow" => (positive(sa, seed), data_with(sb, seed + 1, |u| 2.0 * u)),
        // Disjoint grids, either operand on the odd one.
        "maximum" | "minimum" => {
            let odd = seed % 2 == 0;
            (grid(sa, seed, odd), grid(sb, seed + 1, !odd))
        }
        _ => (data(sa, seed), data(sb, seed + 1)),
    }
}

// ---------------------------------------------------------------------------------------------
// Gradient checks
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(28))]

    #[test]
    fn binary_ops_gradcheck_with_broadcasting(
        (_out, shapes) in broadcast_shapes(2),
        strided in (any::<bool>(), any::<bool>()),
        swap in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let (sa, sb) = if swap { (&shapes[1], &shapes[0]) } else { (&shapes[0], &shapes[1]) };
        for (name, op) in binary_ops() {
            let (a, b) = binary_inputs(name, sa, sb, seed);
            check(
                |x| op(&view(&x[0], strided.0)?, &view(&x[1], strided.1)?),
                &[stored(a, strided.0), stored(b, strided.1)],
            )
            .map_err(|e| TestCaseError::fail(format!("{name} {sa:?} with {sb:?}: {e}")))?;
        }
    }

    #[test]
    fn where_cond_gradcheck_three_way_broadcast(
        (_out, shapes) in broadcast_shapes(3),
        fill in prop::sample::select(vec![1.0, -3.5, f64::NAN]),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        // A condition of 0 and `fill` (non-zero, NaN included: both count as true).
        let cond = data_with(&shapes[0], seed + 2, |u| if u < 0.0 { 0.0 } else { fill });
        check(
            |x| Var::where_cond(&cond, &view(&x[0], strided)?, &view(&x[1], strided)?),
            &[
                stored(data(&shapes[1], seed), strided),
                stored(data(&shapes[2], seed + 1), strided),
            ],
        )?;
    }

    #[test]
    fn clamp_gradcheck_away_from_bounds(
        shape in shape_strategy(),
        lo in prop::option::of(-0.6f64..-0.1),
        hi in prop::option::of(0.1f64..0.6),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        prop_assume!(lo.is_some() || hi.is_some());
        let near = |v: f64, b: Option<f64>| b.is_some_and(|b| (v - b).abs() < 0.02);
        // Values within 0.02 of a bound move 0.05 up: the bounds are 0.2 apart.
        let x = data_with(&shape, seed, |u| if near(u, lo) || near(u, hi) { u + 0.05 } else { u });
        check(|v| view(&v[0], strided)?.clamp(lo, hi), &[stored(x, strided)])?;
    }

    #[test]
    fn scalar_forms_gradcheck(
        shape in shape_strategy(),
        v in -2.0f64..2.0,
        e in prop::sample::select(vec![0.0, 1.0, 2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 1.7, -1.3]),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let x = stored(data(&shape, seed), strided);
        let d = if v.abs() < 0.25 { v + 0.5 } else { v }; // a divisor away from 0
        check(|x| view(&x[0], strided)?.add_scalar(v), std::slice::from_ref(&x))?;
        check(|x| view(&x[0], strided)?.sub_scalar(v), std::slice::from_ref(&x))?;
        check(|x| view(&x[0], strided)?.rsub_scalar(v), std::slice::from_ref(&x))?;
        check(|x| view(&x[0], strided)?.mul_scalar(v), std::slice::from_ref(&x))?;
        check(|x| view(&x[0], strided)?.div_scalar(d), std::slice::from_ref(&x))?;
        check(|x| view(&x[0], strided)?.neg(), std::slice::from_ref(&x))?;
        check(
            |x| view(&x[0], strided)?.pow_scalar(e),
            &[stored(positive(&shape, seed), strided)],
        )
        .map_err(|err| TestCaseError::fail(format!("pow_scalar({e}): {err}")))?;
    }

    #[test]
    fn unary_maths_gradcheck(
        shape in shape_strategy(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        type Unary = fn(&Var<f64>) -> Result<Var<f64>>;
        let anywhere: [(&str, Unary); 7] = [
            ("exp", Var::exp),
            ("expm1", Var::expm1),
            ("sin", Var::sin),
            ("cos", Var::cos),
            ("tanh", Var::tanh),
            ("sigmoid", Var::sigmoid),
            ("square", Var::square),
        ];
        let on_positive: [(&str, Unary); 4] = [
            ("log", Var::log),
            ("log1p", Var::log1p),
            ("sqrt", Var::sqrt),
            ("rsqrt", Var::rsqrt),
        ];
        let off_zero: [(&str, Unary); 3] = [
            ("recip", Var::recip),
            ("abs", Var::abs),
            ("relu", Var::relu),
        ];
        let x = data_with(&shape, seed, |u| 2.0 * u);
        let p = positive(&shape, seed);
        let z = away_from_zero(&shape, seed);
        let groups = [(&anywhere[..], &x), (&on_positive[..], &p), (&off_zero[..], &z)];
        for (ops, input) in groups {
            for (name, op) in ops {
                check(|v| op(&view(&v[0], strided)?), &[stored(input.clone(), strided)])
                    .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            }
        }
        // log1p near its pole's other side: x in (-1, 0).
        check(
            |v| view(&v[0], strided)?.log1p(),
            &[stored(data_with(&shape, seed + 1, |u| -0.45 + 0.4 * u), strided)],
        )?;
    }

    #[test]
    fn activations_gradcheck(
        shape in shape_strategy(),
        slope in -0.5f64..0.5,
        alpha in 0.1f64..2.0,
        beta in 0.5f64..3.0,
        threshold in prop::sample::select(vec![-1.0, 0.5, 2.0, 20.0]),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let x = data_with(&shape, seed, |u| 3.0 * u);
        let z = stored(away_from_zero(&shape, seed), strided);
        let xs = stored(x, strided);
        check(|v| view(&v[0], strided)?.leaky_relu(slope), std::slice::from_ref(&z))?;
        check(|v| view(&v[0], strided)?.elu(alpha), std::slice::from_ref(&z))?;
        check(|v| view(&v[0], strided)?.gelu(), std::slice::from_ref(&xs))?;
        check(|v| view(&v[0], strided)?.gelu_tanh(), std::slice::from_ref(&xs))?;
        check(|v| view(&v[0], strided)?.silu(), std::slice::from_ref(&xs))?;
        // softplus switches to the identity where beta x > threshold (a jump): keep beta x at
        // least 0.05 from the threshold.
        let sp = data_with(&shape, seed + 1, |u| {
            let x = 3.0 * u;
            if (beta * x - threshold).abs() < 0.05 { x + 0.1 / beta } else { x }
        });
        check(
            |v| view(&v[0], strided)?.softplus(beta, threshold),
            &[stored(sp, strided)],
        )?;
    }

    #[test]
    fn mul_mask_and_dropout_gradcheck(
        (_out, shapes) in broadcast_shapes(2),
        p in prop::sample::select(vec![0.0, 0.2, 0.5, 0.8, 1.0]),
        training in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let mask = data(&shapes[1], seed + 1);
        check(
            |x| view(&x[0], strided)?.mul_mask(&mask),
            &[stored(data(&shapes[0], seed), strided)],
        )?;
        // A fresh generator with the same seed per call: every evaluation draws the same mask.
        check(
            |x| view(&x[0], strided)?.dropout(p, training, &mut seeded_rng(seed)),
            &[stored(data(&shapes[0], seed), strided)],
        )?;
    }

    #[test]
    fn reused_value_accumulates_through_every_op(
        shape in prop::collection::vec(1usize..=3, 1..=3),
        seed in 0u64..1000,
    ) {
        // One positive input, away from every kink, feeds every op; the gradient is the sum
        // over all uses (gradcheck compares it with finite differences of the whole).
        let x = positive(&shape, seed);
        let w = positive(&shape, seed + 1).add_scalar(3.0); // > x: no ties with x
        let cond = data_with(&shape, seed + 2, |u| if u < 0.0 { 0.0 } else { 1.0 });
        let mask = data(&shape, seed + 3);
        check(
            |v| {
                let x = &v[0];
                let w = x.constant(w.clone());
                let uses = vec![
                    x.add(x)?,
                    x.sub(&x.mul_scalar(3.0)?)?,
                    x.mul(x)?,
                    x.div(&x.add_scalar(1.0)?)?,
                    x.pow(x)?,
                    x.maximum(&w)?.add(&x.minimum(&w)?)?,
                    Var::where_cond(&cond, x, &x.neg()?)?,
                    x.clamp(Some(0.25), Some(3.0))?.add(&x.clamp(None, Some(0.25))?)?,
                    x.log()?.mul(&x.sqrt()?)?,
                    x.exp()?.add(&x.tanh()?)?,
                    x.relu()?.mul(&x.sigmoid()?)?,
                    x.gelu()?.sub(&x.silu()?)?,
                    x.softplus(1.0, 20.0)?.add(&x.elu(1.0)?)?,
                    x.pow_scalar(1.5)?.rsub_scalar(2.0)?.div_scalar(4.0)?,
                    x.mul_mask(&mask)?,
                    x.dropout(0.5, true, &mut seeded_rng(seed))?,
                ];
                let flat = uses.iter().map(|u| u.reshape(&[-1])).collect::<Result<Vec<_>>>()?;
                Var::concat(&flat.iter().collect::<Vec<_>>(), 0)
            },
            &[x],
        )?;
    }
}

// ---------------------------------------------------------------------------------------------
// Known values, accumulation, errors, recording
// ---------------------------------------------------------------------------------------------

fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn known_forward_values_and_gradients() {
    let g = Graph::<f64>::new();
    let a = g.leaf(t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]));
    let b = g.leaf(t(&[2.0], &[]));
    // y = (a * b - a / b) ^ 2 at a, b scalar 2: (2a - a/2)^2 = 2.25 a^2.
    let y = a
        .mul(&b)
        .unwrap()
        .sub(&a.div(&b).unwrap())
        .unwrap()
        .pow_scalar(2.0)
        .unwrap();
    let want: Vec<f64> = (1..=6).map(|i| 2.25 * (i * i) as f64).collect();
    assert_eq!(y.value().to_vec(), want);
    y.backward_with(&Tensor::ones([2, 3])).unwrap();
    // dy/da = 2 (a b - a / b) (b - 1 / b) = 2 (1.5 a) (1.5) = 4.5 a.
    let da: Vec<f64> = (1..=6).map(|i| 4.5 * i as f64).collect();
    assert_close(&a.grad().unwrap().to_vec(), &da, 1e-14, 0.0).unwrap();
    // dy/db = Σ 2 (a b - a / b) (a + a / b²) = Σ 2 (1.5 a)(1.25 a) = 3.75 Σ a².
    assert_eq!(b.grad().unwrap().shape(), &[] as &[usize]);
    assert_close(&b.grad().unwrap().to_vec(), &[3.75 * 91.0], 1e-14, 0.0).unwrap();
}

#[test]
fn reused_value_gets_the_sum_of_its_gradients() {
    let g = Graph::<f64>::new();
    let x = g.leaf(t(&[3.0, -2.0], &[2]));
    // x * x + x: 2x + 1.
    let y = x.mul(&x).unwrap().add(&x).unwrap();
    y.backward_with(&Tensor::ones([2])).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![7.0, -3.0]);
    // maximum(x, x): a tie everywhere, the two halves add back up to the whole gradient.
    let g = Graph::<f64>::new();
    let x = g.leaf(t(&[3.0, -2.0], &[2]));
    x.maximum(&x)
        .unwrap()
        .backward_with(&t(&[2.0, 5.0], &[2]))
        .unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 5.0]);
    // Accumulation across backward calls through a broadcast.
    let g = Graph::<f64>::new();
    let bias = g.leaf(t(&[1.0], &[1]));
    let y = g.constant(Tensor::zeros([2, 3])).add(&bias).unwrap();
    y.backward_retain(Some(&Tensor::ones([2, 3]))).unwrap();
    y.backward_retain(Some(&Tensor::ones([2, 3]))).unwrap();
    assert_eq!(bias.grad().unwrap().to_vec(), vec![12.0]);
}

/// Asserts a tensor-level failure whose message starts with `op`.
fn assert_tensor_error(r: Result<Var<f64>>, op: &str) {
    let e = r.unwrap_err();
    assert!(matches!(e, AutogradError::Tensor(_)), "{op}: {e:?}");
    assert!(e.to_string().starts_with(&format!("{op}: ")), "{op}: {e}");
}

#[test]
fn bad_shapes_and_arguments_are_errors_naming_the_op() {
    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[2, 3], 1));
    let y = g.leaf(data(&[4], 2));
    for (name, op) in binary_ops() {
        assert_tensor_error(op(&x, &y), name);
        let e = op(&x, &y).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{name}: shapes [2, 3] and [4] cannot be broadcast together")
        );
    }
    assert_tensor_error(
        Var::where_cond(&Tensor::zeros([3, 1]), &x, &y),
        "where_cond",
    );
    assert_tensor_error(x.clamp(None, None), "clamp");
    assert_tensor_error(x.clamp(Some(1.0), Some(-1.0)), "clamp");
    assert_tensor_error(x.clamp(Some(f64::NAN), None), "clamp");
    assert_tensor_error(x.softplus(0.0, 20.0), "softplus");
    assert_tensor_error(x.mul_mask(&Tensor::zeros([4])), "mul_mask");
    let e = x.dropout(-0.5, true, &mut seeded_rng(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "dropout: probability must lie in [0, 1], got -0.5"
    );
    assert_eq!(g.len(), 2, "failed operations record nothing");

    // Operands on two graphs.
    let other = Graph::<f64>::new();
    let z = other.leaf(data(&[2, 3], 3));
    for (name, op) in binary_ops() {
        assert_eq!(
            op(&x, &z).unwrap_err(),
            AutogradError::GraphMismatch { op: name }
        );
    }
    assert_eq!(
        Var::where_cond(&Tensor::ones([1]), &x, &z).unwrap_err(),
        AutogradError::GraphMismatch { op: "where_cond" }
    );
}

/// Every op once on `x` (shape `[2, 3]`, positive) and `y` (shape `[3]`).
fn run_every_op(x: &Var<f64>, y: &Var<f64>) -> Vec<Var<f64>> {
    let mut out: Vec<Var<f64>> = binary_ops()
        .into_iter()
        .map(|(_, op)| op(x, y).unwrap())
        .collect();
    let cond = Tensor::from_vec(vec![1.0, 0.0], [2, 1]).unwrap();
    out.extend([
        Var::where_cond(&cond, x, y).unwrap(),
        x.clamp(Some(0.5), None).unwrap(),
        x.add_scalar(1.0).unwrap(),
        x.sub_scalar(1.0).unwrap(),
        x.rsub_scalar(1.0).unwrap(),
        x.mul_scalar(2.0).unwrap(),
        x.div_scalar(2.0).unwrap(),
        x.pow_scalar(2.5).unwrap(),
        x.neg().unwrap(),
        x.exp().unwrap(),
        x.log().unwrap(),
        x.log1p().unwrap(),
        x.expm1().unwrap(),
        x.sqrt().unwrap(),
        x.rsqrt().unwrap(),
        x.abs().unwrap(),
        x.square().unwrap(),
        x.recip().unwrap(),
        x.sin().unwrap(),
        x.cos().unwrap(),
        x.tanh().unwrap(),
        x.sigmoid().unwrap(),
        x.relu().unwrap(),
        x.leaky_relu(0.01).unwrap(),
        x.elu(1.0).unwrap(),
        x.gelu().unwrap(),
        x.gelu_tanh().unwrap(),
        x.softplus(1.0, 20.0).unwrap(),
        x.silu().unwrap(),
        x.mul_mask(&Tensor::full([3], 2.0)).unwrap(),
        x.dropout(0.5, true, &mut seeded_rng(0)).unwrap(),
        x.dropout(1.0, true, &mut seeded_rng(0)).unwrap(),
    ]);
    out
}

#[test]
fn constant_inputs_record_nothing() {
    let g = Graph::<f64>::new();
    let x = g.constant(positive(&[2, 3], 4));
    let y = g.constant(positive(&[3], 5));
    for v in run_every_op(&x, &y) {
        assert!(!v.requires_grad());
    }
    assert_eq!(g.len(), 0);
}

#[test]
fn no_grad_graph_records_nothing_and_recording_graph_records_each_op() {
    let g = Graph::<f64>::no_grad();
    let x = g.leaf(positive(&[2, 3], 4));
    let y = g.leaf(positive(&[3], 5));
    let outs = run_every_op(&x, &y);
    assert!(outs.iter().all(|v| !v.requires_grad()));
    assert_eq!(g.len(), 0);

    let g = Graph::<f64>::new();
    let x = g.leaf(positive(&[2, 3], 4));
    let y = g.leaf(positive(&[3], 5));
    let outs = run_every_op(&x, &y);
    assert!(outs.iter().all(|v| v.requires_grad()));
    // Two leaves and one node per output.
    assert_eq!(g.len(), 2 + outs.len());
    // One operand constant: still recorded, and only the other gets a gradient.
    let g = Graph::<f64>::new();
    let x = g.leaf(positive(&[2, 3], 4));
    let c = g.constant(positive(&[3], 5));
    let y = x.mul(&c).unwrap();
    assert_eq!(g.len(), 2);
    y.backward_with(&Tensor::ones([2, 3])).unwrap();
    assert_eq!(x.grad().unwrap().shape(), &[2, 3]);
    assert!(c.grad().is_none());
}

// ---------------------------------------------------------------------------------------------
// Dropout
// ---------------------------------------------------------------------------------------------

#[test]
fn dropout_statistics_match_inverted_dropout() {
    let n = 20_000;
    let g = Graph::<f64>::new();
    let x = g.leaf(away_from_zero(&[n], 7));
    let xv = x.value().to_vec();
    for (i, p) in [0.1, 0.3, 0.5, 0.9].into_iter().enumerate() {
        let y = x.dropout(p, true, &mut seeded_rng(100 + i as u64)).unwrap();
        let yv = y.value().to_vec();
        let zeroed = yv.iter().filter(|&&v| v == 0.0).count() as f64 / n as f64;
        // The standard deviation of the fraction is at most 0.0036: 0.02 is over 5 sigma.
        assert!((zeroed - p).abs() < 0.02, "p = {p}: zeroed {zeroed}");
        // Kept values are scaled by 1 / (1 - p).
        let scale = 1.0 / (1.0 - p);
        for (&a, &b) in xv.iter().zip(&yv) {
            assert!(
                b == 0.0 || (b - a * scale).abs() <= 1e-12 * b.abs(),
                "{a} -> {b}"
            );
        }
        // The mean is kept in expectation: E[y] = x.
        let mean_ratio = yv.iter().zip(&xv).map(|(b, a)| b / a).sum::<f64>() / n as f64;
        assert!(
            (mean_ratio - 1.0).abs() < 0.1,
            "p = {p}: mean ratio {mean_ratio}"
        );
    }
    // The same seed gives the same mask; another seed another one.
    let a = x.dropout(0.5, true, &mut seeded_rng(1)).unwrap();
    let b = x.dropout(0.5, true, &mut seeded_rng(1)).unwrap();
    let c = x.dropout(0.5, true, &mut seeded_rng(2)).unwrap();
    assert_eq!(a.value(), b.value());
    assert_ne!(a.value(), c.value());
}

#[test]
fn dropout_eval_mode_and_p_zero_are_the_identity() {
    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[4, 5], 8));
    let before = g.len();
    let mut rng = seeded_rng(3);
    for (p, training) in [(0.5, false), (0.0, true), (0.0, false), (1.0, false)] {
        let y = x.dropout(p, training, &mut rng).unwrap();
        assert_eq!(y.value(), x.value());
    }
    assert_eq!(g.len(), before, "the identity records nothing");
    // The generator was not used: it still gives its first draw.
    let first = Tensor::<f64>::rand_uniform([3], 0.0, 1.0, &mut seeded_rng(3)).unwrap();
    let now = Tensor::<f64>::rand_uniform([3], 0.0, 1.0, &mut rng).unwrap();
    assert_eq!(first, now);
}

#[test]
fn dropout_gradient_is_the_mask() {
    let g = Graph::<f64>::new();
    let x = g.leaf(away_from_zero(&[30, 7], 9));
    let p = 0.4;
    let y = x.dropout(p, true, &mut seeded_rng(5)).unwrap();
    let up = data(&[30, 7], 10);
    y.backward_with(&up).unwrap();
    let mask: Vec<f64> = y
        .value()
        .to_vec()
        .iter()
        .map(|&v| if v == 0.0 { 0.0 } else { 1.0 / (1.0 - p) })
        .collect();
    let want: Vec<f64> = up.to_vec().iter().zip(&mask).map(|(g, m)| g * m).collect();
    assert_close(&x.grad().unwrap().to_vec(), &want, 1e-15, 0.0).unwrap();
    // Both kinds of element occur.
    assert!(mask.contains(&0.0) && mask.iter().any(|&m| m > 0.0));
}
