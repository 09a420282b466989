//! [`RecurrentWeights`]: the four parameters of one layer and direction, and the run of one
//! direction over a sequence (one GEMM for the input projections of all steps, then the
//! fused recurrence of `youshi-autograd`).

use youshi_autograd::ops::recurrent::{CellKind, Recurrence, RecurrenceOptions};
use youshi_autograd::{Graph, Param, Var};
use youshi_tensor::{Element, Tensor, TensorRng};

use crate::error::Result;
use crate::module::Slot;

/// The parameters of one recurrent layer and direction (or of one cell), in PyTorch's layout:
/// the gates are stacked along the rows, in the order `i, f, g, o` for the LSTM and
/// `r, z, n` for the GRU (`G` gates, `G = 1` for the RNN).
///
/// # Shapes
/// `weight_ih [G*H, H_in]`, `weight_hh [G*H, H]`, `bias_ih [G*H]`, `bias_hh [G*H]`.
#[derive(Debug, Clone)]
pub struct RecurrentWeights<T: Element = f32> {
    /// Input-to-hidden weight `[G*H, H_in]` (PyTorch's `weight_ih_l{k}`).
    pub weight_ih: Param<T>,
    /// Hidden-to-hidden weight `[G*H, H]` (`weight_hh_l{k}`).
    pub weight_hh: Param<T>,
    /// Input-to-hidden bias `[G*H]` (`bias_ih_l{k}`), if the layer has biases.
    pub bias_ih: Option<Param<T>>,
    /// Hidden-to-hidden bias `[G*H]` (`bias_hh_l{k}`), if the layer has biases.
    pub bias_hh: Option<Param<T>>,
}

impl<T: Element> RecurrentWeights<T> {
    /// PyTorch's initialisation: each tensor uniform in `±1/sqrt(hidden)`, drawn in the order
    /// `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
    pub(crate) fn init(
        kind: CellKind,
        input: usize,
        hidden: usize,
        bias: bool,
        rng: &mut TensorRng,
    ) -> Result<Self> {
        let bound = T::of(1.0 / (hidden as f64).sqrt());
        let gh = kind.gates() * hidden;
        let mut draw = |shape: &[usize]| -> Result<Param<T>> {
            Ok(Param::new(Tensor::rand_uniform(shape, -bound, bound, rng)?))
        };
        let weight_ih = draw(&[gh, input])?;
        let weight_hh = draw(&[gh, hidden])?;
        let (bias_ih, bias_hh) = if bias {
            (Some(draw(&[gh])?), Some(draw(&[gh])?))
        } else {
            (None, None)
        };
        Ok(RecurrentWeights {
            weight_ih,
            weight_hh,
            bias_ih,
            bias_hh,
        })
    }

    /// Visits the parameters as `weight_ih{suffix}`, `weight_hh{suffix}`, `bias_ih{suffix}`,
    /// `bias_hh{suffix}`.
    pub(crate) fn visit(&self, suffix: &str, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        f(&format!("weight_ih{suffix}"), Slot::Param(&self.weight_ih));
        f(&format!("weight_hh{suffix}"), Slot::Param(&self.weight_hh));
        if let Some(b) = &self.bias_ih {
            f(&format!("bias_ih{suffix}"), Slot::Param(b));
        }
        if let Some(b) = &self.bias_hh {
            f(&format!("bias_hh{suffix}"), Slot::Param(b));
        }
    }

    /// Records the parameters on `graph`.
    pub(crate) fn vars(&self, graph: &Graph<T>) -> WeightVars<T> {
        WeightVars {
            w_ih: graph.param(&self.weight_ih),
            w_hh: graph.param(&self.weight_hh),
            b_ih: self.bias_ih.as_ref().map(|b| graph.param(b)),
            b_hh: self.bias_hh.as_ref().map(|b| graph.param(b)),
        }
    }

    /// Input features `H_in` (columns of `weight_ih`).
    pub fn input_size(&self) -> usize {
        self.weight_ih.shape().get(1).copied().unwrap_or(0)
    }

    /// Hidden features `H` (columns of `weight_hh`).
    pub fn hidden_size(&self) -> usize {
        self.weight_hh.shape().get(1).copied().unwrap_or(0)
    }
}

/// The parameters of one layer and direction as values on a graph.
#[derive(Debug, Clone)]
pub(crate) struct WeightVars<T: Element> {
    pub(crate) w_ih: Var<T>,
    pub(crate) w_hh: Var<T>,
    pub(crate) b_ih: Option<Var<T>>,
    pub(crate) b_hh: Option<Var<T>>,
}

/// Runs one direction over `x [T, B, H_in]`: the input projections of all steps as one
/// GEMM (`[T*B, H_in] · [H_in, G*H]`, plus `b_ih`), then the fused recurrence.
///
/// Shapes are checked by the callers, at the edge of the public API.
pub(crate) fn run_direction<T: Element>(
    x: &Var<T>,
    w: &WeightVars<T>,
    h0: &Var<T>,
    c0: Option<&Var<T>>,
    opts: &RecurrenceOptions,
) -> Result<Recurrence<T>> {
    let s = x.shape();
    let (steps, batch, input) = (s[0], s[1], s[2]);
    let gh = w.w_hh.shape()[0];
    let mut xw = x
        .reshape(&[(steps * batch) as isize, input as isize])?
        .matmul(&w.w_ih.t()?)?;
    if let Some(b) = &w.b_ih {
        xw = xw.add(b)?;
    }
    let xw = xw.reshape(&[steps as isize, batch as isize, gh as isize])?;
    Ok(Var::recurrence(
        &xw,
        h0,
        c0,
        &w.w_hh,
        w.b_hh.as_ref(),
        opts,
    )?)
}
