//! Convolution kernels: im2col / col2im and the batched drivers of the three products.
//!
//! All three products of a 2-d convolution share one geometry ([`ConvGeom`]): an *image*
//! `[n, c, h, w]` (the convolution's input), a *grid* `[n, o, oh, ow]` (its output) and a weight
//! `[o, c / groups, kh, kw]`. Grid position `(oy, ox)` and kernel tap `(ki, kj)` read image
//! position `(oy * sh + ki * dh - ph, ox * sw + kj * dw - pw)`, or zero outside the image.
//!
//! - [`conv_forward`]: image → grid (`conv2d`, and the input gradient of `conv_transpose2d`);
//! - [`conv_backward_data`]: grid → image (the input gradient of `conv2d`, and
//!   `conv_transpose2d` itself);
//! - [`conv_backward_weight`]: grid and image → weight (the weight gradient of both).
//!
//! Each image of the batch is processed on its own with a reusable column buffer of
//! `(c / groups) * kh * kw` rows and one column per grid position of a band of grid rows (the
//! whole grid for small images, about [`BAND_BYTES`] for large ones), so scratch
//! memory grows neither with the batch nor with the image, and im2col writes each band into
//! cache right before the GEMM reads it. A large batch is split across the kernel pool (one
//! column buffer per worker, serial GEMMs); a small one loops over its images and
//! parallelises inside each (threaded GEMM, im2col / col2im split by channel). 1x1 kernels
//! with stride 1 and no padding use the image itself as the column matrix. The grid may be smaller than the grid the image would
//! give (`conv_transpose2d` with `output_padding >= stride`): positions past it are not read or
//! written.

use ndarray::{s, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

mod im2col;

use self::im2col::{col2im, im2col, Plan, Span};
use crate::element::Element;
use crate::kernels::gemm::{gemm, gemm_serial};
use crate::parallel;

/// Below this many multiply-adds a convolution runs on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 17;
/// Below this many elements the bias gradient is summed on the calling thread.
const PARALLEL_MIN_SUM: usize = 1 << 18;
/// Target size of a column buffer in bytes: larger images are processed in bands of output
/// rows, so im2col writes a band into cache right before the GEMM reads it, and scratch memory
/// stays bounded whatever the image size.
const BAND_BYTES: usize = 1 << 20;
/// Fewest grid positions of a band, so that the GEMMs stay wide enough to run at full speed.
const BAND_MIN_COLS: usize = 256;

/// Sizes of one convolution problem; every extent except `n` is at least 1 and `groups`
/// divides `c` and `o` (checked at the public edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvGeom {
    /// Batch size.
    pub n: usize,
    /// Image channels (input channels of the convolution).
    pub c: usize,
    /// Image height.
    pub h: usize,
    /// Image width.
    pub w: usize,
    /// Grid channels (output channels of the convolution).
    pub o: usize,
    /// Grid height.
    pub oh: usize,
    /// Grid width.
    pub ow: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Vertical stride.
    pub sh: usize,
    /// Horizontal stride.
    pub sw: usize,
    /// Vertical zero padding.
    pub ph: usize,
    /// Horizontal zero padding.
    pub pw: usize,
    /// Vertical dilation.
    pub dh: usize,
    /// Horizontal dilation.
    pub dw: usize,
    /// Channel groups.
    pub groups: usize,
}

impl ConvGeom {
    /// Image channels per group.
    fn cg(&self) -> usize {
        self.c / self.groups
    }

    /// Grid channels per group.
    fn og(&self) -> usize {
        self.o / self.groups
    }

    /// Rows of a column buffer: `cg * kh * kw`.
    fn col_rows(&self) -> usize {
        self.cg() * self.kh * self.kw
    }

    /// Columns of a column buffer: `oh * ow`.
    fn col_cols(&self) -> usize {
        self.oh * self.ow
    }

    /// Elements of one image plane `h * w`.
    fn plane(&self) -> usize {
        self.h * self.w
    }

    /// Elements of one image `c * h * w`.
    fn image_len(&self) -> usize {
        self.c * self.plane()
    }

