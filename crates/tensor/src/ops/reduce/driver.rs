//! Layout planning and the parallel drivers shared by the reductions and the along-axis maps.
//!
//! A tensor is first brought to a row-major buffer: its own storage when it is contiguous or a
//! permutation of contiguous storage (a `permute`/`t()` view, read in storage order without a
//! copy), a copy otherwise. In that buffer the reduced axes form runs, which give one of two
//! loop shapes:
//! - **rows** `[outer, inner]`: each output is the fold of one contiguous run of `inner`
//!   elements (reducing the last axes);
//! - **columns** `[pre, r, post]`: each of the `pre` blocks is `r` rows of `post` contiguous
//!   elements, folded column by column with slice loops over the rows (reducing middle axes).
//!
//! Reduced axes interleaved with kept ones (batch-norm statistics over `[N, H, W]` of NCHW
//! data) fold their innermost reduced run in place with one of those two loops, then merge
//! the partial folds across the other reduced runs; only when that innermost run is very
//! short are the reduced axes moved last with one copy. Long rows are folded as a pairwise tree of blocks and tall
//! column blocks in blocks of rows, which bounds the rounding error; large inputs are split
//! across the kernel pool (by rows, blocks, column ranges or row ranges, whichever gives the
//! pool enough independent work).

use ndarray::{ArrayD, ArrayViewD, ArrayViewMut2, Axis, CowArray, IxDyn};
use rayon::prelude::*;

use crate::element::Element;
use crate::parallel;

/// Below this many input elements a reduction runs on the calling thread.
const PAR_MIN: usize = 1 << 15;
/// Below this many elements an along-axis map (softmax, ...) runs on the calling thread.
const PAR_MIN_MAP: usize = 1 << 14;
/// Runs longer than this are folded as a pairwise tree of runs of this length.
const BLOCK: usize = 1024;
/// Column folds take this many rows at a time, then merge the blocks.
const ROW_BLOCK: usize = 128;
/// A parallel task handles at least this many columns of a column block.
const MIN_TASK_COLS: usize = 16;

/// `rows` rows of `width` elements, row `i` starting at `data[i * stride]`.
pub(super) struct Cols<'a, T> {
    data: &'a [T],
    stride: usize,
    /// Number of rows (the length of the reduced or mapped axis).
    pub rows: usize,
    /// Number of columns (independent lanes).
    pub width: usize,
}

impl<T> Clone for Cols<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Cols<'_, T> {}

impl<'a, T> Cols<'a, T> {
    /// A dense `rows x width` block.
    pub fn new(data: &'a [T], rows: usize, width: usize) -> Self {
        Cols {
            data,
            stride: width,
            rows,
            width,
        }
    }

    /// Row `i` as a slice.
    #[inline]
    pub fn row(&self, i: usize) -> &'a [T] {
        let s = i * self.stride;
        &self.data[s..s + self.width]
    }

    /// The rows in order.
    pub fn rows(&self) -> impl Iterator<Item = &'a [T]> + Clone + 'a
    where
        T: 'a,
    {
        let c = *self;
        (0..c.rows).map(move |i| c.row(i))
    }

    /// Rows `start..end`.
    fn sub_rows(&self, start: usize, end: usize) -> Self {
        Cols {
            data: &self.data[start * self.stride..],
            rows: end - start,
            ..*self
        }
    }

    /// Columns `start..end`.
    fn sub_cols(&self, start: usize, end: usize) -> Self {
        Cols {
            data: &self.data[start..],
            width: end - start,
            ..*self
        }
    }
}

