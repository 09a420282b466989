//! Options of the convolutions and their output-size arithmetic.

use crate::error::{Result, TensorError};

/// Options of a 2-d convolution ([`Tensor::conv2d`](crate::Tensor::conv2d) and its backward
/// functions), with the meaning of `torch.nn.functional.conv2d`'s arguments.
///
/// Pairs are `[vertical, horizontal]`. `Conv2dOptions::default()` (or [`new`](Self::new)) is
/// stride 1, padding 0, dilation 1, groups 1; the builder methods change one option each.
///
/// # Examples
/// ```
/// use youshi_tensor::ops::conv::Conv2dOptions;
/// let opts = Conv2dOptions::new().stride(2).padding(1);
/// assert_eq!(opts.stride, [2, 2]);
/// // A 3x3 kernel over a 28x28 image: (28 + 2 - 3) / 2 + 1 = 14.
/// assert_eq!(opts.output_size([28, 28], [3, 3])?, [14, 14]);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// Step between two applications of the kernel, `[sh, sw]` (at least 1).
    pub stride: [usize; 2],
    /// Zeros added on both sides of each spatial dimension, `[ph, pw]`.
    pub padding: [usize; 2],
    /// Spacing between kernel taps, `[dh, dw]` (at least 1; 1 is a dense kernel).
    pub dilation: [usize; 2],
    /// Channel groups: input and output channels are split into `groups` blocks and block `g`
    /// of the output only sees block `g` of the input (at least 1; must divide both counts).
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

impl Conv2dOptions {
    /// Stride 1, padding 0, dilation 1, groups 1 (the same as `default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the same stride on both spatial dimensions.
    #[must_use]
    pub fn stride(self, s: usize) -> Self {
        self.stride2([s, s])
    }

    /// Sets the stride `[sh, sw]`.
    #[must_use]
    pub fn stride2(mut self, s: [usize; 2]) -> Self {
        self.stride = s;
        self
    }

    /// Sets the same zero padding on both spatial dimensions.
    #[must_use]
    pub fn padding(self, p: usize) -> Self {
        self.padding2([p, p])
    }

    /// Sets the zero padding `[ph, pw]`.
    #[must_use]
    pub fn padding2(mut self, p: [usize; 2]) -> Self {
        self.padding = p;
        self
    }

    /// Sets the same dilation on both spatial dimensions.
    #[must_use]
    pub fn dilation(self, d: usize) -> Self {
        self.dilation2([d, d])
    }

    /// Sets the dilation `[dh, dw]`.
    #[must_use]
    pub fn dilation2(mut self, d: [usize; 2]) -> Self {
        self.dilation = d;
        self
    }

    /// Sets the number of channel groups.
    #[must_use]
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// The output size `[oh, ow]` of a convolution of an `input_hw` image by a `kernel_hw`
    /// kernel, as PyTorch: `oh = (h + 2 ph - dh (kh - 1) - 1) / sh + 1`, rounded down.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if a stride, dilation or kernel size is zero, or if the
    /// dilated kernel is larger than the padded input (the output would be empty).
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv2dOptions;
    /// let opts = Conv2dOptions::new().dilation(2);
    /// assert_eq!(opts.output_size([7, 9], [3, 3])?, [3, 5]);
    /// assert!(opts.output_size([4, 4], [3, 3]).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn output_size(&self, input_hw: [usize; 2], kernel_hw: [usize; 2]) -> Result<[usize; 2]> {
        const OP: &str = "conv2d";
        check_steps(OP, 2, self.stride, self.dilation, "")?;
        check_kernel(OP, 2, kernel_hw, "")?;
        conv_out_size(OP, 2, input_hw, kernel_hw, self, "")
    }
}

/// Options of a 1-d convolution ([`Tensor::conv1d`](crate::Tensor::conv1d) and its backward
/// functions), with the meaning of `torch.nn.functional.conv1d`'s arguments.
///
/// `Conv1dOptions::default()` (or [`new`](Self::new)) is stride 1, padding 0, dilation 1,
/// groups 1.
///
/// # Examples
/// ```
/// use youshi_tensor::ops::conv::Conv1dOptions;
/// let opts = Conv1dOptions::new().stride(2).padding(2);
/// assert_eq!(opts.output_size(10, 5)?, 5);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Step between two applications of the kernel (at least 1).
    pub stride: usize,
    /// Zeros added on both ends.
    pub padding: usize,
    /// Spacing between kernel taps (at least 1).
    pub dilation: usize,
    /// Channel groups (at least 1; must divide the input and output channel counts).
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions {
            stride: 1,
            padding: 0,
            dilation: 1,
            groups: 1,
        }
    }
}