    /// Elements of one grid `o * oh * ow`.
    fn grid_len(&self) -> usize {
        self.o * self.col_cols()
    }

    /// Elements of the weight `o * cg * kh * kw`.
    pub(crate) fn weight_len(&self) -> usize {
        self.o * self.col_rows()
    }

    /// True if the image already is the column matrix: a 1x1 kernel with stride 1, no padding,
    /// and a grid of the image's size.
    fn pointwise(&self) -> bool {
        self.kh == 1
            && self.kw == 1
            && self.sh == 1
            && self.sw == 1
            && self.ph == 0
            && self.pw == 0
            && self.oh == self.h
            && self.ow == self.w
    }

    /// True if every tap reads the image at a constant offset from its grid position: stride
    /// 1 and a grid as wide as the image (every "same" convolution). Then the valid part of a
    /// column row is one shifted copy of the image, apart from the padding margins.
    fn shifted(&self) -> bool {
        self.sh == 1 && self.sw == 1 && self.ow == self.w
    }

    /// Grid rows per band of the column buffer for elements of `elem` bytes: about
    /// [`BAND_BYTES`], at least [`BAND_MIN_COLS`] grid positions, at most the whole grid.
    fn band_rows(&self, elem: usize) -> usize {
        let per_row = self.col_rows().saturating_mul(self.ow).max(1);
        (BAND_BYTES / elem.max(1) / per_row)
            .max(BAND_MIN_COLS.div_ceil(self.ow))
            .min(self.oh)
            .max(1)
    }

    /// Multiply-adds of one product over the whole batch (saturating).
    fn work(&self) -> usize {
        self.n
            .saturating_mul(self.o)
            .saturating_mul(self.col_cols())
            .saturating_mul(self.col_rows())
    }

    /// How to run: `Batch` splits the batch over the pool, `Inner` loops over images with
    /// threaded products, `Serial` runs on the calling thread.
    fn mode(&self) -> Mode {
        let threads = parallel::threads();
        if threads <= 1 || self.work() < PARALLEL_MIN_WORK {
            Mode::Serial
        } else if self.n >= threads {
            Mode::Batch(self.n.div_ceil(threads))
        } else {
            Mode::Inner
        }
    }

    /// The plan of this problem for elements of type `T`, with bands of
    /// [`band_rows`](Self::band_rows) grid rows.
    fn plan<T>(&self) -> Plan {
        self.plan_banded(self.band_rows(std::mem::size_of::<T>()))
    }

    /// The valid grid ranges of every kernel row and column, and bands of `band` grid rows.
    fn plan_banded(&self, band: usize) -> Plan {
        let band = band.clamp(1, self.oh.max(1));
        Plan {
            ys: (0..self.kh)
                .map(|k| Span::new(self.oh, self.h, k * self.dh, self.sh, self.ph))
                .collect(),
            xs: (0..self.kw)
                .map(|k| Span::new(self.ow, self.w, k * self.dw, self.sw, self.pw))
                .collect(),
            band,
            oh: self.oh,
            col_len: if self.pointwise() {
                0
            } else {
                self.col_rows() * band * self.ow
            },
        }
    }
}

/// How a driver schedules its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Everything on the calling thread.
    Serial,
    /// Images one after the other, each using the whole pool.
    Inner,
    /// Chunks of this many images, one chunk per worker, each worker serial.
    Batch(usize),
}

fn view2<T>(s: &[T], rows: usize, cols: usize) -> ArrayView2<'_, T> {
    ArrayView2::from_shape((rows, cols), s).expect("conv: buffer length matches its geometry")
}

fn view2_mut<T>(s: &mut [T], rows: usize, cols: usize) -> ArrayViewMut2<'_, T> {
    ArrayViewMut2::from_shape((rows, cols), s).expect("conv: buffer length matches its geometry")
}

/// `c = alpha a b + beta c`, threaded or on the calling thread.
fn matmul<T: Element>(
    threaded: bool,
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    c: ArrayViewMut2<'_, T>,
) {
    if threaded {
        gemm(alpha, a, b, beta, c);
    } else {
        gemm_serial(alpha, a, b, beta, c);
    }
}

