//! Fused recurrences: a whole sequence of RNN (tanh or relu), LSTM or GRU steps recorded as
//! one node, with a hand-written backward through time.
//!
//! The input side of every step, `X_t = x_t W_ihᵀ + b_ih`, does not depend on the state, so
//! the caller computes it for all time steps at once (one GEMM) and passes it here as `xw`
//! (`[T, B, G*H]`, `G` gates). Each step then costs one small GEMM, `h_{t-1} W_hhᵀ + b_hh`,
//! plus element-wise gate arithmetic, with PyTorch's equations and gate order:
//!
//! - **RNN**: `h_t = act(X_t + H_t)` with `H_t = h_{t-1} W_hhᵀ + b_hh`, `act` tanh or relu.
//! - **LSTM** (gates `i, f, g, o`): `i = σ(X_i + H_i)`, `f = σ(X_f + H_f)`,
//!   `g = tanh(X_g + H_g)`, `o = σ(X_o + H_o)`, `c_t = f c_{t-1} + i g`, `h_t = o tanh(c_t)`.
//! - **GRU** (gates `r, z, n`): `r = σ(X_r + H_r)`, `z = σ(X_z + H_z)`,
//!   `n = tanh(X_n + r H_n)` (the reset gate multiplies the whole hidden part, bias
//!   included, as in PyTorch), `h_t = (1 - z) n + z h_{t-1}`.
//!
//! **Backward.** The forward keeps what the derivatives need (the state entering each step,
//! the activated gates, `tanh(c_t)` or `H_n`), so the backward recomputes nothing. Walking the
//! steps in reverse with `dh = ∂L/∂h_t` (plus the output's gradient at `t`) and `dc`:
//!
//! - RNN: `dA = dh (1 - h_t²)` (tanh) or `dh [h_t > 0]` (relu).
//! - LSTM: `dc' = dc + dh o (1 - tanh²c_t)`; `dA = [dc' g · i(1-i), dc' c_{t-1} · f(1-f),
//!   dc' i · (1-g²), dh tanh c_t · o(1-o)]`; `∂L/∂c_{t-1} = dc' f`.
//! - GRU: `dA_n = dh (1-z)(1-n²)`, `dA_z = dh (h_{t-1} - n) z(1-z)`,
//!   `dA_r = dA_n H_n r(1-r)`; the input side receives `[dA_r, dA_z, dA_n]` and the hidden
//!   side `[dA_r, dA_z, r dA_n]`; the direct path adds `dh z` to `∂L/∂h_{t-1}`.
//!
//! The input side's `dA` is `∂L/∂X_t`; the hidden side's `dA_h` gives
//! `∂L/∂h_{t-1} += dA_h W_hh` (one small GEMM per step) and, accumulated over all steps,
//! `∂L/∂W_hh = Σ_t dA_hᵀ h_{t-1}` (one large GEMM at the end) and `∂L/∂b_hh = Σ_t dA_h`.
//!
//! **Variable lengths.** With `lengths`, sequence `b` takes part in step `t` only while
//! `t < lengths[b]`: elsewhere its state is carried unchanged and its output is zero. Running
//! forward, the sequence stops at its own end; running in reverse, it starts at
//! `lengths[b] - 1` from the initial state. This is what PyTorch's packed sequences compute,
//! without sorting the batch.

use youshi_tensor::{Element, Tensor};

use crate::error::{AutogradError, Result};
use crate::graph::Var;

/// The cell a recurrence runs at each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// Elman RNN with tanh: `h = tanh(X + H)`.
    RnnTanh,
    /// Elman RNN with relu: `h = relu(X + H)`.
    RnnRelu,
    /// LSTM with gates `i, f, g, o`.
    Lstm,
    /// GRU with gates `r, z, n`.
    Gru,
}

impl CellKind {
    /// Number of gates `G`: the projections have `G * hidden` columns (1, 1, 4, 3).
    pub fn gates(self) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu => 1,
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }

    /// True for the LSTM, the only cell with a second state `c`.
    pub fn has_cell_state(self) -> bool {
        self == CellKind::Lstm
    }
}

/// Options of [`Var::recurrence`]: the cell, the direction and optional sequence lengths.
///
/// # Examples
/// ```
/// use youshi_autograd::ops::recurrent::{CellKind, RecurrenceOptions};
/// let opts = RecurrenceOptions::new(CellKind::Gru).reverse(true).lengths(vec![3, 1]);
/// assert!(opts.reverse);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrenceOptions {
    /// The cell.
    pub kind: CellKind,
    /// Run from the last time step to the first.
    pub reverse: bool,
    /// Length of each sequence of the batch (`None`: all run the full `T` steps).
    pub lengths: Option<Vec<usize>>,
}