impl Conv1dOptions {
    /// Stride 1, padding 0, dilation 1, groups 1 (the same as `default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the stride.
    #[must_use]
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = s;
        self
    }

    /// Sets the zero padding.
    #[must_use]
    pub fn padding(mut self, p: usize) -> Self {
        self.padding = p;
        self
    }

    /// Sets the dilation.
    #[must_use]
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = d;
        self
    }

    /// Sets the number of channel groups.
    #[must_use]
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// The output length of a convolution of an `input_len` signal by a `kernel_len` kernel,
    /// as PyTorch: `(l + 2 p - d (k - 1) - 1) / s + 1`, rounded down.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if the stride, dilation or kernel length is zero, or if
    /// the dilated kernel is longer than the padded input.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::Conv1dOptions;
    /// // A dilated kernel of 3 taps spans 5 positions.
    /// assert_eq!(Conv1dOptions::new().dilation(2).output_size(9, 3)?, 5);
    /// assert!(Conv1dOptions::new().dilation(2).output_size(4, 3).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn output_size(&self, input_len: usize, kernel_len: usize) -> Result<usize> {
        const OP: &str = "conv1d";
        let o = self.to_2d();
        check_steps(OP, 1, o.stride, o.dilation, "")?;
        check_kernel(OP, 1, [1, kernel_len], "")?;
        Ok(conv_out_size(OP, 1, [1, input_len], [1, kernel_len], &o, "")?[1])
    }

    /// The equivalent 2-d options over `[1, L]` images.
    pub(crate) fn to_2d(self) -> Conv2dOptions {
        Conv2dOptions {
            stride: [1, self.stride],
            padding: [0, self.padding],
            dilation: [1, self.dilation],
            groups: self.groups,
        }
    }
}

/// Options of a 2-d transposed convolution
/// ([`Tensor::conv_transpose2d`](crate::Tensor::conv_transpose2d) and its backward functions),
/// with the meaning of `torch.nn.functional.conv_transpose2d`'s arguments.
///
/// `stride`, `padding`, `dilation` and `groups` are those of the convolution this one
/// transposes; `output_padding` adds rows and columns at the bottom and right of the output
/// (to pick one of the input sizes a strided convolution maps to the same output size), and
/// must be smaller than the stride or the dilation, as in PyTorch. The default is stride 1,
/// padding 0, output padding 0, dilation 1, groups 1.
///
/// # Examples
/// ```
/// use youshi_tensor::ops::conv::ConvTranspose2dOptions;
/// let opts = ConvTranspose2dOptions::new().stride(2).padding(1).output_padding(1);
/// // (7 - 1) * 2 - 2 + (3 - 1) + 1 + 1 = 14: undoes a stride-2, padding-1 3x3 convolution
/// // of a 14x14 image (which gives 7x7).
/// assert_eq!(opts.output_size([7, 7], [3, 3])?, [14, 14]);
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    /// Stride of the transposed convolution, `[sh, sw]` (at least 1).
    pub stride: [usize; 2],
    /// Padding of the transposed convolution (removed from the output), `[ph, pw]`.
    pub padding: [usize; 2],
    /// Extra output rows and columns, `[oph, opw]`; each below its stride or dilation.
    pub output_padding: [usize; 2],
    /// Dilation, `[dh, dw]` (at least 1).
    pub dilation: [usize; 2],
    /// Channel groups (at least 1; must divide the input and output channel counts).
    pub groups: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> Self {
        ConvTranspose2dOptions {
            stride: [1, 1],
            padding: [0, 0],
            output_padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
        }
    }
}

impl ConvTranspose2dOptions {
    /// Stride 1, padding 0, output padding 0, dilation 1, groups 1 (the same as `default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the same stride on both spatial dimensions.
    #[must_use]
    pub fn stride(self, s: usize) -> Self {
        self.stride2([s, s])
    }

    /// Sets the stride `[sh, sw]`.
    #[must_use]
    pub fn stride2(mut self, s: [usize; 2]) -> Self {
        self.stride = s;
        self
    }

    /// Sets the same padding on both spatial dimensions.
    #[must_use]
    pub fn padding(self, p: usize) -> Self {
        self.padding2([p, p])
    }