/// Fills each `len`-element block of `dst` with the matching value of `values`.
fn fill_blocks<T: Element>(dst: &mut [T], len: usize, values: &[T]) {
    for (block, &v) in dst.chunks_exact_mut(len).zip(values) {
        block.fill(v);
    }
}

/// Runs `f(input, output, col, threaded)` on every image of the batch, scheduled by `mode`;
/// `input` holds `in_len` and `output` `out_len` elements per image, and `col` is the
/// worker's column buffer of `col_len` elements.
fn for_each_image<T: Element>(
    g: &ConvGeom,
    col_len: usize,
    (input, in_len): (&[T], usize),
    (output, out_len): (&mut [T], usize),
    f: impl Fn(&[T], &mut [T], &mut [T], bool) + Sync,
) {
    if g.n == 0 {
        return;
    }
    match g.mode() {
        Mode::Batch(per) => parallel::install(|| {
            input
                .par_chunks(per * in_len)
                .zip(output.par_chunks_mut(per * out_len))
                .for_each(|(xs, ys)| {
                    let mut col = vec![T::zero(); col_len];
                    for (x, y) in xs.chunks_exact(in_len).zip(ys.chunks_exact_mut(out_len)) {
                        f(x, y, &mut col, false);
                    }
                });
        }),
        mode => {
            let mut col = vec![T::zero(); col_len];
            for (x, y) in input
                .chunks_exact(in_len)
                .zip(output.chunks_exact_mut(out_len))
            {
                f(x, y, &mut col, mode == Mode::Inner);
            }
        }
    }
}

/// Convolution forward: `grid = weight ⋆ image (+ bias per grid channel)`.
///
/// `image` is `[n, c, h, w]`, `weight` `[o, c / groups, kh, kw]`, `bias` `[o]`, and `grid`
/// `[n, o, oh, ow]`, all contiguous; every element of `grid` is written.
pub(crate) fn conv_forward<T: Element>(
    g: &ConvGeom,
    image: &[T],
    weight: &[T],
    bias: Option<&[T]>,
    grid: &mut [T],
) {
    forward_planned(g, &g.plan::<T>(), image, weight, bias, grid);
}

fn forward_planned<T: Element>(
    g: &ConvGeom,
    plan: &Plan,
    image: &[T],
    weight: &[T],
    bias: Option<&[T]>,
    grid: &mut [T],
) {
    let (cg, og, kk, p, ow) = (g.cg(), g.og(), g.col_rows(), g.col_cols(), g.ow);
    let cin = cg * g.plane();
    let images = (image, g.image_len());
    let grids = (grid, g.grid_len());
    for_each_image(g, plan.col_len, images, grids, |img, out, col, threaded| {
        for grp in 0..g.groups {
            let x = &img[grp * cin..(grp + 1) * cin];
            let y = &mut out[grp * og * p..(grp + 1) * og * p];
            let beta = match bias {
                Some(b) => {
                    fill_blocks(y, p, &b[grp * og..(grp + 1) * og]);
                    T::one()
                }
                None => T::zero(),
            };
            let wg = view2(&weight[grp * og * kk..(grp + 1) * og * kk], og, kk);
            let mut y = view2_mut(y, og, p);
            if g.pointwise() {
                matmul(threaded, T::one(), wg, view2(x, cg, p), beta, y);
                continue;
            }
            for (b0, b1) in plan.bands() {
                let nb = (b1 - b0) * ow;
                let col = &mut col[..kk * nb];
                im2col(g, plan, (b0, b1), x, col, threaded);
                let yb = y.slice_mut(s![.., b0 * ow..b1 * ow]);
                matmul(threaded, T::one(), wg, view2(col, kk, nb), beta, yb);
            }
        }
    });
}