impl RecurrenceOptions {
    /// Forward direction over full-length sequences.
    pub fn new(kind: CellKind) -> Self {
        RecurrenceOptions {
            kind,
            reverse: false,
            lengths: None,
        }
    }

    /// Runs from the last step to the first if `reverse`.
    pub fn reverse(mut self, reverse: bool) -> Self {
        self.reverse = reverse;
        self
    }

    /// Sets the length of each sequence of the batch.
    pub fn lengths(mut self, lengths: Vec<usize>) -> Self {
        self.lengths = Some(lengths);
        self
    }
}

/// What [`Var::recurrence`] returns.
#[derive(Debug, Clone)]
pub struct Recurrence<T: Element> {
    /// `[T, B, H]`: the hidden state after each step, in time order (zero past a sequence's
    /// length).
    pub output: Var<T>,
    /// `[B, H]`: each sequence's hidden state after its last step.
    pub h_n: Var<T>,
    /// `[B, H]`: each sequence's cell state after its last step (LSTM only).
    pub c_n: Option<Var<T>>,
}

fn invalid(reason: String) -> AutogradError {
    AutogradError::InvalidArgument {
        op: "recurrence",
        reason,
    }
}

/// Sizes of a checked recurrence.
#[derive(Debug, Clone, Copy)]
struct Dims {
    steps: usize,
    batch: usize,
    hidden: usize,
}

fn check<T: Element>(
    xw: &Var<T>,
    h0: &Var<T>,
    c0: Option<&Var<T>>,
    w_hh: &Var<T>,
    b_hh: Option<&Var<T>>,
    opts: &RecurrenceOptions,
) -> Result<Dims> {
    let gates = opts.kind.gates();
    let ws = w_hh.shape();
    if ws.len() != 2 || ws[0] != gates * ws[1] {
        return Err(invalid(format!(
            "{:?} needs w_hh of shape [{gates} * hidden, hidden], got {}",
            opts.kind,
            w_hh.value().shape_obj()
        )));
    }
    let hidden = ws[1];
    let xs = xw.shape();
    if xs.len() != 3 || xs[2] != gates * hidden {
        return Err(invalid(format!(
            "input projections must be [T, B, {}] for w_hh {}, got {}",
            gates * hidden,
            w_hh.value().shape_obj(),
            xw.value().shape_obj()
        )));
    }
    let (steps, batch) = (xs[0], xs[1]);
    if h0.shape() != [batch, hidden] {
        return Err(invalid(format!(
            "h0 must be [{batch}, {hidden}] for input projections {}, got {}",
            xw.value().shape_obj(),
            h0.value().shape_obj()
        )));
    }
    match (opts.kind.has_cell_state(), c0) {
        (true, None) => return Err(invalid("the LSTM needs an initial cell state c0".into())),
        (false, Some(_)) => {
            return Err(invalid(format!(
                "{:?} has no cell state, but c0 was given",
                opts.kind
            )))
        }
        (true, Some(c)) if c.shape() != [batch, hidden] => {
            return Err(invalid(format!(
                "c0 must be [{batch}, {hidden}], got {}",
                c.value().shape_obj()
            )))
        }
        _ => {}
    }
    if let Some(b) = b_hh {
        if b.shape() != [gates * hidden] {
            return Err(invalid(format!(
                "b_hh must be [{}], got {}",
                gates * hidden,
                b.value().shape_obj()
            )));
        }
    }
    if let Some(lengths) = &opts.lengths {
        if lengths.len() != batch {
            return Err(invalid(format!(
                "{} lengths for a batch of {batch}",
                lengths.len()
            )));
        }
        if let Some(&l) = lengths.iter().find(|&&l| l > steps) {
            return Err(invalid(format!(
                "length {l} exceeds the {steps} time steps of the input projections {}",
                xw.value().shape_obj()
            )));
        }
    }
    Ok(Dims {
        steps,
        batch,
        hidden,
    })
}

/// What the forward keeps for the backward, indexed by time step (not processing order).
struct Saved<T: Element> {
    /// `[T * B, H]`: the hidden state entering each step.
    h_prev: Tensor<T>,
    /// `[T, B, G*H]`: activated gates (for the RNN, the new hidden state).
    acts: Vec<T>,
    /// `[T, B, H]`: LSTM `tanh(c_t)`; GRU `H_n`, the hidden part of the candidate.
    extra: Vec<T>,
    /// `[T, B, H]`: LSTM cell state entering each step.
    c_prev: Vec<T>,
}

/// The logistic function, computed from `e^-|x|` so that no exponential overflows.
#[inline]
fn sigmoid<T: Element>(x: T) -> T {
    let e = (-x.abs()).exp();
    let r = T::one() / (T::one() + e);
    if x >= T::zero() {
        r
    } else {
        e * r
    }
}

