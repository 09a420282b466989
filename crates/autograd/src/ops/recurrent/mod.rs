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
//! The gate activations run as slice kernels over each row ([`youshi_tensor::math`]): vectorised
//! for `f32`, the scalar `libm` functions for `f64`.
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

mod bptt;
#[cfg(test)]
mod tests;

use youshi_tensor::Element;

use crate::error::{AutogradError, Result};
use crate::graph::Var;

use bptt::{backward, forward};

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
pub(crate) struct Dims {
    pub(crate) steps: usize,
    pub(crate) batch: usize,
    pub(crate) hidden: usize,
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
