//! The loops behind every elementwise op: maps over row-major slices (in parallel chunks when
//! large), a broadcast kernel that coalesces dimensions, and strided fall-backs through
//! ndarray's `Zip`.
//!
//! Layout policy (like PyTorch's TensorIterator): a dense input in any dimension order (a
//! transposed or permuted view of contiguous data) is mapped in memory order and the output
//! keeps that order; strided inputs and broadcasts give a row-major output.

use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};
use rayon::prelude::*;

use crate::element::Element;
use crate::parallel;

/// Elements above which a cheap map (add, compare, select) runs on the kernel pool.
pub(crate) const PAR_MIN_CHEAP: usize = 1 << 16;
/// Elements above which a map that calls a transcendental function (exp, erf, tanh, ...)
/// runs on the kernel pool: each element costs tens of cycles, so threads pay off sooner.
pub(crate) const PAR_MIN_COSTLY: usize = 1 << 13;

/// True if `n` elements of work with parallel threshold `min_par` should go to the pool.
#[inline]
pub(crate) fn go_parallel(n: usize, min_par: usize) -> bool {
    n >= min_par && parallel::threads() > 1
}

/// Chunk length for splitting `n` elements over the pool: about four chunks per thread (for
/// load balance), never below 4096 elements, a multiple of 64 (whole cache lines).
pub(crate) fn par_chunk(n: usize) -> usize {
    let t = parallel::threads().max(1);
    n.div_ceil(t * 4).max(1 << 12).next_multiple_of(64)
}

/// `f` over a slice, in parallel chunks when large.
pub(crate) fn map_slice<T: Element, F: Fn(T) -> T + Sync>(
    src: &[T],
    min_par: usize,
    f: &F,
) -> Vec<T> {
    let n = src.len();
    if !go_parallel(n, min_par) {
        return src.iter().map(|&x| f(x)).collect();
    }
    let mut out = vec![T::zero(); n];
    let chunk = par_chunk(n);
    parallel::install(|| {
        out.par_chunks_mut(chunk)
            .zip(src.par_chunks(chunk))
            .for_each(|(o, s)| {
                for (o, &x) in o.iter_mut().zip(s) {
                    *o = f(x);
                }
            });
    });
    out
}

/// The slice kernel `f(src, dst)` over a slice, in parallel chunks when large.
pub(crate) fn map_slice_chunks<T: Element, F: Fn(&[T], &mut [T]) + Sync>(
    src: &[T],
    min_par: usize,
    f: &F,
) -> Vec<T> {
    let n = src.len();
    let mut out = vec![T::zero(); n];
    if !go_parallel(n, min_par) {
        f(src, &mut out);
        return out;
    }
    let chunk = par_chunk(n);
    parallel::install(|| {
        out.par_chunks_mut(chunk)
            .zip(src.par_chunks(chunk))
            .for_each(|(o, s)| f(s, o));
    });
    out
}

/// `f` over two slices of equal length, in parallel chunks when large.
pub(crate) fn zip_slices<T: Element, F: Fn(T, T) -> T + Sync>(
    a: &[T],
    b: &[T],
    min_par: usize,
    f: &F,
) -> Vec<T> {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    if !go_parallel(n, min_par) {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    let mut out = vec![T::zero(); n];
    let chunk = par_chunk(n);
    parallel::install(|| {
        out.par_chunks_mut(chunk)
            .zip(a.par_chunks(chunk))
            .zip(b.par_chunks(chunk))
            .for_each(|((o, x), y)| {
                for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                    *o = f(x, y);
                }
            });
    });
    out
}

/// `f` over three slices of equal length, in parallel chunks when large.
pub(crate) fn zip3_slices<T: Element, F: Fn(T, T, T) -> T + Sync>(
    a: &[T],
    b: &[T],
    c: &[T],
    min_par: usize,
    f: &F,
) -> Vec<T> {
    let n = a.len().min(b.len()).min(c.len());
    if !go_parallel(n, min_par) {
        return a
            .iter()
            .zip(b)
            .zip(c)
            .map(|((&x, &y), &z)| f(x, y, z))
            .collect();
    }
    let mut out = vec![T::zero(); n];
    let chunk = par_chunk(n);
    parallel::install(|| {
        out.par_chunks_mut(chunk)
            .zip(a.par_chunks(chunk))
            .zip(b.par_chunks(chunk).zip(c.par_chunks(chunk)))
            .for_each(|((o, x), (y, z))| {
                for (((o, &x), &y), &z) in o.iter_mut().zip(x).zip(y).zip(z) {
                    *o = f(x, y, z);
                }
            });
    });
    out
}

