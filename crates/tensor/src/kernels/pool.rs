//! Pooling kernels on contiguous NCHW planes.
//!
//! The public edge (`ops::pool`) validates shapes and options, then describes each spatial axis
//! as a table of [`Window`]s, one per output position: where the window's in-bounds taps start,
//! how many there are and what the average divides by. The kernels below only walk those tables
//! over row-major `H x W` planes, so they contain no padding or ceil-mode logic of their own and
//! every index they form lies inside the plane by construction of the tables.
//!
//! Work is split over the `N * C` planes, on the kernel pool when it is large enough.

use rayon::prelude::*;

use crate::element::Element;
use crate::parallel;

/// The index recorded by max pooling for a window that holds no input element at all.
///
/// With dilation a window can lie entirely in the padding of a tiny input; its maximum is
/// `-inf` and no input element receives its gradient.
pub(crate) const NO_INDEX: usize = usize::MAX;

/// Below this much work (output elements times window taps) a call runs on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 15;

/// One window along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Input position of the first in-bounds tap.
    pub start: usize,
    /// Number of in-bounds taps (spaced by the axis' dilation); 0 for a window in the padding.
    pub len: usize,
    /// What an average over this axis divides by (only used by the average kernels).
    pub div: usize,
}

/// A pooling geometry: plane sizes, dilations and one window table per spatial axis.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Input plane height.
    pub h: usize,
    /// Input plane width.
    pub w: usize,
    /// Row dilation (distance between taps).
    pub dh: usize,
    /// Column dilation.
    pub dw: usize,
    /// One window per output row.
    pub rows: Vec<Window>,
    /// One window per output column.
    pub cols: Vec<Window>,
}

impl Plan {
    /// True for 2x2 windows with stride 2, no padding and no dilation (every window full).
    fn is_plain_2x2(&self) -> bool {
        let plain = |ws: &[Window], n: usize| {
            ws.iter()
                .enumerate()
                .all(|(i, win)| win.start == 2 * i && win.len == 2)
                && 2 * ws.len() <= n
        };
        self.dh == 1 && self.dw == 1 && plain(&self.rows, self.h) && plain(&self.cols, self.w)
    }

    fn in_plane(&self) -> usize {
        self.h * self.w
    }

    fn out_plane(&self) -> usize {
        self.rows.len() * self.cols.len()
    }

    /// Largest number of taps of one window (the work per output element).
    fn taps(&self) -> usize {
        let mh = self.rows.iter().map(|r| r.len).max().unwrap_or(0);
        let mw = self.cols.iter().map(|c| c.len).max().unwrap_or(0);
        (mh * mw).max(1)
    }

    /// Checks the invariants the kernels index by: every tap lies inside the plane.
    fn debug_check(&self) {
        debug_assert!(self.dh > 0 && self.dw > 0);
        for r in &self.rows {
            debug_assert!(r.len == 0 || r.start + (r.len - 1) * self.dh < self.h);
        }
        for c in &self.cols {
            debug_assert!(c.len == 0 || c.start + (c.len - 1) * self.dw < self.w);
        }
    }
}

/// Windows of a strided, padded, dilated pooling along one axis of extent `input`.
///
/// Window `o` covers taps `o * stride - pad + j * dilation` for `j < kernel`; taps outside
/// `0..input` are padding. `div` is PyTorch's average divisor: with `count_include_pad` the
/// window clipped to the padded extent `-pad..input + pad`, otherwise the in-bounds taps.
pub(crate) fn strided_windows(
    input: usize,
    out: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    count_include_pad: bool,
) -> Vec<Window> {
    let (n, k, s, p, d) = (
        input as i128,
        kernel as i128,
        stride as i128,
        pad as i128,
        dilation as i128,
    );
    (0..out)
        .map(|o| {
            let lo = o as i128 * s - p;
            // Taps j with 0 <= lo + j d < n: the first is ceil(-lo / d) (or 0), the end
            // ceil((n - lo) / d), both clamped to the kernel.
            let first = if lo < 0 { (-lo + d - 1) / d } else { 0 }.min(k);
            let end = if n > lo { (n - lo + d - 1) / d } else { 0 }.min(k);
            let len = (end - first).max(0);
            let start = if len > 0 { lo + first * d } else { 0 };
            let div = if count_include_pad {
                ((lo + k).min(n + p) - lo).max(0)
            } else {
                len
            };
            Window {
                start: start as usize,
                len: len as usize,
                div: div as usize,
            }
        })
        .collect()
}

