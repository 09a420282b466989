//! Gradient checks of the convolutions and poolings against central finite differences, with
//! proptest-chosen batch sizes, channels, groups, spatial sizes, kernels, strides, paddings,
//! dilations and biases; a conv + relu + max-pool + linear pipeline; plus gradient
//! accumulation through reused values, error propagation and no-recording of constant-only
//! computations.

use proptest::prelude::*;
use youshi_autograd::{gradcheck, AutogradError, GradcheckOptions, Graph, Param, Result, Var};
use youshi_tensor::{
    Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Pool1dOptions, Pool2dOptions, Tensor,
};
use youshi_testkit::uniform_vec;

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

/// Distinct values of `shape` in [-1, 1), at least `2 / numel` apart, in a seeded order: max
/// pooling then has no ties, even after a finite-difference step.
fn distinct(shape: &[usize], seed: u64) -> Tensor<f64> {
    let n = numel(shape);
    let keys = uniform_vec(n, seed);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    let mut v = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        v[i] = (2 * rank) as f64 / n as f64 - 1.0;
    }
    Tensor::from_vec(v, shape).unwrap()
}

/// The leaf for an activation of logical shape `[.., H, W]`: stored with the last two axes
/// swapped when `strided`, so that [`view`] hands the op a transposed (non-contiguous) value.
fn leaf_of(t: Tensor<f64>, strided: bool) -> Tensor<f64> {
    if strided {
        t.transpose(-2, -1).unwrap().contiguous()
    } else {
        t
    }
}

