//! Configurations of the recurrent layers and cells: `new(input_size, hidden_size)` then
//! builder setters with PyTorch's defaults, then `init(&mut rng)`.

use youshi_autograd::ops::recurrent::CellKind;
use youshi_tensor::{Element, TensorRng};

use crate::error::{LayerError, Result};
use crate::recurrent::cell::{GruCell, LstmCell, RnnCell};
use crate::recurrent::gru::Gru;
use crate::recurrent::lstm::Lstm;
use crate::recurrent::rnn::Rnn;
use crate::recurrent::stack::Stack;
use crate::recurrent::weights::RecurrentWeights;

/// The non-linearity of an Elman [`Rnn`] or [`RnnCell`] (PyTorch's `nonlinearity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RnnNonlinearity {
    /// `h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)` (the default).
    #[default]
    Tanh,
    /// `h_t = relu(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)`.
    Relu,
}

impl RnnNonlinearity {
    pub(crate) fn cell_kind(self) -> CellKind {
        match self {
            RnnNonlinearity::Tanh => CellKind::RnnTanh,
            RnnNonlinearity::Relu => CellKind::RnnRelu,
        }
    }
}

/// The options shared by [`Rnn`], [`Lstm`] and [`Gru`], checked once at `init`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StackSpec {
    pub(crate) kind: CellKind,
    pub(crate) name: &'static str,
    pub(crate) input_size: usize,
    pub(crate) hidden_size: usize,
    pub(crate) num_layers: usize,
    pub(crate) bias: bool,
    pub(crate) batch_first: bool,
    pub(crate) dropout: f64,
    pub(crate) bidirectional: bool,
}

impl StackSpec {
    /// Number of directions: 2 if bidirectional.
    pub(crate) fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    fn check(&self) -> Result<()> {
        check_sizes(self.name, self.input_size, self.hidden_size)?;
        if self.num_layers == 0 {
            return Err(LayerError::config(
                self.name,
                "num_layers must be at least 1, got 0",
            ));
        }
        if !(0.0..=1.0).contains(&self.dropout) {
            return Err(LayerError::config(
                self.name,
                format!("dropout must lie in [0, 1], got {}", self.dropout),
            ));
        }
        Ok(())
    }

    /// Checks the options and draws the weights of every layer and direction in PyTorch's
    /// order (`l0`, `l0_reverse`, `l1`, ...), then a generator for the dropout masks.
    pub(crate) fn init<T: Element>(self, rng: &mut TensorRng) -> Result<Stack<T>> {
        self.check()?;
        let d = self.directions();
        let mut weights = Vec::with_capacity(self.num_layers * d);
        for layer in 0..self.num_layers {
            let input = if layer == 0 {
                self.input_size
            } else {
                d * self.hidden_size
            };
            for _ in 0..d {
                weights.push(RecurrentWeights::init(
                    self.kind,
                    input,
                    self.hidden_size,
                    self.bias,
                    rng,
                )?);
            }
        }
        Ok(Stack::new(self, weights, fork(rng)))
    }
}

/// A generator for dropout masks, seeded from `rng` (53 random bits), so that one seed
/// reproduces both the weights and the masks.
fn fork(rng: &mut TensorRng) -> TensorRng {
    let bits = youshi_tensor::random::unit_f64(rng) * (1u64 << 53) as f64;
    youshi_tensor::seeded_rng(bits as u64)
}

fn check_sizes(kind: &'static str, input_size: usize, hidden_size: usize) -> Result<()> {
    if input_size == 0 || hidden_size == 0 {
        return Err(LayerError::config(
            kind,
            format!(
                "sizes must be positive, got input_size {input_size} and hidden_size {hidden_size}"
            ),
        ));
    }
    Ok(())
}

