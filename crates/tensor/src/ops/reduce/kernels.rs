//! The folds and lane maps behind each reduction and along-axis op.
//!
//! Contiguous runs are folded with eight independent accumulators, which the compiler keeps
//! in SIMD registers, and combined as a tree; column blocks are folded with slice loops over
//! rows. Max/min propagate NaN: once a lane holds NaN it keeps it. Exponentials use a
//! branch-free [`exp`](super::exp::exp) that the compiler vectorizes, unlike a call into libm per element.

use ndarray::ArrayViewMut2;

use super::driver::{AxisMap, Cols, Reducer};
use super::exp::exp;
use crate::element::Element;

const LANES: usize = 8;

/// Folds `x` with `f` into [`LANES`] independent accumulators, combined with `combine`.
#[inline(always)]
fn fold_lanes<T: Copy>(x: &[T], init: T, f: impl Fn(T, T) -> T, combine: impl Fn(T, T) -> T) -> T {
    let mut acc = [init; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = f(*a, v);
        }
    }
    let mut tail = init;
    for &v in chunks.remainder() {
        tail = f(tail, v);
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    let (b0, b1, b2, b3) = (
        combine(a0, a4),
        combine(a1, a5),
        combine(a2, a6),
        combine(a3, a7),
    );
    combine(combine(combine(b0, b2), combine(b1, b3)), tail)
}

/// The larger of `m` and `v`, or NaN if either is NaN.
#[inline(always)]
fn max_nan<T: Element>(m: T, v: T) -> T {
    if v > m || v.is_nan() {
        v
    } else {
        m
    }
}

/// The smaller of `m` and `v`, or NaN if either is NaN.
#[inline(always)]
fn min_nan<T: Element>(m: T, v: T) -> T {
    if v < m || v.is_nan() {
        v
    } else {
        m
    }
}

#[inline]
fn add<T: Element>(a: T, b: T) -> T {
    a + b
}

fn sum_lanes<T: Element>(x: &[T]) -> T {
    fold_lanes(x, T::zero(), add, add)
}

fn max_lanes<T: Element>(x: &[T]) -> T {
    fold_lanes(x, T::neg_infinity(), max_nan, max_nan)
}

fn min_lanes<T: Element>(x: &[T]) -> T {
    fold_lanes(x, T::infinity(), min_nan, min_nan)
}

fn dot_lanes<T: Element>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let mut tail = T::zero();
    for (&u, &v) in ca.remainder().iter().zip(cb.remainder()) {
        tail += u * v;
    }
    for (x, y) in ca.zip(cb) {
        for ((s, &u), &v) in acc.iter_mut().zip(x).zip(y) {
            *s += u * v;
        }
    }
    fold_lanes(&acc, T::zero(), add, add) + tail
}

/// `sum` (and `mean` with `mean: true`).
pub(super) struct Sum {
    pub mean: bool,
}

impl<T: Element> Reducer<T> for Sum {
    type Acc = T;
    type Out = T;
    fn fold(&self, x: &[T], _: usize) -> T {
        sum_lanes(x)
    }
    fn fold_cols(&self, x: Cols<'_, T>, _: usize, out: &mut [T]) {
        out.fill(T::zero());
        for row in x.rows() {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
    }
    fn merge(&self, a: T, b: T) -> T {
        a + b
    }
    fn finish(&self, a: T, n: usize) -> T {
        if self.mean {
            a / T::of(n as f64)
        } else {
            a
        }
    }
}

/// `amax` / `amin`: the largest (smallest) value, NaN if any is NaN.
pub(super) struct Extreme {
    pub min: bool,
}

impl<T: Element> Reducer<T> for Extreme {
    type Acc = T;
    type Out = T;
    fn fold(&self, x: &[T], _: usize) -> T {
        if self.min {
            min_lanes(x)
        } else {
            max_lanes(x)
        }
    }
    fn fold_cols(&self, x: Cols<'_, T>, _: usize, out: &mut [T]) {
        if self.min {
            out.fill(T::infinity());
            for row in x.rows() {
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = min_nan(*o, v);
                }
            }
        } else {
            out.fill(T::neg_infinity());
            for row in x.rows() {
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = max_nan(*o, v);
                }
            }
        }
    }
    fn merge(&self, a: T, b: T) -> T {
        if self.min {
            min_nan(a, b)
        } else {
            max_nan(a, b)
        }
    }
    fn finish(&self, a: T, _: usize) -> T {
        a
    }
}

