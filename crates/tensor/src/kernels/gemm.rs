//! The one GEMM entry point of the crate.
//!
//! Every matrix product (matmul, convolution through im2col, their backward passes) goes
//! through [`gemm`], so a faster kernel can replace the body without touching any caller.
//! Today it splits the output into row (or column) panels, one per thread of the kernel pool,
//! and hands each panel to matrixmultiply, which packs and runs its own SIMD micro-kernels
//! chosen at run time (AVX, FMA, AVX2 or a portable fallback).

use ndarray::{ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::element::Element;
use crate::parallel;

/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_MIN_FLOPS: usize = 1 << 20;
/// Panels are cut at multiples of this many rows or columns (the micro-kernel's tile edge).
const PANEL_ALIGN: usize = 16;

/// `c = alpha * a.dot(b) + beta * c`, using the kernel pool when the product is large enough.
///
/// With `beta == 0` the old contents of `c` are ignored (they may be NaN).
///
/// # Panics
/// If the shapes do not agree (`a` is `[m, k]`, `b` `[k, n]`, `c` `[m, n]`): callers check
/// shapes at the public edge, so a mismatch here is a bug in Youshi.
pub(crate) fn gemm<T: Element>(
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert!(
        k == k2 && c.dim() == (m, n),
        "gemm: internal shape mismatch a {:?} b {:?} c {:?}",
        a.dim(),
        b.dim(),
        c.dim()
    );
    let threads = parallel::threads();
    if threads <= 1 || m * n * k < PARALLEL_MIN_FLOPS {
        gemm_serial(alpha, a, b, beta, c);
        return;
    }
    // Split the longer side of C into about `threads` aligned panels.
    let split_rows = m >= n;
    let len = if split_rows { m } else { n };
    let panel = len.div_ceil(threads).div_ceil(PANEL_ALIGN) * PANEL_ALIGN;
    if panel >= len {
        gemm_serial(alpha, a, b, beta, c);
        return;
    }
    parallel::install(|| {
        if split_rows {
            let parts: Vec<_> = a
                .axis_chunks_iter(Axis(0), panel)
                .zip(c.axis_chunks_iter_mut(Axis(0), panel))
                .collect();
            parts
                .into_par_iter()
                .for_each(|(ap, cp)| gemm_serial(alpha, ap, b, beta, cp));
        } else {
            let parts: Vec<_> = b
                .axis_chunks_iter(Axis(1), panel)
                .zip(c.axis_chunks_iter_mut(Axis(1), panel))
                .collect();
            parts
                .into_par_iter()
                .for_each(|(bp, cp)| gemm_serial(alpha, a, bp, beta, cp));
        }
    });
}

/// [`gemm`] on the calling thread only.
pub(crate) fn gemm_serial<T: Element>(
    alpha: T,
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    beta: T,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert!(
        k == k2 && c.dim() == (m, n),
        "gemm: internal shape mismatch a {:?} b {:?} c {:?}",
        a.dim(),
        b.dim(),
        c.dim()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if beta == T::zero() {
            c.fill(T::zero());
        } else {
            c.mapv_inplace(|v| v * beta);
        }
        return;
    }
    let (rsa, csa) = (a.strides()[0], a.strides()[1]);
    let (rsb, csb) = (b.strides()[0], b.strides()[1]);
    let (rsc, csc) = (c.strides()[0], c.strides()[1]);
    // SAFETY: ndarray views guarantee that `as_ptr` with the view's strides addresses valid
    // elements for every index inside the view's dimensions, which were checked above to be
    // [m, k], [k, n] and [m, n]. `c` is a mutable view, so it is unique (it cannot overlap `a`
    // or `b`, which are shared borrows) and its elements are distinct (ndarray rejects aliasing
    // strides for mutable views; size-1 axes are never stepped over).
    unsafe {
        T::gemm_raw(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            rsc,
            csc,
        );
    }
}
