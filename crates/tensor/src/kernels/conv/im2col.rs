//! im2col and col2im: between one image channel and the rows of its column buffer.
//!
//! Row `(c, ki, kj)` of a column buffer holds, for every grid position of a band of grid
//! rows, the image element that kernel tap `(ki, kj)` of channel `c` reads there (zero in the
//! padding). Valid positions are found per tap as ranges ([`Span`]), so the loops copy and add
//! contiguous runs without per-element bounds tests.

use rayon::prelude::*;

use super::ConvGeom;
use crate::element::Element;
use crate::parallel;

/// Below this many column-buffer elements im2col / col2im of one image run on one thread.
const PARALLEL_MIN_COL: usize = 1 << 16;

/// Along one axis and for one kernel tap: the grid positions `lo..hi` that read inside the
/// image, and the image position `first` that grid position `lo` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) lo: usize,
    pub(super) hi: usize,
    pub(super) first: usize,
}

impl Span {
    /// Grid positions `o < out` with `o * s + off - p` in `0..len`.
    pub(super) fn new(out: usize, len: usize, off: usize, s: usize, p: usize) -> Span {
        let lo = if off >= p { 0 } else { (p - off).div_ceil(s) };
        let hi = if len + p > off {
            out.min((len + p - off).div_ceil(s))
        } else {
            0
        };
        let lo = lo.min(hi);
        let first = if lo < hi { lo * s + off - p } else { 0 };
        Span { lo, hi, first }
    }

    fn len(&self) -> usize {
        self.hi - self.lo
    }

    /// This span restricted to the grid positions `b0..b1`, counted from `b0`.
    fn within(&self, b0: usize, b1: usize, s: usize) -> Span {
        let (lo, hi) = (self.lo.max(b0), self.hi.min(b1));
        if lo >= hi {
            return Span {
                lo: 0,
                hi: 0,
                first: 0,
            };
        }
        Span {
            lo: lo - b0,
            hi: hi - b0,
            first: self.first + (lo - self.lo) * s,
        }
    }
}

/// How one problem is cut: the spans of every kernel row (`ys`) and column (`xs`), and the
/// bands of grid rows whose column buffers are built one at a time.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) ys: Vec<Span>,
    pub(super) xs: Vec<Span>,
    /// Grid rows per band.
    pub(super) band: usize,
    /// Grid rows in all.
    pub(super) oh: usize,
    /// Elements of the column buffer of one worker (none for pointwise convolutions).
    pub(super) col_len: usize,
}

impl Plan {
    /// The bands `b0..b1` of grid rows.
    pub(super) fn bands(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.oh)
            .step_by(self.band)
            .map(|b0| (b0, (b0 + self.band).min(self.oh)))
    }
}

/// Zeros the columns `from..to` of every `width`-wide row of `block`: strided stores, so the
/// one- or two-element margins left by padding cost no call.
fn zero_columns<T: Element>(block: &mut [T], width: usize, from: usize, to: usize) {
    for j in from..to {
        for v in block[j..].iter_mut().step_by(width) {
            *v = T::zero();
        }
    }
}

/// The kernel taps of a plan in column-row order (`ki` major, `kj` minor).
fn taps(plan: &Plan) -> impl Iterator<Item = (&Span, &Span)> {
    plan.ys
        .iter()
        .flat_map(|ys| plan.xs.iter().map(move |xs| (ys, xs)))
}