/// `max_axis` / `min_axis`: the value and the index of its first occurrence; a NaN wins, and
/// the first NaN's index is reported.
pub(super) struct ArgExtreme {
    pub min: bool,
}

impl ArgExtreme {
    /// True if `v` replaces the current best `b` (strictly better, or the first NaN).
    #[inline(always)]
    fn better<T: Element>(&self, v: T, b: T) -> bool {
        (if self.min { v < b } else { v > b }) || (v.is_nan() && !b.is_nan())
    }
}

impl<T: Element> Reducer<T> for ArgExtreme {
    type Acc = (T, usize);
    type Out = (T, usize);
    fn fold(&self, x: &[T], offset: usize) -> (T, usize) {
        // Two cheap passes (a SIMD-friendly extreme, then a search) beat one branchy pass.
        let m = if self.min { min_lanes(x) } else { max_lanes(x) };
        let pos = if m.is_nan() {
            x.iter().position(|v| v.is_nan())
        } else {
            x.iter().position(|&v| v == m)
        };
        (m, offset + pos.unwrap_or(0))
    }
    fn fold_cols(&self, x: Cols<'_, T>, offset: usize, out: &mut [(T, usize)]) {
        let init = if self.min {
            T::infinity()
        } else {
            T::neg_infinity()
        };
        out.fill((init, offset));
        for (i, row) in x.rows().enumerate() {
            for (o, &v) in out.iter_mut().zip(row) {
                if self.better(v, o.0) {
                    *o = (v, offset + i);
                }
            }
        }
    }
    fn merge(&self, a: (T, usize), b: (T, usize)) -> (T, usize) {
        if self.better(b.0, a.0) {
            b
        } else {
            a
        }
    }
    fn finish(&self, a: (T, usize), _: usize) -> (T, usize) {
        a
    }
}

/// Count, mean and sum of squared deviations of a run.
#[derive(Clone, Copy, Default)]
pub(super) struct Moments<T> {
    n: T,
    mean: T,
    m2: T,
}

/// `var` / `std` (with `sqrt: true`): two-pass moments per run, merged with Chan's formula.
pub(super) struct Var {
    pub correction: usize,
    pub sqrt: bool,
}

impl<T: Element> Reducer<T> for Var {
    type Acc = Moments<T>;
    type Out = T;
    fn fold(&self, x: &[T], _: usize) -> Moments<T> {
        if x.is_empty() {
            return Moments::default();
        }
        let n = T::of(x.len() as f64);
        let mean = sum_lanes(x) / n;
        // Corrected two-pass: m2 = Σd² - (Σd)²/n with d = x - mean.
        let (mut s1, mut s2) = ([T::zero(); LANES], [T::zero(); LANES]);
        let mut chunks = x.chunks_exact(LANES);
        for c in &mut chunks {
            for ((a, b), &v) in s1.iter_mut().zip(s2.iter_mut()).zip(c) {
                let d = v - mean;
                *a += d;
                *b += d * d;
            }
        }
        let (mut d1, mut d2) = (T::zero(), T::zero());
        for &v in chunks.remainder() {
            let d = v - mean;
            d1 += d;
            d2 += d * d;
        }
        d1 += sum_lanes(&s1);
        d2 += sum_lanes(&s2);
        let m2 = d2 - d1 * d1 / n;
        Moments {
            n,
            mean,
            // Rounding can leave a tiny negative; NaN stays NaN.
            m2: if m2 < T::zero() { T::zero() } else { m2 },
        }
    }
    fn fold_cols(&self, x: Cols<'_, T>, _: usize, out: &mut [Moments<T>]) {
        out.fill(Moments::default());
        if x.rows == 0 {
            return;
        }
        let n = T::of(x.rows as f64);
        for row in x.rows() {
            for (o, &v) in out.iter_mut().zip(row) {
                o.mean += v;
            }
        }
        for o in out.iter_mut() {
            o.n = n;
            o.mean /= n;
        }
        for row in x.rows() {
            for (o, &v) in out.iter_mut().zip(row) {
                let d = v - o.mean;
                o.m2 += d * d;
            }
        }
    }
    fn merge(&self, a: Moments<T>, b: Moments<T>) -> Moments<T> {
        if a.n == T::zero() {
            return b;
        }
        if b.n == T::zero() {
            return a;
        }
        let n = a.n + b.n;
        let d = b.mean - a.mean;
        Moments {
            n,
            mean: a.mean + d * (b.n / n),
            m2: a.m2 + b.m2 + d * d * (a.n * (b.n / n)),
        }
    }
    fn finish(&self, a: Moments<T>, n: usize) -> T {
        // As PyTorch: divide by max(N - correction, 0), so N <= correction gives 0/0 = NaN
        // or m2/0 = inf.
        let v = a.m2 / T::of(n.saturating_sub(self.correction) as f64);
        if self.sqrt {
            v.sqrt()
        } else {
            v
        }
    }
}

