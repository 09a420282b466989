//! Differentiable convolutions: `conv2d`, `conv1d` and `conv_transpose2d`.
//!
//! A convolution is linear in its input and, separately, in its weight, so each gradient is
//! the adjoint of one of those linear maps applied to the output gradient `G = dL/dY`. All
//! three are computed by the tensor crate's gradient kernels (im2col + GEMM), never by loops
//! here, and each only when that operand needs a gradient.
//!
//! **`conv2d`** (cross-correlation, PyTorch layouts; `Cg = C_in / groups`, `g` the group of
//! output channel `o`):
//!
//! `Y[n, o, i, j] = b[o] + Σ_{c, ki, kj} W[o, c, ki, kj] X[n, g Cg + c, i sh + ki dh - ph,
//! j sw + kj dw - pw]` (zeros outside `X`).
//!
//! - `dL/dX[n, g Cg + c, p, q] = Σ W[o, c, ki, kj] G[n, o, i, j]` over the output channels
//!   `o` of group `g` and the `(i, j, ki, kj)` with `i sh + ki dh - ph = p` and
//!   `j sw + kj dw - pw = q`: the transposed convolution of `G` by `W` with the same options,
//!   [`Tensor::conv2d_backward_input`]. With a stride above 1 several input sizes give the
//!   same output size, so the forward's input size is kept for it; input rows and columns
//!   that no window reaches get zero.
//! - `dL/dW[o, c, ki, kj] = Σ_{n, i, j} G[n, o, i, j] X[n, g Cg + c, i sh + ki dh - ph,
//!   j sw + kj dw - pw]`: the correlation of `X` with `G`, [`Tensor::conv2d_backward_weight`].
//! - `dL/db[o] = Σ_{n, i, j} G[n, o, i, j]`: [`Tensor::conv2d_backward_bias`].
//!
//! **`conv1d`** is `conv2d` with height 1: the same three formulas without `i`, `ki`,
//! through [`Tensor::conv1d_backward_input`], [`Tensor::conv1d_backward_weight`] and
//! [`Tensor::conv1d_backward_bias`].
//!
//! **`conv_transpose2d`** is the adjoint of `conv2d`: writing `A_W` for the linear map
//! `X ↦ conv2d(X, W)` with the same options, `Y = A_Wᵀ X + b`. Hence `dL/dX = A_W G`, the
//! `conv2d` of `G` by `W` ([`Tensor::conv_transpose2d_backward_input`]); `dL/dW` is the
//! `conv2d` weight gradient with the roles of input and output swapped
//! ([`Tensor::conv_transpose2d_backward_weight`]); and `dL/db[o] = Σ_{n, i, j} G[n, o, i, j]`
//! ([`Tensor::conv2d_backward_bias`]).
//!
//! The backward closures keep only what these need: the weight for the input gradient, the
//! input for the weight gradient (both cheap shared references), the sizes and the options.

use youshi_tensor::{
    Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Element, Result as TensorResult, Tensor,
};

use crate::error::Result;
use crate::graph::Var;

/// Records a convolution `value = conv(x, w) (+ b)` whose gradients are
/// `input_grad(G, w)`, `weight_grad(G, x)` and `bias_grad(G)`, each computed only when its
/// operand needs a gradient.
fn record_conv<T: Element>(
    op: &'static str,
    (x, w, b): (&Var<T>, &Var<T>, Option<&Var<T>>),
    value: Tensor<T>,
    input_grad: impl Fn(&Tensor<T>, &Tensor<T>) -> TensorResult<Tensor<T>> + Send + Sync + 'static,
    weight_grad: impl Fn(&Tensor<T>, &Tensor<T>) -> TensorResult<Tensor<T>> + Send + Sync + 'static,
    bias_grad: fn(&Tensor<T>) -> TensorResult<Tensor<T>>,
) -> Result<Var<T>> {
    // The input gradient reads the weight and the weight gradient reads the input: keep each
    // only if the other operand needs a gradient.
    let weight = x.requires_grad().then(|| w.value().clone());
    let input = w.requires_grad().then(|| x.value().clone());
    let need_b = b.is_some_and(Var::requires_grad);
    let mut parents = vec![x, w];
    parents.extend(b);
    let n_parents = parents.len();
    Var::record(op, &parents, value, move |g| {
        let mut grads = Vec::with_capacity(n_parents);
        grads.push(weight.as_ref().map(|w| input_grad(g, w)).transpose()?);
        grads.push(input.as_ref().map(|x| weight_grad(g, x)).transpose()?);
        if n_parents == 3 {
            grads.push(need_b.then(|| bias_grad(g)).transpose()?);
        }
        Ok(grads)
    })
}

