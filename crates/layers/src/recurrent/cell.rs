//! Single-step cells: [`RnnCell`], [`LstmCell`] and [`GruCell`], PyTorch's `nn.RNNCell`,
//! `nn.LSTMCell` and `nn.GRUCell`.
//!
//! A cell computes one time step with the same equations, parameter names and layouts as the
//! corresponding multi-layer module, so a loop over a cell gives the same values as one
//! layer of [`Rnn`](super::Rnn), [`Lstm`](super::Lstm) or [`Gru`](super::Gru) with the same
//! weights.

use youshi_autograd::ops::recurrent::{CellKind, RecurrenceOptions};
use youshi_autograd::Var;
use youshi_tensor::{Element, Shape, Tensor};

use crate::error::{LayerError, Result};
use crate::module::{Module, Slot};
use crate::recurrent::config::{GruCellConfig, LstmCellConfig, RnnCellConfig};
use crate::recurrent::lstm::LstmState;
use crate::recurrent::weights::{run_direction, RecurrentWeights, WeightVars};

/// Checks `x` (`[N, H_in]` or `[H_in]`) and the states (`[N, H]` or `[H]`), then runs one
/// step.
fn checked_step<T: Element>(
    name: &'static str,
    kind: CellKind,
    weights: &RecurrentWeights<T>,
    x: &Var<T>,
    h: Option<&Var<T>>,
    c: Option<&Var<T>>,
) -> Result<(Var<T>, Option<Var<T>>)> {
    let (input, hidden) = (weights.input_size(), weights.hidden_size());
    let s = x.shape();
    if !(s.len() == 1 || s.len() == 2) || s[s.len() - 1] != input {
        return Err(LayerError::input(
            name,
            format!("[N, {input}] or [{input}]"),
            s,
        ));
    }
    let want: Vec<usize> = if s.len() == 1 {
        vec![hidden]
    } else {
        vec![s[0], hidden]
    };
    for (arg, state) in [("h0", h), ("c0", c)] {
        if let Some(v) = state {
            if v.shape() != want.as_slice() {
                return Err(LayerError::argument(
                    name,
                    arg,
                    format!(
                        "must be {} for input {}, got {}",
                        Shape::from(want.as_slice()),
                        x.value().shape_obj(),
                        v.value().shape_obj()
                    ),
                ));
            }
        }
    }
    cell_forward(kind, &weights.vars(x.graph()), x, h, c)
}

/// One step of a cell on checked operands: a sequence of length 1 through the fused
/// recurrence. Missing states are zeros.
pub(crate) fn cell_forward<T: Element>(
    kind: CellKind,
    w: &WeightVars<T>,
    x: &Var<T>,
    h: Option<&Var<T>>,
    c: Option<&Var<T>>,
) -> Result<(Var<T>, Option<Var<T>>)> {
    let unbatched = x.shape().len() == 1;
    let x2 = if unbatched {
        x.unsqueeze(0)?
    } else {
        x.clone()
    };
    let batch = x2.shape()[0];
    let hidden = w.w_hh.shape()[1];
    let state = |s: Option<&Var<T>>| -> Result<Var<T>> {
        Ok(match s {
            Some(v) if unbatched => v.unsqueeze(0)?,
            Some(v) => v.clone(),
            None => x.constant(Tensor::zeros([batch, hidden])),
        })
    };
    let h2 = state(h)?;
    let c2 = if kind.has_cell_state() {
        Some(state(c)?)
    } else {
        None
    };
    let r = run_direction(
        &x2.unsqueeze(0)?,
        w,
        &h2,
        c2.as_ref(),
        &RecurrenceOptions::new(kind),
    )?;
    let finish = |v: Var<T>| -> Result<Var<T>> { Ok(if unbatched { v.squeeze(0)? } else { v }) };
    Ok((finish(r.h_n)?, r.c_n.map(finish).transpose()?))
}