/// Windows of adaptive pooling of `input` positions into `out`: window `i` covers
/// `floor(i * input / out) .. ceil((i + 1) * input / out)`, as PyTorch.
pub(crate) fn adaptive_windows(input: usize, out: usize) -> Vec<Window> {
    let (n, m) = (input as u128, out as u128);
    (0..m)
        .map(|i| {
            let start = i * n / m;
            let end = ((i + 1) * n).div_ceil(m);
            let len = (end - start) as usize;
            Window {
                start: start as usize,
                len,
                div: len,
            }
        })
        .collect()
}

/// Planes per parallel task, or `None` to run serially.
fn plane_group(planes: usize, work_per_plane: usize) -> Option<usize> {
    let threads = parallel::threads();
    if threads <= 1 || planes < 2 || planes.saturating_mul(work_per_plane) < PARALLEL_MIN_WORK {
        return None;
    }
    // A few tasks per thread balances uneven planes without drowning small ones in overhead.
    Some(planes.div_ceil(threads * 4).max(1))
}

/// Max pooling of every plane of `x` into `out` and `idx` (flat `h * W + w` argmax positions).
///
/// Padding counts as `-inf`, ties keep the first tap in row-major window order and a NaN wins
/// over everything (the last NaN's position is recorded), exactly as PyTorch's CPU kernel.
pub(crate) fn max_pool_forward<T: Element>(plan: &Plan, x: &[T], out: &mut [T], idx: &mut [usize]) {
    plan.debug_check();
    let (ip, op) = (plan.in_plane(), plan.out_plane());
    if ip == 0 || op == 0 {
        return;
    }
    assert!(x.len() / ip == out.len() / op && out.len() == idx.len());
    match plane_group(out.len() / op, op.saturating_mul(plan.taps())) {
        None => {
            for ((x, o), i) in x
                .chunks_exact(ip)
                .zip(out.chunks_exact_mut(op))
                .zip(idx.chunks_exact_mut(op))
            {
                max_plane(plan, x, o, i);
            }
        }
        Some(g) => parallel::install(|| {
            x.par_chunks_exact(ip)
                .zip(out.par_chunks_exact_mut(op))
                .zip(idx.par_chunks_exact_mut(op))
                .with_min_len(g)
                .for_each(|((x, o), i)| max_plane(plan, x, o, i));
        }),
    }
}

fn max_plane<T: Element>(plan: &Plan, x: &[T], out: &mut [T], idx: &mut [usize]) {
    if plan.is_plain_2x2() {
        max_plane_2x2(plan, x, out, idx);
    } else {
        max_plane_general(plan, x, out, idx);
    }
}

fn max_plane_general<T: Element>(plan: &Plan, x: &[T], out: &mut [T], idx: &mut [usize]) {
    let (w, dh, dw) = (plan.w, plan.dh, plan.dw);
    let ow = plan.cols.len();
    for ((r, orow), irow) in plan
        .rows
        .iter()
        .zip(out.chunks_exact_mut(ow))
        .zip(idx.chunks_exact_mut(ow))
    {
        for ((c, o), i) in plan.cols.iter().zip(orow).zip(irow) {
            let mut best = T::neg_infinity();
            let mut at = NO_INDEX;
            if r.len > 0 && c.len > 0 {
                at = r.start * w + c.start;
                for a in 0..r.len {
                    let base = (r.start + a * dh) * w + c.start;
                    if dw == 1 {
                        // Contiguous taps: a plain slice walk, no strided iterator.
                        for (b, &v) in x[base..base + c.len].iter().enumerate() {
                            let take = v > best || v.is_nan();
                            best = if take { v } else { best };
                            at = if take { base + b } else { at };
                        }
                    } else {
                        let taps = x[base..].iter().step_by(dw).take(c.len);
                        for (b, &v) in taps.enumerate() {
                            // The selects compile to conditional moves, not branches.
                            let take = v > best || v.is_nan();
                            best = if take { v } else { best };
                            at = if take { base + b * dw } else { at };
                        }
                    }
                }
            }
            *o = best;
            *i = at;
        }
    }
}

