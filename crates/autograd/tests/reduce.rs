//! Gradient checks of the reductions, softmax and norms against central finite differences,
//! with proptest-chosen shapes (rank 1-4), axis subsets (negative axes included, empty for
//! "all axes"), `keepdim`, corrections, norm orders and strided (permuted) inputs; large
//! logits for softmax, log_softmax and logsumexp; tie, NaN and kink handling against values
//! computed with PyTorch; plus gradient accumulation through reused values, error
//! propagation and no-recording of constant-only computations.

use proptest::prelude::*;
use youshi_autograd::{gradcheck, AutogradError, GradcheckOptions, Graph, Result, Var};
use youshi_tensor::{Indices, Tensor};
use youshi_testkit::{assert_close, uniform_vec};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Seeded values in [-1, 1) of `shape`.
fn data(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::from_vec(uniform_vec(numel(shape), seed), shape).unwrap()
}

/// The ranks `0..n` in a seeded random order.
fn ranks(n: usize, seed: u64) -> Vec<usize> {
    let keys = uniform_vec(n, seed);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    let mut rank = vec![0; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    rank
}

/// Distinct values of `shape` in [-1, 1), at least `2 / numel` apart, in a seeded order: max
/// and min have no ties, even after a finite-difference step.
fn distinct(shape: &[usize], seed: u64) -> Tensor<f64> {
    let n = numel(shape);
    let v = ranks(n, seed)
        .iter()
        .map(|&r| (2 * r) as f64 / n as f64 - 1.0)
        .collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// Values of `shape` with distinct magnitudes in [0.1, 1] and seeded signs: no element near
/// 0 (the kink of `|x|`) and no ties of `|x|` (the kink of the inf-norm), so every norm is
/// differentiable there; the values themselves are distinct too.
fn distinct_abs(shape: &[usize], seed: u64) -> Tensor<f64> {
    let n = numel(shape);
    let signs = uniform_vec(n, seed + 1);
    let v = ranks(n, seed)
        .iter()
        .zip(signs)
        .map(|(&r, s)| (0.1 + 0.9 * r as f64 / n as f64).copysign(s))
        .collect();
    Tensor::from_vec(v, shape).unwrap()
}

/// `t` stored with its axes reversed when `strided`, so that [`view`] hands the op a
/// permuted (non-contiguous) value with the logical shape of `t`.
fn leaf_of(t: Tensor<f64>, strided: bool) -> Tensor<f64> {
    if strided {
        let perm: Vec<isize> = (0..t.ndim() as isize).rev().collect();
        t.permute(&perm).unwrap().contiguous()
    } else {
        t
    }
}

/// The op's input: the leaf itself, or its axes reversed back (a strided view).
fn view(x: &Var<f64>, strided: bool) -> Result<Var<f64>> {
    if strided {
        let perm: Vec<isize> = (0..x.shape().len() as isize).rev().collect();
        x.permute(&perm)
    } else {
        Ok(x.clone())
    }
}

/// Runs [`gradcheck`] with `opts`, as a proptest failure.
fn check_with<F>(
    f: F,
    inputs: &[Tensor<f64>],
    opts: GradcheckOptions,
) -> std::result::Result<(), TestCaseError>
where
    F: Fn(&[Var<f64>]) -> Result<Var<f64>>,
{
    gradcheck(|_g, x| f(x), inputs, opts)
        .map(|_| ())
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

/// Runs [`gradcheck`] with the default step and tolerances, as a proptest failure.
fn check<F>(f: F, inputs: &[Tensor<f64>]) -> std::result::Result<(), TestCaseError>
where
    F: Fn(&[Var<f64>]) -> Result<Var<f64>>,
{
    check_with(f, inputs, GradcheckOptions::default())
}

fn shape_strategy(min_rank: usize, max_rank: usize, max_dim: usize) -> BoxedStrategy<Vec<usize>> {
    prop::collection::vec(1..=max_dim, min_rank..=max_rank).boxed()
}

/// The axes of a rank-`rank` tensor flagged in `pick`, written negative where `neg` says, in
/// reverse order when `reverse` (order does not matter to the ops). No flag gives `[]`,
/// which means every axis.
fn axes_of(rank: usize, pick: &[bool], neg: &[bool], reverse: bool) -> Vec<isize> {
    let mut axes: Vec<isize> = (0..rank)
        .filter(|&a| pick[a])
        .map(|a| {
            if neg[a] {
                a as isize - rank as isize
            } else {
                a as isize
            }
        })
        .collect();
    if reverse {
        axes.reverse();
    }
    axes
}

/// Number of elements a reduction over `axes` (all if empty) puts in one lane.
fn lane_size(shape: &[usize], axes: &[isize]) -> usize {
    if axes.is_empty() {
        return numel(shape);
    }
    let r = shape.len() as isize;
    axes.iter()
        .map(|&a| shape[(if a < 0 { a + r } else { a }) as usize])
        .product()
}

/// The shape a reduction over `axes` gives.
fn reduced_shape(shape: &[usize], axes: &[isize], keepdim: bool) -> Vec<usize> {
    let r = shape.len() as isize;
    let reduced = |d: usize| {
        axes.is_empty()
            || axes
                .iter()
                .any(|&a| (if a < 0 { a + r } else { a }) as usize == d)
    };
    (0..shape.len())
        .filter_map(|d| match (reduced(d), keepdim) {
            (false, _) => Some(shape[d]),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// The gradient of `sum(w * f(x))` for a fresh leaf `x`, with `w` all ones.
fn grad_of(x: &Tensor<f64>, f: impl Fn(&Var<f64>) -> Result<Var<f64>>) -> Vec<f64> {
    let g = Graph::new();
    let v = g.leaf(x.clone());
    let y = f(&v).unwrap();
    y.backward_with(&Tensor::ones(y.shape())).unwrap();
    v.grad().unwrap().to_vec()
}

fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

/// A differentiable function of one value.
type UnaryOp<'a> = &'a dyn Fn(&Var<f64>) -> Result<Var<f64>>;

/// The norm orders exercised: 1, 2, a general order above 2, between 1 and 2, below 1, and
/// infinity.
const ORDERS: [f64; 6] = [1.0, 2.0, 3.0, 1.5, 0.5, f64::INFINITY];

// ---------------------------------------------------------------------------------------------
// Gradient checks
// ---------------------------------------------------------------------------------------------

/// The shape `f` gives on the (possibly strided) view of `x`, computed without recording.
fn out_shape(
    f: impl Fn(&Var<f64>) -> Result<Var<f64>>,
    x: &Tensor<f64>,
    strided: bool,
) -> Vec<usize> {
    let g = Graph::no_grad();
    let v = view(&g.constant(x.clone()), strided).unwrap();
    f(&v).unwrap().shape().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(28))]

    #[test]
    fn sum_and_mean_gradcheck(
        shape in shape_strategy(1, 4, 4),
        pick in prop::collection::vec(any::<bool>(), 4),
        neg in prop::collection::vec(any::<bool>(), 4),
        reverse in any::<bool>(),
        keepdim in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let axes = axes_of(shape.len(), &pick, &neg, reverse);
        let x = leaf_of(data(&shape, seed), strided);
        let want = reduced_shape(&shape, &axes, keepdim);
        prop_assert_eq!(out_shape(|v| v.sum(&axes, keepdim), &x, strided), want.clone());
        prop_assert_eq!(out_shape(|v| v.mean(&axes, keepdim), &x, strided), want);
        prop_assert_eq!(out_shape(|v| v.sum_all(), &x, strided), Vec::<usize>::new());
        check(|v| view(&v[0], strided)?.sum(&axes, keepdim), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.mean(&axes, keepdim), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.sum_all(), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.mean_all(), &[x])?;
    }

    #[test]
    fn var_and_std_gradcheck(
        shape in shape_strategy(1, 4, 4),
        pick in prop::collection::vec(any::<bool>(), 4),
        neg in prop::collection::vec(any::<bool>(), 4),
        reverse in any::<bool>(),
        correction in 0usize..3,
        keepdim in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let axes = axes_of(shape.len(), &pick, &neg, reverse);
        // A lane of N elements needs N > correction for a finite variance.
        let c = correction.min(lane_size(&shape, &axes) - 1);
        let x = leaf_of(data(&shape, seed), strided);
        let want = reduced_shape(&shape, &axes, keepdim);
        prop_assert_eq!(out_shape(|v| v.std(&axes, c, keepdim), &x, strided), want);
        check(|v| view(&v[0], strided)?.var(&axes, c, keepdim), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.std(&axes, c, keepdim), &[x])?;
    }

    #[test]
    fn max_axis_and_min_axis_gradcheck(
        shape in shape_strategy(1, 4, 4),
        axis in 0usize..4,
        negative in any::<bool>(),
        keepdim in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let rank = shape.len();
        let ax = (axis % rank) as isize - if negative { rank as isize } else { 0 };
        let x = leaf_of(distinct(&shape, seed), strided);
        let want = reduced_shape(&shape, &[ax], keepdim);
        prop_assert_eq!(out_shape(|v| Ok(v.max_axis(ax, keepdim)?.0), &x, strided), want);
        check(|v| Ok(view(&v[0], strided)?.max_axis(ax, keepdim)?.0), std::slice::from_ref(&x))?;
        check(|v| Ok(view(&v[0], strided)?.min_axis(ax, keepdim)?.0), std::slice::from_ref(&x))?;
        // The gradient is one-hot per lane, at the reported index.
        let g = Graph::new();
        let leaf = g.leaf(x.clone());
        let (m, idx) = view(&leaf, strided)?.max_axis(ax, keepdim)?;
        let (_, want_idx) = view(&leaf, strided)?.value().max_axis(ax, keepdim)?;
        prop_assert_eq!(&idx, &want_idx);
        m.backward_with(&Tensor::ones(m.shape()))?;
        let d = leaf.grad().unwrap().to_vec();
        prop_assert_eq!(d.iter().filter(|&&v| v == 1.0).count(), numel(m.shape()));
        prop_assert_eq!(d.iter().filter(|&&v| v == 0.0).count(), numel(&shape) - numel(m.shape()));
    }

    #[test]
    fn amax_amin_max_all_min_all_gradcheck(
        shape in shape_strategy(1, 4, 4),
        pick in prop::collection::vec(any::<bool>(), 4),
        neg in prop::collection::vec(any::<bool>(), 4),
        reverse in any::<bool>(),
        keepdim in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let axes = axes_of(shape.len(), &pick, &neg, reverse);
        let x = leaf_of(distinct(&shape, seed), strided);
        let want = reduced_shape(&shape, &axes, keepdim);
        prop_assert_eq!(out_shape(|v| v.amin(&axes, keepdim), &x, strided), want);
        check(|v| view(&v[0], strided)?.amax(&axes, keepdim), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.amin(&axes, keepdim), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.max_all(), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.min_all(), &[x])?;
    }

    #[test]
    fn logsumexp_gradcheck(
        shape in shape_strategy(1, 4, 4),
        pick in prop::collection::vec(any::<bool>(), 4),
        neg in prop::collection::vec(any::<bool>(), 4),
        reverse in any::<bool>(),
        keepdim in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let axes = axes_of(shape.len(), &pick, &neg, reverse);
        let x = leaf_of(data(&shape, seed).mul_scalar(3.0), strided);
        let want = reduced_shape(&shape, &axes, keepdim);
        prop_assert_eq!(out_shape(|v| v.logsumexp(&axes, keepdim), &x, strided), want);
        check(|v| view(&v[0], strided)?.logsumexp(&axes, keepdim), &[x])?;
    }

    #[test]
    fn norm_gradcheck(
        shape in shape_strategy(1, 4, 4),
        pick in prop::collection::vec(any::<bool>(), 4),
        neg in prop::collection::vec(any::<bool>(), 4),
        reverse in any::<bool>(),
        order in 0usize..ORDERS.len(),
        keepdim in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let axes = axes_of(shape.len(), &pick, &neg, reverse);
        let p = ORDERS[order];
        let x = leaf_of(distinct_abs(&shape, seed), strided);
        let want = reduced_shape(&shape, &axes, keepdim);
        prop_assert_eq!(out_shape(|v| v.norm(p, &axes, keepdim), &x, strided), want);
        check(|v| view(&v[0], strided)?.norm(p, &axes, keepdim), &[x])?;
    }

    #[test]
    fn softmax_and_log_softmax_gradcheck(
        shape in shape_strategy(1, 4, 4),
        axis in 0usize..4,
        negative in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let rank = shape.len();
        let ax = (axis % rank) as isize - if negative { rank as isize } else { 0 };
        let x = leaf_of(data(&shape, seed).mul_scalar(3.0), strided);
        prop_assert_eq!(out_shape(|v| v.softmax(ax), &x, strided), shape.clone());
        check(|v| view(&v[0], strided)?.softmax(ax), std::slice::from_ref(&x))?;
        check(|v| view(&v[0], strided)?.log_softmax(ax), &[x])?;
    }

    #[test]
    fn large_logits_give_finite_and_correct_gradients(
        shape in shape_strategy(1, 3, 5),
        axis in 0usize..3,
        keepdim in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let ax = (axis % shape.len()) as isize;
        // Logits near +1e3 and -1e3: exp overflows unless the lane maximum is subtracted.
        let signs = uniform_vec(numel(&shape), seed + 1);
        let x = data(&shape, seed);
        let x = x.zip_map(&Tensor::from_vec(signs, shape.as_slice())?, "logits", |u, s| {
            1e3f64.copysign(s) + u
        })?;
        let x = leaf_of(x, strided);
        let ops: [UnaryOp; 3] = [
            &|v| v.softmax(ax),
            &|v| v.log_softmax(ax),
            &|v| v.logsumexp(&[ax], keepdim),
        ];
        // The finite-difference step is scaled with the logits (1e-6 of their size), so the
        // rounding of outputs of size 2e3 stays below the (default) tolerances.
        let opts = GradcheckOptions { eps: 1e-3, ..GradcheckOptions::default() };
        for f in ops {
            let g = Graph::new();
            let leaf = g.leaf(x.clone());
            let y = f(&view(&leaf, strided)?)?;
            prop_assert!(y.value().to_vec().iter().all(|v| v.is_finite()));
            y.backward_with(&data(y.shape(), seed + 2))?;
            let d = leaf.grad().unwrap().to_vec();
            prop_assert!(d.iter().all(|v| v.is_finite()), "{:?}", d);
            check_with(|v| f(&view(&v[0], strided)?), std::slice::from_ref(&x), opts)?;
        }
    }

    #[test]
    fn reused_value_accumulates_through_every_op(
        shape in shape_strategy(2, 3, 4),
        seed in 0u64..1000,
    ) {
        // One input feeds every op; its gradient is the sum over all uses. Distinct
        // magnitudes away from 0: no ties for max/min and the inf-norm, no kink of |x|.
        let shape: Vec<usize> = shape.iter().map(|&d| d.max(2)).collect();
        check(
            |v| {
                let x = &v[0];
                let uses = every_op(x)?
                    .into_iter()
                    .map(|y| y.reshape(&[-1]))
                    .collect::<Result<Vec<_>>>()?;
                Var::concat(&uses.iter().collect::<Vec<_>>(), 0)
            },
            &[distinct_abs(&shape, seed)],
        )?;
    }
}

/// Every op once on `x` (rank >= 2, every dimension >= 2), at a variety of axes.
fn every_op(x: &Var<f64>) -> Result<Vec<Var<f64>>> {
    Ok(vec![
        x.sum(&[0], false)?,
        x.sum(&[], true)?,
        x.mean(&[-1], true)?,
        x.sum_all()?,
        x.mean_all()?,
        x.var(&[0], 1, false)?,
        x.std(&[-1, 0], 0, true)?,
        x.max_axis(-1, false)?.0,
        x.min_axis(0, true)?.0,
        x.amax(&[1], false)?,
        x.amin(&[], false)?,
        x.max_all()?,
        x.min_all()?,
        x.logsumexp(&[0, 1], true)?,
        x.norm(1.0, &[0], false)?,
        x.norm(2.0, &[-1], true)?,
        x.norm(3.0, &[], false)?,
        x.norm(f64::INFINITY, &[1], false)?,
        x.softmax(0)?,
        x.log_softmax(-1)?,
    ])
}

// ---------------------------------------------------------------------------------------------
// Accumulation
// ---------------------------------------------------------------------------------------------

#[test]
fn gradient_of_reused_value_is_the_sum_of_each_use() {
    let x = distinct_abs(&[3, 4], 1);
    // Together: every op on the same leaf, joined into one output, with output weights w.
    let flat = |ys: Vec<Var<f64>>| -> Result<Vec<Var<f64>>> {
        ys.into_iter().map(|y| y.reshape(&[-1])).collect()
    };
    let g = Graph::new();
    let v = g.leaf(x.clone());
    let uses = flat(every_op(&v).unwrap()).unwrap();
    let sizes: Vec<usize> = uses.iter().map(|u| u.shape()[0]).collect();
    let joined = Var::concat(&uses.iter().collect::<Vec<_>>(), 0).unwrap();
    let w = data(joined.shape(), 99).map(|a| a + 2.0);
    joined.backward_with(&w).unwrap();
    let together = v.grad().unwrap().to_vec();
    // Apart: each op alone on a fresh leaf, with its slice of the same weights.
    let mut sum = vec![0.0; x.numel()];
    let mut at = 0;
    for (k, &size) in sizes.iter().enumerate() {
        let g = Graph::new();
        let v = g.leaf(x.clone());
        let y = flat(every_op(&v).unwrap()).unwrap().swap_remove(k);
        y.backward_with(&w.narrow(0, at, size).unwrap()).unwrap();
        at += size;
        for (s, d) in sum.iter_mut().zip(v.grad().unwrap().to_vec()) {
            *s += d;
        }
    }
    assert_close(&together, &sum, 1e-12, 1e-12).unwrap();
}

#[test]
fn gradients_accumulate_across_backward_calls() {
    let g = Graph::<f64>::new();
    let x = g.leaf(t(&[1.0, 5.0, 3.0], &[3]));
    let y = x.max_all().unwrap();
    y.backward_retain(None).unwrap();
    y.backward_retain(None).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 2.0, 0.0]);
    // Two uses in one graph: sum and mean of the same value.
    let g = Graph::<f64>::new();
    let x = g.leaf(t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]));
    let s = x.sum_all().unwrap().reshape(&[1]).unwrap();
    let m = x.mean(&[0], false).unwrap();
    let both = Var::concat(&[&s, &m], 0).unwrap();
    both.backward_with(&Tensor::ones([3])).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.5; 4]);
}