/// Convolution backward to the image: `image = weightᵀ ⋆ grid (+ bias per image channel)`.
///
/// `grid` is `[n, o, oh, ow]`, `weight` `[o, c / groups, kh, kw]`, `bias` `[c]`, and `image`
/// `[n, c, h, w]`, all contiguous; `image` must be all zeros on entry (it is accumulated into).
pub(crate) fn conv_backward_data<T: Element>(
    g: &ConvGeom,
    grid: &[T],
    weight: &[T],
    bias: Option<&[T]>,
    image: &mut [T],
) {
    backward_data_planned(g, &g.plan::<T>(), grid, weight, bias, image);
}

fn backward_data_planned<T: Element>(
    g: &ConvGeom,
    plan: &Plan,
    grid: &[T],
    weight: &[T],
    bias: Option<&[T]>,
    image: &mut [T],
) {
    let (cg, og, kk, p, ow) = (g.cg(), g.og(), g.col_rows(), g.col_cols(), g.ow);
    let cin = cg * g.plane();
    let grids = (grid, g.grid_len());
    let images = (image, g.image_len());
    for_each_image(g, plan.col_len, grids, images, |dy, dx, col, threaded| {
        for grp in 0..g.groups {
            let dyg = view2(&dy[grp * og * p..(grp + 1) * og * p], og, p);
            let wt = view2(&weight[grp * og * kk..(grp + 1) * og * kk], og, kk).reversed_axes();
            let dxg = &mut dx[grp * cin..(grp + 1) * cin];
            let beta = match bias {
                Some(b) => {
                    fill_blocks(dxg, g.plane(), &b[grp * cg..(grp + 1) * cg]);
                    T::one()
                }
                None => T::zero(),
            };
            if g.pointwise() {
                matmul(threaded, T::one(), wt, dyg, beta, view2_mut(dxg, cg, p));
                continue;
            }
            for (b0, b1) in plan.bands() {
                let nb = (b1 - b0) * ow;
                let col = &mut col[..kk * nb];
                let dyb = dyg.slice(s![.., b0 * ow..b1 * ow]);
                matmul(
                    threaded,
                    T::one(),
                    wt,
                    dyb,
                    T::zero(),
                    view2_mut(col, kk, nb),
                );
                col2im(g, plan, (b0, b1), col, dxg, threaded);
            }
        }
    });
}

/// Convolution backward to the weight: `weight = Σ_n grid_n ⋆ image_n`, written to `weight`
/// (`[o, c / groups, kh, kw]`, contiguous, all zeros on entry).
///
/// `grid` is `[n, o, oh, ow]` and `image` `[n, c, h, w]`, contiguous.
pub(crate) fn conv_backward_weight<T: Element>(
    g: &ConvGeom,
    grid: &[T],
    image: &[T],
    weight: &mut [T],
) {
    backward_weight_planned(g, &g.plan::<T>(), grid, image, weight);
}