impl<T: Element> Var<T> {
    /// [`Tensor::conv2d`], differentiable: the 2-d convolution (cross-correlation) of `self`
    /// by `weight`, plus an optional per-channel `bias`, like `torch.nn.functional.conv2d`.
    ///
    /// Gradients (see the [module docs](self)): the input's is the transposed convolution of
    /// the output gradient by `weight`, the weight's the correlation of the input with the
    /// output gradient, the bias's the output gradient summed over batch and space.
    ///
    /// # Shapes
    /// `self` `[N, C_in, H, W]`, `weight` `[C_out, C_in / groups, kH, kW]`, `bias` `[C_out]`;
    /// the result is `[N, C_out, oH, oW]` with `oH = (H + 2 ph - dh (kH - 1) - 1) / sh + 1`
    /// (see [`Conv2dOptions::output_size`]).
    ///
    /// # Errors
    /// As [`Tensor::conv2d`] (ranks, channel counts, groups, options, a kernel larger than the
    /// padded input), as [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming
    /// `conv2d`; [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch) if the
    /// operands live on different graphs.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Conv2dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec((1..=9).map(f64::from).collect(), [1, 1, 3, 3])?);
    /// let w = g.leaf(Tensor::ones([1, 1, 2, 2]));
    /// let b = g.leaf(Tensor::from_vec(vec![0.5], [1])?);
    /// let y = x.conv2d(&w, Some(&b), Conv2dOptions::new())?;
    /// assert_eq!(y.value().to_vec(), vec![12.5, 16.5, 24.5, 28.5]);
    /// y.backward_with(&Tensor::ones([1, 1, 2, 2]))?;
    /// // The centre of the input is read by all four windows.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
    /// // Each tap sums the 2x2 block of inputs it read.
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![12.0, 16.0, 24.0, 28.0]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![4.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn conv2d(
        &self,
        weight: &Var<T>,
        bias: Option<&Var<T>>,
        opts: Conv2dOptions,
    ) -> Result<Var<T>> {
        let value = self
            .value()
            .conv2d(weight.value(), bias.map(Var::value), opts)?;
        let (xs, ws) = (self.shape(), weight.shape());
        let input_hw = [xs[2], xs[3]];
        let kernel_hw = [ws[2], ws[3]];
        record_conv(
            "conv2d",
            (self, weight, bias),
            value,
            move |g, w| Tensor::conv2d_backward_input(g, w, input_hw, opts),
            move |g, x| Tensor::conv2d_backward_weight(g, x, kernel_hw, opts),
            Tensor::conv2d_backward_bias,
        )
    }

    /// [`Tensor::conv1d`], differentiable: the 1-d convolution of `self` by `weight`, plus an
    /// optional per-channel `bias`, like `torch.nn.functional.conv1d`.
    ///
    /// Gradients as [`conv2d`](Var::conv2d)'s with height 1 (see the [module docs](self)).
    ///
    /// # Shapes
    /// `self` `[N, C_in, L]`, `weight` `[C_out, C_in / groups, K]`, `bias` `[C_out]`; the
    /// result is `[N, C_out, oL]` with `oL = (L + 2 p - d (K - 1) - 1) / s + 1`.
    ///
    /// # Errors
    /// As [`Tensor::conv1d`], as [`AutogradError::Tensor`](crate::AutogradError::Tensor)
    /// naming `conv1d`; [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch)
    /// if the operands live on different graphs.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{Conv1dOptions, Tensor};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0], [1, 1, 3])?);
    /// let w = g.leaf(Tensor::from_vec(vec![1.0, -1.0], [1, 1, 2])?);
    /// let y = x.conv1d(&w, None, Conv1dOptions::new())?;
    /// assert_eq!(y.value().to_vec(), vec![-1.0, -1.0]);
    /// y.backward_with(&Tensor::from_vec(vec![1.0, 10.0], [1, 1, 2])?)?;
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 9.0, -10.0]);
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![21.0, 32.0]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn conv1d(
        &self,
        weight: &Var<T>,
        bias: Option<&Var<T>>,
        opts: Conv1dOptions,
    ) -> Result<Var<T>> {
        let value = self
            .value()
            .conv1d(weight.value(), bias.map(Var::value), opts)?;
        let input_len = self.shape()[2];
        let kernel_len = weight.shape()[2];
        record_conv(
            "conv1d",
            (self, weight, bias),
            value,
            move |g, w| Tensor::conv1d_backward_input(g, w, input_len, opts),
            move |g, x| Tensor::conv1d_backward_weight(g, x, kernel_len, opts),
            Tensor::conv1d_backward_bias,
        )
    }

    /// [`Tensor::conv_transpose2d`], differentiable: the 2-d transposed convolution (the
    /// adjoint of [`conv2d`](Var::conv2d)) of `self` by `weight`, plus an optional per-channel
    /// `bias`, like `torch.nn.functional.conv_transpose2d`.
    ///
    /// Gradients (see the [module docs](self)): the input's is the `conv2d` of the output
    /// gradient by `weight`, the weight's the `conv2d` weight gradient with input and output
    /// swapped, the bias's the output gradient summed over batch and space.
    ///
    /// # Shapes
    /// `self` `[N, C_in, H, W]`, `weight` `[C_in, C_out / groups, kH, kW]`, `bias` `[C_out]`;
    /// the result is `[N, C_out, oH, oW]` with `oH = (H - 1) sh - 2 ph + dh (kH - 1) + oph + 1`
    /// (see [`ConvTranspose2dOptions::output_size`]).
    ///
    /// # Errors
    /// As [`Tensor::conv_transpose2d`], as
    /// [`AutogradError::Tensor`](crate::AutogradError::Tensor) naming `conv_transpose2d`;
    /// [`AutogradError::GraphMismatch`](crate::AutogradError::GraphMismatch) if the operands
    /// live on different graphs.
    ///
    /// # Examples
    /// ```
    /// use youshi_autograd::Graph;
    /// use youshi_tensor::{ConvTranspose2dOptions, Tensor};
    ///
    /// // Stride 2 with a 2x2 kernel of ones: each input element becomes a 2x2 block.
    /// let g = Graph::<f64>::new();
    /// let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [1, 1, 2, 2])?);
    /// let w = g.leaf(Tensor::ones([1, 1, 2, 2]));
    /// let y = x.conv_transpose2d(&w, None, ConvTranspose2dOptions::new().stride(2))?;
    /// assert_eq!(y.shape(), &[1, 1, 4, 4]);
    /// let gy = Tensor::from_vec((0..16).map(f64::from).collect(), [1, 1, 4, 4])?;
    /// y.backward_with(&gy)?;
    /// // Each input element gathers the gradient of the block it was spread to.
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![10.0, 18.0, 42.0, 50.0]);
    /// assert_eq!(w.grad().unwrap().shape(), &[1, 1, 2, 2]);
    /// # Ok::<(), youshi_autograd::AutogradError>(())
    /// ```
    pub fn conv_transpose2d(
        &self,
        weight: &Var<T>,
        bias: Option<&Var<T>>,
        opts: ConvTranspose2dOptions,
    ) -> Result<Var<T>> {
        let value = self
            .value()
            .conv_transpose2d(weight.value(), bias.map(Var::value), opts)?;
        let (xs, ws) = (self.shape(), weight.shape());
        let input_hw = [xs[2], xs[3]];
        let kernel_hw = [ws[2], ws[3]];
        record_conv(
            "conv_transpose2d",
            (self, weight, bias),
            value,
            move |g, w| Tensor::conv_transpose2d_backward_input(g, w, input_hw, opts),
            move |g, x| Tensor::conv_transpose2d_backward_weight(g, x, kernel_hw, opts),
            // The bias gradient of every 2-d convolution: sums over batch and space.
            Tensor::conv2d_backward_bias,
        )
    }
}