/// A reduction: folds runs of elements into accumulators, merges them, and finishes.
pub(super) trait Reducer<T: Element>: Sync {
    /// Partial result of a run of elements.
    type Acc: Copy + Default + Send + Sync;
    /// Final value per output position.
    type Out: Copy + Default + Send + Sync;
    /// Folds a contiguous run whose first element has index `offset` along the reduced axis
    /// (used by arg-reductions).
    fn fold(&self, x: &[T], offset: usize) -> Self::Acc;
    /// Folds the rows of `x` column by column into `out` (`x.width` long), overwriting it;
    /// row `i` has index `offset + i` along the reduced axis.
    fn fold_cols(&self, x: Cols<'_, T>, offset: usize, out: &mut [Self::Acc]);
    /// Combines the folds of two consecutive runs, `a` first.
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// The result of a fold over `n` elements.
    fn finish(&self, a: Self::Acc, n: usize) -> Self::Out;
}

/// A map along one axis (softmax, cumsum, ...): each lane of the axis is replaced by a lane of
/// the same length, computed from it and, for backward helpers, the matching lane of a second
/// tensor `g` (`g` is `x` again for one-input maps).
pub(super) trait AxisMap<T: Element>: Sync {
    /// One contiguous lane.
    fn lane(&self, x: &[T], g: &[T], out: &mut [T]);
    /// `x.width` lanes side by side: lane `j` is column `j` of the rows; `scratch` is free
    /// working space.
    fn cols(&self, x: Cols<'_, T>, g: Cols<'_, T>, out: ArrayViewMut2<'_, T>, scratch: &mut Vec<T>);
}

/// A tensor's elements in a row-major buffer, and which logical axis each buffer axis is.
struct Layout<'a, T> {
    data: CowArray<'a, T, IxDyn>,
    /// Buffer axis `j` is logical axis `perm[j]`.
    perm: Vec<usize>,
}

impl<'a, T: Element> Layout<'a, T> {
    fn of(a: ArrayViewD<'a, T>) -> Self {
        let identity: Vec<usize> = (0..a.ndim()).collect();
        if a.is_standard_layout() {
            return Layout {
                data: CowArray::from(a),
                perm: identity,
            };
        }
        if a.strides().iter().all(|&s| s >= 0) {
            // A permuted view of contiguous storage reads as that storage, without a copy.
            let strides = a.strides().to_vec();
            let mut order = identity.clone();
            order.sort_by_key(|&i| std::cmp::Reverse(strides[i]));
            let p = a.clone().permuted_axes(IxDyn(&order));
            if p.is_standard_layout() {
                return Layout {
                    data: CowArray::from(p),
                    perm: order,
                };
            }
        }
        Layout {
            data: CowArray::from(a.as_standard_layout().into_owned()),
            perm: identity,
        }
    }

    /// `b`, of the same logical shape, in this layout's buffer order (copied if needed).
    fn follow<'b>(&self, b: ArrayViewD<'b, T>) -> CowArray<'b, T, IxDyn> {
        let p = b.permuted_axes(IxDyn(&self.perm));
        if p.is_standard_layout() {
            CowArray::from(p)
        } else {
            CowArray::from(p.as_standard_layout().into_owned())
        }
    }
}

fn buffer<'s, T>(a: &'s CowArray<'_, T, IxDyn>) -> &'s [T] {
    a.as_slice()
        .expect("reduce: layout buffers are in standard layout")
}

/// How the reduced axes of a row-major buffer lie.
enum Plan {
    Rows { outer: usize, inner: usize },
    Cols { pre: usize, r: usize, post: usize },
}

/// Runs of adjacent kept / reduced axes of a buffer of `shape`, as `(reduced, extent)`;
/// size-1 axes belong to neither.
fn runs(shape: &[usize], reduced: &[bool]) -> Vec<(bool, usize)> {
    let mut runs: Vec<(bool, usize)> = Vec::new();
    for (&d, &r) in shape.iter().zip(reduced) {
        if d == 1 {
            continue;
        }
        match runs.last_mut() {
            Some((lr, ld)) if *lr == r => *ld *= d,
            _ => runs.push((r, d)),
        }
    }
    runs
}

/// The loop shape for reducing the flagged axes of a buffer of `shape`, or `None` when the
/// reduced axes are interleaved with kept ones.
fn plan(shape: &[usize], reduced: &[bool]) -> Option<Plan> {
    let mut runs = runs(shape, reduced);
    if !runs.iter().any(|r| r.0) {
        runs.push((true, 1));
    }
    match *runs.as_slice() {
        [(true, r)] => Some(Plan::Rows { outer: 1, inner: r }),
        [(false, k), (true, r)] => Some(Plan::Rows { outer: k, inner: r }),
        [(true, r), (false, p)] => Some(Plan::Cols { pre: 1, r, post: p }),
        [(false, k), (true, r), (false, p)] => Some(Plan::Cols { pre: k, r, post: p }),
        _ => None,
    }
}