fn backward_weight_planned<T: Element>(
    g: &ConvGeom,
    plan: &Plan,
    grid: &[T],
    image: &[T],
    weight: &mut [T],
) {
    if g.n == 0 {
        return;
    }
    let (cg, og, kk, p, ow) = (g.cg(), g.og(), g.col_rows(), g.col_cols(), g.ow);
    let cin = cg * g.plane();
    let (glen, ilen) = (g.grid_len(), g.image_len());
    // Adds the gradient of one image into `acc`.
    let one_image = |dy: &[T], img: &[T], acc: &mut [T], col: &mut [T], threaded: bool| {
        for grp in 0..g.groups {
            let dyg = view2(&dy[grp * og * p..(grp + 1) * og * p], og, p);
            let x = &img[grp * cin..(grp + 1) * cin];
            let mut dw = view2_mut(&mut acc[grp * og * kk..(grp + 1) * og * kk], og, kk);
            if g.pointwise() {
                let xt = view2(x, cg, p).reversed_axes();
                matmul(threaded, T::one(), dyg, xt, T::one(), dw);
                continue;
            }
            for (b0, b1) in plan.bands() {
                let nb = (b1 - b0) * ow;
                let col = &mut col[..kk * nb];
                im2col(g, plan, (b0, b1), x, col, threaded);
                let dyb = dyg.slice(s![.., b0 * ow..b1 * ow]);
                let colt = view2(col, kk, nb).reversed_axes();
                matmul(threaded, T::one(), dyb, colt, T::one(), dw.view_mut());
            }
        }
    };
    match g.mode() {
        Mode::Batch(per) => {
            let partials: Vec<Vec<T>> = parallel::install(|| {
                grid.par_chunks(per * glen)
                    .zip(image.par_chunks(per * ilen))
                    .map(|(dys, xs)| {
                        let mut acc = vec![T::zero(); g.weight_len()];
                        let mut col = vec![T::zero(); plan.col_len];
                        for (dy, x) in dys.chunks_exact(glen).zip(xs.chunks_exact(ilen)) {
                            one_image(dy, x, &mut acc, &mut col, false);
                        }
                        acc
                    })
                    .collect()
            });
            for part in &partials {
                for (d, s) in weight.iter_mut().zip(part) {
                    *d += *s;
                }
            }
        }
        mode => {
            let mut col = vec![T::zero(); plan.col_len];
            for (dy, x) in grid.chunks_exact(glen).zip(image.chunks_exact(ilen)) {
                one_image(dy, x, weight, &mut col, mode == Mode::Inner);
            }
        }
    }
}

/// Sum of a slice with eight independent accumulators (vectorises, and rounds less than a
/// running sum).
fn sum_slice<T: Element>(s: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    let mut total =
        ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in rest {
        total += v;
    }
    total
}

/// Adds the per-channel sums of `grid` (`[n, channels, plane]`, contiguous) into `out`.
fn channel_sums_into<T: Element>(grid: &[T], channels: usize, plane: usize, out: &mut [T]) {
    for img in grid.chunks_exact(channels * plane) {
        for (acc, block) in out.iter_mut().zip(img.chunks_exact(plane)) {
            *acc += sum_slice(block);
        }
    }
}