/// The op's input: the leaf itself, or its last two axes swapped back (a strided view).
fn view(x: &Var<f64>, strided: bool) -> Result<Var<f64>> {
    if strided {
        x.transpose(-2, -1)
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

/// [`check`] where only the operands with `trainable[k]` are differentiated: the others enter
/// `f` as constants, so their gradients must not be needed (the op returns `None` for them).
fn check_partial<F>(
    f: F,
    operands: &[Tensor<f64>],
    trainable: &[bool],
) -> std::result::Result<(), TestCaseError>
where
    F: Fn(&[Var<f64>]) -> Result<Var<f64>>,
{
    let inputs: Vec<Tensor<f64>> = operands
        .iter()
        .zip(trainable)
        .filter(|&(_, &on)| on)
        .map(|(t, _)| t.clone())
        .collect();
    gradcheck(
        |g, leaves| {
            let mut next = leaves.iter();
            let all: Vec<Var<f64>> = operands
                .iter()
                .zip(trainable)
                .map(|(t, &on)| {
                    if on {
                        next.next().expect("one leaf per trainable operand").clone()
                    } else {
                        g.constant(t.clone())
                    }
                })
                .collect();
            f(&all)
        },
        &inputs,
        GradcheckOptions::default(),
    )
    .map(|_| ())
    .map_err(|e| TestCaseError::fail(e.to_string()))
}

/// Which of (input, weight, bias) are differentiated: all, or all but the input or weight.
fn trainable(frozen: usize) -> [bool; 3] {
    match frozen {
        1 => [false, true, true],
        2 => [true, false, true],
        _ => [true, true, true],
    }
}

/// The smallest size at least `size` that a dilated kernel fits into once padded.
fn fit(size: usize, kernel: usize, dilation: usize, padding: usize) -> usize {
    size.max((dilation * (kernel - 1) + 1).saturating_sub(2 * padding))
}

/// `max(x, 0)` through the library's own ops: the gradient passes where `x > 0`. (The mask is
/// recomputed from the value, so finite differences see the same function.)
fn relu(x: &Var<f64>) -> Result<Var<f64>> {
    let off = x.value().map(|v| if v > 0.0 { 0.0 } else { 1.0 });
    x.masked_fill(&x.constant(off), 0.0)
}

/// `x wᵀ + b` through the library's own ops: `[x, 1] [w, b]ᵀ`.
fn linear(x: &Var<f64>, w: &Var<f64>, b: &Var<f64>) -> Result<Var<f64>> {
    let ones = x.constant(Tensor::ones([x.shape()[0], 1]));
    let xa = Var::concat(&[x, &ones], 1)?;
    let wa = Var::concat(&[w, &b.unsqueeze(1)?], 1)?;
    xa.matmul(&wa.t()?)
}

// ---------------------------------------------------------------------------------------------
// Gradient checks: convolutions
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(28))]

    #[test]
    fn conv2d_gradcheck(
        n in 1usize..=2,
        groups in 1usize..=2,
        (cin, cout) in (1usize..=2, 1usize..=2),
        (h, w) in (3usize..=7, 3usize..=7),
        (kh, kw) in (1usize..=3, 1usize..=3),
        stride in (1usize..=2, 1usize..=2),
        (ph, pw) in (0usize..=1, 0usize..=1),
        (dh, dw) in (1usize..=2, 1usize..=2),
        bias in any::<bool>(),
        frozen in 0usize..3,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let (h, w) = (fit(h, kh, dh, ph), fit(w, kw, dw, pw));
        let (cin, cout) = (cin * groups, cout * groups);
        let opts = Conv2dOptions::new()
            .stride2([stride.0, stride.1])
            .padding2([ph, pw])
            .dilation2([dh, dw])
            .groups(groups);
        let x = leaf_of(data(&[n, cin, h, w], seed), strided);
        let wt = data(&[cout, cin / groups, kh, kw], seed + 1);
        let b = data(&[cout], seed + 2);
        let on = trainable(frozen);
        if bias {
            check_partial(
                |v| view(&v[0], strided)?.conv2d(&v[1], Some(&v[2]), opts),
                &[x, wt, b],
                &on,
            )?;
        } else {
            check_partial(
                |v| view(&v[0], strided)?.conv2d(&v[1], None, opts),
                &[x, wt],
                &on[..2],
            )?;
        }
    }

    #[test]
    fn conv1d_gradcheck(
        n in 1usize..=2,
        groups in 1usize..=2,
        (cin, cout) in (1usize..=2, 1usize..=2),
        len in 3usize..=7,
        k in 1usize..=3,
        stride in 1usize..=2,
        padding in 0usize..=1,
        dilation in 1usize..=2,
        bias in any::<bool>(),
        frozen in 0usize..3,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let len = fit(len, k, dilation, padding);
        let (cin, cout) = (cin * groups, cout * groups);
        let opts = Conv1dOptions::new()
            .stride(stride)
            .padding(padding)
            .dilation(dilation)
            .groups(groups);
        // Strided here swaps channels and length.
        let x = leaf_of(data(&[n, cin, len], seed), strided);
        let wt = data(&[cout, cin / groups, k], seed + 1);
        let b = data(&[cout], seed + 2);
        let on = trainable(frozen);
        let bias_var = |v: &[Var<f64>]| if bias { Some(v[2].clone()) } else { None };
        let count = if bias { 3 } else { 2 };
        check_partial(
            |v| view(&v[0], strided)?.conv1d(&v[1], bias_var(v).as_ref(), opts),
            &[x, wt, b][..count],
            &on[..count],
        )?;
    }

    #[test]
    fn conv_transpose2d_gradcheck(
        n in 1usize..=2,
        groups in 1usize..=2,
        (cin, cout) in (1usize..=2, 1usize..=2),
        (h, w) in (2usize..=5, 2usize..=5),
        (kh, kw) in (1usize..=3, 1usize..=3),
        (sh, sw) in (1usize..=2, 1usize..=2),
        padding in 0usize..=1,
        (dh, dw) in (1usize..=2, 1usize..=2),
        out_pad in (0usize..=1, 0usize..=1),
        bias in any::<bool>(),
        frozen in 0usize..3,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let (cin, cout) = (cin * groups, cout * groups);
        // The output padding must be below the stride or the dilation, as in PyTorch.
        let oph = out_pad.0.min(sh.max(dh) - 1);
        let opw = out_pad.1.min(sw.max(dw) - 1);
        // Keep the output non-empty: (H - 1) s - 2 p + d (k - 1) + op + 1 >= 1.
        let grows = |size: usize, s: usize, d: usize, k: usize, op: usize| {
            (size - 1) * s + d * (k - 1) + op >= 2 * padding
        };
        let padding = if grows(h, sh, dh, kh, oph) && grows(w, sw, dw, kw, opw) { padding } else { 0 };
        let opts = ConvTranspose2dOptions::new()
            .stride2([sh, sw])
            .padding(padding)
            .output_padding2([oph, opw])
            .dilation2([dh, dw])
            .groups(groups);
        let x = leaf_of(data(&[n, cin, h, w], seed), strided);
        let wt = data(&[cin, cout / groups, kh, kw], seed + 1);
        let b = data(&[cout], seed + 2);
        let on = trainable(frozen);
        let bias_var = |v: &[Var<f64>]| if bias { Some(v[2].clone()) } else { None };
        let count = if bias { 3 } else { 2 };
        check_partial(
            |v| view(&v[0], strided)?.conv_transpose2d(&v[1], bias_var(v).as_ref(), opts),
            &[x, wt, b][..count],
            &on[..count],
        )?;
    }
}