/// Reduces the axes of `a` flagged in `reduced` (one flag per logical axis). The result holds
/// the kept axes in logical order, row-major.
pub(super) fn reduce<T: Element, R: Reducer<T>>(
    a: ArrayViewD<'_, T>,
    reduced: &[bool],
    red: &R,
) -> ArrayD<R::Out> {
    let layout = Layout::of(a);
    let shape = layout.data.shape().to_vec();
    let bred: Vec<bool> = layout.perm.iter().map(|&l| reduced[l]).collect();
    let n: usize = shape
        .iter()
        .zip(&bred)
        .filter(|p| *p.1)
        .map(|p| *p.0)
        .product();
    // Kept buffer axes: (logical axis, extent).
    let kept: Vec<(usize, usize)> = (0..shape.len())
        .filter(|&j| !bred[j])
        .map(|j| (layout.perm[j], shape[j]))
        .collect();
    let out_len: usize = kept.iter().map(|k| k.1).product();
    let values = if layout.data.is_empty() {
        vec![red.finish(red.fold(&[], 0), n); out_len]
    } else {
        let x = buffer(&layout.data);
        match plan(&shape, &bred) {
            Some(Plan::Rows { outer, inner }) => rows(red, x, outer, inner),
            Some(Plan::Cols { pre, r, post }) => cols(red, x, pre, r, post),
            None => interleaved(red, x, &runs(&shape, &bred), n).unwrap_or_else(|| {
                // Short innermost run: move the reduced axes last (one copy), reduce rows.
                let order: Vec<usize> = (0..shape.len())
                    .filter(|&j| !bred[j])
                    .chain((0..shape.len()).filter(|&j| bred[j]))
                    .collect();
                let moved = layout.data.view().permuted_axes(IxDyn(&order));
                let moved = moved.as_standard_layout();
                rows(red, buffer(&moved), out_len, n)
            }),
        }
    };
    let dims: Vec<usize> = kept.iter().map(|k| k.1).collect();
    let out =
        ArrayD::from_shape_vec(IxDyn(&dims), values).expect("reduce: one value per kept position");
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by_key(|&i| kept[i].0);
    if order.iter().enumerate().all(|(i, &o)| i == o) {
        out
    } else {
        out.permuted_axes(IxDyn(&order))
            .as_standard_layout()
            .into_owned()
    }
}

/// Reduces interleaved runs (e.g. `[R, K, R]`, the batch-norm statistics of NCHW data)
/// without moving the data: the innermost reduced run is folded straight from the buffer
/// (rows if it is last, column blocks otherwise), then the partial folds are merged across
/// the remaining reduced runs. `None` if that innermost run is too short for the partial
/// folds to be much smaller than the input.
fn interleaved<T: Element, R: Reducer<T>>(
    red: &R,
    x: &[T],
    runs: &[(bool, usize)],
    n: usize,
) -> Option<Vec<R::Out>> {
    const MIN_FOLD: usize = 8;
    let len = runs.len();
    let (accs, rest) = match runs {
        [.., (true, inner)] if *inner >= MIN_FOLD => {
            let accs = rows_with(red, x, x.len() / inner, *inner, &|a| a);
            (accs, runs[..len - 1].to_vec())
        }
        [.., (true, r), (false, post)] if *r >= MIN_FOLD => {
            let pre = x.len() / (r * post);
            let accs = cols_with(red, x, (pre, *r, *post), &|a| a);
            let mut rest = runs[..len - 2].to_vec();
            rest.push((false, *post));
            (accs, rest)
        }
        _ => return None,
    };
    // Merge the partial folds over the remaining reduced runs, in row-major order: an
    // odometer over the runs keeps the output position `o` (kept runs only) up to date.
    let mut kstride = vec![0usize; rest.len()];
    let mut out_len = 1;
    for (d, &(reduced, size)) in rest.iter().enumerate().rev() {
        if !reduced {
            kstride[d] = out_len;
            out_len *= size;
        }
    }
    let mut out: Vec<Option<R::Acc>> = vec![None; out_len];
    let mut idx = vec![0usize; rest.len()];
    let mut o = 0usize;
    for &a in &accs {
        let slot = &mut out[o];
        *slot = Some(match *slot {
            None => a,
            Some(b) => red.merge(b, a),
        });
        for d in (0..rest.len()).rev() {
            idx[d] += 1;
            o += kstride[d];
            if idx[d] < rest[d].1 {
                break;
            }
            o -= kstride[d] * rest[d].1;
            idx[d] = 0;
        }
    }
    Some(
        out.into_iter()
            .map(|a| red.finish(a.unwrap_or_else(|| red.fold(&[], 0)), n))
            .collect(),
    )
}

/// Folds a contiguous run as a pairwise tree of runs of at most [`BLOCK`] elements.
fn fold_run<T: Element, R: Reducer<T>>(red: &R, x: &[T], offset: usize) -> R::Acc {
    if x.len() <= BLOCK {
        return red.fold(x, offset);
    }
    let half = (x.len() / 2).div_ceil(BLOCK) * BLOCK;
    let (a, b) = x.split_at(half);
    red.merge(fold_run(red, a, offset), fold_run(red, b, offset + half))
}