/// Writes the `kh * kw` column rows of grid rows `band` of one image channel (`plane`,
/// `h * w`) into `rows`.
///
/// Every element of `rows` is written: zeros where the tap falls into the padding.
fn im2col_channel<T: Element>(
    g: &ConvGeom,
    plan: &Plan,
    (b0, b1): (usize, usize),
    plane: &[T],
    rows: &mut [T],
) {
    let (w, ow, sw) = (g.w, g.ow, g.sw);
    let zero = T::zero();
    let shifted = g.shifted();
    for (row, (ys, xs)) in rows.chunks_exact_mut((b1 - b0) * ow).zip(taps(plan)) {
        let ys = ys.within(b0, b1, g.sh);
        let n = xs.len();
        if n == 0 || ys.lo == ys.hi {
            row.fill(zero);
            continue;
        }
        let (head, rest) = row.split_at_mut(ys.lo * ow);
        head.fill(zero);
        let (mid, tail) = rest.split_at_mut(ys.len() * ow);
        tail.fill(zero);
        if shifted {
            // Grid rows ys.lo.. read image rows ys.first.. at the same width: copy the span
            // from the first valid element to the last one, then zero the margins (which got
            // elements of neighbouring image rows).
            let len = mid.len() - xs.lo - (ow - xs.hi);
            let start = ys.first * w + xs.first;
            mid[xs.lo..xs.lo + len].copy_from_slice(&plane[start..start + len]);
            zero_columns(mid, ow, 0, xs.lo);
            zero_columns(mid, ow, xs.hi, ow);
            continue;
        }
        for (r, dst) in mid.chunks_exact_mut(ow).enumerate() {
            let iy = ys.first + r * g.sh;
            let src = &plane[iy * w + xs.first..(iy + 1) * w];
            let (left, rest) = dst.split_at_mut(xs.lo);
            left.fill(zero);
            let (body, right) = rest.split_at_mut(n);
            right.fill(zero);
            if sw == 1 {
                body.copy_from_slice(&src[..n]);
            } else {
                for (d, s) in body.iter_mut().zip(src.iter().step_by(sw)) {
                    *d = *s;
                }
            }
        }
    }
}

/// Adds the `kh * kw` column rows of grid rows `band` of one image channel (`rows`) into
/// `plane` (`h * w`).
///
/// The padding margins of `rows` may be zeroed (it is scratch).
fn col2im_channel<T: Element>(
    g: &ConvGeom,
    plan: &Plan,
    (b0, b1): (usize, usize),
    rows: &mut [T],
    plane: &mut [T],
) {
    let (w, ow, sw) = (g.w, g.ow, g.sw);
    let shifted = g.shifted();
    for (row, (ys, xs)) in rows.chunks_exact_mut((b1 - b0) * ow).zip(taps(plan)) {
        let ys = ys.within(b0, b1, g.sh);
        let n = xs.len();
        if n == 0 || ys.lo == ys.hi {
            continue;
        }
        let mid = &mut row[ys.lo * ow..ys.hi * ow];
        if shifted {
            // The mirror of im2col's shifted copy: zero the margins, whose targets are
            // elements of neighbouring image rows, and add the whole span at once.
            zero_columns(mid, ow, 0, xs.lo);
            zero_columns(mid, ow, xs.hi, ow);
            let len = mid.len() - xs.lo - (ow - xs.hi);
            let start = ys.first * w + xs.first;
            for (d, s) in plane[start..start + len]
                .iter_mut()
                .zip(&mid[xs.lo..xs.lo + len])
            {
                *d += *s;
            }
            continue;
        }
        for (r, src) in mid.chunks_exact(ow).enumerate() {
            let iy = ys.first + r * g.sh;
            let dst = &mut plane[iy * w + xs.first..(iy + 1) * w];
            let src = &src[xs.lo..xs.hi];
            if sw == 1 {
                for (d, s) in dst[..n].iter_mut().zip(src) {
                    *d += *s;
                }
            } else {
                for (d, s) in dst.iter_mut().step_by(sw).zip(src) {
                    *d += *s;
                }
            }
        }
    }
}