impl<T: Element> Var<T> {
    /// Runs a whole recurrence (RNN, LSTM or GRU over `T` steps) as one differentiable
    /// operation; see the [module docs](crate::ops::recurrent) for the equations and their
    /// derivatives.
    ///
    /// `xw` holds the input projections `x_t W_ihᵀ + b_ih` of every step; `w_hh` and the
    /// optional `b_hh` are the hidden-to-hidden weight and bias in PyTorch's layout (gates
    /// stacked along the rows). The forward keeps the activations the backward needs, which
    /// then costs one small GEMM per step plus one GEMM for `∂L/∂W_hh`.
    ///
    /// # Shapes
    /// `xw [T, B, G*H]`, `h0 [B, H]`, `c0 [B, H]` (LSTM only), `w_hh [G*H, H]`,
    /// `b_hh [G*H]`, with `G` = [`CellKind::gates`]; output `[T, B, H]`, `h_n` and `c_n`
    /// `[B, H]`.
    ///
    /// # Errors
    /// [`AutogradError::InvalidArgument`] naming `recurrence` and the shapes for operands
    /// that do not fit together, a `c0` missing for the LSTM or given to another cell, or
    /// lengths whose count differs from `B` or that exceed `T`;
    /// [`AutogradError::GraphMismatch`] for operands on different graphs.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::ops::recurrent::{CellKind, RecurrenceOptions};
    /// use youshi_autograd::{Graph, Var};
    /// use youshi_tensor::Tensor;
    /// let g = Graph::<f64>::new();
    /// // One sequence of 3 steps, hidden size 1: h_t = tanh(x_t + 0.5 h_{t-1}).
    /// let xw = g.leaf(Tensor::from_vec(vec![1.0, 0.0, -1.0], [3, 1, 1])?);
    /// let h0 = g.constant(Tensor::zeros([1, 1]));
    /// let w_hh = g.leaf(Tensor::from_vec(vec![0.5], [1, 1])?);
    /// let r = Var::recurrence(&xw, &h0, None, &w_hh, None, &RecurrenceOptions::new(CellKind::RnnTanh))?;
    /// let h1 = 1f64.tanh();
    /// assert!((r.output.value().to_vec()[1] - (0.5 * h1).tanh()).abs() < 1e-15);
    /// assert_eq!(r.h_n.value().to_vec(), vec![r.output.value().to_vec()[2]]);
    /// r.h_n.sum_all()?.backward()?;
    /// assert_eq!(w_hh.grad().unwrap().shape(), &[1, 1]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn recurrence(
        xw: &Var<T>,
        h0: &Var<T>,
        c0: Option<&Var<T>>,
        w_hh: &Var<T>,
        b_hh: Option<&Var<T>>,
        opts: &RecurrenceOptions,
    ) -> Result<Recurrence<T>> {
        let dims = check(xw, h0, c0, w_hh, b_hh, opts)?;
        let mut parents: Vec<&Var<T>> = vec![xw, h0];
        parents.extend(c0);
        parents.push(w_hh);
        parents.extend(b_hh);
        let save = xw.graph().is_recording() && parents.iter().any(|p| p.requires_grad());
        let whh = w_hh.value().clone();
        let bias = b_hh.map(|b| b.value().to_vec());
        let (packed, saved) = forward(
            xw.value(),
            h0.value(),
            c0.map(|c| c.value()),
            &whh,
            bias.as_deref(),
            opts,
            dims,
            save,
        )?;
        let kind = opts.kind;
        let lengths = opts.lengths.clone();
        let reverse = opts.reverse;
        let need_c0 = c0.is_some_and(|c| c.requires_grad());
        let need_w = w_hh.requires_grad();
        let need_b = b_hh.is_some_and(|b| b.requires_grad());
        let has_b = b_hh.is_some();
        let node = Var::record("recurrence", &parents, packed, move |g| {
            let grads = backward(
                g,
                &saved,
                &whh,
                kind,
                reverse,
                lengths.as_deref(),
                dims,
                need_w,
                need_b,
            )?;
            let mut out = vec![Some(grads.xw), Some(grads.h0)];
            if kind.has_cell_state() {
                out.push(if need_c0 { grads.c0 } else { None });
            }
            out.push(grads.w_hh);
            if has_b {
                out.push(grads.b_hh);
            }
            Ok(out)
        })?;
        let steps = dims.steps;
        let output = node.narrow(0, 0, steps)?;
        let h_n = node.select(0, steps)?;
        let c_n = if kind.has_cell_state() {
            Some(node.select(0, steps + 1)?)
        } else {
            None
        };
        Ok(Recurrence { output, h_n, c_n })
    }
}