/// Folds the columns of `x` into `out` in blocks of [`ROW_BLOCK`] rows.
fn fold_cols_run<T: Element, R: Reducer<T>>(
    red: &R,
    x: Cols<'_, T>,
    offset: usize,
    out: &mut [R::Acc],
    tmp: &mut Vec<R::Acc>,
) {
    if x.rows <= ROW_BLOCK {
        red.fold_cols(x, offset, out);
        return;
    }
    red.fold_cols(x.sub_rows(0, ROW_BLOCK), offset, out);
    tmp.clear();
    tmp.resize(x.width, R::Acc::default());
    let mut start = ROW_BLOCK;
    while start < x.rows {
        let end = (start + ROW_BLOCK).min(x.rows);
        red.fold_cols(x.sub_rows(start, end), offset + start, tmp);
        for (o, &t) in out.iter_mut().zip(tmp.iter()) {
            *o = red.merge(*o, t);
        }
        start = end;
    }
}

/// `outer` contiguous rows of `inner >= 1` elements, one output each.
fn rows<T: Element, R: Reducer<T>>(red: &R, x: &[T], outer: usize, inner: usize) -> Vec<R::Out> {
    rows_with(red, x, outer, inner, &|a| red.finish(a, inner))
}

/// [`rows`] with each row's fold passed through `fin`.
fn rows_with<T: Element, R: Reducer<T>, O: Copy + Default + Send + Sync>(
    red: &R,
    x: &[T],
    outer: usize,
    inner: usize,
    fin: &(impl Fn(R::Acc) -> O + Sync),
) -> Vec<O> {
    let mut out = vec![O::default(); outer];
    let one = |row: &[T]| fin(fold_run(red, row, 0));
    let threads = parallel::threads();
    if threads <= 1 || x.len() < PAR_MIN {
        for (o, row) in out.iter_mut().zip(x.chunks_exact(inner)) {
            *o = one(row);
        }
    } else if outer >= threads {
        let per = outer.div_ceil(threads * 4);
        parallel::install(|| {
            out.par_chunks_mut(per)
                .zip(x.par_chunks(per * inner))
                .for_each(|(o, xs)| {
                    for (o, row) in o.iter_mut().zip(xs.chunks_exact(inner)) {
                        *o = one(row);
                    }
                });
        });
    } else {
        // A few long rows: fold pieces of each row in parallel, merge in order.
        let piece = inner.div_ceil(threads).div_ceil(BLOCK) * BLOCK;
        for (o, row) in out.iter_mut().zip(x.chunks_exact(inner)) {
            let parts: Vec<R::Acc> = parallel::install(|| {
                row.par_chunks(piece)
                    .enumerate()
                    .map(|(i, c)| fold_run(red, c, i * piece))
                    .collect()
            });
            let acc = parts
                .into_iter()
                .reduce(|a, b| red.merge(a, b))
                .unwrap_or_else(|| red.fold(&[], 0));
            *o = fin(acc);
        }
    }
    out
}

/// `pre` blocks of `r >= 1` rows of `post` elements, reduced over the rows: `pre * post`
/// outputs.
fn cols<T: Element, R: Reducer<T>>(
    red: &R,
    x: &[T],
    pre: usize,
    r: usize,
    post: usize,
) -> Vec<R::Out> {
    cols_with(red, x, (pre, r, post), &|a| red.finish(a, r))
}

