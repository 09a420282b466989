//! The multi-layer, optionally bidirectional engine behind [`Rnn`](super::Rnn),
//! [`Lstm`](super::Lstm) and [`Gru`](super::Gru): input checks, layouts (`batch_first`,
//! unbatched), initial states, the layer loop with dropout between layers, and the final
//! states in PyTorch's order.

use std::sync::{Mutex, MutexGuard};

use youshi_autograd::ops::recurrent::RecurrenceOptions;
use youshi_autograd::Var;
use youshi_tensor::{Element, Shape, Tensor, TensorRng};

use crate::error::{LayerError, Result};
use crate::module::{Mode, Slot};
use crate::recurrent::config::StackSpec;
use crate::recurrent::packed::check_lengths;
use crate::recurrent::weights::{run_direction, RecurrentWeights};

/// The weights of every layer and direction (index `layer * D + direction`), the training
/// mode and the generator of the dropout masks.
#[derive(Debug)]
pub(crate) struct Stack<T: Element> {
    pub(crate) spec: StackSpec,
    weights: Vec<RecurrentWeights<T>>,
    mode: Mode,
    rng: Mutex<TensorRng>,
}

impl<T: Element> Clone for Stack<T> {
    /// A copy sharing the parameters, with the same mode and the generator in the same state.
    fn clone(&self) -> Self {
        Stack {
            spec: self.spec,
            weights: self.weights.clone(),
            mode: self.mode.clone(),
            rng: Mutex::new(lock(&self.rng).clone()),
        }
    }
}

fn lock(rng: &Mutex<TensorRng>) -> MutexGuard<'_, TensorRng> {
    rng.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a run of the stack gives, in the caller's layout.
#[derive(Debug, Clone)]
pub(crate) struct StackOutput<T: Element> {
    pub(crate) output: Var<T>,
    pub(crate) h_n: Var<T>,
    pub(crate) c_n: Option<Var<T>>,
}

impl<T: Element> Stack<T> {
    pub(crate) fn new(spec: StackSpec, weights: Vec<RecurrentWeights<T>>, rng: TensorRng) -> Self {
        Stack {
            spec,
            weights,
            mode: Mode::new(),
            rng: Mutex::new(rng),
        }
    }

    /// The weights of `layer` in the forward (`reverse == false`) or reverse direction.
    pub(crate) fn weights(&self, layer: usize, reverse: bool) -> Option<&RecurrentWeights<T>> {
        if reverse && !self.spec.bidirectional {
            return None;
        }
        self.weights
            .get(layer * self.spec.directions() + usize::from(reverse))
    }

    pub(crate) fn training(&self) -> bool {
        self.mode.training()
    }

    pub(crate) fn set_training(&self, training: bool) {
        self.mode.set(training);
    }

