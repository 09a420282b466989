//! The [`Module`] trait: forward, named parameters and buffers, training mode.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use youshi_autograd::{Param, Var};
use youshi_tensor::{Element, TensorRng};

use crate::buffer::Buffer;
use crate::error::Result;

/// A parameter or a buffer, as visited by [`Module::visit_own`].
#[derive(Debug, Clone, Copy)]
pub enum Slot<'a, T: Element> {
    /// A trainable tensor (saved, loaded and trained).
    Param(&'a Param<T>),
    /// Module state (saved and loaded, never trained).
    Buffer(&'a Buffer<T>),
}

/// A building block of a model: `forward` plus what it owns.
///
/// Implement three things: [`kind`](Module::kind), [`forward`](Module::forward), and the
/// visits of what the module holds: [`visit_own`](Module::visit_own) for its own parameters
/// and buffers under local names (`"weight"`), [`visit_children`](Module::visit_children) for
/// sub-modules under local names (`"conv1"`, `"0"`). Everything else (PyTorch-style
/// `state_dict` names such as `features.0.weight`, parameter counts, train/eval mode,
/// freezing) is provided from those visits, so a user-defined struct of layers is a module
/// with no macro.
///
/// Modules are `Send + Sync`: one model can serve inference from many threads.
///
/// # Examples
/// A residual block written by a user, with its own skip connection:
/// ```
/// use youshi_autograd::{Graph, Var};
/// use youshi_layers::{Linear, Module, ModuleExt, Result};
/// use youshi_tensor::{seeded_rng, Tensor};
///
/// struct Residual {
///     inner: Linear,
/// }
///
/// impl Module for Residual {
///     fn kind(&self) -> &'static str {
///         "Residual"
///     }
///     fn forward(&self, x: &Var) -> Result<Var> {
///         let y = self.inner.forward(x).map_err(|e| e.within("inner"))?;
///         Ok(y.relu()?.add(x)?)
///     }
///     fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Module)) {
///         f("inner", &self.inner);
///     }
/// }
///
/// let block = Residual { inner: Linear::new(4, 4, &mut seeded_rng(0))? };
/// let names: Vec<String> = block.named_params().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["inner.weight", "inner.bias"]);
/// let g = Graph::no_grad();
/// let y = block.forward(&g.constant(Tensor::ones([2, 4])))?;
/// assert_eq!(y.shape(), &[2, 4]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub trait Module<T: Element = f32>: Send + Sync {
    /// The module's type, as shown in summaries and errors (`"Conv2d"`).
    fn kind(&self) -> &'static str;

    /// Applies the module to `x`, recording on `x`'s graph.
    ///
    /// # Errors
    /// [`LayerError::Input`](crate::LayerError::Input) for an input of the wrong shape, naming
    /// the module and both shapes; errors of the operations inside.
    fn forward(&self, x: &Var<T>) -> Result<Var<T>>;

    /// Calls `f` on each parameter and buffer this module holds directly, with its local name.
    fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
        let _ = f;
    }

    /// Calls `f` on each direct sub-module with its local name.
    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Module<T>)) {
        let _ = f;
    }

    /// Calls `f` on each random generator this module holds directly (dropout masks), with its
    /// local name, so that a checkpoint can save and restore the generators' states and a
    /// resumed run draws the same masks as an uninterrupted one.
    fn visit_rngs_own(&self, f: &mut dyn FnMut(&str, &Mutex<TensorRng>)) {
        let _ = f;
    }

    /// Sets this module's own training flag (modules without train/eval behaviour ignore it).
    /// Use [`train`](ModuleExt::train) / [`eval`](ModuleExt::eval), which reach every sub-module.
    fn set_training_own(&self, training: bool) {
        let _ = training;
    }
}

/// What every [`Module`] can do, provided from its visits: names, counts, modes, freezing.
///
/// Implemented for every module (and `dyn Module`); bring it into scope with
/// `use youshi_layers::ModuleExt` (or the prelude).
pub trait ModuleExt<T: Element>: Module<T> {
    /// Training mode for this module and all sub-modules (dropout active, batch norm uses and
    /// updates batch statistics), like `model.train()`.
    fn train(&self) {
        set_training(self, true);
    }

    /// Evaluation mode for this module and all sub-modules, like `model.eval()`.
    fn eval(&self) {
        set_training(self, false);
    }