/// One step of an Elman RNN, PyTorch's `nn.RNNCell`:
/// `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` with `act` tanh or relu.
///
/// # Shapes
/// Input `[N, H_in]` or `[H_in]`; state and output `[N, H]` or `[H]`. Parameters
/// `weight_ih [H, H_in]`, `weight_hh [H, H]`, `bias_ih [H]`, `bias_hh [H]`.
///
/// # Errors
/// [`LayerError::Input`] naming `RnnCell` for an input of the wrong rank or features;
/// [`LayerError::Argument`] naming `RnnCell`, `h0` and the shapes for a state of the wrong
/// shape.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::recurrent::{RnnCell, RnnCellConfig};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let cell: RnnCell = RnnCellConfig::new(3, 4).init(&mut seeded_rng(0))?;
/// let g = Graph::new();
/// let mut h = g.constant(Tensor::zeros([2, 4]));
/// for _ in 0..5 {
///     h = cell.step(&g.constant(Tensor::ones([2, 3])), Some(&h))?;
/// }
/// assert_eq!(h.shape(), &[2, 4]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RnnCell<T: Element = f32> {
    /// The parameters (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
    pub weights: RecurrentWeights<T>,
    pub(crate) config: RnnCellConfig,
}

impl<T: Element> RnnCell<T> {
    /// The cell's configuration.
    pub fn config(&self) -> &RnnCellConfig {
        &self.config
    }

    /// One step from `h` (zeros if `None`): the next hidden state.
    ///
    /// # Shapes
    /// `x [N, H_in]` and `h [N, H]` give `[N, H]`; unbatched `x [H_in]`, `h [H]` give `[H]`.
    ///
    /// # Errors
    /// As in the [type docs](RnnCell).
    pub fn step(&self, x: &Var<T>, h: Option<&Var<T>>) -> Result<Var<T>> {
        let kind = self.config.nonlinearity.cell_kind();
        Ok(checked_step("RnnCell", kind, &self.weights, x, h, None)?.0)
    }
}

impl<T: Element> Module<T> for RnnCell<T> {
    fn kind(&self) -> &'static str {
        "RnnCell"
    }

    /// One step from a zero state (see [`RnnCell::step`]).
    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        self.step(x, None)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        self.weights.visit("", f);
    }
}

/// One step of an LSTM, PyTorch's `nn.LSTMCell` (equations and gate order `i, f, g, o` as
/// in [`Lstm`](super::Lstm)).
///
/// # Shapes
/// Input `[N, H_in]` or `[H_in]`; both states `[N, H]` or `[H]`. Parameters
/// `weight_ih [4H, H_in]`, `weight_hh [4H, H]`, `bias_ih [4H]`, `bias_hh [4H]`.
///
/// # Errors
/// [`LayerError::Input`] naming `LstmCell` for a wrong input; [`LayerError::Argument`] naming
/// `LstmCell`, `h0` or `c0` and the shapes for a state of the wrong shape.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::recurrent::{LstmCell, LstmCellConfig};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let cell: LstmCell = LstmCellConfig::new(3, 4).init(&mut seeded_rng(0))?;
/// let g = Graph::new();
/// let s1 = cell.step(&g.constant(Tensor::ones([2, 3])), None)?;
/// let s2 = cell.step(&g.constant(Tensor::ones([2, 3])), Some(&s1))?;
/// assert_eq!((s2.h.shape(), s2.c.shape()), (&[2, 4][..], &[2, 4][..]));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LstmCell<T: Element = f32> {
    /// The parameters (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
    pub weights: RecurrentWeights<T>,
    pub(crate) config: LstmCellConfig,
}

impl<T: Element> LstmCell<T> {
    /// The cell's configuration.
    pub fn config(&self) -> &LstmCellConfig {
        &self.config
    }

    /// One step from `state` (zeros if `None`): the next hidden and cell states.
    ///
    /// # Shapes
    /// `x [N, H_in]` and states `[N, H]` give states `[N, H]`; unbatched `[H_in]` and `[H]`.
    ///
    /// # Errors
    /// As in the [type docs](LstmCell).
    pub fn step(&self, x: &Var<T>, state: Option<&LstmState<T>>) -> Result<LstmState<T>> {
        let (h, c) = checked_step(
            "LstmCell",
            CellKind::Lstm,
            &self.weights,
            x,
            state.map(|s| &s.h),
            state.map(|s| &s.c),
        )?;
        let c = c.expect("the LSTM recurrence always returns a cell state");
        Ok(LstmState { h, c })
    }
}

impl<T: Element> Module<T> for LstmCell<T> {
    fn kind(&self) -> &'static str {
        "LstmCell"
    }

    /// The next hidden state from zero states (see [`LstmCell::step`]).
    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(self.step(x, None)?.h)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        self.weights.visit("", f);
    }
}