    /// Sets the padding `[ph, pw]`.
    #[must_use]
    pub fn padding2(mut self, p: [usize; 2]) -> Self {
        self.padding = p;
        self
    }

    /// Sets the same output padding on both spatial dimensions.
    #[must_use]
    pub fn output_padding(self, p: usize) -> Self {
        self.output_padding2([p, p])
    }

    /// Sets the output padding `[oph, opw]`.
    #[must_use]
    pub fn output_padding2(mut self, p: [usize; 2]) -> Self {
        self.output_padding = p;
        self
    }

    /// Sets the same dilation on both spatial dimensions.
    #[must_use]
    pub fn dilation(self, d: usize) -> Self {
        self.dilation2([d, d])
    }

    /// Sets the dilation `[dh, dw]`.
    #[must_use]
    pub fn dilation2(mut self, d: [usize; 2]) -> Self {
        self.dilation = d;
        self
    }

    /// Sets the number of channel groups.
    #[must_use]
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// The output size `[oh, ow]` of a transposed convolution of an `input_hw` image by a
    /// `kernel_hw` kernel, as PyTorch:
    /// `oh = (h - 1) sh - 2 ph + dh (kh - 1) + oph + 1`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if a stride, dilation or kernel size is zero, if the
    /// output padding is not below the stride or the dilation, or if the output would be
    /// empty.
    ///
    /// # Examples
    /// ```
    /// use youshi_tensor::ops::conv::ConvTranspose2dOptions;
    /// let opts = ConvTranspose2dOptions::new().stride(2);
    /// assert_eq!(opts.output_size([4, 5], [2, 3])?, [8, 11]);
    /// // Output padding must stay below the stride (or the dilation).
    /// assert!(opts.output_padding(2).output_size([4, 5], [2, 3]).is_err());
    /// # Ok::<(), youshi_tensor::TensorError>(())
    /// ```
    pub fn output_size(&self, input_hw: [usize; 2], kernel_hw: [usize; 2]) -> Result<[usize; 2]> {
        const OP: &str = "conv_transpose2d";
        check_transposed(OP, self, "")?;
        check_kernel(OP, 2, kernel_hw, "")?;
        transposed_out_size(OP, input_hw, kernel_hw, self, "")
    }

    /// The options of the convolution this one transposes (without `output_padding`).
    pub(crate) fn conv(&self) -> Conv2dOptions {
        Conv2dOptions {
            stride: self.stride,
            padding: self.padding,
            dilation: self.dilation,
            groups: self.groups,
        }
    }
}

/// Formats a pair as `[a, b]` for 2-d operations, or its second value for 1-d ones (whose
/// first spatial dimension is a dummy of size 1).
pub(super) fn pair<V: std::fmt::Display>(sd: usize, v: [V; 2]) -> String {
    if sd == 1 {
        format!("{}", v[1])
    } else {
        format!("[{}, {}]", v[0], v[1])
    }
}

/// Rejects a zero stride or dilation.
pub(super) fn check_steps(
    op: &'static str,
    sd: usize,
    stride: [usize; 2],
    dilation: [usize; 2],
    ctx: &str,
) -> Result<()> {
    if stride.contains(&0) {
        return Err(TensorError::invalid(
            op,
            format!("stride {} must be positive{ctx}", pair(sd, stride)),
        ));
    }
    if dilation.contains(&0) {
        return Err(TensorError::invalid(
            op,
            format!("dilation {} must be positive{ctx}", pair(sd, dilation)),
        ));
    }
    Ok(())
}

/// Rejects a zero stride, dilation or group count.
pub(super) fn check_conv(op: &'static str, sd: usize, o: &Conv2dOptions, ctx: &str) -> Result<()> {
    check_steps(op, sd, o.stride, o.dilation, ctx)?;
    if o.groups == 0 {
        return Err(TensorError::invalid(
            op,
            format!("groups must be positive, got 0{ctx}"),
        ));
    }
    Ok(())
}

/// [`check_conv`], and an output padding below the stride or the dilation (as PyTorch).
pub(super) fn check_transposed(
    op: &'static str,
    o: &ConvTranspose2dOptions,
    ctx: &str,
) -> Result<()> {
    check_conv(op, 2, &o.conv(), ctx)?;
    let ok = (0..2).all(|i| o.output_padding[i] < o.stride[i].max(o.dilation[i]));
    if !ok {
        return Err(TensorError::invalid(
            op,
            format!(
                "output_padding {} must be smaller than stride {} or dilation {}{ctx}",
                pair(2, o.output_padding),
                pair(2, o.stride),
                pair(2, o.dilation)
            ),
        ));
    }
    Ok(())
}