/// Wraps row-major `data` of shape `dims`.
pub(crate) fn from_row_major<T: Element>(dims: &[usize], data: Vec<T>) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(dims), data)
        .expect("elementwise: output length equals the product of the output shape")
}

/// The axis order that makes a view with non-negative strides row-major: axes sorted by
/// decreasing stride. `None` for negative strides.
///
/// Whether the permuted view really is dense is checked by the caller (`to_slice`).
pub(crate) fn dense_order<T>(v: &ArrayViewD<'_, T>) -> Option<Vec<usize>> {
    let strides = v.strides();
    if strides.iter().any(|&s| s < 0) {
        return None;
    }
    let mut perm: Vec<usize> = (0..v.ndim()).collect();
    perm.sort_by_key(|&i| std::cmp::Reverse(strides[i]));
    Some(perm)
}

/// The elements of `v` as a slice in the axis order `perm`, if that makes it row-major.
pub(crate) fn slice_in_order<'a, T>(v: &ArrayViewD<'a, T>, perm: &[usize]) -> Option<&'a [T]> {
    v.clone().permuted_axes(IxDyn(perm)).to_slice()
}

/// Wraps `data`, computed in the row-major order of `v` permuted by `perm`, back into `v`'s
/// axis order (a strided but dense array with the memory layout of `v`).
pub(crate) fn from_permuted<T: Element>(
    v: &ArrayViewD<'_, T>,
    perm: &[usize],
    data: Vec<T>,
) -> ArrayD<T> {
    let pdims: Vec<usize> = perm.iter().map(|&i| v.shape()[i]).collect();
    let mut inv = vec![0usize; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    from_row_major(&pdims, data).permuted_axes(IxDyn(&inv))
}

/// `f` over every element of `v`, keeping a dense layout (see the module docs).
pub(crate) fn map_view<T: Element, F: Fn(T) -> T + Sync + Send>(
    v: ArrayViewD<'_, T>,
    min_par: usize,
    f: &F,
) -> ArrayD<T> {
    if let Some(s) = v.to_slice() {
        return from_row_major(v.shape(), map_slice(s, min_par, f));
    }
    if let Some(perm) = dense_order(&v) {
        if let Some(s) = slice_in_order(&v, &perm) {
            return from_permuted(&v, &perm, map_slice(s, min_par, f));
        }
    }
    if go_parallel(v.len(), min_par) {
        parallel::install(|| Zip::from(v).par_map_collect(|&x| f(x)))
    } else {
        v.map(|&x| f(x))
    }
}

/// The slice kernel `f(src, dst)` over every element of `v`, keeping a dense layout (see the
/// module docs); a strided view is first copied into row-major order.
pub(crate) fn map_view_chunks<T: Element, F: Fn(&[T], &mut [T]) + Sync>(
    v: ArrayViewD<'_, T>,
    min_par: usize,
    f: &F,
) -> ArrayD<T> {
    if let Some(s) = v.to_slice() {
        return from_row_major(v.shape(), map_slice_chunks(s, min_par, f));
    }
    if let Some(perm) = dense_order(&v) {
        if let Some(s) = slice_in_order(&v, &perm) {
            return from_permuted(&v, &perm, map_slice_chunks(s, min_par, f));
        }
    }
    let gathered = v.as_standard_layout();
    let s = gathered
        .as_slice()
        .expect("a standard-layout array exposes its slice");
    from_row_major(v.shape(), map_slice_chunks(s, min_par, f))
}

/// `f` over two views of the same shape, keeping a dense layout they share.
pub(crate) fn zip_same_shape<T: Element, F: Fn(T, T) -> T + Sync + Send>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
    min_par: usize,
    f: &F,
) -> ArrayD<T> {
    debug_assert_eq!(a.shape(), b.shape());
    if let (Some(x), Some(y)) = (a.to_slice(), b.to_slice()) {
        return from_row_major(a.shape(), zip_slices(x, y, min_par, f));
    }
    for perm in [dense_order(&a), dense_order(&b)].into_iter().flatten() {
        if let (Some(x), Some(y)) = (slice_in_order(&a, &perm), slice_in_order(&b, &perm)) {
            return from_permuted(&a, &perm, zip_slices(x, y, min_par, f));
        }
    }
    zip_views(a, b, min_par, f)
}