/// `logsumexp`: running (max, Σ exp(x - max)).
pub(super) struct LogSumExp;

impl<T: Element> Reducer<T> for LogSumExp {
    type Acc = (T, T);
    type Out = T;
    fn fold(&self, x: &[T], _: usize) -> (T, T) {
        let m = max_lanes(x);
        if !m.is_finite() {
            // NaN, +inf, or -inf (all -inf or empty): the result is m itself.
            return (m, T::zero());
        }
        (m, fold_lanes(x, T::zero(), |s, v| s + exp(v - m), add))
    }
    fn fold_cols(&self, x: Cols<'_, T>, _: usize, out: &mut [(T, T)]) {
        out.fill((T::neg_infinity(), T::zero()));
        for row in x.rows() {
            for (o, &v) in out.iter_mut().zip(row) {
                o.0 = max_nan(o.0, v);
            }
        }
        for row in x.rows() {
            for (o, &v) in out.iter_mut().zip(row) {
                o.1 += exp(v - o.0);
            }
        }
        for o in out.iter_mut() {
            if !o.0.is_finite() {
                o.1 = T::zero();
            }
        }
    }
    fn merge(&self, a: (T, T), b: (T, T)) -> (T, T) {
        let m = max_nan(a.0, b.0);
        if !m.is_finite() {
            return (m, T::zero());
        }
        let part = |p: (T, T)| {
            if p.0 == T::neg_infinity() {
                T::zero()
            } else {
                p.1 * exp(p.0 - m)
            }
        };
        (m, part(a) + part(b))
    }
    fn finish(&self, a: (T, T), _: usize) -> T {
        if a.0.is_finite() {
            a.0 + a.1.ln()
        } else {
            a.0
        }
    }
}

/// The infinity norm: the largest absolute value (0 for no elements), NaN if any is NaN.
pub(super) struct AbsMax;

impl<T: Element> Reducer<T> for AbsMax {
    type Acc = T;
    type Out = T;
    fn fold(&self, x: &[T], _: usize) -> T {
        fold_lanes(x, T::zero(), |m, v| max_nan(m, v.abs()), max_nan)
    }
    fn fold_cols(&self, x: Cols<'_, T>, _: usize, out: &mut [T]) {
        out.fill(T::zero());
        for row in x.rows() {
            for (o, &v) in out.iter_mut().zip(row) {
                *o = max_nan(*o, v.abs());
            }
        }
    }
    fn merge(&self, a: T, b: T) -> T {
        max_nan(a, b)
    }
    fn finish(&self, a: T, _: usize) -> T {
        a
    }
}

#[derive(Clone, Copy)]
enum Power {
    One,
    Two,
    Other,
}

/// A finite p-norm (p > 0). A run folds to `(s, q)` with `Σ|x|^p = s^p q`: `s = 1` on the
/// fast path, or the run's largest `|x|` when `Σ|x|^p` overflows or underflows, so large and
/// tiny values keep full precision.
pub(super) struct Norm<T> {
    power: Power,
    p: T,
    inv_p: T,
}

impl<T: Element> Norm<T> {
    pub fn new(p: f64) -> Self {
        let power = if p == 1.0 {
            Power::One
        } else if p == 2.0 {
            Power::Two
        } else {
            Power::Other
        };
        Norm {
            power,
            p: T::of(p),
            inv_p: T::of(1.0 / p),
        }
    }