/// The forward pass: returns `[T + S, B, H]` (the outputs, then `h_n`, then `c_n` for the
/// LSTM) and, if `save`, the activations for the backward.
#[allow(clippy::too_many_arguments)]
fn forward<T: Element>(
    xw: &Tensor<T>,
    h0: &Tensor<T>,
    c0: Option<&Tensor<T>>,
    whh: &Tensor<T>,
    bias: Option<&[T]>,
    opts: &RecurrenceOptions,
    dims: Dims,
    save: bool,
) -> Result<(Tensor<T>, Saved<T>)> {
    let Dims {
        steps,
        batch,
        hidden: nh,
    } = dims;
    let kind = opts.kind;
    let gh = kind.gates() * nh;
    let xw = xw.contiguous();
    let xs = xw
        .as_slice()
        .expect("a contiguous tensor exposes its slice");
    // A row-major copy of W_hhᵀ (small) spares the GEMM a strided operand at every step.
    let whh_t = whh.t()?.contiguous();
    let mut h = h0.to_vec();
    let mut c = c0.map(|c| c.to_vec()).unwrap_or_default();
    let states = if kind.has_cell_state() { 2 } else { 1 };
    let bh = batch * nh;
    let mut out = vec![T::zero(); (steps + states) * bh];
    let buffer = |on: bool, len: usize| {
        if save && on {
            vec![T::zero(); len]
        } else {
            Vec::new()
        }
    };
    let is_rnn = matches!(kind, CellKind::RnnTanh | CellKind::RnnRelu);
    let mut h_prev = buffer(true, steps * bh);
    let mut saved_acts = buffer(true, steps * batch * gh);
    let mut saved_extra = buffer(!is_rnn, steps * bh);
    let mut saved_c_prev = buffer(kind.has_cell_state(), steps * bh);
    for step in 0..steps {
        let t = if opts.reverse { steps - 1 - step } else { step };
        let mut hw = Tensor::from_vec(h.clone(), [batch, nh])?
            .matmul(&whh_t)?
            .to_vec();
        if let Some(b) = bias {
            for row in hw.chunks_exact_mut(gh) {
                for (v, &bv) in row.iter_mut().zip(b) {
                    *v += bv;
                }
            }
        }
        if save {
            h_prev[t * bh..(t + 1) * bh].copy_from_slice(&h);
            if kind.has_cell_state() {
                saved_c_prev[t * bh..(t + 1) * bh].copy_from_slice(&c);
            }
        }
        for b in 0..batch {
            if opts.lengths.as_ref().is_some_and(|l| t >= l[b]) {
                continue;
            }
            let x = &xs[(t * batch + b) * gh..(t * batch + b + 1) * gh];
            let hr = &hw[b * gh..(b + 1) * gh];
            let row = b * nh..(b + 1) * nh;
            let o = &mut out[t * bh + b * nh..t * bh + (b + 1) * nh];
            let acts = if save {
                Some(&mut saved_acts[(t * batch + b) * gh..(t * batch + b + 1) * gh])
            } else {
                None
            };
            let extra = if save && !is_rnn {
                Some(&mut saved_extra[t * bh + b * nh..t * bh + (b + 1) * nh])
            } else {
                None
            };
            let hb = &mut h[row.clone()];
            match kind {
                CellKind::RnnTanh | CellKind::RnnRelu => {
                    for j in 0..nh {
                        let a = x[j] + hr[j];
                        let v = if kind == CellKind::RnnTanh {
                            a.tanh()
                        } else {
                            a.max(T::zero())
                        };
                        hb[j] = v;
                        o[j] = v;
                    }
                    if let Some(acts) = acts {
                        acts.copy_from_slice(hb);
                    }
                }
                CellKind::Lstm => {
                    let cb = &mut c[row];
                    let mut acts = acts;
                    let mut extra = extra;
                    for j in 0..nh {
                        let i = sigmoid(x[j] + hr[j]);
                        let f = sigmoid(x[nh + j] + hr[nh + j]);
                        let gg = (x[2 * nh + j] + hr[2 * nh + j]).tanh();
                        let og = sigmoid(x[3 * nh + j] + hr[3 * nh + j]);
                        let cn = f * cb[j] + i * gg;
                        let tc = cn.tanh();
                        cb[j] = cn;
                        hb[j] = og * tc;
                        o[j] = hb[j];
                        if let Some(a) = acts.as_deref_mut() {
                            a[j] = i;
                            a[nh + j] = f;
                            a[2 * nh + j] = gg;
                            a[3 * nh + j] = og;
                        }
                        if let Some(e) = extra.as_deref_mut() {
                            e[j] = tc;
                        }
                    }
                }
                CellKind::Gru => {
                    let mut acts = acts;
                    let mut extra = extra;
                    for j in 0..nh {
                        let r = sigmoid(x[j] + hr[j]);
                        let z = sigmoid(x[nh + j] + hr[nh + j]);
                        let hn = hr[2 * nh + j];
                        let n = (x[2 * nh + j] + r * hn).tanh();
                        hb[j] = (T::one() - z) * n + z * hb[j];
                        o[j] = hb[j];
                        if let Some(a) = acts.as_deref_mut() {
                            a[j] = r;
                            a[nh + j] = z;
                            a[2 * nh + j] = n;
                        }
                        if let Some(e) = extra.as_deref_mut() {
                            e[j] = hn;
                        }
                    }
                }
            }
        }
    }
    out[steps * bh..(steps + 1) * bh].copy_from_slice(&h);
    if kind.has_cell_state() {
        out[(steps + 1) * bh..].copy_from_slice(&c);
    }
    let saved = Saved {
        h_prev: if save {
            Tensor::from_vec(h_prev, [steps * batch, nh])?
        } else {
            Tensor::zeros([0, nh])
        },
        acts: saved_acts,
        extra: saved_extra,
        c_prev: saved_c_prev,
    };
    Ok((Tensor::from_vec(out, [steps + states, batch, nh])?, saved))
}