/// Builder setters shared by the three multi-layer configurations.
macro_rules! stack_setters {
    ($config:ident) => {
        impl $config {
            /// Number of stacked layers (default 1); layer `l > 0` reads the output of layer
            /// `l - 1`.
            pub fn num_layers(mut self, n: usize) -> Self {
                self.num_layers = n;
                self
            }

            /// With (`true`, the default) or without the biases `b_ih` and `b_hh`.
            pub fn bias(mut self, bias: bool) -> Self {
                self.bias = bias;
                self
            }

            /// Inputs and outputs as `[N, L, *]` instead of `[L, N, *]` (default `false`); the
            /// states keep their `[D * num_layers, N, H]` layout either way, as in PyTorch.
            pub fn batch_first(mut self, batch_first: bool) -> Self {
                self.batch_first = batch_first;
                self
            }

            /// Dropout probability applied to the output of every layer but the last, in
            /// training mode only (default 0).
            pub fn dropout(mut self, p: f64) -> Self {
                self.dropout = p;
                self
            }

            /// Runs a second, reverse-time direction in every layer and concatenates the two
            /// outputs along the features (default `false`).
            pub fn bidirectional(mut self, bidirectional: bool) -> Self {
                self.bidirectional = bidirectional;
                self
            }
        }
    };
}

/// Configuration of an [`Rnn`] (PyTorch's `nn.RNN`): `new(input_size, hidden_size)` then
/// builder setters.
///
/// Defaults are PyTorch's: 1 layer, tanh, with biases, `[L, N, *]` layout, no dropout, one
/// direction.
///
/// # Examples
/// ```
/// use youshi_layers::recurrent::{Rnn, RnnConfig, RnnNonlinearity};
/// use youshi_layers::ModuleExt;
/// use youshi_tensor::seeded_rng;
/// let rnn: Rnn = RnnConfig::new(3, 4)
///     .nonlinearity(RnnNonlinearity::Relu)
///     .num_layers(2)
///     .init(&mut seeded_rng(0))?;
/// assert_eq!(rnn.named_params()[4].0, "weight_ih_l1");
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RnnConfig {
    /// Features of each input step (`H_in`).
    pub input_size: usize,
    /// Features of the hidden state (`H`).
    pub hidden_size: usize,
    /// Stacked layers.
    pub num_layers: usize,
    /// Tanh or relu.
    pub nonlinearity: RnnNonlinearity,
    /// Whether the layers have biases.
    pub bias: bool,
    /// `[N, L, *]` inputs and outputs.
    pub batch_first: bool,
    /// Dropout between layers (training only).
    pub dropout: f64,
    /// Two directions.
    pub bidirectional: bool,
}

impl RnnConfig {
    /// An RNN from `input_size` features to a hidden state of `hidden_size`.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        RnnConfig {
            input_size,
            hidden_size,
            num_layers: 1,
            nonlinearity: RnnNonlinearity::Tanh,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
        }
    }

    /// Tanh (the default) or relu.
    pub fn nonlinearity(mut self, nonlinearity: RnnNonlinearity) -> Self {
        self.nonlinearity = nonlinearity;
        self
    }

    pub(crate) fn spec(&self) -> StackSpec {
        StackSpec {
            kind: self.nonlinearity.cell_kind(),
            name: "Rnn",
            input_size: self.input_size,
            hidden_size: self.hidden_size,
            num_layers: self.num_layers,
            bias: self.bias,
            batch_first: self.batch_first,
            dropout: self.dropout,
            bidirectional: self.bidirectional,
        }
    }

    /// Builds the layer with PyTorch's initialisation: every weight and bias uniform in
    /// `±1/sqrt(hidden_size)`, drawn from `rng` in parameter order; the generator of the
    /// dropout masks is seeded from `rng` afterwards.
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Rnn` and the values: a zero size or layer count, or a
    /// dropout outside `[0, 1]`.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<Rnn<T>> {
        Ok(Rnn {
            stack: self.spec().init(rng)?,
            config: *self,
        })
    }
}

stack_setters!(RnnConfig);

/// Configuration of an [`Lstm`] (PyTorch's `nn.LSTM`): `new(input_size, hidden_size)` then
/// builder setters.
///
/// Defaults are PyTorch's: 1 layer, with biases, `[L, N, *]` layout, no dropout, one
/// direction.
///
/// # Examples
/// ```
/// use youshi_layers::recurrent::{Lstm, LstmConfig};
/// use youshi_tensor::seeded_rng;
/// let lstm: Lstm = LstmConfig::new(8, 16).bidirectional(true).batch_first(true).init(&mut seeded_rng(0))?;
/// assert_eq!(lstm.config().hidden_size, 16);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LstmConfig {
    /// Features of each input step (`H_in`).
    pub input_size: usize,
    /// Features of the hidden and cell states (`H`).
    pub hidden_size: usize,
    /// Stacked layers.
    pub num_layers: usize,
    /// Whether the layers have biases.
    pub bias: bool,
    /// `[N, L, *]` inputs and outputs.
    pub batch_first: bool,
    /// Dropout between layers (training only).
    pub dropout: f64,
    /// Two directions.
    pub bidirectional: bool,
}