#[cfg(test)]
mod tests {
    use youshi_tensor::{Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Tensor};
    use youshi_testkit::uniform_vec;

    use crate::{gradcheck, AutogradError, GradcheckOptions, Graph, Result, Var};

    fn t(shape: &[usize], seed: u64) -> Tensor<f64> {
        Tensor::from_vec(uniform_vec(shape.iter().product(), seed), shape).unwrap()
    }

    type Conv = fn(&Var<f64>, &Var<f64>, Option<&Var<f64>>) -> Result<Var<f64>>;

    fn conv2d(x: &Var<f64>, w: &Var<f64>, b: Option<&Var<f64>>) -> Result<Var<f64>> {
        let opts = Conv2dOptions::new()
            .stride2([2, 1])
            .padding(1)
            .dilation2([1, 2])
            .groups(2);
        x.conv2d(w, b, opts)
    }

    fn conv1d(x: &Var<f64>, w: &Var<f64>, b: Option<&Var<f64>>) -> Result<Var<f64>> {
        let opts = Conv1dOptions::new()
            .stride(2)
            .padding(1)
            .dilation(2)
            .groups(2);
        x.conv1d(w, b, opts)
    }

    fn conv_t(x: &Var<f64>, w: &Var<f64>, b: Option<&Var<f64>>) -> Result<Var<f64>> {
        let opts = ConvTranspose2dOptions::new()
            .stride(2)
            .padding(1)
            .output_padding2([1, 0])
            .groups(2);
        x.conv_transpose2d(w, b, opts)
    }