// ---------------------------------------------------------------------------------------------
// Known values: ties, NaN, kinks and large logits, against PyTorch (float64)
// ---------------------------------------------------------------------------------------------

#[test]
fn ties_follow_pytorch() {
    let x = t(&[1.0, 3.0, 3.0, 2.0, 2.0, 0.0], &[2, 3]);
    // x.max(dim=1): the first maximum of each row gets the whole gradient.
    assert_eq!(
        grad_of(&x, |v| Ok(v.max_axis(1, false)?.0)),
        vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]
    );
    // x.min(dim=0) on columns that tie.
    let y = t(&[1.0, 3.0, 0.0, 1.0, 2.0, 0.0], &[2, 3]);
    assert_eq!(
        grad_of(&y, |v| Ok(v.min_axis(0, false)?.0)),
        vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    );
    // x.amax(dim=1): ties split evenly.
    assert_eq!(
        grad_of(&x, |v| v.amax(&[1], false)),
        vec![0.0, 0.5, 0.5, 0.5, 0.5, 0.0]
    );
    // amax(dim=(0, 2)) and amin(dim=-1, keepdim=True) of a [2, 2, 2] tensor.
    let z = t(&[1.0, 5.0, 5.0, 2.0, 5.0, 0.0, 3.0, 3.0], &[2, 2, 2]);
    assert_eq!(
        grad_of(&z, |v| v.amax(&[0, 2], false)),
        vec![0.0, 0.5, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0]
    );
    assert_eq!(
        grad_of(&z, |v| v.amin(&[-1], true)),
        vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.5, 0.5]
    );
    // x.max() and x.min(): evenly among all ties.
    assert_eq!(
        grad_of(&x, |v| v.max_all()),
        vec![0.0, 0.5, 0.5, 0.0, 0.0, 0.0]
    );
    let w = t(&[0.0, 3.0, 0.0, 2.0, 0.0, 5.0], &[2, 3]);
    let third = 1.0 / 3.0;
    assert_eq!(
        grad_of(&w, |v| v.min_all()),
        vec![third, 0.0, third, 0.0, third, 0.0]
    );
    // vector_norm(ord=inf, dim=1): tied |x| share, with their signs; a zero row gets 0.
    let n = t(&[3.0, -3.0, 1.0, 0.0, 0.0, 0.0], &[2, 3]);
    assert_eq!(
        grad_of(&n, |v| v.norm(f64::INFINITY, &[1], false)),
        vec![0.5, -0.5, 0.0, 0.0, 0.0, 0.0]
    );
}