/// The common 2x2 window with stride 2, no padding and no dilation: every window is the four
/// taps `(2y, 2x), (2y, 2x+1), (2y+1, 2x), (2y+1, 2x+1)`, scanned in that (row-major) order
/// with the same tie and NaN rules as the general loop.
fn max_plane_2x2<T: Element>(plan: &Plan, x: &[T], out: &mut [T], idx: &mut [usize]) {
    let w = plan.w;
    let ow = plan.cols.len();
    for (oy, (orow, irow)) in out
        .chunks_exact_mut(ow)
        .zip(idx.chunks_exact_mut(ow))
        .enumerate()
    {
        let r0 = 2 * oy * w;
        let top = &x[r0..r0 + 2 * ow];
        let bottom = &x[r0 + w..r0 + w + 2 * ow];
        for (ox, (o, i)) in orow.iter_mut().zip(irow.iter_mut()).enumerate() {
            let c = 2 * ox;
            let mut best = top[c];
            let mut at = r0 + c;
            for (v, pos) in [
                (top[c + 1], r0 + c + 1),
                (bottom[c], r0 + w + c),
                (bottom[c + 1], r0 + w + c + 1),
            ] {
                let take = v > best || v.is_nan();
                best = if take { v } else { best };
                at = if take { pos } else { at };
            }
            // A NaN in the first tap must win too (and later NaNs take over, as above).
            *o = best;
            *i = at;
        }
    }
}

/// Gradient of max pooling: adds each `g` to the input position its `idx` names.
///
/// `idx` must hold positions below `H * W` or [`NO_INDEX`] (checked at the public edge).
pub(crate) fn max_pool_backward<T: Element>(
    in_plane: usize,
    out_plane: usize,
    g: &[T],
    idx: &[usize],
    gin: &mut [T],
) {
    if in_plane == 0 || out_plane == 0 {
        return;
    }
    assert!(g.len() == idx.len() && g.len() / out_plane == gin.len() / in_plane);
    let run = |g: &[T], idx: &[usize], gin: &mut [T]| {
        for (&gv, &i) in g.iter().zip(idx) {
            if let Some(slot) = gin.get_mut(i) {
                *slot += gv;
            }
        }
    };
    match plane_group(gin.len() / in_plane, out_plane) {
        None => {
            for ((g, i), gi) in g
                .chunks_exact(out_plane)
                .zip(idx.chunks_exact(out_plane))
                .zip(gin.chunks_exact_mut(in_plane))
            {
                run(g, i, gi);
            }
        }
        Some(grp) => parallel::install(|| {
            g.par_chunks_exact(out_plane)
                .zip(idx.par_chunks_exact(out_plane))
                .zip(gin.par_chunks_exact_mut(in_plane))
                .with_min_len(grp)
                .for_each(|((g, i), gi)| run(g, i, gi));
        }),
    }
}

/// Average pooling of every plane of `x` into `out` (dilation 1). Each output is the sum of its
/// in-bounds taps, in row-major order, divided by `rows[oh].div * cols[ow].div`; a window
/// without taps gives 0.
pub(crate) fn avg_pool_forward<T: Element>(plan: &Plan, x: &[T], out: &mut [T]) {
    plan.debug_check();
    debug_assert!(plan.dh == 1 && plan.dw == 1);
    let (ip, op) = (plan.in_plane(), plan.out_plane());
    if ip == 0 || op == 0 {
        return;
    }
    assert!(x.len() / ip == out.len() / op);
    match plane_group(out.len() / op, op.saturating_mul(plan.taps())) {
        None => {
            for (x, o) in x.chunks_exact(ip).zip(out.chunks_exact_mut(op)) {
                avg_plane(plan, x, o);
            }
        }
        Some(g) => parallel::install(|| {
            x.par_chunks_exact(ip)
                .zip(out.par_chunks_exact_mut(op))
                .with_min_len(g)
                .for_each(|(x, o)| avg_plane(plan, x, o));
        }),
    }
}

/// `r.div * c.div` as a `T` (in floating point: huge paddings must not overflow `usize`).
#[inline]
fn divisor<T: Element>(r: &Window, c: &Window) -> T {
    T::of(r.div as f64 * c.div as f64)
}

fn avg_plane<T: Element>(plan: &Plan, x: &[T], out: &mut [T]) {
    let w = plan.w;
    let ow = plan.cols.len();
    for (r, orow) in plan.rows.iter().zip(out.chunks_exact_mut(ow)) {
        for (c, o) in plan.cols.iter().zip(orow) {
            if r.len == 0 || c.len == 0 || r.div == 0 || c.div == 0 {
                *o = T::zero();
                continue;
            }
            let mut sum = T::zero();
            for ih in r.start..r.start + r.len {
                let base = ih * w + c.start;
                for &v in &x[base..base + c.len] {
                    sum += v;
                }
            }
            *o = sum / divisor::<T>(r, c);
        }
    }
}