/// [`cols`] with each column's fold passed through `fin`.
fn cols_with<T: Element, R: Reducer<T>, O: Copy + Default + Send + Sync>(
    red: &R,
    x: &[T],
    (pre, r, post): (usize, usize, usize),
    fin: &(impl Fn(R::Acc) -> O + Sync),
) -> Vec<O> {
    let mut out = vec![O::default(); pre * post];
    let block = r * post;
    let run = |xs: Cols<'_, T>, o: &mut [O], acc: &mut Vec<R::Acc>, tmp: &mut Vec<R::Acc>| {
        acc.clear();
        acc.resize(xs.width, R::Acc::default());
        fold_cols_run(red, xs, 0, acc, tmp);
        for (o, &a) in o.iter_mut().zip(acc.iter()) {
            *o = fin(a);
        }
    };
    let threads = parallel::threads();
    if threads <= 1 || x.len() < PAR_MIN {
        let (mut acc, mut tmp) = (Vec::new(), Vec::new());
        for (o, xb) in out.chunks_exact_mut(post).zip(x.chunks_exact(block)) {
            run(Cols::new(xb, r, post), o, &mut acc, &mut tmp);
        }
    } else if pre >= threads {
        let per = pre.div_ceil(threads * 4);
        parallel::install(|| {
            out.par_chunks_mut(per * post)
                .zip(x.par_chunks(per * block))
                .for_each(|(o, xs)| {
                    let (mut acc, mut tmp) = (Vec::new(), Vec::new());
                    for (o, xb) in o.chunks_exact_mut(post).zip(xs.chunks_exact(block)) {
                        run(Cols::new(xb, r, post), o, &mut acc, &mut tmp);
                    }
                });
        });
    } else if post >= threads * MIN_TASK_COLS {
        // Wide blocks: split the columns.
        let cw = post.div_ceil(threads);
        for (o, xb) in out.chunks_exact_mut(post).zip(x.chunks_exact(block)) {
            let full = Cols::new(xb, r, post);
            parallel::install(|| {
                o.par_chunks_mut(cw).enumerate().for_each(|(ci, oc)| {
                    let j0 = ci * cw;
                    let (mut acc, mut tmp) = (Vec::new(), Vec::new());
                    run(full.sub_cols(j0, j0 + oc.len()), oc, &mut acc, &mut tmp);
                });
            });
        }
    } else {
        // Tall, narrow blocks: split the rows, merge the partial columns in order.
        let rows_per = r.div_ceil(threads).div_ceil(ROW_BLOCK) * ROW_BLOCK;
        for (o, xb) in out.chunks_exact_mut(post).zip(x.chunks_exact(block)) {
            let full = Cols::new(xb, r, post);
            let parts: Vec<Vec<R::Acc>> = parallel::install(|| {
                (0..r.div_ceil(rows_per))
                    .into_par_iter()
                    .map(|t| {
                        let (s, e) = (t * rows_per, ((t + 1) * rows_per).min(r));
                        let mut acc = vec![R::Acc::default(); post];
                        fold_cols_run(red, full.sub_rows(s, e), s, &mut acc, &mut Vec::new());
                        acc
                    })
                    .collect()
            });
            let mut parts = parts.into_iter();
            let mut acc = parts.next().unwrap_or_default();
            for p in parts {
                for (a, b) in acc.iter_mut().zip(p) {
                    *a = red.merge(*a, b);
                }
            }
            for (o, a) in o.iter_mut().zip(acc) {
                *o = fin(a);
            }
        }
    }
    out
}

/// Applies `m` along logical axis `axis` of `a` (and of `g`, of the same shape, if given).
/// The result has the shape of `a` and the same memory order (a permuted input gives a
/// permuted result, like PyTorch's `preserve_format`).
pub(super) fn map_axis<T: Element, M: AxisMap<T>>(
    a: ArrayViewD<'_, T>,
    g: Option<ArrayViewD<'_, T>>,
    axis: usize,
    m: &M,
) -> ArrayD<T> {
    let layout = Layout::of(a);
    let shape = layout.data.shape().to_vec();
    let gb = g.map(|g| layout.follow(g));
    let j = layout.perm.iter().position(|&l| l == axis).unwrap_or(0);
    let pre: usize = shape[..j].iter().product();
    let r = shape.get(j).copied().unwrap_or(1);
    let post: usize = shape.get(j + 1..).map_or(1, |s| s.iter().product());
    let mut out = vec![T::zero(); layout.data.len()];
    if !out.is_empty() {
        let x = buffer(&layout.data);
        let gx = gb.as_ref().map_or(x, buffer);
        if post == 1 {
            map_lanes(m, x, gx, r, &mut out);
        } else {
            map_blocks(m, x, gx, (pre, r, post), &mut out);
        }
    }
    let out = ArrayD::from_shape_vec(IxDyn(&shape), out).expect("map_axis: one value per element");
    let mut inv = vec![0; layout.perm.len()];
    for (j, &l) in layout.perm.iter().enumerate() {
        inv[l] = j;
    }
    out.permuted_axes(IxDyn(&inv))
}