    /// Every parameter with its dotted name, in definition order (PyTorch's
    /// `named_parameters`).
    fn named_params(&self) -> Vec<(String, Param<T>)> {
        let mut out = Vec::new();
        walk(self, "", &mut |name, slot| {
            if let Slot::Param(p) = slot {
                out.push((name.to_string(), p.clone()));
            }
        });
        out
    }

    /// Every buffer with its dotted name (PyTorch's `named_buffers`).
    fn named_buffers(&self) -> Vec<(String, Buffer<T>)> {
        let mut out = Vec::new();
        walk(self, "", &mut |name, slot| {
            if let Slot::Buffer(b) = slot {
                out.push((name.to_string(), b.clone()));
            }
        });
        out
    }

    /// All parameters, in definition order.
    fn params(&self) -> Vec<Param<T>> {
        self.named_params().into_iter().map(|(_, p)| p).collect()
    }

    /// Number of trainable and of frozen parameter elements.
    fn param_counts(&self) -> (usize, usize) {
        let mut counts = (0, 0);
        for (_, p) in self.named_params() {
            if p.requires_grad() {
                counts.0 += p.numel();
            } else {
                counts.1 += p.numel();
            }
        }
        counts
    }

    /// Freezes every parameter (no gradient), like `requires_grad_(False)` on all of them.
    fn freeze(&self) {
        for p in self.params() {
            p.set_requires_grad(false);
        }
    }

    /// Makes every parameter trainable again.
    fn unfreeze(&self) {
        for p in self.params() {
            p.set_requires_grad(true);
        }
    }

    /// Clears every parameter's gradient.
    fn zero_grad(&self) {
        for p in self.params() {
            p.zero_grad();
        }
    }

    /// Calls `f` on every random generator in the tree (dropout layers) with its dotted name
    /// (`"3.rng"`), in definition order.
    fn visit_rngs(&self, f: &mut dyn FnMut(&str, &Mutex<TensorRng>)) {
        walk_rngs(self, "", f);
    }
}

fn walk_rngs<T: Element, M: Module<T> + ?Sized>(
    m: &M,
    prefix: &str,
    f: &mut dyn FnMut(&str, &Mutex<TensorRng>),
) {
    m.visit_rngs_own(&mut |name, rng| f(&join(prefix, name), rng));
    m.visit_children(&mut |name, child| walk_rngs(child, &join(prefix, name), f));
}

impl<T: Element, M: Module<T> + ?Sized> ModuleExt<T> for M {}

/// Walks a module tree, calling `f` with the dotted name of every parameter and buffer.
pub fn walk<T: Element, M: Module<T> + ?Sized>(
    m: &M,
    prefix: &str,
    f: &mut dyn FnMut(&str, Slot<'_, T>),
) {
    m.visit_own(&mut |name, slot| f(&join(prefix, name), slot));
    m.visit_children(&mut |name, child| walk(child, &join(prefix, name), f));
}

/// Walks a module tree, calling `f` with the dotted path of every module, parents first (the
/// root has the path `""`).
pub fn walk_modules<T: Element>(
    m: &dyn Module<T>,
    prefix: &str,
    f: &mut dyn FnMut(&str, &dyn Module<T>),
) {
    f(prefix, m);
    m.visit_children(&mut |name, child| walk_modules(child, &join(prefix, name), f));
}

fn set_training<T: Element, M: Module<T> + ?Sized>(m: &M, training: bool) {
    m.set_training_own(training);
    m.visit_children(&mut |_, child| set_training(child, training));
}

/// `prefix.name`, or `name` at the root.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A module's training flag, shared safely between threads.
#[derive(Debug)]
pub struct Mode(AtomicBool);

impl Mode {
    /// A flag in training mode (PyTorch modules start in training mode).
    pub fn new() -> Self {
        Mode(AtomicBool::new(true))
    }

    /// True in training mode.
    pub fn training(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Sets the mode.
    pub fn set(&self, training: bool) {
        self.0.store(training, Ordering::Relaxed);
    }
}

impl Default for Mode {
    fn default() -> Self {
        Mode::new()
    }
}

impl Clone for Mode {
    fn clone(&self) -> Self {
        Mode(AtomicBool::new(self.training()))
    }
}