/// `f` over two strided views of the same shape (possibly broadcast, with zero strides).
pub(crate) fn zip_views<T: Element, F: Fn(T, T) -> T + Sync + Send>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
    min_par: usize,
    f: &F,
) -> ArrayD<T> {
    let n = a.len();
    let z = Zip::from(a).and(b);
    if go_parallel(n, min_par) {
        parallel::install(|| z.par_map_collect(|&x, &y| f(x, y)))
    } else {
        z.map_collect(|&x, &y| f(x, y))
    }
}

/// `f` over three strided views of the same shape.
pub(crate) fn zip3_views<T: Element, F: Fn(T, T, T) -> T + Sync + Send>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
    c: ArrayViewD<'_, T>,
    min_par: usize,
    f: &F,
) -> ArrayD<T> {
    let n = a.len();
    let z = Zip::from(a).and(b).and(c);
    if go_parallel(n, min_par) {
        parallel::install(|| z.par_map_collect(|&x, &y, &w| f(x, y, w)))
    } else {
        z.map_collect(|&x, &y, &w| f(x, y, w))
    }
}

/// A broadcast binary map over two row-major operands.
///
/// Output dimensions of size 1 are dropped and neighbouring dimensions along which both
/// operands step evenly are merged, so `[N, C, H, W] + [C, 1, 1]` runs as `N*C` rows of
/// `H*W` elements with the right operand constant along each row, and `[B, F] + [F]` as `B`
/// rows zipped with one slice. The innermost loop then reads each operand either as a slice
/// or as one repeated value, which the compiler vectorises.
#[derive(Debug, PartialEq)]
pub(crate) struct BroadcastPlan {
    /// Merged outer dimensions, outermost first: `(extent, stride in a, stride in b)`.
    outer: Vec<(usize, usize, usize)>,
    /// Length of the innermost merged dimension.
    inner: usize,
    /// Stride of `a` along the innermost dimension (1, or 0 when broadcast).
    a_inner: usize,
    /// Stride of `b` along the innermost dimension.
    b_inner: usize,
}

impl BroadcastPlan {
    /// Plans `a` of shape `ash` and `b` of shape `bsh` broadcast to `out` (already checked).
    pub(crate) fn new(ash: &[usize], bsh: &[usize], out: &[usize]) -> Self {
        let n = out.len();
        let strides = |s: &[usize]| -> Vec<usize> {
            // Row-major strides of `s` left-padded with 1s to rank n; 0 where broadcast.
            let mut st = vec![0usize; n];
            let pad = n - s.len();
            let mut acc = 1usize;
            for i in (0..s.len()).rev() {
                st[pad + i] = if s[i] == 1 { 0 } else { acc };
                acc *= s[i];
            }
            st
        };
        let (sa, sb) = (strides(ash), strides(bsh));
        // Groups, innermost first: (extent, stride in a, stride in b).
        let mut groups: Vec<(usize, usize, usize)> = Vec::with_capacity(n);
        for i in (0..n).rev() {
            let d = out[i];
            if d == 1 {
                continue;
            }
            if let Some(last) = groups.last_mut() {
                if sa[i] == last.1 * last.0 && sb[i] == last.2 * last.0 {
                    last.0 *= d;
                    continue;
                }
            }
            groups.push((d, sa[i], sb[i]));
        }
        if groups.is_empty() {
            return BroadcastPlan {
                outer: Vec::new(),
                inner: 1,
                a_inner: 0,
                b_inner: 0,
            };
        }
        let (inner, a_inner, b_inner) = groups.remove(0);
        groups.reverse();
        BroadcastPlan {
            outer: groups,
            inner,
            a_inner,
            b_inner,
        }
    }