// ---------------------------------------------------------------------------------------------
// Gradient checks: pooling
// ---------------------------------------------------------------------------------------------

/// `[N, C, ..]`, or `[C, ..]` when `unbatched`.
fn pool_shape(n: usize, c: usize, spatial: &[usize], unbatched: bool) -> Vec<usize> {
    let mut s = if unbatched { vec![c] } else { vec![n, c] };
    s.extend_from_slice(spatial);
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(28))]

    #[test]
    fn max_pool2d_gradcheck(
        n in 1usize..=2,
        c in 1usize..=3,
        unbatched in any::<bool>(),
        (h, w) in (3usize..=7, 3usize..=7),
        (kh, kw) in (1usize..=3, 1usize..=3),
        (sh, sw) in (1usize..=3, 1usize..=3),
        pad in (0usize..=1, 0usize..=1),
        (dh, dw) in (1usize..=2, 1usize..=2),
        ceil_mode in any::<bool>(),
        with_indices in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        // Padding is at most half the kernel.
        let (ph, pw) = (pad.0.min(kh / 2), pad.1.min(kw / 2));
        let (h, w) = (fit(h, kh, dh, ph), fit(w, kw, dw, pw));
        let opts = Pool2dOptions::new(1)
            .kernel2([kh, kw])
            .stride2([sh, sw])
            .padding2([ph, pw])
            .dilation2([dh, dw])
            .ceil_mode(ceil_mode);
        let x = leaf_of(distinct(&pool_shape(n, c, &[h, w], unbatched), seed), strided);
        check(
            |v| {
                let x = view(&v[0], strided)?;
                if with_indices {
                    Ok(x.max_pool2d_with_indices(opts)?.0)
                } else {
                    x.max_pool2d(opts)
                }
            },
            &[x],
        )?;
    }

    #[test]
    fn avg_pool2d_gradcheck(
        n in 1usize..=2,
        c in 1usize..=3,
        unbatched in any::<bool>(),
        (h, w) in (3usize..=7, 3usize..=7),
        (kh, kw) in (1usize..=3, 1usize..=3),
        (sh, sw) in (1usize..=3, 1usize..=3),
        pad in (0usize..=1, 0usize..=1),
        ceil_mode in any::<bool>(),
        count_include_pad in any::<bool>(),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let (ph, pw) = (pad.0.min(kh / 2), pad.1.min(kw / 2));
        let (h, w) = (fit(h, kh, 1, ph), fit(w, kw, 1, pw));
        let opts = Pool2dOptions::new(1)
            .kernel2([kh, kw])
            .stride2([sh, sw])
            .padding2([ph, pw])
            .ceil_mode(ceil_mode);
        let x = leaf_of(data(&pool_shape(n, c, &[h, w], unbatched), seed), strided);
        check(|v| view(&v[0], strided)?.avg_pool2d(opts, count_include_pad), &[x])?;
    }

    #[test]
    fn adaptive_avg_pool2d_gradcheck(
        n in 1usize..=2,
        c in 1usize..=3,
        unbatched in any::<bool>(),
        (h, w) in (1usize..=7, 1usize..=7),
        (oh, ow) in (0usize..=8, 1usize..=8),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        // Output sizes above the input's give overlapping windows; 0 an empty output.
        let x = leaf_of(data(&pool_shape(n, c, &[h, w], unbatched), seed), strided);
        check(|v| view(&v[0], strided)?.adaptive_avg_pool2d([oh, ow]), &[x])?;
    }

    #[test]
    fn pool1d_gradcheck(
        n in 1usize..=2,
        c in 1usize..=3,
        unbatched in any::<bool>(),
        len in 3usize..=9,
        k in 1usize..=4,
        stride in 1usize..=3,
        pad in 0usize..=2,
        dilation in 1usize..=2,
        ceil_mode in any::<bool>(),
        count_include_pad in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let padding = pad.min(k / 2);
        let shape = pool_shape(n, c, &[fit(len, k, dilation, padding)], unbatched);
        let opts = Pool1dOptions::new(k)
            .stride(stride)
            .padding(padding)
            .dilation(dilation)
            .ceil_mode(ceil_mode);
        let x = distinct(&shape, seed);
        check(|v| v[0].max_pool1d(opts), std::slice::from_ref(&x))?;
        check(|v| Ok(v[0].max_pool1d_with_indices(opts)?.0), &[x])?;
        // Average pooling has no dilation.
        let shape = pool_shape(n, c, &[fit(len, k, 1, padding)], unbatched);
        let opts = opts.dilation(1);
        check(|v| v[0].avg_pool1d(opts, count_include_pad), &[data(&shape, seed)])?;
    }
}

