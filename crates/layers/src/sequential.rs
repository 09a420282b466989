//! [`Sequential`]: modules applied one after another.

use youshi_autograd::Var;
use youshi_tensor::Element;

use crate::error::Result;
use crate::module::Module;

/// A chain of modules, named `"0"`, `"1"`, ... as in PyTorch's `nn.Sequential`, so its
/// parameters are `0.weight`, `2.bias`, ...
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_layers::{Linear, Module, ModuleExt, Relu, Sequential};
/// use youshi_tensor::{seeded_rng, Tensor};
/// let mut rng = seeded_rng(0);
/// let mlp: Sequential = Sequential::new()
///     .add(Linear::new(4, 8, &mut rng)?)
///     .add(Relu)
///     .add(Linear::new(8, 2, &mut rng)?);
/// assert_eq!(mlp.param_counts().0, 4 * 8 + 8 + 8 * 2 + 2);
/// let y = mlp.forward(&Graph::no_grad().constant(Tensor::ones([3, 4])))?;
/// assert_eq!(y.shape(), &[3, 2]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
#[derive(Default)]
pub struct Sequential<T: Element = f32> {
    layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Element> Sequential<T> {
    /// An empty chain (the identity).
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a module (builder style, Keras's `model.add`).
    #[allow(clippy::should_implement_trait)] // Keras's name; no `+` is meant.
    pub fn add(mut self, m: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(m));
        self
    }

    /// Appends a boxed module.
    pub fn push(&mut self, m: Box<dyn Module<T>>) {
        self.layers.push(m);
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True if there are no modules.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The module at `index`.
    pub fn get(&self, index: usize) -> Option<&dyn Module<T>> {
        self.layers.get(index).map(|b| b.as_ref())
    }
}

impl<T: Element> Module<T> for Sequential<T> {
    fn kind(&self) -> &'static str {
        "Sequential"
    }

    fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h).map_err(|e| e.within(&i.to_string()))?;
        }
        Ok(h)
    }

    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Module<T>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            f(&i.to_string(), layer.as_ref());
        }
    }
}
