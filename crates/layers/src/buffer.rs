//! [`Buffer`]: a non-trainable tensor a module keeps as state (batch norm's running mean).

use std::sync::{Arc, RwLock};

use youshi_tensor::{Element, Tensor};

use crate::error::{LayerError, Result};

/// Module state that is saved and loaded with the parameters but never trained, like
/// PyTorch's registered buffers (`bn1.running_mean`). A shared handle: clones share the value.
#[derive(Debug, Clone)]
pub struct Buffer<T: Element = f32> {
    value: Arc<RwLock<Tensor<T>>>,
}

impl<T: Element> Buffer<T> {
    /// A buffer holding `value`.
    pub fn new(value: Tensor<T>) -> Self {
        Buffer {
            value: Arc::new(RwLock::new(value)),
        }
    }

    /// The current value (a cheap shared reference).
    pub fn value(&self) -> Tensor<T> {
        self.value.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The value's shape.
    pub fn shape(&self) -> Vec<usize> {
        self.value
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .shape()
            .to_vec()
    }

    /// Replaces the value.
    ///
    /// # Errors
    /// [`LayerError::Config`] if the shape differs.
    pub fn set(&self, value: Tensor<T>) -> Result<()> {
        let mut v = self.value.write().unwrap_or_else(|e| e.into_inner());
        if v.shape() != value.shape() {
            return Err(LayerError::config(
                "Buffer",
                format!(
                    "cannot replace a buffer of shape {} by one of shape {}",
                    v.shape_obj(),
                    value.shape_obj()
                ),
            ));
        }
        *v = value;
        Ok(())
    }
}