/// Gradient of [`avg_pool_forward`]: spreads `g / div` over each window's in-bounds taps.
pub(crate) fn avg_pool_backward<T: Element>(plan: &Plan, g: &[T], gin: &mut [T]) {
    plan.debug_check();
    debug_assert!(plan.dh == 1 && plan.dw == 1);
    let (ip, op) = (plan.in_plane(), plan.out_plane());
    if ip == 0 || op == 0 {
        return;
    }
    assert!(gin.len() / ip == g.len() / op);
    match plane_group(g.len() / op, op.saturating_mul(plan.taps())) {
        None => {
            for (g, gi) in g.chunks_exact(op).zip(gin.chunks_exact_mut(ip)) {
                avg_plane_backward(plan, g, gi);
            }
        }
        Some(grp) => parallel::install(|| {
            g.par_chunks_exact(op)
                .zip(gin.par_chunks_exact_mut(ip))
                .with_min_len(grp)
                .for_each(|(g, gi)| avg_plane_backward(plan, g, gi));
        }),
    }
}

fn avg_plane_backward<T: Element>(plan: &Plan, g: &[T], gin: &mut [T]) {
    let w = plan.w;
    let ow = plan.cols.len();
    for (r, grow) in plan.rows.iter().zip(g.chunks_exact(ow)) {
        for (c, &gv) in plan.cols.iter().zip(grow) {
            if r.len == 0 || c.len == 0 || r.div == 0 || c.div == 0 {
                continue;
            }
            let delta = gv / divisor::<T>(r, c);
            for ih in r.start..r.start + r.len {
                let base = ih * w + c.start;
                for v in &mut gin[base..base + c.len] {
                    *v += delta;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(start: usize, len: usize, div: usize) -> Window {
        Window { start, len, div }
    }

    #[test]
    fn plain_2x2_path_matches_the_general_loop_with_ties_and_nans() {
        let (h, w) = (6, 7);
        let rows: Vec<Window> = (0..3).map(|i| win(2 * i, 2, 2)).collect();
        let cols: Vec<Window> = (0..3).map(|i| win(2 * i, 2, 2)).collect();
        let plan = Plan {
            h,
            w,
            dh: 1,
            dw: 1,
            rows,
            cols,
        };
        assert!(plan.is_plain_2x2());
        let mut x: Vec<f64> = (0..h * w).map(|v| ((v * 7) % 5) as f64).collect();
        x[0] = f64::NAN;
        x[9] = f64::NAN;
        x[10] = f64::NAN;
        x[16] = f64::NEG_INFINITY;
        let (mut o1, mut i1) = (vec![0.0; 9], vec![0; 9]);
        let (mut o2, mut i2) = (vec![0.0; 9], vec![0; 9]);
        max_plane_2x2(&plan, &x, &mut o1, &mut i1);
        max_plane_general(&plan, &x, &mut o2, &mut i2);
        assert_eq!(i1, i2);
        for (a, b) in o1.iter().zip(&o2) {
            assert!(a == b || (a.is_nan() && b.is_nan()));
        }
    }

    #[test]
    fn strided_windows_clip_padding_like_pytorch() {
        // H = 6, kernel 3, stride 2, padding 1, ceil mode: 4 windows starting at -1, 1, 3, 5.
        // The last one covers 5, 6, 7 but its padded extent ends at 7 (exclusive), so it
        // divides by 2 when padding counts and by 1 (only row 5) when it does not.
        assert_eq!(
            strided_windows(6, 4, 3, 2, 1, 1, true),
            vec![win(0, 2, 3), win(1, 3, 3), win(3, 3, 3), win(5, 1, 2)]
        );
        assert_eq!(
            strided_windows(6, 4, 3, 2, 1, 1, false),
            vec![win(0, 2, 2), win(1, 3, 3), win(3, 3, 3), win(5, 1, 1)]
        );
    }

    #[test]
    fn dilated_windows_skip_padding_taps() {
        // H = 5, kernel 3, dilation 2, padding 1: taps -1, 1, 3 then 1, 3, 5.
        assert_eq!(
            strided_windows(5, 2, 3, 2, 1, 2, false),
            vec![win(1, 2, 2), win(1, 2, 2)]
        );
        // H = 1, kernel 2, dilation 2, padding 1: taps -1 and 1, both outside.
        assert_eq!(strided_windows(1, 1, 2, 1, 1, 2, false), vec![win(0, 0, 0)]);
    }

    #[test]
    fn adaptive_windows_overlap_when_uneven() {
        // 5 -> 3: [0, 2), [1, 4), [3, 5).
        assert_eq!(
            adaptive_windows(5, 3),
            vec![win(0, 2, 2), win(1, 3, 3), win(3, 2, 2)]
        );
        // 2 -> 4 repeats each input twice.
        assert_eq!(
            adaptive_windows(2, 4),
            vec![win(0, 1, 1), win(0, 1, 1), win(1, 1, 1), win(1, 1, 1)]
        );
    }
}