    /// `a^p` for `a >= 0`.
    #[inline(always)]
    fn pow(&self, a: T) -> T {
        match self.power {
            Power::One => a,
            Power::Two => a * a,
            Power::Other => a.powf(self.p),
        }
    }

    fn root(&self, q: T) -> T {
        match self.power {
            Power::One => q,
            Power::Two => q.sqrt(),
            Power::Other => q.powf(self.inv_p),
        }
    }

    fn sum_pow(&self, x: &[T]) -> T {
        match self.power {
            Power::One => fold_lanes(x, T::zero(), |s, v| s + v.abs(), add),
            Power::Two => fold_lanes(x, T::zero(), |s, v| s + v * v, add),
            Power::Other => fold_lanes(x, T::zero(), |s, v| s + v.abs().powf(self.p), add),
        }
    }

    /// The unscaled fold `(1, q)` if `q` neither overflowed nor lost precision to underflow.
    fn accept(q: T) -> Option<(T, T)> {
        let tiny = T::min_positive_value() / T::epsilon();
        if q.is_nan() || (q.is_finite() && q > tiny) {
            Some((T::one(), q))
        } else {
            None
        }
    }

    /// The fold of `vals` scaled by their largest absolute value.
    fn rescaled(&self, vals: impl Iterator<Item = T> + Clone) -> (T, T) {
        let s = vals.clone().fold(T::zero(), |m, v| max_nan(m, v.abs()));
        if s.is_nan() {
            (T::one(), s)
        } else if s == T::zero() {
            (T::zero(), T::zero())
        } else if s.is_infinite() {
            (T::one(), s)
        } else {
            (s, vals.fold(T::zero(), |q, v| q + self.pow(v.abs() / s)))
        }
    }
}

impl<T: Element> Reducer<T> for Norm<T> {
    type Acc = (T, T);
    type Out = T;
    fn fold(&self, x: &[T], _: usize) -> (T, T) {
        Self::accept(self.sum_pow(x)).unwrap_or_else(|| self.rescaled(x.iter().copied()))
    }
    fn fold_cols(&self, x: Cols<'_, T>, _: usize, out: &mut [(T, T)]) {
        out.fill((T::one(), T::zero()));
        for row in x.rows() {
            for (o, &v) in out.iter_mut().zip(row) {
                o.1 += self.pow(v.abs());
            }
        }
        for (j, o) in out.iter_mut().enumerate() {
            if Self::accept(o.1).is_none() {
                *o = self.rescaled(x.rows().filter_map(move |r| r.get(j).copied()));
            }
        }
    }
    fn merge(&self, a: (T, T), b: (T, T)) -> (T, T) {
        if a.1.is_nan() || b.1.is_nan() {
            return (T::one(), T::nan());
        }
        if a.1.is_infinite() || b.1.is_infinite() {
            return (T::one(), T::infinity());
        }
        let s = if a.0 > b.0 { a.0 } else { b.0 };
        if s == T::zero() {
            return (T::zero(), T::zero());
        }
        let (x, y) = (a.1 * self.pow(a.0 / s), b.1 * self.pow(b.0 / s));
        let q = x + y;
        if q.is_finite() {
            (s, q)
        } else {
            let m = if x > y { x } else { y };
            (s * self.root(m), x / m + y / m)
        }
    }
    fn finish(&self, a: (T, T), _: usize) -> T {
        if a.0 == T::zero() {
            T::zero()
        } else {
            a.0 * self.root(a.1)
        }
    }
}

/// `softmax` (or `log_softmax` with `log: true`), with the lane maximum subtracted first.
pub(super) struct Softmax {
    pub log: bool,
}