#[test]
fn nan_follows_pytorch() {
    let x = t(&[1.0, f64::NAN, 2.0, f64::NAN], &[4]);
    // x.max(): the NaN elements share the gradient.
    assert_eq!(grad_of(&x, |v| v.max_all()), vec![0.0, 0.5, 0.0, 0.5]);
    assert_eq!(grad_of(&x, |v| v.min_all()), vec![0.0, 0.5, 0.0, 0.5]);
    // x.max(dim=0): the first NaN (the reported index) gets it.
    assert_eq!(
        grad_of(&x, |v| Ok(v.max_axis(0, false)?.0)),
        vec![0.0, 1.0, 0.0, 0.0]
    );
    // x.amax(dim=0): no element equals NaN, so the whole lane's gradient is NaN.
    assert!(grad_of(&x, |v| v.amax(&[0], false))
        .iter()
        .all(|d| d.is_nan()));
}

#[test]
fn kinks_follow_pytorch_subgradients() {
    // vector_norm(ord=p, dim=1) of [[0, 0], [1, -2]]: a zero lane gets 0 for every p.
    let lanes = t(&[0.0, 0.0, 1.0, -2.0], &[2, 2]);
    let want_lanes: [(f64, [f64; 2]); 5] = [
        (0.5, [2.414213562373095, -1.7071067811865472]),
        (1.0, [1.0, -1.0]),
        (1.5, [0.6392340078652324, -0.9040134034531215]),
        (2.0, [0.4472135954999579, -0.8944271909999159]),
        (3.0, [0.2311204247835449, -0.9244816991341795]),
    ];
    for (p, want) in want_lanes {
        let d = grad_of(&lanes, |v| v.norm(p, &[1], false));
        assert_eq!(&d[..2], &[0.0, 0.0], "p = {p}");
        assert_close(&d[2..], &want, 1e-14, 0.0).unwrap_or_else(|e| panic!("p = {p}: {e}"));
    }
    // vector_norm(ord=p) of [0, 2, -1]: the element at 0 gets 0 for every p.
    let elems = t(&[0.0, 2.0, -1.0], &[3]);
    let want_elems: [(f64, [f64; 2]); 5] = [
        (0.5, [1.7071067811865472, -2.414213562373095]),
        (1.0, [1.0, -1.0]),
        (1.5, [0.9040134034531215, -0.6392340078652324]),
        (2.0, [0.8944271909999159, -0.4472135954999579]),
        (3.0, [0.9244816991341795, -0.2311204247835449]),
    ];
    for (p, want) in want_elems {
        let d = grad_of(&elems, |v| v.norm(p, &[], false));
        assert_eq!(d[0], 0.0, "p = {p}");
        assert_close(&d[1..], &want, 1e-14, 0.0).unwrap_or_else(|e| panic!("p = {p}: {e}"));
    }
    // x.std(dim=1): a constant row has std 0 and gradient 0.
    let s = t(&[2.0, 2.0, 2.0, 1.0, 2.0, 6.0], &[2, 3]);
    let d = grad_of(&s, |v| v.std(&[1], 1, false));
    assert_eq!(&d[..3], &[0.0; 3]);
    let want = [-0.3779644730092272, -0.1889822365046136, 0.5669467095138407];
    assert_close(&d[3..], &want, 1e-14, 0.0).unwrap();
    // x.var(dim=0, correction=2) of two elements: 2 / 0 times the deviations.
    let v2 = t(&[1.0, 3.0], &[2]);
    assert_eq!(
        grad_of(&v2, |v| v.var(&[0], 2, false)),
        vec![f64::NEG_INFINITY, f64::INFINITY]
    );
}