/// Bias gradient: the sum of `grid` (`[n, channels, plane]`, contiguous) over all dimensions
/// but the channels, written to `out` (`[channels]`, zeros on entry).
pub(crate) fn channel_sums<T: Element>(
    grid: &[T],
    n: usize,
    channels: usize,
    plane: usize,
    out: &mut [T],
) {
    if n == 0 || channels == 0 || plane == 0 {
        return;
    }
    let threads = parallel::threads();
    if threads > 1 && n >= threads && grid.len() >= PARALLEL_MIN_SUM {
        let per = n.div_ceil(threads);
        let partials: Vec<Vec<T>> = parallel::install(|| {
            grid.par_chunks(per * channels * plane)
                .map(|part| {
                    let mut acc = vec![T::zero(); channels];
                    channel_sums_into(part, channels, plane, &mut acc);
                    acc
                })
                .collect()
        });
        for part in &partials {
            for (d, s) in out.iter_mut().zip(part) {
                *d += *s;
            }
        }
    } else {
        channel_sums_into(grid, channels, plane, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn geom(h: usize, w: usize, k: usize, s: usize, p: usize, d: usize) -> ConvGeom {
        let oh = (h + 2 * p - d * (k - 1) - 1) / s + 1;
        let ow = (w + 2 * p - d * (k - 1) - 1) / s + 1;
        ConvGeom {
            n: 1,
            c: 1,
            h,
            w,
            o: 1,
            oh,
            ow,
            kh: k,
            kw: k,
            sh: s,
            sw: s,
            ph: p,
            pw: p,
            dh: d,
            dw: d,
            groups: 1,
        }
    }

    /// Problems of every kind: plain, "same" (shifted), strided and dilated, and a grid
    /// smaller than the image gives (as transposed convolutions with output padding have).
    fn banding_cases() -> Vec<ConvGeom> {
        let base = ConvGeom {
            n: 2,
            c: 4,
            h: 7,
            w: 6,
            o: 6,
            oh: 7,
            ow: 7,
            kh: 3,
            kw: 2,
            sh: 1,
            sw: 1,
            ph: 1,
            pw: 1,
            dh: 1,
            dw: 1,
            groups: 2,
        };
        vec![
            base,
            ConvGeom {
                c: 3,
                o: 2,
                h: 9,
                w: 5,
                oh: 9,
                ow: 5,
                kw: 3,
                groups: 1,
                ..base
            },
            ConvGeom {
                h: 11,
                w: 8,
                oh: 6,
                ow: 4,
                kh: 3,
                kw: 3,
                sh: 2,
                sw: 2,
                ph: 2,
                pw: 2,
                dh: 2,
                dw: 2,
                ..base
            },
            ConvGeom {
                h: 6,
                w: 6,
                oh: 2,
                ow: 3,
                kh: 2,
                kw: 2,
                ph: 0,
                pw: 0,
                dh: 3,
                dw: 3,
                ..base
            },
        ]
    }

    #[test]
    fn every_band_height_gives_the_same_result() {
        use youshi_testkit::{assert_close, uniform_vec};
        for g in banding_cases() {
            let image = uniform_vec(g.n * g.image_len(), 1);
            let grid = uniform_vec(g.n * g.grid_len(), 2);
            let weight = uniform_vec(g.weight_len(), 3);
            let (bo, bc) = (uniform_vec(g.o, 4), uniform_vec(g.c, 5));
            let run = |band: usize| {
                let plan = g.plan_banded(band);
                let mut y = vec![f64::NAN; g.n * g.grid_len()];
                forward_planned(&g, &plan, &image, &weight, Some(&bo), &mut y);
                let mut x = vec![0.0; g.n * g.image_len()];
                backward_data_planned(&g, &plan, &grid, &weight, Some(&bc), &mut x);
                let mut w = vec![0.0; g.weight_len()];
                backward_weight_planned(&g, &plan, &grid, &image, &mut w);
                (y, x, w)
            };
            let whole = run(g.oh);
            assert_eq!(g.plan_banded(g.oh).bands().count(), 1);
            for band in 1..g.oh {
                assert_eq!(g.plan_banded(band).bands().count(), g.oh.div_ceil(band));
                let (y, x, w) = run(band);
                assert_close(&y, &whole.0, 1e-12, 1e-12).unwrap();
                assert_close(&x, &whole.1, 1e-12, 1e-12).unwrap();
                assert_close(&w, &whole.2, 1e-12, 1e-12).unwrap();
            }
        }
    }

    #[test]
    fn bands_bound_the_column_buffer() {
        // 64 -> 64 channels, 3x3, 56x56: one image's columns would be 576 x 3136.
        let g = ConvGeom {
            n: 8,
            c: 64,
            h: 56,
            w: 56,
            o: 64,
            oh: 56,
            ow: 56,
            kh: 3,
            kw: 3,
            sh: 1,
            sw: 1,
            ph: 1,
            pw: 1,
            dh: 1,
            dw: 1,
            groups: 1,
        };
        let plan = g.plan::<f32>();
        assert!(plan.col_len * 4 <= BAND_BYTES, "{}", plan.col_len);
        assert!(g.plan::<f64>().band < plan.band);
        assert!(plan.band * g.ow >= BAND_MIN_COLS);
        // Small problems keep one band; pointwise ones need no buffer.
        assert_eq!(geom(14, 14, 3, 1, 1, 1).plan::<f32>().band, 14);
        assert_eq!(geom(14, 14, 1, 1, 0, 1).plan::<f64>().col_len, 0);
    }

    #[test]
    fn channel_sums_add_over_batch_and_plane() {
        let grid: Vec<f32> = (0..2 * 3 * 4).map(|v| v as f32).collect();
        let mut out = vec![0.0f32; 3];
        channel_sums(&grid, 2, 3, 4, &mut out);
        assert_eq!(out, vec![6.0 + 54.0, 22.0 + 70.0, 38.0 + 86.0]);
        assert_eq!(
            sum_slice(&(1..=19).map(f64::from).collect::<Vec<_>>()),
            190.0
        );
    }
}