/// Fills the column buffer `col` (`col_rows x band positions`) of grid rows `band` from the
/// `cg` channels of `img`; with `threaded`, channels are split across the pool.
pub(super) fn im2col<T: Element>(
    g: &ConvGeom,
    plan: &Plan,
    band: (usize, usize),
    img: &[T],
    col: &mut [T],
    threaded: bool,
) {
    let per = g.kh * g.kw * (band.1 - band.0) * g.ow;
    let plane = g.plane();
    if threaded && col.len() >= PARALLEL_MIN_COL && g.cg() > 1 {
        parallel::install(|| {
            col.par_chunks_exact_mut(per)
                .zip(img.par_chunks_exact(plane))
                .for_each(|(rows, pl)| im2col_channel(g, plan, band, pl, rows));
        });
    } else {
        for (rows, pl) in col.chunks_exact_mut(per).zip(img.chunks_exact(plane)) {
            im2col_channel(g, plan, band, pl, rows);
        }
    }
}

/// Adds the column buffer `col` of grid rows `band` into the `cg` channels of `img` (zeroing
/// padding margins of `col`); with `threaded`, channels are split across the pool.
pub(super) fn col2im<T: Element>(
    g: &ConvGeom,
    plan: &Plan,
    band: (usize, usize),
    col: &mut [T],
    img: &mut [T],
    threaded: bool,
) {
    let per = g.kh * g.kw * (band.1 - band.0) * g.ow;
    let plane = g.plane();
    if threaded && col.len() >= PARALLEL_MIN_COL && g.cg() > 1 {
        parallel::install(|| {
            col.par_chunks_exact_mut(per)
                .zip(img.par_chunks_exact_mut(plane))
                .for_each(|(rows, pl)| col2im_channel(g, plan, band, rows, pl));
        });
    } else {
        for (rows, pl) in col.chunks_exact_mut(per).zip(img.chunks_exact_mut(plane)) {
            col2im_channel(g, plan, band, rows, pl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::geom;
    use super::*;

    #[test]
    fn spans_clip_to_the_image() {
        // 5 outputs, image of 5, padding 2, stride 1, tap offset 0: outputs 2..5 read 0..3.
        assert_eq!(
            Span::new(5, 5, 0, 1, 2),
            Span {
                lo: 2,
                hi: 5,
                first: 0
            }
        );
        // Tap offset 4 (k = 4 at dilation 1): outputs 0..3 read 2..5.
        assert_eq!(
            Span::new(5, 5, 4, 1, 2),
            Span {
                lo: 0,
                hi: 3,
                first: 2
            }
        );
        // Stride 2, padding 1, offset 0: outputs 1.. read 1, 3, 5 (of 6).
        assert_eq!(
            Span::new(4, 6, 0, 2, 1),
            Span {
                lo: 1,
                hi: 4,
                first: 1
            }
        );
        // A tap entirely in the padding.
        assert_eq!(Span::new(3, 1, 0, 1, 2).len(), 1);
        assert_eq!(Span::new(2, 1, 5, 1, 2).len(), 0);
    }

    #[test]
    fn im2col_then_col2im_known_values() {
        // 3x3 image, 2x2 kernel, padding 1, stride 2: grid 2x2.
        let g = geom(3, 3, 2, 2, 1, 1);
        assert_eq!((g.oh, g.ow), (2, 2));
        let img: Vec<f64> = (1..=9).map(f64::from).collect();
        let plan = g.plan::<f64>();
        let mut col = vec![f64::NAN; plan.col_len];
        im2col(&g, &plan, (0, 2), &img, &mut col, false);
        // Tap (0, 0) reads (-1, -1), (-1, 1), (1, -1), (1, 1).
        assert_eq!(&col[0..4], &[0.0, 0.0, 0.0, 5.0]);
        // Tap (1, 1) reads (0, 0), (0, 2), (2, 0), (2, 2).
        assert_eq!(&col[12..16], &[1.0, 3.0, 7.0, 9.0]);
        let mut back = vec![0.0; 9];
        col2im(&g, &plan, (0, 2), &mut col, &mut back, false);
        // Each image element is read at most once here, so col2im restores the ones read.
        assert_eq!(back, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    }
}