/// Rejects an empty kernel.
pub(super) fn check_kernel(op: &'static str, sd: usize, k: [usize; 2], ctx: &str) -> Result<()> {
    if k.contains(&0) {
        return Err(TensorError::invalid(
            op,
            format!("kernel size {} must be positive{ctx}", pair(sd, k)),
        ));
    }
    Ok(())
}

/// Output size of a convolution (options and kernel already checked to be non-zero).
pub(super) fn conv_out_size(
    op: &'static str,
    sd: usize,
    input: [usize; 2],
    kernel: [usize; 2],
    o: &Conv2dOptions,
    ctx: &str,
) -> Result<[usize; 2]> {
    let mut padded = [0; 2];
    let mut span = [0; 2];
    for i in 0..2 {
        let p = o.padding[i]
            .checked_mul(2)
            .and_then(|p| p.checked_add(input[i]));
        let s = o.dilation[i]
            .checked_mul(kernel[i] - 1)
            .and_then(|s| s.checked_add(1));
        match (p, s) {
            (Some(p), Some(s)) => (padded[i], span[i]) = (p, s),
            _ => {
                return Err(TensorError::invalid(
                    op,
                    format!(
                        "input size {}, padding {}, kernel {} and dilation {} overflow{ctx}",
                        pair(sd, input),
                        pair(sd, o.padding),
                        pair(sd, kernel),
                        pair(sd, o.dilation)
                    ),
                ))
            }
        }
    }
    if padded[0] < span[0] || padded[1] < span[1] {
        return Err(TensorError::invalid(
            op,
            format!(
                "kernel {} with dilation {} spans {}, more than the input size {} with padding {}{ctx}",
                pair(sd, kernel),
                pair(sd, o.dilation),
                pair(sd, span),
                pair(sd, input),
                pair(sd, o.padding)
            ),
        ));
    }
    Ok([
        (padded[0] - span[0]) / o.stride[0] + 1,
        (padded[1] - span[1]) / o.stride[1] + 1,
    ])
}