/// Gradients of the recurrence's inputs.
struct Grads<T: Element> {
    xw: Tensor<T>,
    h0: Tensor<T>,
    c0: Option<Tensor<T>>,
    w_hh: Option<Tensor<T>>,
    b_hh: Option<Tensor<T>>,
}

/// Backward through time from the gradient `g` of the packed `[T + S, B, H]` output.
#[allow(clippy::too_many_arguments)]
fn backward<T: Element>(
    g: &Tensor<T>,
    saved: &Saved<T>,
    whh: &Tensor<T>,
    kind: CellKind,
    reverse: bool,
    lengths: Option<&[usize]>,
    dims: Dims,
    need_w: bool,
    need_b: bool,
) -> Result<Grads<T>> {
    let Dims {
        steps,
        batch,
        hidden: nh,
    } = dims;
    let gh = kind.gates() * nh;
    let bh = batch * nh;
    let g = g.contiguous();
    let gs = g.as_slice().expect("a contiguous tensor exposes its slice");
    let mut dh = gs[steps * bh..(steps + 1) * bh].to_vec();
    let mut dc = if kind.has_cell_state() {
        gs[(steps + 1) * bh..(steps + 2) * bh].to_vec()
    } else {
        Vec::new()
    };
    let mut dxw = vec![T::zero(); steps * batch * gh];
    // The hidden side's pre-activation gradients differ from the input side's for the GRU.
    let mut dah = if kind == CellKind::Gru {
        vec![T::zero(); steps * batch * gh]
    } else {
        Vec::new()
    };
    let one = T::one();
    let h_prev = saved
        .h_prev
        .as_slice()
        .expect("the saved states are contiguous");
    for step in (0..steps).rev() {
        let t = if reverse { steps - 1 - step } else { step };
        // The direct (non-GEMM) part of dL/dh_{t-1}; inactive rows pass dh through.
        let mut dh_prev = vec![T::zero(); bh];
        for b in 0..batch {
            let row = b * nh..(b + 1) * nh;
            if lengths.is_some_and(|l| t >= l[b]) {
                dh_prev[row.clone()].copy_from_slice(&dh[row]);
                continue;
            }
            let at = (t * batch + b) * gh;
            let st = t * bh + b * nh;
            let acts = &saved.acts[at..at + gh];
            let dout = &gs[st..st + nh];
            let dx = &mut dxw[at..at + gh];
            match kind {
                CellKind::RnnTanh | CellKind::RnnRelu => {
                    for j in 0..nh {
                        let d = dh[b * nh + j] + dout[j];
                        let hv = acts[j];
                        dx[j] = if kind == CellKind::RnnTanh {
                            d * (one - hv * hv)
                        } else if hv > T::zero() {
                            d
                        } else {
                            T::zero()
                        };
                    }
                }
                CellKind::Lstm => {
                    let tcs = &saved.extra[st..st + nh];
                    let cps = &saved.c_prev[st..st + nh];
                    for j in 0..nh {
                        let d = dh[b * nh + j] + dout[j];
                        let (i, f, gg, o) =
                            (acts[j], acts[nh + j], acts[2 * nh + j], acts[3 * nh + j]);
                        let tc = tcs[j];
                        let dct = dc[b * nh + j] + d * o * (one - tc * tc);
                        dx[j] = dct * gg * i * (one - i);
                        dx[nh + j] = dct * cps[j] * f * (one - f);
                        dx[2 * nh + j] = dct * i * (one - gg * gg);
                        dx[3 * nh + j] = d * tc * o * (one - o);
                        dc[b * nh + j] = dct * f;
                    }
                }
                CellKind::Gru => {
                    let hns = &saved.extra[st..st + nh];
                    let hps = &h_prev[st..st + nh];
                    let dhh = &mut dah[at..at + gh];
                    for j in 0..nh {
                        let d = dh[b * nh + j] + dout[j];
                        let (r, z, n) = (acts[j], acts[nh + j], acts[2 * nh + j]);
                        let dan = d * (one - z) * (one - n * n);
                        let daz = d * (hps[j] - n) * z * (one - z);
                        let dar = dan * hns[j] * r * (one - r);
                        dx[j] = dar;
                        dx[nh + j] = daz;
                        dx[2 * nh + j] = dan;
                        dhh[j] = dar;
                        dhh[nh + j] = daz;
                        dhh[2 * nh + j] = dan * r;
                        dh_prev[b * nh + j] = d * z;
                    }
                }
            }
        }
        let da = if kind == CellKind::Gru { &dah } else { &dxw };
        let da_t = Tensor::from_vec(
            da[t * batch * gh..(t + 1) * batch * gh].to_vec(),
            [batch, gh],
        )?;
        let via_w = da_t.matmul(whh)?;
        let via_w = via_w.contiguous();
        let vs = via_w
            .as_slice()
            .expect("a contiguous tensor exposes its slice");
        for (d, &v) in dh_prev.iter_mut().zip(vs) {
            *d += v;
        }
        dh = dh_prev;
    }
    let dxw = Tensor::from_vec(dxw, [steps, batch, gh])?;
    let da = if kind == CellKind::Gru {
        Tensor::from_vec(dah, [steps * batch, gh])?
    } else {
        dxw.reshape_exact(&[steps * batch, gh])?
    };
    let w_hh = if need_w {
        Some(da.t()?.matmul(&saved.h_prev)?)
    } else {
        None
    };
    let b_hh = if need_b {
        Some(da.sum(&[0], false)?)
    } else {
        None
    };
    Ok(Grads {
        xw: dxw,
        h0: Tensor::from_vec(dh, [batch, nh])?,
        c0: if kind.has_cell_state() {
            Some(Tensor::from_vec(dc, [batch, nh])?)
        } else {
            None
        },
        w_hh,
        b_hh,
    })
}