#[test]
fn large_logits_follow_pytorch() {
    // logsumexp(dim=0) of [1e3, 1e3, -1e3].
    let x = t(&[1e3, 1e3, -1e3], &[3]);
    let d = grad_of(&x, |v| v.logsumexp(&[0], false));
    assert_close(&d, &[0.5, 0.5, 0.0], 1e-12, 0.0).unwrap();
    // log_softmax(dim=0) of [1e3, -1e3, 0] weighted by [0, -1, 0].
    let g = Graph::<f64>::new();
    let v = g.leaf(t(&[1e3, -1e3, 0.0], &[3]));
    v.log_softmax(0)
        .unwrap()
        .backward_with(&t(&[0.0, -1.0, 0.0], &[3]))
        .unwrap();
    assert_eq!(v.grad().unwrap().to_vec(), vec![1.0, -1.0, 0.0]);
    // softmax(dim=0) of [1e3, 1e3 - 1, -1e3] weighted by [1, 2, 3].
    let g = Graph::<f64>::new();
    let v = g.leaf(t(&[1e3, 1e3 - 1.0, -1e3], &[3]));
    v.softmax(0)
        .unwrap()
        .backward_with(&t(&[1.0, 2.0, 3.0], &[3]))
        .unwrap();
    let want = [-0.19661193324148193, 0.19661193324148185, 0.0];
    assert_close(&v.grad().unwrap().to_vec(), &want, 1e-14, 1e-16).unwrap();
}

