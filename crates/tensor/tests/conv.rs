//! Convolutions against naive references: a direct 7-loop convolution in `f64` over row-major
//! `Vec`s, its adjoints (input and weight gradients), and a direct scatter for the transposed
//! convolution. Shapes are small and odd (1, primes, kernels larger than the stride, padding
//! larger than the kernel) to break the kernels' range arithmetic.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use youshi_tensor::ops::conv::{Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions};
use youshi_tensor::{Tensor, TensorError};
use youshi_testkit::{assert_close, uniform_vec};

type R = Result<(), TensorError>;

/// Sizes of one 2-d convolution `x [n, c, h, w] ⋆ w [o, c / g, kh, kw] -> y [n, o, oh, ow]`.
#[derive(Debug, Clone, Copy)]
struct Geo {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    kh: usize,
    kw: usize,
    s: [usize; 2],
    p: [usize; 2],
    d: [usize; 2],
    g: usize,
    bias: bool,
    seed: u64,
}

impl Geo {
    /// The output size, or `None` if the kernel does not fit.
    fn out(&self) -> Option<[usize; 2]> {
        let one = |len: usize, k: usize, s: usize, p: usize, d: usize| {
            let span = d * (k - 1) + 1;
            (len + 2 * p >= span).then(|| (len + 2 * p - span) / s + 1)
        };
        Some([
            one(self.h, self.kh, self.s[0], self.p[0], self.d[0])?,
            one(self.w, self.kw, self.s[1], self.p[1], self.d[1])?,
        ])
    }

    fn x_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    fn w_shape(&self) -> [usize; 4] {
        [self.o, self.c / self.g, self.kh, self.kw]
    }

    fn y_shape(&self) -> [usize; 4] {
        let [oh, ow] = self.out().expect("valid case");
        [self.n, self.o, oh, ow]
    }

    fn opts(&self) -> Conv2dOptions {
        Conv2dOptions::new()
            .stride2(self.s)
            .padding2(self.p)
            .dilation2(self.d)
            .groups(self.g)
    }
}

fn numel(s: &[usize]) -> usize {
    s.iter().product()
}

