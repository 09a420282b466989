//! [`Lstm`]: a multi-layer, optionally bidirectional LSTM, PyTorch's `nn.LSTM`.

use std::sync::Mutex;

use youshi_autograd::Var;
use youshi_tensor::{Element, TensorRng};

use crate::error::Result;
use crate::module::{Module, Slot};
use crate::recurrent::config::LstmConfig;
use crate::recurrent::stack::Stack;
use crate::recurrent::weights::RecurrentWeights;

/// The two states of an LSTM: hidden `h` and cell `c`, of the same shape.
///
/// # Shapes
/// For an [`Lstm`]: `[D * num_layers, N, H]` (`[D * num_layers, H]` for an unbatched input),
/// ordered layer by layer with the reverse direction after the forward one. For an
/// [`LstmCell`](super::LstmCell): `[N, H]` (`[H]` unbatched).
#[derive(Debug, Clone)]
pub struct LstmState<T: Element = f32> {
    /// Hidden state.
    pub h: Var<T>,
    /// Cell state.
    pub c: Var<T>,
}

/// Long short-term memory over sequences, PyTorch's `nn.LSTM`, built with [`LstmConfig`].
///
/// At each step, with gates stacked in the order `i, f, g, o`:
/// `i = σ(W_ii x + b_ii + W_hi h + b_hi)`, `f = σ(..)`, `g = tanh(..)`, `o = σ(..)`,
/// `c' = f c + i g`, `h' = o tanh(c')`. Layer `l > 0` reads the output of layer `l - 1`
/// (with dropout in training mode if configured); a bidirectional layer runs a second
/// direction from the last step to the first and concatenates both outputs.
///
/// [`Module::forward`] returns the output sequence, so the layer composes in a
/// [`Sequential`](crate::Sequential); [`forward_full`](Self::forward_full) also takes initial
/// states and sequence lengths and returns the final states.
///
/// # Shapes
/// Input `[L, N, H_in]` (`[N, L, H_in]` with `batch_first`) or unbatched `[L, H_in]`; output
/// `[L, N, D * H]` (`[N, L, D * H]`, or `[L, D * H]`) with `D = 2` if bidirectional;
/// states as in [`LstmState`]. Parameters per layer `k` as PyTorch: `weight_ih_l{k}
/// [4H, H_in]` (`[4H, D * H]` for `k > 0`), `weight_hh_l{k} [4H, H]`, `bias_ih_l{k} [4H]`,
/// `bias_hh_l{k} [4H]`, and the same with the suffix `_reverse`.
///
/// # Errors
/// [`LayerError::Input`](crate::LayerError::Input) naming `Lstm`, the expected and the given
/// shape for an input of the wrong rank or features or with no time step;
/// [`LayerError::Argument`](crate::LayerError::Argument) naming `Lstm` and the shapes for
/// initial states of the wrong shape or lengths that do not fit the batch.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::recurrent::{Lstm, LstmConfig};
/// use youshi_layers::{Module, ModuleExt};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let lstm: Lstm = LstmConfig::new(3, 5).num_layers(2).bidirectional(true).init(&mut seeded_rng(0))?;
/// let g = Graph::new();
/// let x = g.constant(Tensor::ones([7, 2, 3])); // [L, N, H_in]
/// let (y, state) = lstm.forward_full(&x, None, None)?;
/// assert_eq!(y.shape(), &[7, 2, 10]);
/// assert_eq!(state.h.shape(), &[4, 2, 5]);
/// // Variable lengths: the second sequence has 4 real steps.
/// let (y, _) = lstm.forward_full(&x, None, Some(&[7, 4]))?;
/// assert!(y.value().select(0, 5)?.select(0, 1)?.to_vec().iter().all(|&v| v == 0.0));
/// assert_eq!(lstm.forward(&x)?.shape(), &[7, 2, 10]);
/// assert_eq!(lstm.named_params()[4].0, "weight_ih_l0_reverse");
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Lstm<T: Element = f32> {
    pub(crate) stack: Stack<T>,
    pub(crate) config: LstmConfig,
}

impl<T: Element> Lstm<T> {
    /// The layer's configuration.
    pub fn config(&self) -> &LstmConfig {
        &self.config
    }

    /// The weights of `layer` in the forward direction or, with `reverse`, the reverse one
    /// (`None` if there is no such layer or direction).
    pub fn weights(&self, layer: usize, reverse: bool) -> Option<&RecurrentWeights<T>> {
        self.stack.weights(layer, reverse)
    }

    /// Runs the LSTM from `state` (zeros if `None`) over `x`, where sequence `b` of the
    /// batch has `lengths[b]` real steps if lengths are given (see
    /// [`recurrent::packed`](super::packed)); returns the output sequence and the final
    /// states, PyTorch's `output, (h_n, c_n)`.
    ///
    /// # Shapes
    /// As in the [type docs](Lstm): `x [L, N, H_in]` (or `[N, L, H_in]`, or `[L, H_in]`),
    /// states `[D * num_layers, N, H]`, `lengths` of `N` entries, each at most `L`.
    ///
    /// # Errors
    /// [`LayerError::Input`](crate::LayerError::Input) for a wrong input;
    /// [`LayerError::Argument`](crate::LayerError::Argument) naming `Lstm`, `h0` or `c0` or
    /// `lengths`, and the shapes, for states of the wrong shape, a wrong number of lengths, or
    /// lengths longer than the sequence.
    pub fn forward_full(
        &self,
        x: &Var<T>,
        state: Option<&LstmState<T>>,
        lengths: Option<&[usize]>,
    ) -> Result<(Var<T>, LstmState<T>)> {
        let out = self
            .stack
            .forward(x, state.map(|s| &s.h), state.map(|s| &s.c), lengths)?;
        let c = out.c_n.expect("the LSTM stack always returns a cell state");
        Ok((out.output, LstmState { h: out.h_n, c }))
    }

    /// True in training mode (dropout between layers active).
    pub fn training(&self) -> bool {
        self.stack.training()
    }
}

impl<T: Element> Module<T> for Lstm<T> {
    fn kind(&self) -> &'static str {
        "Lstm"
    }

    /// The output sequence from zero states (see [`Lstm::forward_full`]).
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