/// Output size of a transposed convolution (options and kernel already checked).
pub(super) fn transposed_out_size(
    op: &'static str,
    input: [usize; 2],
    kernel: [usize; 2],
    o: &ConvTranspose2dOptions,
    ctx: &str,
) -> Result<[usize; 2]> {
    let mut out = [0i128; 2];
    let mut overflow = false;
    for i in 0..2 {
        let v = (input[i] as i128 - 1)
            .checked_mul(o.stride[i] as i128)
            .and_then(|v| v.checked_sub(2 * o.padding[i] as i128))
            .and_then(|v| {
                v.checked_add((o.dilation[i] as i128).checked_mul(kernel[i] as i128 - 1)?)
            })
            .and_then(|v| v.checked_add(o.output_padding[i] as i128 + 1));
        match v {
            Some(v) if v <= usize::MAX as i128 => out[i] = v,
            _ => overflow = true,
        }
    }
    if overflow {
        return Err(TensorError::invalid(
            op,
            format!(
                "input size {} with kernel {}, stride {} and dilation {} overflow{ctx}",
                pair(2, input),
                pair(2, kernel),
                pair(2, o.stride),
                pair(2, o.dilation)
            ),
        ));
    }
    if out[0] <= 0 || out[1] <= 0 {
        return Err(TensorError::invalid(
            op,
            format!(
                "input size {} with kernel {}, stride {}, padding {}, dilation {} and \
                 output_padding {} gives output size {}, which is not positive{ctx}",
                pair(2, input),
                pair(2, kernel),
                pair(2, o.stride),
                pair(2, o.padding),
                pair(2, o.dilation),
                pair(2, o.output_padding),
                pair(2, out)
            ),
        ));
    }
    Ok([out[0] as usize, out[1] as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_each_option() {
        let o = Conv2dOptions::new()
            .stride2([1, 2])
            .padding2([3, 4])
            .dilation2([5, 6])
            .groups(7);
        assert_eq!(
            o,
            Conv2dOptions {
                stride: [1, 2],
                padding: [3, 4],
                dilation: [5, 6],
                groups: 7
            }
        );
        assert_eq!(Conv2dOptions::new().dilation(2).dilation, [2, 2]);
        let t = ConvTranspose2dOptions::new()
            .stride(2)
            .padding(1)
            .output_padding2([1, 0])
            .dilation(3)
            .groups(2);
        assert_eq!(t.output_padding, [1, 0]);
        assert_eq!(
            t.conv(),
            Conv2dOptions::new()
                .stride(2)
                .padding(1)
                .dilation(3)
                .groups(2)
        );
        let c = Conv1dOptions::new()
            .stride(2)
            .padding(1)
            .dilation(3)
            .groups(4);
        assert_eq!(
            c.to_2d(),
            Conv2dOptions::new()
                .stride2([1, 2])
                .padding2([0, 1])
                .dilation2([1, 3])
                .groups(4)
        );
    }

    #[test]
    fn conv_output_sizes_follow_pytorch() {
        let o = Conv2dOptions::new().padding(1);
        assert_eq!(o.output_size([28, 28], [3, 3]).unwrap(), [28, 28]);
        let o = Conv2dOptions::new().stride2([2, 3]).padding2([0, 1]);
        // (5 - 2) / 2 + 1 = 2 and (7 + 2 - 2) / 3 + 1 = 3.
        assert_eq!(o.output_size([5, 7], [2, 2]).unwrap(), [2, 3]);
        assert_eq!(
            Conv1dOptions::new().dilation(2).output_size(5, 3).unwrap(),
            1
        );
    }

    #[test]
    fn conv_output_size_errors() {
        let e = Conv2dOptions::new()
            .output_size([4, 4], [5, 3])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "conv2d: kernel [5, 3] with dilation [1, 1] spans [5, 3], more than the input size \
             [4, 4] with padding [0, 0]"
        );
        let e = Conv2dOptions::new()
            .stride2([0, 1])
            .output_size([4, 4], [1, 1])
            .unwrap_err();
        assert_eq!(e.to_string(), "conv2d: stride [0, 1] must be positive");
        let e = Conv2dOptions::new()
            .dilation(0)
            .output_size([4, 4], [1, 1])
            .unwrap_err();
        assert_eq!(e.to_string(), "conv2d: dilation [0, 0] must be positive");
        let e = Conv2dOptions::new()
            .output_size([4, 4], [0, 1])
            .unwrap_err();
        assert_eq!(e.to_string(), "conv2d: kernel size [0, 1] must be positive");
        let e = Conv2dOptions::new()
            .padding(usize::MAX / 2 + 1)
            .output_size([4, 4], [1, 1])
            .unwrap_err();
        assert!(e.to_string().contains("overflow"), "{e}");
        let e = Conv1dOptions::new().output_size(2, 3).unwrap_err();
        assert_eq!(
            e.to_string(),
            "conv1d: kernel 3 with dilation 1 spans 3, more than the input size 2 with padding 0"
        );
        let e = Conv1dOptions::new()
            .stride(0)
            .output_size(2, 1)
            .unwrap_err();
        assert_eq!(e.to_string(), "conv1d: stride 0 must be positive");
    }

    #[test]
    fn transposed_output_sizes_and_errors() {
        let o = ConvTranspose2dOptions::new().stride(2);
        assert_eq!(o.output_size([3, 4], [3, 1]).unwrap(), [7, 7]);
        // Output padding may reach the dilation when it exceeds the stride.
        let o = ConvTranspose2dOptions::new().dilation(3).output_padding(2);
        assert_eq!(o.output_size([2, 2], [2, 2]).unwrap(), [7, 7]);
        let e = ConvTranspose2dOptions::new()
            .output_padding(1)
            .output_size([2, 2], [2, 2])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "conv_transpose2d: output_padding [1, 1] must be smaller than stride [1, 1] or \
             dilation [1, 1]"
        );
        let e = ConvTranspose2dOptions::new()
            .padding(2)
            .output_size([1, 3], [1, 1])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "conv_transpose2d: input size [1, 3] with kernel [1, 1], stride [1, 1], padding \
             [2, 2], dilation [1, 1] and output_padding [0, 0] gives output size [-3, -1], \
             which is not positive"
        );
        let e = ConvTranspose2dOptions::new()
            .groups(0)
            .output_size([1, 3], [1, 1])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "conv_transpose2d: groups must be positive, got 0"
        );
        let e = ConvTranspose2dOptions::new()
            .stride(usize::MAX)
            .output_size([usize::MAX, 3], [1, 1])
            .unwrap_err();
        assert!(e.to_string().contains("overflow"), "{e}");
    }
}