impl LstmConfig {
    /// An LSTM from `input_size` features to hidden and cell states of `hidden_size`.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        LstmConfig {
            input_size,
            hidden_size,
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
        }
    }

    pub(crate) fn spec(&self) -> StackSpec {
        StackSpec {
            kind: CellKind::Lstm,
            name: "Lstm",
            input_size: self.input_size,
            hidden_size: self.hidden_size,
            num_layers: self.num_layers,
            bias: self.bias,
            batch_first: self.batch_first,
            dropout: self.dropout,
            bidirectional: self.bidirectional,
        }
    }

    /// Builds the layer with PyTorch's initialisation (as [`RnnConfig::init`]).
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Lstm` and the values.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<Lstm<T>> {
        Ok(Lstm {
            stack: self.spec().init(rng)?,
            config: *self,
        })
    }
}

stack_setters!(LstmConfig);

/// Configuration of a [`Gru`] (PyTorch's `nn.GRU`): `new(input_size, hidden_size)` then
/// builder setters.
///
/// Defaults are PyTorch's: 1 layer, with biases, `[L, N, *]` layout, no dropout, one
/// direction.
///
/// # Examples
/// ```
/// use youshi_layers::recurrent::{Gru, GruConfig};
/// use youshi_tensor::seeded_rng;
/// let gru: Gru = GruConfig::new(8, 16).num_layers(3).dropout(0.2).init(&mut seeded_rng(0))?;
/// assert_eq!(gru.config().num_layers, 3);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GruConfig {
    /// Features of each input step (`H_in`).
    pub input_size: usize,
    /// Features of the hidden state (`H`).
    pub hidden_size: usize,
    /// Stacked layers.
    pub num_layers: usize,
    /// Whether the layers have biases.
    pub bias: bool,
    /// `[N, L, *]` inputs and outputs.
    pub batch_first: bool,
    /// Dropout between layers (training only).
    pub dropout: f64,
    /// Two directions.
    pub bidirectional: bool,
}

impl GruConfig {
    /// A GRU from `input_size` features to a hidden state of `hidden_size`.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        GruConfig {
            input_size,
            hidden_size,
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
        }
    }

    pub(crate) fn spec(&self) -> StackSpec {
        StackSpec {
            kind: CellKind::Gru,
            name: "Gru",
            input_size: self.input_size,
            hidden_size: self.hidden_size,
            num_layers: self.num_layers,
            bias: self.bias,
            batch_first: self.batch_first,
            dropout: self.dropout,
            bidirectional: self.bidirectional,
        }
    }

    /// Builds the layer with PyTorch's initialisation (as [`RnnConfig::init`]).
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `Gru` and the values.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<Gru<T>> {
        Ok(Gru {
            stack: self.spec().init(rng)?,
            config: *self,
        })
    }
}

stack_setters!(GruConfig);

/// Configuration of an [`RnnCell`] (PyTorch's `nn.RNNCell`).
///
/// # Examples
/// ```
/// use youshi_layers::recurrent::{RnnCell, RnnCellConfig, RnnNonlinearity};
/// use youshi_tensor::seeded_rng;
/// let cell: RnnCell = RnnCellConfig::new(3, 4)
///     .nonlinearity(RnnNonlinearity::Relu)
///     .bias(false)
///     .init(&mut seeded_rng(0))?;
/// assert!(cell.weights.bias_ih.is_none());
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RnnCellConfig {
    /// Features of the input (`H_in`).
    pub input_size: usize,
    /// Features of the hidden state (`H`).
    pub hidden_size: usize,
    /// Whether the cell has biases.
    pub bias: bool,
    /// Tanh or relu.
    pub nonlinearity: RnnNonlinearity,
}