fn map_lanes<T: Element, M: AxisMap<T>>(m: &M, x: &[T], g: &[T], r: usize, out: &mut [T]) {
    let serial = |out: &mut [T], x: &[T], g: &[T]| {
        for ((o, xs), gs) in out
            .chunks_exact_mut(r)
            .zip(x.chunks_exact(r))
            .zip(g.chunks_exact(r))
        {
            m.lane(xs, gs, o);
        }
    };
    let threads = parallel::threads();
    if threads <= 1 || out.len() < PAR_MIN_MAP || out.len() / r < 2 {
        serial(out, x, g);
    } else {
        let per = (out.len() / r).div_ceil(threads * 4) * r;
        parallel::install(|| {
            out.par_chunks_mut(per)
                .zip(x.par_chunks(per))
                .zip(g.par_chunks(per))
                .for_each(|((o, xs), gs)| serial(o, xs, gs));
        });
    }
}

fn map_blocks<T: Element, M: AxisMap<T>>(
    m: &M,
    x: &[T],
    g: &[T],
    (pre, r, post): (usize, usize, usize),
    out: &mut [T],
) {
    let block = r * post;
    let serial = |out: &mut [T], x: &[T], g: &[T]| {
        let mut scratch = Vec::new();
        for ((o, xs), gs) in out
            .chunks_exact_mut(block)
            .zip(x.chunks_exact(block))
            .zip(g.chunks_exact(block))
        {
            let ov = ArrayViewMut2::from_shape((r, post), o).expect("map_axis: r * post block");
            m.cols(
                Cols::new(xs, r, post),
                Cols::new(gs, r, post),
                ov,
                &mut scratch,
            );
        }
    };
    let threads = parallel::threads();
    if threads <= 1 || out.len() < PAR_MIN_MAP {
        serial(out, x, g);
    } else if pre >= threads {
        let per = pre.div_ceil(threads * 4) * block;
        parallel::install(|| {
            out.par_chunks_mut(per)
                .zip(x.par_chunks(per))
                .zip(g.par_chunks(per))
                .for_each(|((o, xs), gs)| serial(o, xs, gs));
        });
    } else if post >= threads * MIN_TASK_COLS {
        // Few wide blocks: split the columns of each.
        let cw = post.div_ceil(threads);
        for ((o, xs), gs) in out
            .chunks_exact_mut(block)
            .zip(x.chunks_exact(block))
            .zip(g.chunks_exact(block))
        {
            let (xc, gc) = (Cols::new(xs, r, post), Cols::new(gs, r, post));
            let mut ov = ArrayViewMut2::from_shape((r, post), o).expect("map_axis: r * post block");
            let parts: Vec<_> = ov.axis_chunks_iter_mut(Axis(1), cw).enumerate().collect();
            parallel::install(|| {
                parts.into_par_iter().for_each(|(ci, oc)| {
                    let (j0, w) = (ci * cw, oc.ncols());
                    let mut scratch = Vec::new();
                    m.cols(
                        xc.sub_cols(j0, j0 + w),
                        gc.sub_cols(j0, j0 + w),
                        oc,
                        &mut scratch,
                    );
                });
            });
        }
    } else {
        serial(out, x, g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_group_runs_and_skip_unit_axes() {
        let p = plan(&[2, 3, 4], &[false, false, true]);
        assert!(matches!(p, Some(Plan::Rows { outer: 6, inner: 4 })));
        let p = plan(&[2, 3, 1, 4], &[false, true, true, false]);
        assert!(matches!(
            p,
            Some(Plan::Cols {
                pre: 2,
                r: 3,
                post: 4
            })
        ));
        let p = plan(&[2, 1, 4], &[false, true, false]);
        assert!(matches!(p, Some(Plan::Rows { outer: 8, inner: 1 })));
        assert!(plan(&[2, 3, 4], &[true, false, true]).is_none());
        let p = plan(&[], &[]);
        assert!(matches!(p, Some(Plan::Rows { outer: 1, inner: 1 })));
    }

    #[test]
    fn permuted_views_are_read_in_storage_order() {
        let a = ndarray::Array::from_shape_vec(IxDyn(&[2, 3, 4]), (0..24).collect::<Vec<i32>>())
            .unwrap()
            .mapv(|v| v as f64);
        let v = a.view().permuted_axes(IxDyn(&[2, 0, 1]));
        let l = Layout::of(v);
        assert_eq!(l.perm, vec![1, 2, 0]);
        assert_eq!(buffer(&l.data).as_ptr(), a.as_ptr());
        // A sliced view is copied in logical order.
        let s = a.slice(ndarray::s![.., .., ..2]).into_dyn();
        let l = Layout::of(s);
        assert_eq!(l.perm, vec![0, 1, 2]);
        assert_eq!(buffer(&l.data)[..3], [0.0, 1.0, 4.0]);
    }
}