impl<T: Element> AxisMap<T> for Softmax {
    fn lane(&self, x: &[T], _: &[T], out: &mut [T]) {
        let m = max_lanes(x);
        if self.log {
            let ls = fold_lanes(x, T::zero(), |s, v| s + exp(v - m), add).ln();
            for (o, &v) in out.iter_mut().zip(x) {
                *o = (v - m) - ls;
            }
        } else {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = exp(v - m);
            }
            let inv = T::one() / sum_lanes(out);
            for o in out.iter_mut() {
                *o *= inv;
            }
        }
    }

    fn cols(
        &self,
        x: Cols<'_, T>,
        _: Cols<'_, T>,
        mut out: ArrayViewMut2<'_, T>,
        scratch: &mut Vec<T>,
    ) {
        let w = x.width;
        scratch.clear();
        scratch.resize(2 * w, T::zero());
        let (m, s) = scratch.split_at_mut(w);
        m.fill(T::neg_infinity());
        for row in x.rows() {
            for (mm, &v) in m.iter_mut().zip(row) {
                *mm = max_nan(*mm, v);
            }
        }
        for (row, mut orow) in x.rows().zip(out.rows_mut()) {
            for (((o, &v), &mm), ss) in orow.iter_mut().zip(row).zip(m.iter()).zip(s.iter_mut()) {
                let e = exp(v - mm);
                *ss += e;
                *o = e;
            }
        }
        if self.log {
            for ss in s.iter_mut() {
                *ss = ss.ln();
            }
            for (row, mut orow) in x.rows().zip(out.rows_mut()) {
                for (((o, &v), &mm), &ls) in orow.iter_mut().zip(row).zip(m.iter()).zip(s.iter()) {
                    *o = (v - mm) - ls;
                }
            }
        } else {
            for ss in s.iter_mut() {
                *ss = T::one() / *ss;
            }
            for mut orow in out.rows_mut() {
                for (o, &inv) in orow.iter_mut().zip(s.iter()) {
                    *o *= inv;
                }
            }
        }
    }
}

/// The backward of softmax, `y (g - Σ g y)`, or of log_softmax, `g - exp(y) Σ g`
/// (`log: true`), from the forward output `y` (the `x` lanes) and the gradient `g`.
pub(super) struct SoftmaxGrad {
    pub log: bool,
}

impl<T: Element> AxisMap<T> for SoftmaxGrad {
    fn lane(&self, y: &[T], g: &[T], out: &mut [T]) {
        if self.log {
            let s = sum_lanes(g);
            for ((o, &yv), &gv) in out.iter_mut().zip(y).zip(g) {
                *o = gv - exp(yv) * s;
            }
        } else {
            let s = dot_lanes(y, g);
            for ((o, &yv), &gv) in out.iter_mut().zip(y).zip(g) {
                *o = yv * (gv - s);
            }
        }
    }

    fn cols(
        &self,
        y: Cols<'_, T>,
        g: Cols<'_, T>,
        mut out: ArrayViewMut2<'_, T>,
        scratch: &mut Vec<T>,
    ) {
        scratch.clear();
        scratch.resize(y.width, T::zero());
        let s = scratch.as_mut_slice();
        for (yr, gr) in y.rows().zip(g.rows()) {
            if self.log {
                for (ss, &gv) in s.iter_mut().zip(gr) {
                    *ss += gv;
                }
            } else {
                for ((ss, &yv), &gv) in s.iter_mut().zip(yr).zip(gr) {
                    *ss += yv * gv;
                }
            }
        }
        for ((yr, gr), mut orow) in y.rows().zip(g.rows()).zip(out.rows_mut()) {
            let lanes = orow.iter_mut().zip(yr).zip(gr).zip(s.iter());
            if self.log {
                for (((o, &yv), &gv), &ss) in lanes {
                    *o = gv - exp(yv) * ss;
                }
            } else {
                for (((o, &yv), &gv), &ss) in lanes {
                    *o = yv * (gv - ss);
                }
            }
        }
    }
}

/// `cumsum`: running sums, accumulated in `f64` (as PyTorch does on the CPU).
pub(super) struct CumSum;

impl<T: Element> AxisMap<T> for CumSum {
    fn lane(&self, x: &[T], _: &[T], out: &mut [T]) {
        let mut acc = 0.0f64;
        for (o, &v) in out.iter_mut().zip(x) {
            acc += v.as_f64();
            *o = T::of(acc);
        }
    }

    fn cols(&self, x: Cols<'_, T>, _: Cols<'_, T>, mut out: ArrayViewMut2<'_, T>, _: &mut Vec<T>) {
        let mut acc = vec![0.0f64; x.width];
        for (row, mut orow) in x.rows().zip(out.rows_mut()) {
            for ((o, &v), a) in orow.iter_mut().zip(row).zip(acc.iter_mut()) {
                *a += v.as_f64();
                *o = T::of(*a);
            }
        }
    }
}