#[cfg(test)]
mod tests {
    use youshi_tensor::Tensor;
    use youshi_testkit::uniform_vec;

    use super::*;
    use crate::{gradcheck, GradcheckOptions, Graph};

    fn t(shape: &[usize], seed: u64, scale: f64) -> Tensor<f64> {
        let n = shape.iter().product();
        let v = uniform_vec(n, seed).iter().map(|x| x * scale).collect();
        Tensor::from_vec(v, shape).unwrap()
    }

    const KINDS: [CellKind; 4] = [
        CellKind::RnnTanh,
        CellKind::RnnRelu,
        CellKind::Lstm,
        CellKind::Gru,
    ];

    /// The value of the fused op packed as `[output; h_n; c_n]` flattened.
    fn packed(r: &Recurrence<f64>) -> Vec<f64> {
        let mut v = r.output.value().to_vec();
        v.extend(r.h_n.value().to_vec());
        if let Some(c) = &r.c_n {
            v.extend(c.value().to_vec());
        }
        v
    }

    fn sig(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    /// A plain per-step reference of the equations, one sequence at a time.
    #[allow(clippy::too_many_arguments)]
    fn naive(
        kind: CellKind,
        xw: &[f64],
        h0: &[f64],
        c0: &[f64],
        whh: &[f64],
        bhh: &[f64],
        steps: usize,
        batch: usize,
        nh: usize,
        reverse: bool,
        lengths: &[usize],
    ) -> Vec<f64> {
        let gh = kind.gates() * nh;
        let mut out = vec![0.0; steps * batch * nh];
        let mut hn = vec![0.0; batch * nh];
        let mut cn = vec![0.0; batch * nh];
        for b in 0..batch {
            let mut h = h0[b * nh..(b + 1) * nh].to_vec();
            let mut c = c0.get(b * nh..(b + 1) * nh).unwrap_or(&[]).to_vec();
            let order: Vec<usize> = if reverse {
                (0..lengths[b]).rev().collect()
            } else {
                (0..lengths[b]).collect()
            };
            for t in order {
                let x = &xw[(t * batch + b) * gh..(t * batch + b + 1) * gh];
                let hw: Vec<f64> = (0..gh)
                    .map(|r| bhh[r] + (0..nh).map(|k| whh[r * nh + k] * h[k]).sum::<f64>())
                    .collect();
                let mut next = vec![0.0; nh];
                for j in 0..nh {
                    next[j] = match kind {
                        CellKind::RnnTanh => (x[j] + hw[j]).tanh(),
                        CellKind::RnnRelu => (x[j] + hw[j]).max(0.0),
                        CellKind::Lstm => {
                            let i = sig(x[j] + hw[j]);
                            let f = sig(x[nh + j] + hw[nh + j]);
                            let g = (x[2 * nh + j] + hw[2 * nh + j]).tanh();
                            let o = sig(x[3 * nh + j] + hw[3 * nh + j]);
                            c[j] = f * c[j] + i * g;
                            o * c[j].tanh()
                        }
                        CellKind::Gru => {
                            let r = sig(x[j] + hw[j]);
                            let z = sig(x[nh + j] + hw[nh + j]);
                            let n = (x[2 * nh + j] + r * hw[2 * nh + j]).tanh();
                            (1.0 - z) * n + z * h[j]
                        }
                    };
                }
                h = next;
                out[(t * batch + b) * nh..(t * batch + b + 1) * nh].copy_from_slice(&h);
            }
            hn[b * nh..(b + 1) * nh].copy_from_slice(&h);
            if kind.has_cell_state() {
                cn[b * nh..(b + 1) * nh].copy_from_slice(&c);
            }
        }
        out.extend(hn);
        if kind.has_cell_state() {
            out.extend(cn);
        }
        out
    }

    #[test]
    fn forward_matches_a_per_sequence_reference() {
        let (steps, batch, nh) = (4, 3, 2);
        for kind in KINDS {
            let gh = kind.gates() * nh;
            for (reverse, lengths) in [
                (false, vec![4, 4, 4]),
                (true, vec![4, 4, 4]),
                (false, vec![4, 1, 3]),
                (true, vec![2, 4, 0]),
            ] {
                let (xw, h0, c0) = (
                    t(&[steps, batch, gh], 1, 1.0),
                    t(&[batch, nh], 2, 0.5),
                    t(&[batch, nh], 3, 0.5),
                );
                let (whh, bhh) = (t(&[gh, nh], 4, 0.7), t(&[gh], 5, 0.3));
                let g = Graph::<f64>::no_grad();
                let c0v = g.constant(c0.clone());
                let opts = RecurrenceOptions::new(kind)
                    .reverse(reverse)
                    .lengths(lengths.clone());
                let r = Var::recurrence(
                    &g.constant(xw.clone()),
                    &g.constant(h0.clone()),
                    kind.has_cell_state().then_some(&c0v),
                    &g.constant(whh.clone()),
                    Some(&g.constant(bhh.clone())),
                    &opts,
                )
                .unwrap();
                let c0s = if kind.has_cell_state() {
                    c0.to_vec()
                } else {
                    vec![]
                };
                let want = naive(
                    kind,
                    &xw.to_vec(),
                    &h0.to_vec(),
                    &c0s,
                    &whh.to_vec(),
                    &bhh.to_vec(),
                    steps,
                    batch,
                    nh,
                    reverse,
                    &lengths,
                );
                let got = packed(&r);
                assert_eq!(got.len(), want.len());
                for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (a - b).abs() < 1e-13,
                        "{kind:?} reverse {reverse} {lengths:?} [{i}]: {a} vs {b}"
                    );
                }
            }
        }
    }

    /// Central differences for every input of the fused op, both directions, with and
    /// without lengths.
    #[test]
    fn gradcheck_every_cell_direction_and_lengths() {
        let (steps, batch, nh) = (3, 2, 3);
        for kind in KINDS {
            let gh = kind.gates() * nh;
            for (reverse, lengths) in [
                (false, None),
                (true, None),
                (false, Some(vec![3, 1])),
                (true, Some(vec![2, 3])),
            ] {
                let mut inputs = vec![t(&[steps, batch, gh], 11, 1.0), t(&[batch, nh], 12, 0.5)];
                if kind.has_cell_state() {
                    inputs.push(t(&[batch, nh], 13, 0.5));
                }
                inputs.push(t(&[gh, nh], 14, 0.6));
                inputs.push(t(&[gh], 15, 0.4));
                let lstm = kind.has_cell_state();
                let mut opts = RecurrenceOptions::new(kind).reverse(reverse);
                opts.lengths = lengths.clone();
                gradcheck(
                    |_g, x| {
                        let (c0, rest) = if lstm {
                            (Some(&x[2]), &x[3..])
                        } else {
                            (None, &x[2..])
                        };
                        let r = Var::recurrence(&x[0], &x[1], c0, &rest[0], Some(&rest[1]), &opts)?;
                        let mut parts = vec![r.output.reshape(&[-1])?, r.h_n.reshape(&[-1])?];
                        if let Some(c) = r.c_n {
                            parts.push(c.reshape(&[-1])?);
                        }
                        Var::concat(&parts.iter().collect::<Vec<_>>(), 0)
                    },
                    &inputs,
                    GradcheckOptions::default(),
                )
                .unwrap_or_else(|e| panic!("{kind:?} reverse {reverse} lengths {lengths:?}: {e}"));
            }
        }
    }

    #[test]
    fn gradcheck_without_bias_and_zero_length_sequences() {
        let (steps, batch, nh) = (2, 3, 2);
        for kind in KINDS {
            let gh = kind.gates() * nh;
            let mut inputs = vec![t(&[steps, batch, gh], 21, 1.0), t(&[batch, nh], 22, 0.5)];
            let lstm = kind.has_cell_state();
            if lstm {
                inputs.push(t(&[batch, nh], 23, 0.5));
            }
            inputs.push(t(&[gh, nh], 24, 0.6));
            let opts = RecurrenceOptions::new(kind).lengths(vec![0, 2, 1]);
            gradcheck(
                |_g, x| {
                    let (c0, w) = if lstm {
                        (Some(&x[2]), &x[3])
                    } else {
                        (None, &x[2])
                    };
                    let r = Var::recurrence(&x[0], &x[1], c0, w, None, &opts)?;
                    // A zero-length sequence keeps its initial state and outputs zeros.
                    let h0 = x[1].value().select(0, 0)?.to_vec();
                    assert_eq!(r.h_n.value().select(0, 0)?.to_vec(), h0);
                    r.output.mul(&r.output)?.sum_all()?.add(&r.h_n.sum_all()?)
                },
                &inputs,
                GradcheckOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        }
    }

    #[test]
    fn frozen_weights_get_no_gradient_and_inputs_still_do() {
        let g = Graph::<f64>::new();
        let xw = g.leaf(t(&[2, 1, 4], 1, 1.0));
        let h0 = g.constant(Tensor::zeros([1, 1]));
        let c0 = g.constant(Tensor::zeros([1, 1]));
        let w = g.constant(t(&[4, 1], 2, 1.0));
        let r = Var::recurrence(
            &xw,
            &h0,
            Some(&c0),
            &w,
            None,
            &RecurrenceOptions::new(CellKind::Lstm),
        )
        .unwrap();
        r.output.sum_all().unwrap().backward().unwrap();
        assert_eq!(xw.grad().unwrap().shape(), &[2, 1, 4]);
    }

    #[test]
    fn errors_name_the_operation_and_shapes() {
        let g = Graph::<f64>::new();
        let c = |s: &[usize]| g.constant(Tensor::zeros(s));
        let run = |xw: &[usize],
                   h0: &[usize],
                   c0: Option<&[usize]>,
                   w: &[usize],
                   b: Option<&[usize]>,
                   opts: RecurrenceOptions| {
            let c0 = c0.map(c);
            let b = b.map(c);
            Var::recurrence(&c(xw), &c(h0), c0.as_ref(), &c(w), b.as_ref(), &opts)
                .unwrap_err()
                .to_string()
        };
        let lstm = || RecurrenceOptions::new(CellKind::Lstm);
        let gru = || RecurrenceOptions::new(CellKind::Gru);
        assert_eq!(
            run(&[2, 1, 8], &[1, 2], Some(&[1, 2]), &[6, 2], None, lstm()),
            "recurrence: Lstm needs w_hh of shape [4 * hidden, hidden], got [6, 2]"
        );
        assert_eq!(
            run(&[2, 1, 7], &[1, 2], None, &[6, 2], None, gru()),
            "recurrence: input projections must be [T, B, 6] for w_hh [6, 2], got [2, 1, 7]"
        );
        assert_eq!(
            run(&[2, 1, 6], &[2, 2], None, &[6, 2], None, gru()),
            "recurrence: h0 must be [1, 2] for input projections [2, 1, 6], got [2, 2]"
        );
        assert!(run(&[2, 1, 8], &[1, 2], None, &[8, 2], None, lstm())
            .contains("needs an initial cell state"));
        assert!(
            run(&[2, 1, 6], &[1, 2], Some(&[1, 2]), &[6, 2], None, gru())
                .contains("Gru has no cell state")
        );
        assert_eq!(
            run(&[2, 1, 8], &[1, 2], Some(&[2, 2]), &[8, 2], None, lstm()),
            "recurrence: c0 must be [1, 2], got [2, 2]"
        );
        assert_eq!(
            run(&[2, 1, 6], &[1, 2], None, &[6, 2], Some(&[4]), gru()),
            "recurrence: b_hh must be [6], got [4]"
        );
        assert_eq!(
            run(
                &[2, 1, 6],
                &[1, 2],
                None,
                &[6, 2],
                None,
                gru().lengths(vec![1, 1])
            ),
            "recurrence: 2 lengths for a batch of 1"
        );
        assert_eq!(
            run(
                &[2, 1, 6],
                &[1, 2],
                None,
                &[6, 2],
                None,
                gru().lengths(vec![3])
            ),
            "recurrence: length 3 exceeds the 2 time steps of the input projections [2, 1, 6]"
        );
    }
}
