//! [`Rnn`]: a multi-layer, optionally bidirectional Elman RNN (tanh or relu), PyTorch's
//! `nn.RNN`.

use std::sync::Mutex;

use youshi_autograd::Var;
use youshi_tensor::{Element, TensorRng};

use crate::error::Result;
use crate::module::{Module, Slot};
use crate::recurrent::config::RnnConfig;
use crate::recurrent::stack::Stack;
use crate::recurrent::weights::RecurrentWeights;

/// Elman recurrent network over sequences, PyTorch's `nn.RNN`, built with [`RnnConfig`]:
/// `h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)` with `act` tanh or relu.
///
/// Layers, directions, dropout and layouts work as in [`Lstm`](super::Lstm).
/// [`Module::forward`] returns the output sequence; [`forward_full`](Self::forward_full)
/// also takes an initial state and sequence lengths and returns the final state.
///
/// # Shapes
/// Input `[L, N, H_in]` (`[N, L, H_in]` with `batch_first`) or unbatched `[L, H_in]`; output
/// `[L, N, D * H]` (`[N, L, D * H]`, or `[L, D * H]`); states `[D * num_layers, N, H]`
/// (`[D * num_layers, H]` unbatched). Parameters as PyTorch: `weight_ih_l{k} [H, H_in]`,
/// `weight_hh_l{k} [H, H]`, `bias_ih_l{k} [H]`, `bias_hh_l{k} [H]`, and `_reverse`.
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) naming `Rnn` for a wrong input;
/// [`LayerError::Argument`](crate::LayerError::Argument) naming `Rnn` for a wrong `h0` or
/// lengths.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::recurrent::{Rnn, RnnConfig};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let rnn: Rnn = RnnConfig::new(3, 4).batch_first(true).init(&mut seeded_rng(0))?;
/// let g = Graph::new();
/// let x = g.constant(Tensor::ones([2, 6, 3])); // [N, L, H_in]
/// let h0 = g.constant(Tensor::zeros([1, 2, 4]));
/// let (y, h_n) = rnn.forward_full(&x, Some(&h0), None)?;
/// assert_eq!((y.shape(), h_n.shape()), (&[2, 6, 4][..], &[1, 2, 4][..]));
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Rnn<T: Element = f32> {
    pub(crate) stack: Stack<T>,
    pub(crate) config: RnnConfig,
}

impl<T: Element> Rnn<T> {
    /// The layer's configuration.
    pub fn config(&self) -> &RnnConfig {
        &self.config
    }

    /// The weights of `layer` in the forward or (`reverse`) reverse direction.
    pub fn weights(&self, layer: usize, reverse: bool) -> Option<&RecurrentWeights<T>> {
        self.stack.weights(layer, reverse)
    }

    /// Runs the RNN from `h0` (zeros if `None`) over `x`, with optional sequence lengths;
    /// returns the output sequence and the final hidden state, PyTorch's `output, h_n`.
    ///
    /// # Shapes
    /// As in the [type docs](Rnn).
    ///
    /// # Errors
    /// As [`Lstm::forward_full`](super::Lstm::forward_full), naming `Rnn`.
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

impl<T: Element> Module<T> for Rnn<T> {
    fn kind(&self) -> &'static str {
        "Rnn"
    }

    /// The output sequence from a zero state (see [`Rnn::forward_full`]).
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
