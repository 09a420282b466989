//! [`Gru`]: a multi-layer, optionally bidirectional gated recurrent unit, PyTorch's
//! `nn.GRU`.

use std::sync::Mutex;

use youshi_autograd::Var;
use youshi_tensor::{Element, TensorRng};

use crate::error::Result;
use crate::module::{Module, Slot};
use crate::recurrent::config::GruConfig;
use crate::recurrent::stack::Stack;
use crate::recurrent::weights::RecurrentWeights;

/// Gated recurrent unit over sequences, PyTorch's `nn.GRU`, built with [`GruConfig`].
///
/// At each step, with gates stacked in the order `r, z, n`:
/// `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
/// `n = tanh(W_in x + b_in + r (W_hn h + b_hn))`, `h' = (1 - z) n + z h`: the reset gate
/// multiplies the hidden part including its bias, as in PyTorch (and cuDNN), so weights move
/// between the two unchanged.
///
/// Layers, directions, dropout and layouts work as in [`Lstm`](super::Lstm).
///
/// # Shapes
/// As [`Rnn`](super::Rnn), with `3H` rows in every weight and bias (`[3H, H_in]`,
/// `[3H, H]`, `[3H]`).
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) naming `Gru` for a wrong input;
/// [`LayerError::Argument`](crate::LayerError::Argument) naming `Gru` for a wrong `h0` or
/// lengths.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::recurrent::{Gru, GruConfig};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let gru: Gru = GruConfig::new(3, 4).init(&mut seeded_rng(0))?;
/// let g = Graph::new();
/// let x = g.constant(Tensor::ones([6, 3])); // unbatched [L, H_in]
/// let (y, h_n) = gru.forward_full(&x, None, None)?;
/// assert_eq!((y.shape(), h_n.shape()), (&[6, 4][..], &[1, 4][..]));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Gru<T: Element = f32> {
    pub(crate) stack: Stack<T>,
    pub(crate) config: GruConfig,
}

impl<T: Element> Gru<T> {
    /// The layer's configuration.
    pub fn config(&self) -> &GruConfig {
        &self.config
    }

    /// The weights of `layer` in the forward or (`reverse`) reverse direction.
    pub fn weights(&self, layer: usize, reverse: bool) -> Option<&RecurrentWeights<T>> {
        self.stack.weights(layer, reverse)
    }

    /// Runs the GRU from `h0` (zeros if `None`) over `x`, with optional sequence lengths;
    /// returns the output sequence and the final hidden state, PyTorch's `output, h_n`.
    ///
    /// # Shapes
    /// As in the [type docs](Gru).
    ///
    /// # Errors
    /// As [`Lstm::forward_full`](super::Lstm::forward_full), naming `Gru`.
    pub fn forward_full(
        &self,
        x: &Var<T>,
        h0: Option<&Var<T>>,
        lengths: Option<&[usize]>,
    ) -> Result<(Var<T>, Var<T>)> {
        let out = self.stack.forward(x, h0, None, lengths)?;
        Ok((out.output, out.h_n))
    }

    /// True in training mode (dropout between layers active).
    pub fn training(&self) -> bool {
        self.stack.training()
    }
}

impl<T: Element> Module<T> for Gru<T> {
    fn kind(&self) -> &'static str {
        "Gru"
    }

    /// The output sequence from a zero state (see [`Gru::forward_full`]).
    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        Ok(self.forward_full(x, None, None)?.0)
    }

    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        self.stack.visit_own(f);
    }

    fn visit_rngs_own(&self, f: &mut dyn FnMut(&str, &Mutex<TensorRng>)) {
        self.stack.visit_rngs_own(f);
    }

    fn set_training_own(&self, training: bool) {
        self.stack.set_training(training);
    }
}