    /// Parameters under PyTorch's names: `weight_ih_l0`, ..., `bias_hh_l0_reverse`, ...
    pub(crate) fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        let d = self.spec.directions();
        for (i, w) in self.weights.iter().enumerate() {
            let reverse = if i % d == 1 { "_reverse" } else { "" };
            w.visit(&format!("_l{}{reverse}", i / d), f);
        }
    }

    /// The dropout generator, when there is dropout between layers.
    pub(crate) fn visit_rngs_own(&self, f: &mut dyn FnMut(&str, &Mutex<TensorRng>)) {
        if self.spec.dropout > 0.0 && self.spec.num_layers > 1 {
            f("rng", &self.rng);
        }
    }

    fn expected_input(&self) -> String {
        let i = self.spec.input_size;
        if self.spec.batch_first {
            format!("[N, L, {i}] or [L, {i}]")
        } else {
            format!("[L, N, {i}] or [L, {i}]")
        }
    }

    /// Checks an initial state against `[D * num_layers, N, H]` (`[D * num_layers, H]` for
    /// an unbatched input) and returns it as `[D * num_layers, N, H]`.
    fn state(
        &self,
        arg: &'static str,
        state: Option<&Var<T>>,
        x: &Var<T>,
        batch: usize,
        unbatched: bool,
    ) -> Result<Option<Var<T>>> {
        let Some(s) = state else { return Ok(None) };
        let layers = self.spec.directions() * self.spec.num_layers;
        let h = self.spec.hidden_size;
        let want: Vec<usize> = if unbatched {
            vec![layers, h]
        } else {
            vec![layers, batch, h]
        };
        if s.shape() != want.as_slice() {
            return Err(LayerError::argument(
                self.spec.name,
                arg,
                format!(
                    "must be {} for input {}, got {}",
                    Shape::from(want.as_slice()),
                    x.value().shape_obj(),
                    s.value().shape_obj()
                ),
            ));
        }
        Ok(Some(if unbatched {
            s.unsqueeze(1)?
        } else {
            s.clone()
        }))
    }

    /// Runs every layer and direction over `x`.
    ///
    /// `x` is `[L, N, H_in]` (`[N, L, H_in]` with `batch_first`) or unbatched `[L, H_in]`;
    /// `h0`/`c0` are `[D * num_layers, N, H]` (unbatched `[D * num_layers, H]`); `lengths`
    /// has one entry per sequence, each at most `L`.
    pub(crate) fn forward(
        &self,
        x: &Var<T>,
        h0: Option<&Var<T>>,
        c0: Option<&Var<T>>,
        lengths: Option<&[usize]>,
    ) -> Result<StackOutput<T>> {
        let spec = &self.spec;
        let s = x.shape();
        if !(s.len() == 2 || s.len() == 3) || s[s.len() - 1] != spec.input_size {
            return Err(LayerError::input(spec.name, self.expected_input(), s));
        }
        let unbatched = s.len() == 2;
        let x3 = if unbatched {
            x.unsqueeze(1)?
        } else if spec.batch_first {
            x.transpose(0, 1)?
        } else {
            x.clone()
        };
        let (steps, batch) = (x3.shape()[0], x3.shape()[1]);
        if steps == 0 {
            return Err(LayerError::input(
                spec.name,
                format!("{} with L >= 1", self.expected_input()),
                s,
            ));
        }
        let h0 = self.state("h0", h0, x, batch, unbatched)?;
        let c0 = self.state("c0", c0, x, batch, unbatched)?;
        if let Some(l) = lengths {
            check_lengths(spec.name, l, batch, steps, s)?;
        }
        let graph = x.graph();
        let d = spec.directions();
        let zeros = || graph.constant(Tensor::zeros([batch, spec.hidden_size]));
        let lstm = spec.kind.has_cell_state();
        let mut input = x3;
        let mut h_n = Vec::with_capacity(spec.num_layers * d);
        let mut c_n = Vec::with_capacity(spec.num_layers * d);
        for layer in 0..spec.num_layers {
            let mut outs = Vec::with_capacity(d);
            for dir in 0..d {
                let idx = layer * d + dir;
                let w = self.weights[idx].vars(graph);
                let h = match &h0 {
                    Some(h) => h.select(0, idx)?,
                    None => zeros(),
                };
                let c = match (&c0, lstm) {
                    (Some(c), true) => Some(c.select(0, idx)?),
                    (None, true) => Some(zeros()),
                    _ => None,
                };
                let mut opts = RecurrenceOptions::new(spec.kind).reverse(dir == 1);
                opts.lengths = lengths.map(<[usize]>::to_vec);
                let r = run_direction(&input, &w, &h, c.as_ref(), &opts)?;
                outs.push(r.output);
                h_n.push(r.h_n);
                c_n.extend(r.c_n);
            }
            input = if d == 1 {
                outs.swap_remove(0)
            } else {
                Var::concat(&outs.iter().collect::<Vec<_>>(), 2)?
            };
            let between = layer + 1 < spec.num_layers;
            if between && spec.dropout > 0.0 && self.mode.training() {
                input = input.dropout(spec.dropout, true, &mut lock(&self.rng))?;
            }
        }
        let finish = |states: Vec<Var<T>>| -> Result<Var<T>> {
            let s = Var::stack(&states.iter().collect::<Vec<_>>(), 0)?;
            Ok(if unbatched { s.squeeze(1)? } else { s })
        };
        let output = if unbatched {
            input.squeeze(1)?
        } else if spec.batch_first {
            input.transpose(0, 1)?
        } else {
            input
        };
        Ok(StackOutput {
            output,
            h_n: finish(h_n)?,
            c_n: if lstm { Some(finish(c_n)?) } else { None },
        })
    }
}