/// One step of a GRU, PyTorch's `nn.GRUCell` (equations, gate order `r, z, n` and the
/// placement of the reset gate as in [`Gru`](super::Gru)).
///
/// # Shapes
/// Input `[N, H_in]` or `[H_in]`; state and output `[N, H]` or `[H]`. Parameters
/// `weight_ih [3H, H_in]`, `weight_hh [3H, H]`, `bias_ih [3H]`, `bias_hh [3H]`.
///
/// # Errors
/// [`LayerError::Input`] naming `GruCell` for a wrong input; [`LayerError::Argument`] naming
/// `GruCell`, `h0` and the shapes for a state of the wrong shape.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::recurrent::{GruCell, GruCellConfig};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let cell: GruCell<f64> = GruCellConfig::new(3, 4).init(&mut seeded_rng(0))?;
/// let g = Graph::new();
/// let h = cell.step(&g.constant(Tensor::ones([3])), None)?;
/// assert_eq!(h.shape(), &[4]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GruCell<T: Element = f32> {
    /// The parameters (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
    pub weights: RecurrentWeights<T>,
    pub(crate) config: GruCellConfig,
}

impl<T: Element> GruCell<T> {
    /// The cell's configuration.
    pub fn config(&self) -> &GruCellConfig {
        &self.config
    }

    /// One step from `h` (zeros if `None`): the next hidden state.
    ///
    /// # Shapes
    /// `x [N, H_in]` and `h [N, H]` give `[N, H]`; unbatched `x [H_in]`, `h [H]` give `[H]`.
    ///
    /// # Errors
    /// As in the [type docs](GruCell).
    pub fn step(&self, x: &Var<T>, h: Option<&Var<T>>) -> Result<Var<T>> {
        Ok(checked_step("GruCell", CellKind::Gru, &self.weights, x, h, None)?.0)
    }
}

impl<T: Element> Module<T> for GruCell<T> {
    fn kind(&self) -> &'static str {
        "GruCell"
    }

    /// One step from a zero state (see [`GruCell::step`]).
    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        self.step(x, None)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        self.weights.visit("", f);
    }
}

#[cfg(test)]
mod tests {
    use youshi_autograd::{gradcheck, GradcheckOptions};
    use youshi_testkit::uniform_vec;

    use super::*;

    fn t(shape: &[usize], seed: u64, scale: f64) -> Tensor<f64> {
        let n = shape.iter().product();
        let v = uniform_vec(n, seed).iter().map(|x| x * scale).collect();
        Tensor::from_vec(v, shape).unwrap()
    }

    /// Finite differences through a whole cell step (input projection, recurrence, state
    /// handling) for the input, the states and all four parameters, batched and unbatched.
    #[test]
    fn gradcheck_every_cell() {
        let (batch, input, hidden) = (2, 3, 4);
        for kind in [
            CellKind::RnnTanh,
            CellKind::RnnRelu,
            CellKind::Lstm,
            CellKind::Gru,
        ] {
            let gh = kind.gates() * hidden;
            let lstm = kind.has_cell_state();
            for unbatched in [false, true] {
                let lead: &[usize] = if unbatched { &[] } else { &[batch] };
                let with = |last: usize| [lead, &[last]].concat();
                let mut inputs = vec![
                    t(&with(input), 1, 1.0),
                    t(&with(hidden), 2, 0.5),
                    t(&[gh, input], 3, 0.5),
                    t(&[gh, hidden], 4, 0.5),
                    t(&[gh], 5, 0.5),
                    t(&[gh], 6, 0.5),
                ];
                if lstm {
                    inputs.push(t(&with(hidden), 7, 0.5));
                }
                gradcheck(
                    |_g, v| {
                        let w = WeightVars {
                            w_ih: v[2].clone(),
                            w_hh: v[3].clone(),
                            b_ih: Some(v[4].clone()),
                            b_hh: Some(v[5].clone()),
                        };
                        let (h, c) =
                            cell_forward(kind, &w, &v[0], Some(&v[1]), v.get(6)).map_err(|e| {
                                match e {
                                    LayerError::Autograd(a) => a,
                                    other => panic!("cell_forward: {other}"),
                                }
                            })?;
                        match c {
                            Some(c) => Ok(Var::concat(&[&h, &c], -1)?),
                            None => Ok(h),
                        }
                    },
                    &inputs,
                    GradcheckOptions::default(),
                )
                .unwrap_or_else(|e| panic!("{kind:?} unbatched {unbatched}: {e}"));
            }
        }
    }
}