#[test]
fn cross_entropy_gradient_is_softmax_minus_onehot() {
    // mean over rows of log_softmax picked at the targets: d/dx = (onehot - softmax) / N.
    let logits = data(&[4, 5], 7).mul_scalar(4.0);
    let targets = [3usize, 0, 4, 4];
    let index = Indices::from_shape_vec(vec![4, 1], targets.to_vec()).unwrap();
    let g = Graph::<f64>::new();
    let x = g.leaf(logits.clone());
    let loss = x
        .log_softmax(-1)
        .unwrap()
        .gather(1, &index)
        .unwrap()
        .mean_all()
        .unwrap();
    assert_eq!(loss.shape(), &[] as &[usize]);
    loss.backward().unwrap();
    let p = logits.softmax(1).unwrap().to_vec();
    let want: Vec<f64> = (0..20)
        .map(|k| {
            let onehot = if targets[k / 5] == k % 5 { 1.0 } else { 0.0 };
            (onehot - p[k]) / 4.0
        })
        .collect();
    assert_close(&x.grad().unwrap().to_vec(), &want, 1e-12, 1e-15).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Errors and recording
// ---------------------------------------------------------------------------------------------

/// Asserts a tensor-level failure whose message starts with `op`.
fn assert_tensor_error(r: Result<Var<f64>>, op: &str) {
    let e = r.unwrap_err();
    assert!(matches!(e, AutogradError::Tensor(_)), "{op}: {e:?}");
    assert!(e.to_string().starts_with(&format!("{op}: ")), "{op}: {e}");
}

#[test]
fn bad_arguments_are_tensor_errors_naming_the_op() {
    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[2, 3], 5));
    let empty = g.leaf(Tensor::zeros([2, 0]));
    assert_tensor_error(x.sum(&[2], false), "sum");
    assert_tensor_error(x.sum(&[0, -2], true), "sum");
    assert_tensor_error(x.mean(&[-3], false), "mean");
    assert_tensor_error(x.var(&[5], 1, false), "var");
    assert_tensor_error(x.std(&[1, 1], 0, true), "std");
    assert_tensor_error(x.max_axis(2, false).map(|p| p.0), "max_axis");
    assert_tensor_error(empty.max_axis(1, false).map(|p| p.0), "max_axis");
    assert_tensor_error(x.min_axis(-3, true).map(|p| p.0), "min_axis");
    assert_tensor_error(x.amax(&[0, 0], false), "amax");
    assert_tensor_error(empty.amin(&[], false), "amin");
    assert_tensor_error(empty.max_all(), "max_all");
    assert_tensor_error(empty.min_all(), "min_all");
    assert_tensor_error(x.logsumexp(&[3], false), "logsumexp");
    assert_tensor_error(x.norm(0.0, &[], false), "norm");
    assert_tensor_error(x.norm(f64::NAN, &[0], false), "norm");
    assert_tensor_error(x.norm(2.0, &[-5], false), "norm");
    assert_tensor_error(x.softmax(2), "softmax");
    assert_tensor_error(x.log_softmax(-3), "log_softmax");
    assert_eq!(g.len(), 2, "failed operations record nothing");
}