    /// A convolution's name, the function and its input, weight and bias.
    type Case = (&'static str, Conv, Tensor<f64>, Tensor<f64>, Tensor<f64>);

    /// Each convolution with groups 2.
    fn cases() -> Vec<Case> {
        vec![
            (
                "conv2d",
                conv2d,
                t(&[2, 4, 5, 6], 1),
                t(&[6, 2, 3, 2], 2),
                t(&[6], 3),
            ),
            (
                "conv1d",
                conv1d,
                t(&[2, 4, 7], 4),
                t(&[2, 2, 3], 5),
                t(&[2], 6),
            ),
            (
                "conv_transpose2d",
                conv_t,
                t(&[2, 4, 3, 3], 7),
                t(&[4, 3, 3, 2], 8),
                t(&[6], 9),
            ),
        ]
    }

    #[test]
    fn gradcheck_with_and_without_bias() {
        for (op, f, x, w, b) in cases() {
            gradcheck(
                |_g, v| f(&v[0], &v[1], Some(&v[2])),
                &[x.clone(), w.clone(), b],
                GradcheckOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{op} with bias: {e}"));
            gradcheck(
                |_g, v| f(&v[0], &v[1], None),
                &[x, w],
                GradcheckOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{op} without bias: {e}"));
        }
    }

    #[test]
    fn only_operands_that_require_a_gradient_get_one() {
        for (op, f, x, w, b) in cases() {
            let run = |mask: [bool; 3]| {
                let g = Graph::<f64>::new();
                let mk = |t: &Tensor<f64>, on: bool| {
                    if on {
                        g.leaf(t.clone())
                    } else {
                        g.constant(t.clone())
                    }
                };
                let vars = [mk(&x, mask[0]), mk(&w, mask[1]), mk(&b, mask[2])];
                let y = f(&vars[0], &vars[1], Some(&vars[2])).unwrap();
                let gy = t(y.shape(), 10);
                if mask.iter().any(|&m| m) {
                    y.backward_with(&gy).unwrap();
                } else {
                    assert!(!y.requires_grad());
                    assert_eq!(g.len(), 0, "{op}: constants record nothing");
                }
                vars.map(|v| v.grad().map(|g| g.to_vec()))
            };
            let full = run([true; 3]);
            for bits in 0..8u8 {
                let mask = [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0];
                let got = run(mask);
                for k in 0..3 {
                    let want = if mask[k] { full[k].clone() } else { None };
                    assert_eq!(got[k], want, "{op}, mask {mask:?}, operand {k}");
                }
            }
        }
    }

    #[test]
    fn conv2d_values_match_the_tensor_op() {
        let (x, w, b) = (t(&[1, 2, 4, 4], 11), t(&[3, 2, 2, 2], 12), t(&[3], 13));
        let opts = Conv2dOptions::new().padding(1);
        let g = Graph::<f64>::new();
        let y = g
            .leaf(x.clone())
            .conv2d(&g.leaf(w.clone()), Some(&g.leaf(b.clone())), opts)
            .unwrap();
        assert_eq!(y.value(), &x.conv2d(&w, Some(&b), opts).unwrap());
        assert_eq!(g.len(), 4);
    }

    #[test]
    fn shape_errors_name_the_op() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[1, 3, 4, 4], 14));
        let w = g.leaf(t(&[2, 2, 3, 3], 15));
        let e = x.conv2d(&w, None, Conv2dOptions::new()).unwrap_err();
        assert!(matches!(e, AutogradError::Tensor(_)));
        assert!(e.to_string().starts_with("conv2d: "), "{e}");
        let other = Graph::<f64>::new();
        let w = other.leaf(t(&[2, 3, 3, 3], 16));
        assert_eq!(
            x.conv2d(&w, None, Conv2dOptions::new()).unwrap_err(),
            AutogradError::GraphMismatch { op: "conv2d" }
        );
        assert_eq!(
            g.len(),
            2,
            "the two leaves; failed operations record nothing"
        );
    }
}