    /// Fills `out`, the output elements from flat (row-major) index `start` on.
    fn fill<T: Copy, F: Fn(T, T) -> T>(
        &self,
        out: &mut [T],
        start: usize,
        a: &[T],
        b: &[T],
        f: &F,
    ) {
        if out.is_empty() {
            return;
        }
        let k = self.outer.len();
        let mut idx = vec![0usize; k];
        let mut row = start / self.inner;
        let mut col = start % self.inner;
        let (mut oa, mut ob) = (0usize, 0usize);
        for d in (0..k).rev() {
            let (len, sa, sb) = self.outer[d];
            let i = row % len;
            row /= len;
            idx[d] = i;
            oa += i * sa;
            ob += i * sb;
        }
        let mut done = 0;
        loop {
            let len = (self.inner - col).min(out.len() - done);
            let o = &mut out[done..done + len];
            let pa = oa + col * self.a_inner;
            let pb = ob + col * self.b_inner;
            match (self.a_inner, self.b_inner) {
                (1, 1) => {
                    for ((o, &x), &y) in o.iter_mut().zip(&a[pa..pa + len]).zip(&b[pb..pb + len]) {
                        *o = f(x, y);
                    }
                }
                (1, 0) => {
                    let y = b[pb];
                    for (o, &x) in o.iter_mut().zip(&a[pa..pa + len]) {
                        *o = f(x, y);
                    }
                }
                (0, 1) => {
                    let x = a[pa];
                    for (o, &y) in o.iter_mut().zip(&b[pb..pb + len]) {
                        *o = f(x, y);
                    }
                }
                (sa, sb) => {
                    for (j, o) in o.iter_mut().enumerate() {
                        *o = f(a[pa + j * sa], b[pb + j * sb]);
                    }
                }
            }
            done += len;
            if done == out.len() {
                return;
            }
            col = 0;
            for d in (0..k).rev() {
                let (len, sa, sb) = self.outer[d];
                idx[d] += 1;
                oa += sa;
                ob += sb;
                if idx[d] < len {
                    break;
                }
                idx[d] = 0;
                oa -= sa * len;
                ob -= sb * len;
            }
        }
    }

    /// Runs the plan over `numel` output elements, in parallel chunks when large.
    pub(crate) fn run<T: Element, F: Fn(T, T) -> T + Sync>(
        &self,
        a: &[T],
        b: &[T],
        numel: usize,
        min_par: usize,
        f: &F,
    ) -> Vec<T> {
        let mut out = vec![T::zero(); numel];
        if !go_parallel(numel, min_par) {
            self.fill(&mut out, 0, a, b, f);
            return out;
        }
        let chunk = par_chunk(numel);
        parallel::install(|| {
            out.par_chunks_mut(chunk)
                .enumerate()
                .for_each(|(i, o)| self.fill(o, i * chunk, a, b, f));
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_coalesces_dimensions() {
        // Bias over channels: N*C rows of H*W, rhs constant per row.
        let p = BroadcastPlan::new(&[2, 3, 4, 5], &[3, 1, 1], &[2, 3, 4, 5]);
        assert_eq!(
            p,
            BroadcastPlan {
                outer: vec![(2, 60, 0), (3, 20, 1)],
                inner: 20,
                a_inner: 1,
                b_inner: 0,
            }
        );
        // Row vector: B rows zipped with one slice.
        let p = BroadcastPlan::new(&[7, 5], &[5], &[7, 5]);
        assert_eq!(p.outer, vec![(7, 5, 0)]);
        assert_eq!((p.inner, p.a_inner, p.b_inner), (5, 1, 1));
        // Outer product.
        let p = BroadcastPlan::new(&[3, 1], &[1, 4], &[3, 4]);
        assert_eq!(p.outer, vec![(3, 1, 0)]);
        assert_eq!((p.inner, p.a_inner, p.b_inner), (4, 0, 1));
        // Scalar output.
        let p = BroadcastPlan::new(&[1, 1], &[], &[1, 1]);
        assert_eq!((p.inner, p.a_inner, p.b_inner), (1, 0, 0));
        assert!(p.outer.is_empty());
    }

    #[test]
    fn fill_from_any_start_matches_whole() {
        let (ash, bsh, out) = ([4usize, 1, 3], [2usize, 1], [4usize, 2, 3]);
        let a: Vec<f64> = (0..12).map(f64::from).collect();
        let b = vec![100.0, 200.0];
        let p = BroadcastPlan::new(&ash, &bsh, &out);
        let whole = p.run(&a, &b, 24, usize::MAX, &|x, y| x + y);
        for start in 0..24 {
            for end in start..=24 {
                let mut part = vec![0.0; end - start];
                p.fill(&mut part, start, &a, &b, &|x, y| x + y);
                assert_eq!(part, whole[start..end]);
            }
        }
        assert_eq!(&whole[..6], &[100.0, 101.0, 102.0, 200.0, 201.0, 202.0]);
    }

    #[test]
    fn dense_order_recovers_memory_order() {
        let a = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 4]));
        let v = a.view().permuted_axes(IxDyn(&[2, 0, 1]));
        let perm = dense_order(&v).unwrap();
        assert_eq!(perm, vec![1, 2, 0]);
        assert!(slice_in_order(&v, &perm).is_some());
        let out = from_permuted(&v, &perm, vec![0.0; 24]);
        assert_eq!(out.shape(), &[4, 2, 3]);
        assert_eq!(out.strides(), v.strides());
    }
}