/// Calls `f(x_index, w_index, y_index)` for every input, weight and output element that meet
/// in the convolution: the direct 7-loop convolution (over n, o, oy, ox, c, ki, kj).
fn visit(geo: &Geo, mut f: impl FnMut(usize, usize, usize)) {
    let [_, _, oh, ow] = geo.y_shape();
    let (cg, og) = (geo.c / geo.g, geo.o / geo.g);
    for n in 0..geo.n {
        for o in 0..geo.o {
            let grp = o / og;
            for oy in 0..oh {
                for ox in 0..ow {
                    for cl in 0..cg {
                        for ki in 0..geo.kh {
                            for kj in 0..geo.kw {
                                let iy =
                                    (oy * geo.s[0] + ki * geo.d[0]) as isize - geo.p[0] as isize;
                                let ix =
                                    (ox * geo.s[1] + kj * geo.d[1]) as isize - geo.p[1] as isize;
                                if iy < 0 || ix < 0 || iy >= geo.h as isize || ix >= geo.w as isize
                                {
                                    continue;
                                }
                                let c = grp * cg + cl;
                                let xi =
                                    ((n * geo.c + c) * geo.h + iy as usize) * geo.w + ix as usize;
                                let wi = ((o * cg + cl) * geo.kh + ki) * geo.kw + kj;
                                let yi = ((n * geo.o + o) * oh + oy) * ow + ox;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn naive_conv(geo: &Geo, x: &[f64], w: &[f64], b: Option<&[f64]>) -> Vec<f64> {
    let ys = geo.y_shape();
    let plane = ys[2] * ys[3];
    let mut y: Vec<f64> = (0..numel(&ys))
        .map(|i| b.map_or(0.0, |b| b[(i / plane) % geo.o]))
        .collect();
    visit(geo, |xi, wi, yi| y[yi] += x[xi] * w[wi]);
    y
}

fn naive_grad_input(geo: &Geo, gy: &[f64], w: &[f64]) -> Vec<f64> {
    let mut gx = vec![0.0; numel(&geo.x_shape())];
    visit(geo, |xi, wi, yi| gx[xi] += w[wi] * gy[yi]);
    gx
}

fn naive_grad_weight(geo: &Geo, gy: &[f64], x: &[f64]) -> Vec<f64> {
    let mut gw = vec![0.0; numel(&geo.w_shape())];
    visit(geo, |xi, wi, yi| gw[wi] += x[xi] * gy[yi]);
    gw
}

fn naive_grad_bias(gy: &[f64], shape: &[usize]) -> Vec<f64> {
    let plane: usize = shape[2..].iter().product();
    let mut gb = vec![0.0; shape[1]];
    for (i, v) in gy.iter().enumerate() {
        gb[(i / plane) % shape[1]] += v;
    }
    gb
}

/// Direct scatter definition of the transposed convolution: input `x [n, cin, h, w]`,
/// weight `[cin, cout / g, kh, kw]`, output `[n, cout, oh, ow]` of the given size.
#[allow(clippy::too_many_arguments)]
fn naive_transposed(
    x: &[f64],
    xs: [usize; 4],
    w: &[f64],
    ws: [usize; 4],
    b: Option<&[f64]>,
    out_hw: [usize; 2],
    o: &ConvTranspose2dOptions,
) -> Vec<f64> {
    let [n, cin, h, wd] = xs;
    let [_, cog, kh, kw] = ws;
    let g = o.groups;
    let cout = cog * g;
    let [oh, ow] = out_hw;
    let mut y = vec![0.0; n * cout * oh * ow];
    if let Some(b) = b {
        for (i, v) in y.iter_mut().enumerate() {
            *v = b[(i / (oh * ow)) % cout];
        }
    }
    for ni in 0..n {
        for ci in 0..cin {
            let grp = ci / (cin / g);
            for iy in 0..h {
                for ix in 0..wd {
                    let xv = x[((ni * cin + ci) * h + iy) * wd + ix];
                    for col in 0..cog {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let oy = (iy * o.stride[0] + ki * o.dilation[0]) as isize
                                    - o.padding[0] as isize;
                                let ox = (ix * o.stride[1] + kj * o.dilation[1]) as isize
                                    - o.padding[1] as isize;
                                if oy < 0 || ox < 0 || oy >= oh as isize || ox >= ow as isize {
                                    continue;
                                }
                                let co = grp * cog + col;
                                let yi = ((ni * cout + co) * oh + oy as usize) * ow + ox as usize;
                                y[yi] += xv * w[((ci * cog + col) * kh + ki) * kw + kj];
                            }
                        }
                    }
                }
            }
        }
    }
    y
}

fn tensor(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape).expect("length matches")
}

/// The same logical values as `tensor(v, shape)`, stored as `[a, c, d, b]` and permuted back:
/// a non-contiguous view.
fn permuted(v: &[f64], shape: [usize; 4]) -> Tensor<f64> {
    let [a, b, c, d] = shape;
    let t = tensor(v, &shape).permute(&[0, 2, 3, 1]).expect("rank 4");
    let stored = tensor(&t.to_vec(), &[a, c, d, b]);
    let view = stored.permute(&[0, 3, 1, 2]).expect("rank 4");
    assert!(!view.is_contiguous() || b == 1 || c * d == 1);
    view
}

fn close(got: &Tensor<f64>, want: &[f64]) -> Result<(), TestCaseError> {
    assert_close(&got.to_vec(), want, 1e-10, 1e-12).map_err(TestCaseError::fail)
}

fn close32(got: &Tensor<f32>, want: &[f64], len: usize) -> Result<(), TestCaseError> {
    let got: Vec<f64> = got.to_vec().iter().map(|&v| f64::from(v)).collect();
    assert_close(&got, want, 1e-5, 2e-6 * len as f64).map_err(TestCaseError::fail)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        rng_seed: RngSeed::Fixed(0x5eed_c0de),
        ..ProptestConfig::default()
    }
}

prop_compose! {
    /// A convolution problem: N 1-3, groups 1-3, 1-3 channels in and out per group, H and W
    /// 1-9, kernel 1-4, stride 1-3, padding 0-2, dilation 1-2 (each per dimension). About a
    /// third are "same" convolutions (stride 1, odd kernel, padding d (k - 1) / 2), whose
    /// output is as large as the input: the kernels have a fast path for them.
    fn geo()(
        (n, g, cpg, opg) in (1usize..=3, 1usize..=3, 1usize..=3, 1usize..=3),
        (h, w, kh, kw) in (1usize..=9, 1usize..=9, 1usize..=4, 1usize..=4),
        (sh, sw, ph, pw) in (1usize..=3, 1usize..=3, 0usize..=2, 0usize..=2),
        (dh, dw, bias, seed) in (1usize..=2, 1usize..=2, any::<bool>(), any::<u64>()),
        same in prop::bool::weighted(0.35),
    ) -> Geo {
        let (kh, kw) = if same { (kh | 1, kw | 1) } else { (kh, kw) };
        let (s, p) = if same {
            ([1, 1], [dh * (kh - 1) / 2, dw * (kw - 1) / 2])
        } else {
            ([sh, sw], [ph, pw])
        };
        Geo {
            n, c: g * cpg, h, w, o: g * opg, kh, kw,
            s, p, d: [dh, dw], g, bias, seed,
        }
    }
}

/// Seeded data for a case: input, weight, bias and an output gradient.
fn data(geo: &Geo) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    (
        uniform_vec(numel(&geo.x_shape()), geo.seed),
        uniform_vec(numel(&geo.w_shape()), geo.seed ^ 1),
        uniform_vec(geo.o, geo.seed ^ 2),
        uniform_vec(numel(&geo.y_shape()), geo.seed ^ 3),
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn conv2d_matches_naive(geo in geo()) {
        prop_assume!(geo.out().is_some());
        let (x, w, b, _) = data(&geo);
        let bias = geo.bias.then(|| tensor(&b, &[geo.o]));
        let want = naive_conv(&geo, &x, &w, geo.bias.then_some(&b[..]));
        let xt = tensor(&x, &geo.x_shape());
        let wt = tensor(&w, &geo.w_shape());
        let y = xt.conv2d(&wt, bias.as_ref(), geo.opts())?;
        prop_assert_eq!(y.shape(), &geo.y_shape()[..]);
        close(&y, &want)?;
        // Non-contiguous input and weight give the same result.
        let y2 = permuted(&x, geo.x_shape()).conv2d(&permuted(&w, geo.w_shape()), bias.as_ref(), geo.opts())?;
        prop_assert_eq!(y2.to_vec(), y.to_vec());
        // f32, within a tolerance that grows with the reduction length.
        let y32 = xt.cast::<f32>().conv2d(&wt.cast(), bias.map(|b| b.cast()).as_ref(), geo.opts())?;
        close32(&y32, &want, geo.c / geo.g * geo.kh * geo.kw)?;
    }

    #[test]
    fn conv2d_backward_matches_naive_adjoints(geo in geo()) {
        prop_assume!(geo.out().is_some());
        let (x, w, _, gy) = data(&geo);
        let ys = geo.y_shape();
        let (xt, wt, gyt) = (tensor(&x, &geo.x_shape()), tensor(&w, &geo.w_shape()), tensor(&gy, &ys));
        let hw = [geo.h, geo.w];
        let k = [geo.kh, geo.kw];

        let want_gx = naive_grad_input(&geo, &gy, &w);
        let gx = Tensor::conv2d_backward_input(&gyt, &wt, hw, geo.opts())?;
        prop_assert_eq!(gx.shape(), &geo.x_shape()[..]);
        close(&gx, &want_gx)?;
        let gx2 = Tensor::conv2d_backward_input(&permuted(&gy, ys), &permuted(&w, geo.w_shape()), hw, geo.opts())?;
        prop_assert_eq!(gx2.to_vec(), gx.to_vec());
        let gx32 = Tensor::conv2d_backward_input(&gyt.cast::<f32>(), &wt.cast(), hw, geo.opts())?;
        close32(&gx32, &want_gx, geo.o / geo.g * geo.kh * geo.kw)?;

        let want_gw = naive_grad_weight(&geo, &gy, &x);
        let gw = Tensor::conv2d_backward_weight(&gyt, &xt, k, geo.opts())?;
        prop_assert_eq!(gw.shape(), &geo.w_shape()[..]);
        close(&gw, &want_gw)?;
        let gw2 = Tensor::conv2d_backward_weight(&permuted(&gy, ys), &permuted(&x, geo.x_shape()), k, geo.opts())?;
        prop_assert_eq!(gw2.to_vec(), gw.to_vec());
        let gw32 = Tensor::conv2d_backward_weight(&gyt.cast::<f32>(), &xt.cast(), k, geo.opts())?;
        close32(&gw32, &want_gw, ys[0] * ys[2] * ys[3])?;

        let gb = Tensor::conv2d_backward_bias(&gyt)?;
        close(&gb, &naive_grad_bias(&gy, &ys))?;
        close(&Tensor::conv2d_backward_bias(&permuted(&gy, ys))?, &naive_grad_bias(&gy, &ys))?;
    }

    #[test]
    fn conv1d_matches_naive(geo in geo()) {
        // The 1-d problem is the 2-d one with height 1 and the horizontal options.
        let geo = Geo { h: 1, kh: 1, s: [1, geo.s[1]], p: [0, geo.p[1]], d: [1, geo.d[1]], ..geo };
        prop_assume!(geo.out().is_some());
        let (x, w, b, gy) = data(&geo);
        let [n, c, _, l] = geo.x_shape();
        let [o, cg, _, k] = geo.w_shape();
        let [_, _, _, ol] = geo.y_shape();
        let opts = Conv1dOptions::new().stride(geo.s[1]).padding(geo.p[1]).dilation(geo.d[1]).groups(geo.g);
        let (xt, wt, gyt) = (tensor(&x, &[n, c, l]), tensor(&w, &[o, cg, k]), tensor(&gy, &[n, o, ol]));
        let bias = geo.bias.then(|| tensor(&b, &[o]));

        let y = xt.conv1d(&wt, bias.as_ref(), opts)?;
        prop_assert_eq!(y.shape(), &[n, o, ol][..]);
        close(&y, &naive_conv(&geo, &x, &w, geo.bias.then_some(&b[..])))?;
        let xp = xt.transpose(1, 2)?.contiguous().transpose(1, 2)?;
        prop_assert!(!xp.is_contiguous() || c == 1 || l == 1);
        prop_assert_eq!(xp.conv1d(&wt, bias.as_ref(), opts)?.to_vec(), y.to_vec());

        let gx = Tensor::conv1d_backward_input(&gyt, &wt, l, opts)?;
        prop_assert_eq!(gx.shape(), &[n, c, l][..]);
        close(&gx, &naive_grad_input(&geo, &gy, &w))?;
        let gw = Tensor::conv1d_backward_weight(&gyt, &xt, k, opts)?;
        prop_assert_eq!(gw.shape(), &[o, cg, k][..]);
        close(&gw, &naive_grad_weight(&geo, &gy, &x))?;
        close(&Tensor::conv1d_backward_bias(&gyt)?, &naive_grad_bias(&gy, &[n, o, ol]))?;
    }

    #[test]
    fn conv_transpose2d_matches_naive(geo in geo(), opf in (0usize..3, 0usize..3)) {
        // The transposed convolution maps the conv's output space back to its input space.
        prop_assume!(geo.out().is_some());
        let topts = |op: [usize; 2]| ConvTranspose2dOptions {
            stride: geo.s, padding: geo.p, output_padding: op, dilation: geo.d, groups: geo.g,
        };
        let (x, w, _, gy) = data(&geo);
        let ys = geo.y_shape();
        let (xs, ws) = (geo.x_shape(), geo.w_shape());

        // Adjoint identity: <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>, with the output
        // padding that recovers the input size.
        let op = [
            (geo.h + 2 * geo.p[0] - geo.d[0] * (geo.kh - 1) - 1) % geo.s[0],
            (geo.w + 2 * geo.p[1] - geo.d[1] * (geo.kw - 1) - 1) % geo.s[1],
        ];
        let wt = tensor(&w, &ws);
        let conv = tensor(&x, &xs).conv2d(&wt, None, geo.opts())?;
        let tr = tensor(&gy, &ys).conv_transpose2d(&wt, None, topts(op))?;
        prop_assert_eq!(tr.shape(), &xs[..]);
        let lhs: f64 = conv.to_vec().iter().zip(&gy).map(|(a, b)| a * b).sum();
        let rhs: f64 = x.iter().zip(tr.to_vec()).map(|(a, b)| a * b).sum();
        prop_assert!((lhs - rhs).abs() <= 1e-10 * (1.0 + lhs.abs()), "{} vs {}", lhs, rhs);

        // Any valid output padding, against the direct scatter; the input is `gy`-shaped.
        let op = [opf.0 % geo.s[0].max(geo.d[0]), opf.1 % geo.s[1].max(geo.d[1])];
        let o = topts(op);
        let out_hw = o.output_size([ys[2], ys[3]], [geo.kh, geo.kw]);
        prop_assume!(out_hw.is_ok());
        let out_hw = out_hw?;
        let bias_v = uniform_vec(geo.c, geo.seed ^ 5);
        let bias = geo.bias.then(|| tensor(&bias_v, &[geo.c]));
        let want = naive_transposed(&gy, ys, &w, ws, geo.bias.then_some(&bias_v[..]), out_hw, &o);
        let y = tensor(&gy, &ys).conv_transpose2d(&wt, bias.as_ref(), o)?;
        prop_assert_eq!(y.shape(), &[geo.n, geo.c, out_hw[0], out_hw[1]][..]);
        close(&y, &want)?;
        let y2 = permuted(&gy, ys).conv_transpose2d(&permuted(&w, ws), bias.as_ref(), o)?;
        prop_assert_eq!(y2.to_vec(), y.to_vec());

        // Gradients: of the input, the conv2d of the output gradient; of the weight, the
        // conv2d weight gradient with input and output swapped (both through the naive conv).
        let big = Geo { h: out_hw[0], w: out_hw[1], ..geo };
        prop_assert!(big.out().is_some_and(|s| s[0] >= ys[2] && s[1] >= ys[3]));
        let g_out = uniform_vec(numel(&[geo.n, geo.c, out_hw[0], out_hw[1]]), geo.seed ^ 4);
        let g_out_t = tensor(&g_out, &[geo.n, geo.c, out_hw[0], out_hw[1]]);
        let gx = Tensor::conv_transpose2d_backward_input(&g_out_t, &wt, [ys[2], ys[3]], o)?;
        prop_assert_eq!(gx.shape(), &ys[..]);
        // The naive conv of the big image gives a grid at least as large as the input; crop.
        let full = naive_conv(&big, &g_out, &w, None);
        let [_, _, bh, bw] = big.y_shape();
        let want_gx: Vec<f64> = (0..numel(&ys))
            .map(|i| {
                let (q, ox) = (i / ys[3], i % ys[3]);
                let (q, oy) = (q / ys[2], q % ys[2]);
                full[(q * bh + oy) * bw + ox]
            })
            .collect();
        close(&gx, &want_gx)?;
        let gw = Tensor::conv_transpose2d_backward_weight(&g_out_t, &tensor(&gy, &ys), [geo.kh, geo.kw], o)?;
        prop_assert_eq!(gw.shape(), &ws[..]);
        // dW[o, c, ki, kj] = Σ x_t[n, o, oy, ox] g_out[n, c, oy s + ki d - p, ...], where x_t
        // is the transposed conv's input: the naive conv weight gradient with the grid padded
        // by zeros to the big geometry's size.
        let mut x_pad = vec![0.0; numel(&big.y_shape())];
        for (i, v) in gy.iter().enumerate() {
            let (q, ox) = (i / ys[3], i % ys[3]);
            let (q, oy) = (q / ys[2], q % ys[2]);
            x_pad[(q * bh + oy) * bw + ox] = *v;
        }
        close(&gw, &naive_grad_weight(&big, &x_pad, &g_out))?;
    }

    #[test]
    fn pointwise_convolutions_match_naive(
        (n, g, cpg, opg) in (1usize..=3, 1usize..=3, 1usize..=4, 1usize..=4),
        (h, w, bias, seed) in (1usize..=7, 1usize..=7, any::<bool>(), any::<u64>()),
    ) {
        // 1x1 kernels with stride 1 and no padding skip im2col.
        let geo = Geo {
            n, c: g * cpg, h, w, o: g * opg, kh: 1, kw: 1,
            s: [1, 1], p: [0, 0], d: [1, 1], g, bias, seed,
        };
        let (x, wv, b, gy) = data(&geo);
        let (xt, wt, gyt) = (tensor(&x, &geo.x_shape()), tensor(&wv, &geo.w_shape()), tensor(&gy, &geo.y_shape()));
        let bt = bias.then(|| tensor(&b, &[geo.o]));
        close(&xt.conv2d(&wt, bt.as_ref(), geo.opts())?, &naive_conv(&geo, &x, &wv, bias.then_some(&b[..])))?;
        close(&Tensor::conv2d_backward_input(&gyt, &wt, [h, w], geo.opts())?, &naive_grad_input(&geo, &gy, &wv))?;
        close(&Tensor::conv2d_backward_weight(&gyt, &xt, [1, 1], geo.opts())?, &naive_grad_weight(&geo, &gy, &x))?;
        // The transposed 1x1 convolution with a bias is the pointwise backward pass plus bias.
        let tb = uniform_vec(geo.c, seed ^ 5);
        let topts = ConvTranspose2dOptions::new().groups(g);
        let y = gyt.conv_transpose2d(&wt, bias.then(|| tensor(&tb, &[geo.c])).as_ref(), topts)?;
        let want = naive_transposed(&gy, geo.y_shape(), &wv, geo.w_shape(), bias.then_some(&tb[..]), [h, w], &topts);
        close(&y, &want)?;
    }
}

/// Makes sure the kernel pool has at least two threads, so the parallel paths run.
fn at_least_two_threads() -> usize {
    if youshi_tensor::num_threads() < 2 {
        youshi_tensor::set_num_threads(2).expect("two threads start");
    }
    youshi_tensor::num_threads()
}

fn check_all(geo: &Geo) -> R {
    let (x, w, b, gy) = data(geo);
    let (xt, wt, gyt) = (
        tensor(&x, &geo.x_shape()),
        tensor(&w, &geo.w_shape()),
        tensor(&gy, &geo.y_shape()),
    );
    let bt = tensor(&b, &[geo.o]);
    let y = xt.conv2d(&wt, Some(&bt), geo.opts())?;
    close(&y, &naive_conv(geo, &x, &w, Some(&b))).unwrap();
    let gx = Tensor::conv2d_backward_input(&gyt, &wt, [geo.h, geo.w], geo.opts())?;
    close(&gx, &naive_grad_input(geo, &gy, &w)).unwrap();
    let gw = Tensor::conv2d_backward_weight(&gyt, &xt, [geo.kh, geo.kw], geo.opts())?;
    close(&gw, &naive_grad_weight(geo, &gy, &x)).unwrap();
    close(
        &Tensor::conv2d_backward_bias(&gyt)?,
        &naive_grad_bias(&gy, &geo.y_shape()),
    )
    .unwrap();
    // f32 through the same paths.
    let y32 = xt
        .cast::<f32>()
        .conv2d(&wt.cast(), Some(&bt.cast()), geo.opts())?;
    close32(&y32, &naive_conv(geo, &x, &w, Some(&b)), geo.c * 9).unwrap();
    Ok(())
}

#[test]
fn batch_larger_than_the_pool_runs_in_parallel() -> R {
    let threads = at_least_two_threads();
    // Enough work per call to pass the parallel threshold, one chunk of images per thread.
    let geo = Geo {
        n: threads + 3,
        c: 8,
        h: 12,
        w: 11,
        o: 6,
        kh: 3,
        kw: 3,
        s: [1, 1],
        p: [1, 1],
        d: [1, 1],
        g: 2,
        bias: true,
        seed: 7,
    };
    check_all(&geo)?;
    // Pointwise and strided variants of the batch-parallel path.
    check_all(&Geo {
        kh: 1,
        kw: 1,
        p: [0, 0],
        c: 32,
        o: 32,
        ..geo
    })?;
    check_all(&Geo {
        s: [2, 3],
        d: [2, 1],
        c: 16,
        o: 16,
        ..geo
    })
}

#[test]
fn single_image_parallelises_inside_the_image() -> R {
    at_least_two_threads();
    // N = 1: threaded GEMM, im2col and col2im split by channel.
    let geo = Geo {
        n: 1,
        c: 16,
        h: 24,
        w: 23,
        o: 16,
        kh: 3,
        kw: 3,
        s: [1, 1],
        p: [1, 1],
        d: [1, 1],
        g: 1,
        bias: true,
        seed: 11,
    };
    check_all(&geo)?;
    check_all(&Geo {
        kh: 1,
        kw: 1,
        p: [0, 0],
        c: 64,
        o: 64,
        ..geo
    })
}

#[test]
fn empty_batch_gives_empty_results() -> R {
    let x = Tensor::<f32>::zeros([0, 2, 5, 5]);
    let w = Tensor::<f32>::ones([4, 2, 3, 3]);
    let b = Tensor::<f32>::ones([4]);
    let y = x.conv2d(&w, Some(&b), Conv2dOptions::new())?;
    assert_eq!(y.shape(), &[0, 4, 3, 3]);
    let gy = Tensor::<f32>::zeros([0, 4, 3, 3]);
    let gw = Tensor::conv2d_backward_weight(&gy, &x, [3, 3], Conv2dOptions::new())?;
    assert_eq!(gw.to_vec(), vec![0.0; 72]);
    let gx = Tensor::conv2d_backward_input(&gy, &w, [5, 5], Conv2dOptions::new())?;
    assert_eq!(gx.shape(), &[0, 2, 5, 5]);
    assert_eq!(Tensor::conv2d_backward_bias(&gy)?.to_vec(), vec![0.0; 4]);
    Ok(())
}

#[test]
fn large_images_are_processed_in_bands() -> R {
    // 32 channels, 3x3, 64x64: the column buffer of one image (288 x 4096) is cut into bands
    // of grid rows. Same and strided variants.
    let geo = Geo {
        n: 2,
        c: 32,
        h: 64,
        w: 64,
        o: 3,
        kh: 3,
        kw: 3,
        s: [1, 1],
        p: [1, 1],
        d: [1, 1],
        g: 1,
        bias: true,
        seed: 13,
    };
    check_all(&geo)?;
    check_all(&Geo {
        h: 127,
        w: 129,
        s: [2, 2],
        d: [1, 2],
        ..geo
    })
}