// ---------------------------------------------------------------------------------------------
// A small network
// ---------------------------------------------------------------------------------------------

/// conv(3x3, padding 1, bias) -> relu -> max pool 2 -> flatten -> linear.
fn pipeline(v: &[Var<f64>]) -> Result<Var<f64>> {
    let (x, cw, cb, lw, lb) = (&v[0], &v[1], &v[2], &v[3], &v[4]);
    let z = x.conv2d(cw, Some(cb), Conv2dOptions::new().padding(1))?;
    let p = relu(&z)?.max_pool2d(Pool2dOptions::new(2))?;
    linear(&p.flatten(1, -1)?, lw, lb)
}

/// Input, conv weight, conv bias, linear weight, linear bias: 2 images of 3 channels, 4 conv
/// channels, 6x6 pooled to 3x3, 5 classes.
fn pipeline_inputs(seed: u64) -> Vec<Tensor<f64>> {
    vec![
        data(&[2, 3, 6, 6], seed),
        data(&[4, 3, 3, 3], seed + 1),
        data(&[4], seed + 2),
        data(&[5, 4 * 3 * 3], seed + 3),
        data(&[5], seed + 4),
    ]
}

#[test]
fn conv_relu_maxpool_linear_pipeline_gradcheck() {
    for seed in [1, 20, 300] {
        let inputs = pipeline_inputs(seed);
        // Keep off the kinks: no pre-activation near 0 and no near-tie among the positive
        // values a max-pool window compares (the finite-difference step is 1e-6).
        let z = inputs[0]
            .conv2d(
                &inputs[1],
                Some(&inputs[2]),
                Conv2dOptions::new().padding(1),
            )
            .unwrap();
        let zv = z.to_vec();
        assert!(
            zv.iter().all(|v| v.abs() > 1e-4),
            "seed {seed}: kink at relu"
        );
        for win in 0..zv.len() / 4 {
            let (plane, r) = (win / 9, win % 9);
            let (i, j) = (2 * (r / 3), 2 * (r % 3));
            let mut vals: Vec<f64> = [(0, 0), (0, 1), (1, 0), (1, 1)]
                .iter()
                .map(|&(a, b)| zv[plane * 36 + (i + a) * 6 + j + b].max(0.0))
                .collect();
            vals.sort_by(|a, b| b.total_cmp(a));
            assert!(
                vals[0] == 0.0 || vals[0] - vals[1] > 1e-4,
                "seed {seed}: tie"
            );
        }
        let report = gradcheck(|_g, v| pipeline(v), &inputs, GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(
            report.checked,
            inputs.iter().map(Tensor::numel).sum::<usize>()
        );
    }
}

#[test]
fn pipeline_parameters_get_the_leaves_gradients() {
    // The same network with its weights as Params: backward accumulates into them exactly
    // what leaves receive.
    let inputs = pipeline_inputs(20);
    let params: Vec<Param<f64>> = inputs[1..].iter().map(|t| Param::new(t.clone())).collect();
    let gy = data(&[2, 5], 7);
    for step in 1..=2 {
        let g = Graph::new();
        let mut vars = vec![g.constant(inputs[0].clone())];
        vars.extend(params.iter().map(|p| g.param(p)));
        pipeline(&vars).unwrap().backward_with(&gy).unwrap();

        let g = Graph::new();
        let leaves: Vec<Var<f64>> = inputs.iter().map(|t| g.leaf(t.clone())).collect();
        pipeline(&leaves).unwrap().backward_with(&gy).unwrap();
        for (p, l) in params.iter().zip(&leaves[1..]) {
            // Params accumulate across steps; leaves are fresh.
            let want: Vec<f64> = l
                .grad()
                .unwrap()
                .to_vec()
                .iter()
                .map(|v| v * step as f64)
                .collect();
            youshi_testkit::assert_close(&p.grad().unwrap().to_vec(), &want, 1e-12, 1e-12).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accumulation, errors, recording
// ---------------------------------------------------------------------------------------------

/// Uses of one activation `x` `[2, 2, 5, 5]` and one square weight `w` `[2, 2, 3, 3]` (valid
/// for both conv2d and conv_transpose2d), each flattened.
type Use = Box<dyn Fn(&Var<f64>, &Var<f64>) -> Result<Var<f64>>>;

fn uses() -> Vec<Use> {
    vec![
        Box::new(|x, w| x.conv2d(w, None, Conv2dOptions::new().padding(1))),
        Box::new(|x, w| x.conv2d(w, None, Conv2dOptions::new().stride(2).dilation(2))),
        Box::new(|x, w| x.conv_transpose2d(w, None, ConvTranspose2dOptions::new().stride(2))),
        Box::new(|x, w| {
            x.reshape(&[2, 2, 25])?
                .conv1d(&w.select(-1, 1)?, None, Conv1dOptions::new())
        }),
        Box::new(|x, _| x.max_pool2d(Pool2dOptions::new(2).stride(1))),
        Box::new(|x, _| {
            Ok(x.max_pool2d_with_indices(Pool2dOptions::new(3).padding(1))?
                .0)
        }),
        Box::new(|x, _| x.avg_pool2d(Pool2dOptions::new(2).ceil_mode(true), false)),
        Box::new(|x, _| x.adaptive_avg_pool2d([2, 3])),
        Box::new(|x, _| x.reshape(&[4, 25])?.max_pool1d(Pool1dOptions::new(4))),
        Box::new(|x, _| {
            x.reshape(&[2, 2, 25])?
                .avg_pool1d(Pool1dOptions::new(3), true)
        }),
    ]
}

fn flat_uses(x: &Var<f64>, w: &Var<f64>) -> Result<Vec<Var<f64>>> {
    uses().iter().map(|f| f(x, w)?.reshape(&[-1])).collect()
}

#[test]
fn reused_values_accumulate_through_every_op() {
    let inputs = [distinct(&[2, 2, 5, 5], 1), data(&[2, 2, 3, 3], 2)];
    gradcheck(
        |_g, v| {
            let outs = flat_uses(&v[0], &v[1])?;
            Var::concat(&outs.iter().collect::<Vec<_>>(), 0)
        },
        &inputs,
        GradcheckOptions::default(),
    )
    .unwrap();

    // Together equals the sum of each use alone, with the same output weights.
    let grads = |pick: Option<usize>| {
        let g = Graph::new();
        let (x, w) = (g.leaf(inputs[0].clone()), g.leaf(inputs[1].clone()));
        let outs = flat_uses(&x, &w).unwrap();
        for (k, y) in outs.iter().enumerate() {
            if pick.map_or(true, |p| p == k) {
                y.backward_retain(Some(&data(y.shape(), 50 + k as u64)))
                    .unwrap();
            }
        }
        // Sum of separate backward calls on the same leaves: they accumulate too.
        (x.grad().map(|t| t.to_vec()), w.grad().map(|t| t.to_vec()))
    };
    let total = grads(None);
    let n = uses().len();
    let mut sum = (vec![0.0; 100], vec![0.0; 36]);
    for k in 0..n {
        let (gx, gw) = grads(Some(k));
        for (s, v) in sum.0.iter_mut().zip(gx.unwrap()) {
            *s += v;
        }
        if let Some(gw) = gw {
            for (s, v) in sum.1.iter_mut().zip(gw) {
                *s += v;
            }
        }
    }
    youshi_testkit::assert_close(&total.0.unwrap(), &sum.0, 1e-12, 1e-12).unwrap();
    youshi_testkit::assert_close(&total.1.unwrap(), &sum.1, 1e-12, 1e-12).unwrap();

    // One graph, one combined output: the weight shared by two convolutions.
    let g = Graph::<f64>::new();
    let x = g.constant(inputs[0].clone());
    let w = g.leaf(inputs[1].clone());
    let y1 = x.conv2d(&w, None, Conv2dOptions::new()).unwrap();
    let y2 = x.conv2d(&w, None, Conv2dOptions::new()).unwrap();
    let both = Var::concat(&[&y1, &y2], 0).unwrap();
    both.backward_with(&Tensor::ones(both.shape())).unwrap();
    let single = Tensor::conv2d_backward_weight(
        &Tensor::ones(y1.shape()),
        &inputs[0],
        [3, 3],
        Conv2dOptions::new(),
    )
    .unwrap();
    let twice: Vec<f64> = single.to_vec().iter().map(|v| 2.0 * v).collect();
    youshi_testkit::assert_close(&w.grad().unwrap().to_vec(), &twice, 1e-12, 1e-12).unwrap();
}

/// Asserts a tensor-level failure whose message starts with `op`.
fn assert_tensor_error<V: std::fmt::Debug>(r: Result<V>, op: &str) {
    let e = r.unwrap_err();
    assert!(matches!(e, AutogradError::Tensor(_)), "{op}: {e:?}");
    assert!(e.to_string().starts_with(&format!("{op}: ")), "{op}: {e}");
}

#[test]
fn bad_shapes_are_tensor_errors_naming_the_op() {
    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[1, 3, 4, 4], 1));
    let x1 = g.leaf(data(&[1, 3, 4], 2));
    let w = g.leaf(data(&[2, 3, 3, 3], 3));
    let w1 = g.leaf(data(&[2, 3, 3], 4));
    let b = g.leaf(data(&[2], 5));
    let b3 = g.leaf(data(&[3], 6));
    let before = g.len();

    let c2 = Conv2dOptions::new();
    assert_tensor_error(x.conv2d(&w1, None, c2), "conv2d"); // weight rank
    assert_tensor_error(x1.conv2d(&w, None, c2), "conv2d"); // input rank
    assert_tensor_error(x.conv2d(&w, Some(&b3), c2), "conv2d"); // bias size
    assert_tensor_error(x.conv2d(&w, None, c2.groups(2)), "conv2d"); // groups
    assert_tensor_error(x.conv2d(&w, None, c2.stride(0)), "conv2d");
    assert_tensor_error(x.conv2d(&w, None, c2.dilation(3)), "conv2d"); // kernel too large
    let c1 = Conv1dOptions::new();
    assert_tensor_error(x1.conv1d(&w, None, c1), "conv1d");
    assert_tensor_error(x1.conv1d(&w1, Some(&b3), c1), "conv1d");
    assert_tensor_error(x1.conv1d(&w1, None, c1.padding(0).dilation(2)), "conv1d");
    let ct = ConvTranspose2dOptions::new();
    assert_tensor_error(x.conv_transpose2d(&w, None, ct), "conv_transpose2d"); // C_in 2 != 3
    assert_tensor_error(
        x.conv_transpose2d(
            &w.reshape(&[3, 2, 3, 3]).unwrap(),
            None,
            ct.output_padding(1),
        ),
        "conv_transpose2d",
    );
    let after_reshape = g.len();
    assert_eq!(after_reshape, before + 1);

    assert_tensor_error(x.max_pool2d(Pool2dOptions::new(3).padding(2)), "max_pool2d");
    assert_tensor_error(x.max_pool2d(Pool2dOptions::new(5)), "max_pool2d");
    assert_tensor_error(
        x.max_pool2d_with_indices(Pool2dOptions::new(0)),
        "max_pool2d",
    );
    assert_tensor_error(b.max_pool2d(Pool2dOptions::new(1)), "max_pool2d");
    assert_tensor_error(
        x.avg_pool2d(Pool2dOptions::new(2).dilation(2), true),
        "avg_pool2d",
    );
    assert_tensor_error(
        w1.avg_pool2d(Pool2dOptions::new(4), false), // 3x3 plane, 4x4 window
        "avg_pool2d",
    );
    assert_tensor_error(b.adaptive_avg_pool2d([1, 1]), "adaptive_avg_pool2d");
    assert_tensor_error(x.max_pool1d(Pool1dOptions::new(2)), "max_pool1d");
    assert_tensor_error(
        x1.max_pool1d_with_indices(Pool1dOptions::new(5)),
        "max_pool1d",
    );
    assert_tensor_error(
        x1.avg_pool1d(Pool1dOptions::new(2).padding(2), true),
        "avg_pool1d",
    );
    assert_eq!(g.len(), after_reshape, "failed operations record nothing");

    // Mixing graphs is caught after the tensor op succeeds.
    let other = Graph::<f64>::new();
    let w_other = other.leaf(data(&[2, 3, 3, 3], 7));
    let b_other = other.leaf(data(&[2], 8));
    assert_eq!(
        x.conv2d(&w_other, None, c2).unwrap_err(),
        AutogradError::GraphMismatch { op: "conv2d" }
    );
    assert_eq!(
        x.conv2d(&w, Some(&b_other), c2).unwrap_err(),
        AutogradError::GraphMismatch { op: "conv2d" }
    );
    assert_eq!(
        x1.conv1d(&other.leaf(data(&[2, 3, 3], 9)), None, c1)
            .unwrap_err(),
        AutogradError::GraphMismatch { op: "conv1d" }
    );
    assert_eq!(
        x.conv_transpose2d(&other.leaf(data(&[3, 2, 3, 3], 10)), None, ct)
            .unwrap_err(),
        AutogradError::GraphMismatch {
            op: "conv_transpose2d"
        }
    );
}

/// The inputs of [`run_every_op`]: `x` `[2, 2, 5, 5]`, `w` `[2, 2, 3, 3]`, `b` `[2]`,
/// `x1` `[2, 2, 6]`, `w1` `[2, 2, 3]`.
fn every_op_inputs() -> [Tensor<f64>; 5] {
    [
        data(&[2, 2, 5, 5], 11),
        data(&[2, 2, 3, 3], 12),
        data(&[2], 13),
        data(&[2, 2, 6], 14),
        data(&[2, 2, 3], 15),
    ]
}

/// Every op once on the [`every_op_inputs`].
fn run_every_op(v: &[Var<f64>]) -> Vec<Var<f64>> {
    let (x, w, b, x1, w1) = (&v[0], &v[1], &v[2], &v[3], &v[4]);
    vec![
        x.conv2d(w, Some(b), Conv2dOptions::new()).unwrap(),
        x.conv2d(w, None, Conv2dOptions::new().padding(1)).unwrap(),
        x1.conv1d(w1, Some(b), Conv1dOptions::new()).unwrap(),
        x.conv_transpose2d(w, Some(b), ConvTranspose2dOptions::new())
            .unwrap(),
        x.max_pool2d(Pool2dOptions::new(2)).unwrap(),
        x.max_pool2d_with_indices(Pool2dOptions::new(2)).unwrap().0,
        x.avg_pool2d(Pool2dOptions::new(2), true).unwrap(),
        x.adaptive_avg_pool2d([1, 1]).unwrap(),
        x1.max_pool1d(Pool1dOptions::new(2)).unwrap(),
        x1.max_pool1d_with_indices(Pool1dOptions::new(2)).unwrap().0,
        x1.avg_pool1d(Pool1dOptions::new(2), false).unwrap(),
    ]
}

#[test]
fn constant_inputs_record_nothing() {
    let g = Graph::<f64>::new();
    let vars: Vec<Var<f64>> = every_op_inputs()
        .into_iter()
        .map(|t| g.constant(t))
        .collect();
    for y in run_every_op(&vars) {
        assert!(!y.requires_grad());
    }
    assert_eq!(g.len(), 0);
}

#[test]
fn no_grad_graph_records_nothing_and_recording_graph_records_each_op() {
    let g = Graph::<f64>::no_grad();
    let vars: Vec<Var<f64>> = every_op_inputs().into_iter().map(|t| g.leaf(t)).collect();
    assert!(run_every_op(&vars).iter().all(|y| !y.requires_grad()));
    assert_eq!(g.len(), 0);

    let g = Graph::<f64>::new();
    let vars: Vec<Var<f64>> = every_op_inputs().into_iter().map(|t| g.leaf(t)).collect();
    let outs = run_every_op(&vars);
    assert!(outs.iter().all(Var::requires_grad));
    // Five leaves and one node per output.
    assert_eq!(g.len(), 5 + outs.len());

    // A convolution with only its bias to train still records (and trains only the bias).
    let g = Graph::<f64>::new();
    let [x, w, b, ..] = every_op_inputs();
    let b = g.leaf(b);
    let y = g
        .constant(x)
        .conv2d(&g.constant(w), Some(&b), Conv2dOptions::new())
        .unwrap();
    assert_eq!(g.len(), 2);
    y.backward_with(&Tensor::ones(y.shape())).unwrap();
    assert_eq!(b.grad().unwrap().to_vec(), vec![18.0, 18.0]);
}
