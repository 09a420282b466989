//! Hot kernels. Every `unsafe` block of the crate lives below this module.
//!
//! The public API above is safe: callers hand kernels ndarray views or slices whose shapes were
//! checked at the edge, and kernels re-check the invariants their `unsafe` code relies on.

pub(crate) mod conv;
pub(crate) mod gemm;
pub(crate) mod pool;
pub(crate) mod transcendental;

pub use transcendental::Transcendental;

/// Per-type kernel entry points, implemented for `f32` and `f64` only.
///
/// This trait sits in a private module, so it cannot be named or implemented outside the
/// crate: it seals [`Element`](crate::Element).
pub trait KernelScalar: Copy + Send + Sync + 'static {
    /// `C = alpha * A B + beta * C` on raw strided storage.
    ///
    /// # Safety
    /// `a` must be valid for reads of an `m x k` matrix with row stride `rsa` and column stride
    /// `csa` (in elements), `b` likewise for `k x n`, and `c` valid for reads and writes of an
    /// `m x n` matrix with strides `rsc`, `csc` that does not overlap `a` or `b` and whose
    /// elements are distinct. If `beta` is zero, `c` may hold any value (even NaN).
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );

    /// `op(src[i])` into `dst[i]`; the slices have equal lengths. Vectorised for `f32`, the
    /// scalar `libm` functions for `f64`.
    fn transcendental_map(op: Transcendental, src: &[Self], dst: &mut [Self]);

    /// `op` applied to every element of `xs` in place (as
    /// [`transcendental_map`](KernelScalar::transcendental_map)).
    fn transcendental_apply(op: Transcendental, xs: &mut [Self]);
}

impl KernelScalar for f32 {
    #[inline]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: the caller upholds the pointer, stride and aliasing contract of `gemm_raw`,
        // which is exactly matrixmultiply's contract for `sgemm`.
        unsafe {
            matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }

    #[inline]
    fn transcendental_map(op: Transcendental, src: &[f32], dst: &mut [f32]) {
        transcendental::map_f32(op, src, dst)
    }

    #[inline]
    fn transcendental_apply(op: Transcendental, xs: &mut [f32]) {
        transcendental::apply_f32(op, xs)
    }
}

impl KernelScalar for f64 {
    #[inline]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: the caller upholds the pointer, stride and aliasing contract of `gemm_raw`,
        // which is exactly matrixmultiply's contract for `dgemm`.
        unsafe {
            matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }

    #[inline]
    fn transcendental_map(op: Transcendental, src: &[f64], dst: &mut [f64]) {
        transcendental::map_f64(op, src, dst)
    }

    #[inline]
    fn transcendental_apply(op: Transcendental, xs: &mut [f64]) {
        transcendental::apply_f64(op, xs)
    }
}