impl RnnCellConfig {
    /// A tanh cell with biases.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        RnnCellConfig {
            input_size,
            hidden_size,
            bias: true,
            nonlinearity: RnnNonlinearity::Tanh,
        }
    }

    /// With (`true`, the default) or without biases.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Tanh (the default) or relu.
    pub fn nonlinearity(mut self, nonlinearity: RnnNonlinearity) -> Self {
        self.nonlinearity = nonlinearity;
        self
    }

    /// Builds the cell with PyTorch's initialisation: every weight and bias uniform in
    /// `±1/sqrt(hidden_size)`.
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `RnnCell` for a zero size.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<RnnCell<T>> {
        check_sizes("RnnCell", self.input_size, self.hidden_size)?;
        Ok(RnnCell {
            weights: RecurrentWeights::init(
                self.nonlinearity.cell_kind(),
                self.input_size,
                self.hidden_size,
                self.bias,
                rng,
            )?,
            config: *self,
        })
    }
}

/// Configuration of an [`LstmCell`] (PyTorch's `nn.LSTMCell`).
///
/// # Examples
/// ```
/// use youshi_layers::recurrent::{LstmCell, LstmCellConfig};
/// use youshi_tensor::seeded_rng;
/// let cell: LstmCell = LstmCellConfig::new(3, 4).init(&mut seeded_rng(0))?;
/// assert_eq!(cell.weights.weight_ih.shape(), vec![16, 3]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LstmCellConfig {
    /// Features of the input (`H_in`).
    pub input_size: usize,
    /// Features of the hidden and cell states (`H`).
    pub hidden_size: usize,
    /// Whether the cell has biases.
    pub bias: bool,
}

impl LstmCellConfig {
    /// A cell with biases.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        LstmCellConfig {
            input_size,
            hidden_size,
            bias: true,
        }
    }

    /// With (`true`, the default) or without biases.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Builds the cell with PyTorch's initialisation (as [`RnnCellConfig::init`]).
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `LstmCell` for a zero size.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<LstmCell<T>> {
        check_sizes("LstmCell", self.input_size, self.hidden_size)?;
        Ok(LstmCell {
            weights: RecurrentWeights::init(
                CellKind::Lstm,
                self.input_size,
                self.hidden_size,
                self.bias,
                rng,
            )?,
            config: *self,
        })
    }
}

/// Configuration of a [`GruCell`] (PyTorch's `nn.GRUCell`).
///
/// # Examples
/// ```
/// use youshi_layers::recurrent::{GruCell, GruCellConfig};
/// use youshi_tensor::seeded_rng;
/// let cell: GruCell = GruCellConfig::new(3, 4).init(&mut seeded_rng(0))?;
/// assert_eq!(cell.weights.weight_hh.shape(), vec![12, 4]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GruCellConfig {
    /// Features of the input (`H_in`).
    pub input_size: usize,
    /// Features of the hidden state (`H`).
    pub hidden_size: usize,
    /// Whether the cell has biases.
    pub bias: bool,
}

impl GruCellConfig {
    /// A cell with biases.
    pub fn new(input_size: usize, hidden_size: usize) -> Self {
        GruCellConfig {
            input_size,
            hidden_size,
            bias: true,
        }
    }

    /// With (`true`, the default) or without biases.
    pub fn bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Builds the cell with PyTorch's initialisation (as [`RnnCellConfig::init`]).
    ///
    /// # Errors
    /// [`LayerError::Config`] naming `GruCell` for a zero size.
    pub fn init<T: Element>(&self, rng: &mut TensorRng) -> Result<GruCell<T>> {
        check_sizes("GruCell", self.input_size, self.hidden_size)?;
        Ok(GruCell {
            weights: RecurrentWeights::init(
                CellKind::Gru,
                self.input_size,
                self.hidden_size,
                self.bias,
                rng,
            )?,
            config: *self,
        })
    }
}
