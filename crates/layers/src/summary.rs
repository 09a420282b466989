//! [`summary`]: a Keras-style table of a model's layers, output shapes and parameter counts.

use std::fmt;

use youshi_autograd::{Graph, Var};
use youshi_tensor::{Element, Tensor};

use crate::error::{LayerError, Result};
use crate::module::{join, walk, Module, ModuleExt, Slot};

/// One row of a [`Summary`]: a leaf module, or a container other than `Sequential` shown as
/// a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRow {
    /// Dotted path in the model (`"0"`, `"features.3"`); empty for a model that is one module.
    pub name: String,
    /// The module's type (`"Linear"`).
    pub kind: &'static str,
    /// Shape of the module's output for the summarised input.
    pub output_shape: Vec<usize>,
    /// Number of parameter elements the module holds (itself and its sub-modules).
    pub params: usize,
}

/// What [`summary`] found: one row per layer, and the totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The model's type.
    pub model_kind: &'static str,
    /// The input shape the model was run on.
    pub input_shape: Vec<usize>,
    /// The model's output shape.
    pub output_shape: Vec<usize>,
    /// The layers in execution order.
    pub rows: Vec<LayerRow>,
    /// Trainable parameter elements of the whole model.
    pub trainable: usize,
    /// Frozen parameter elements of the whole model.
    pub non_trainable: usize,
}

impl Summary {
    /// All parameter elements.
    pub fn total(&self) -> usize {
        self.trainable + self.non_trainable
    }
}

/// Runs `model` without gradients on zeros of `input_shape` and records, for each layer, its
/// dotted name, type, output shape and parameter count, like Keras's `model.summary()`.
///
/// `Sequential` containers are opened and their children run one by one (recursively);
/// any other module with children is reported as one row. Buffers (batch norm's running
/// statistics) are restored after the run, so the summary leaves the model as it was.
/// Parameter totals come from [`ModuleExt::param_counts`] (frozen parameters are
/// non-trainable; buffers are not counted).
///
/// # Shapes
/// `input_shape` is the full input shape, batch included (`[1, 3, 32, 32]`).
///
/// # Errors
/// The first layer's error, e.g. [`LayerError::Input`] with the path of the layer that
/// rejected its input.
///
/// # Examples
/// ```
/// use youshi_layers::summary::summary;
/// use youshi_layers::{Linear, Relu, Sequential};
/// use youshi_tensor::seeded_rng;
/// let mut rng = seeded_rng(0);
/// let model: Sequential = Sequential::new()
///     .add(Linear::new(4, 8, &mut rng)?)
///     .add(Relu)
///     .add(Linear::new(8, 2, &mut rng)?);
/// let s = summary(&model, &[1, 4])?;
/// assert_eq!(s.rows.len(), 3);
/// assert_eq!(s.rows[2].output_shape, [1, 2]);
/// assert_eq!(s.total(), 4 * 8 + 8 + 8 * 2 + 2);
/// println!("{s}");
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn summary<T: Element>(model: &dyn Module<T>, input_shape: &[usize]) -> Result<Summary> {
    let buffers: Vec<_> = model
        .named_buffers()
        .into_iter()
        .map(|(_, b)| {
            let v = b.value();
            (b, v)
        })
        .collect();
    let g = Graph::<T>::no_grad();
    let x = g.constant(Tensor::zeros(input_shape));
    let mut rows = Vec::new();
    let out = run(model, "", x, &mut rows);
    for (b, v) in buffers {
        b.set(v)?;
    }
    let out = out?;
    let (trainable, non_trainable) = model.param_counts();
    Ok(Summary {
        model_kind: model.kind(),
        input_shape: input_shape.to_vec(),
        output_shape: out.shape().to_vec(),
        rows,
        trainable,
        non_trainable,
    })
}

fn count_params<T: Element>(m: &dyn Module<T>) -> usize {
    let mut n = 0;
    walk(m, "", &mut |_, slot| {
        if let Slot::Param(p) = slot {
            n += p.numel();
        }
    });
    n
}

fn run<T: Element>(
    m: &dyn Module<T>,
    path: &str,
    x: Var<T>,
    rows: &mut Vec<LayerRow>,
) -> Result<Var<T>> {
    if m.kind() == "Sequential" {
        let mut h = Ok(x);
        m.visit_children(&mut |name, child| {
            if let Ok(x) = &h {
                let x = x.clone();
                h = run(child, &join(path, name), x, rows);
            }
        });
        return h;
    }
    let y = m.forward(&x).map_err(|e| within_path(e, path))?;
    rows.push(LayerRow {
        name: path.to_string(),
        kind: m.kind(),
        output_shape: y.shape().to_vec(),
        params: count_params(m),
    });
    Ok(y)
}

fn within_path(e: LayerError, path: &str) -> LayerError {
    if path.is_empty() {
        e
    } else {
        e.within(path)
    }
}

/// Digits with thousands separators (`1,234,567`).
fn grouped(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn shape_str(s: &[usize]) -> String {
    let inner: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("[{}]", inner.join(", "))
}

impl fmt::Display for Summary {
    /// A Keras-style table:
    ///
    /// ```text
    /// Model: Sequential, input [1, 4]
    /// ──────────────────────────────────────────────
    /// Layer (type)        Output Shape       Param #
    /// ══════════════════════════════════════════════
    /// 0 (Linear)          [1, 8]                  40
    /// ...
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<(String, String, String)> = self
            .rows
            .iter()
            .map(|r| {
                let name = if r.name.is_empty() {
                    r.kind.to_string()
                } else {
                    format!("{} ({})", r.name, r.kind)
                };
                (name, shape_str(&r.output_shape), grouped(r.params))
            })
            .collect();
        let w0 = cells
            .iter()
            .map(|c| c.0.chars().count())
            .chain([12])
            .max()
            .unwrap_or(12)
            + 2;
        let w1 = cells
            .iter()
            .map(|c| c.1.len())
            .chain([12])
            .max()
            .unwrap_or(12)
            + 2;
        let w2 = cells
            .iter()
            .map(|c| c.2.len())
            .chain([7])
            .max()
            .unwrap_or(7);
        let width = w0 + w1 + w2;
        writeln!(
            f,
            "Model: {}, input {}",
            self.model_kind,
            shape_str(&self.input_shape)
        )?;
        writeln!(f, "{}", "─".repeat(width))?;
        writeln!(
            f,
            "{:<w0$}{:<w1$}{:>w2$}",
            "Layer (type)", "Output Shape", "Param #"
        )?;
        writeln!(f, "{}", "═".repeat(width))?;
        for (a, b, c) in &cells {
            writeln!(f, "{a:<w0$}{b:<w1$}{c:>w2$}")?;
        }
        writeln!(f, "{}", "═".repeat(width))?;
        writeln!(f, "Total params: {}", grouped(self.total()))?;
        writeln!(f, "Trainable params: {}", grouped(self.trainable))?;
        writeln!(f, "Non-trainable params: {}", grouped(self.non_trainable))?;
        write!(f, "{}", "─".repeat(width))
    }
}