#[test]
fn constant_inputs_record_nothing() {
    let g = Graph::<f64>::new();
    let x = g.constant(distinct_abs(&[2, 3], 8));
    for v in every_op(&x).unwrap() {
        assert!(!v.requires_grad());
    }
    assert_eq!(g.len(), 0);
}

#[test]
fn no_grad_graph_records_nothing_and_recording_graph_records_each_op() {
    let g = Graph::<f64>::no_grad();
    let x = g.leaf(distinct_abs(&[2, 3], 8));
    let outs = every_op(&x).unwrap();
    assert!(outs.iter().all(|v| !v.requires_grad()));
    assert_eq!(g.len(), 0);

    let g = Graph::<f64>::new();
    let x = g.leaf(distinct_abs(&[2, 3], 8));
    let outs = every_op(&x).unwrap();
    assert!(outs.iter().all(|v| v.requires_grad()));
    // The leaf and one node per output.
    assert_eq!(g.len(), 1 + outs.len());
}

#[test]
fn values_match_the_tensor_ops() {
    // The forward of each op is the tensor op's, bit for bit.
    let x = distinct_abs(&[3, 4], 9);
    let g = Graph::<f64>::new();
    let v = g.leaf(x.clone());
    let same = |a: Var<f64>, b: Tensor<f64>| assert_eq!(a.value(), &b);
    same(v.sum(&[1], true).unwrap(), x.sum(&[1], true).unwrap());
    same(
        v.var(&[0], 1, false).unwrap(),
        x.var(&[0], 1, false).unwrap(),
    );
    same(v.std(&[], 0, false).unwrap(), x.std(&[], 0, false).unwrap());
    same(v.sum_all().unwrap(), Tensor::scalar(x.sum_all()));
    same(v.max_all().unwrap(), Tensor::scalar(x.max_all().unwrap()));
    same(v.amin(&[-1], false).unwrap(), x.amin(&[-1], false).unwrap());
    same(
        v.logsumexp(&[0], true).unwrap(),
        x.logsumexp(&[0], true).unwrap(),
    );
    same(
        v.norm(1.5, &[1], false).unwrap(),
        x.norm(1.5, &[1], false).unwrap(),
    );
    same(v.softmax(0).unwrap(), x.softmax(0).unwrap());
    same(v.log_softmax(1).unwrap(), x.log_softmax(1).unwrap());
}
