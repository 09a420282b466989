//! Unit tests of the convolutions: hand-computed values and every error path.

use super::*;
use crate::error::TensorError;

fn t(shape: &[usize]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|v| (v % 5) as f64 - 2.0).collect(), shape).unwrap()
}

fn msg<V: std::fmt::Debug>(r: Result<V>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn grouped_strided_conv2d_known_values() {
    // Two groups of one channel; kernels [[1, 0], [0, -1]] and [[0.5, 0.5], [0.5, 0.5]];
    // stride 2, padding 1, biases 10 and 20.
    let x = Tensor::from_vec((1..=18).map(f64::from).collect(), [1, 2, 3, 3]).unwrap();
    let w = Tensor::from_vec(vec![1.0, 0.0, 0.0, -1.0, 0.5, 0.5, 0.5, 0.5], [2, 1, 2, 2]).unwrap();
    let b = Tensor::from_vec(vec![10.0, 20.0], [2]).unwrap();
    let opts = Conv2dOptions::new().stride(2).padding(1).groups(2);
    let y = x.conv2d(&w, Some(&b), opts).unwrap();
    assert_eq!(y.shape(), &[1, 2, 2, 2]);
    // Group 0, output (i, j) reads x0[2i - 1, 2j - 1] - x0[2i, 2j].
    // (0,0): 0 - 1; (0,1): 0 - 3; (1,0): 0 - 7; (1,1): 5 - 9.
    // Group 1, output (i, j) is half the sum of the 2x2 window of x1 at (2i - 1, 2j - 1):
    // (0,0): 10; (0,1): 11 + 12; (1,0): 13 + 16; (1,1): 14 + 15 + 17 + 18.
    assert_eq!(y.to_vec(), vec![9.0, 7.0, 3.0, 6.0, 25.0, 31.5, 34.5, 52.0]);
}

#[test]
fn dilated_conv1d_and_its_gradients_known_values() {
    // Kernel [1, 1] with dilation 2 adds x[i] and x[i + 2].
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0], [1, 1, 5]).unwrap();
    let w = Tensor::from_vec(vec![1.0, 1.0], [1, 1, 2]).unwrap();
    let opts = Conv1dOptions::new().dilation(2);
    assert_eq!(
        x.conv1d(&w, None, opts).unwrap().to_vec(),
        vec![4.0, 6.0, 8.0]
    );
    let gy = Tensor::from_vec(vec![1.0, 10.0, 100.0], [1, 1, 3]).unwrap();
    let gx = Tensor::conv1d_backward_input(&gy, &w, 5, opts).unwrap();
    assert_eq!(gx.to_vec(), vec![1.0, 10.0, 101.0, 10.0, 100.0]);
    let gw = Tensor::conv1d_backward_weight(&gy, &x, 2, opts).unwrap();
    assert_eq!(gw.to_vec(), vec![321.0, 543.0]);
    assert_eq!(
        Tensor::conv1d_backward_bias(&gy).unwrap().to_vec(),
        vec![111.0]
    );
}

#[test]
fn transposed_conv_with_output_padding_known_values() {
    // Stride 2, output padding 1: a 1x1 input gives a 2x2 output whose last row and column
    // only get the bias.
    let x = Tensor::from_vec(vec![3.0], [1, 1, 1, 1]).unwrap();
    let w = Tensor::from_vec(vec![2.0], [1, 1, 1, 1]).unwrap();
    let b = Tensor::from_vec(vec![0.5], [1]).unwrap();
    let opts = ConvTranspose2dOptions::new().stride(2).output_padding(1);
    let y = x.conv_transpose2d(&w, Some(&b), opts).unwrap();
    assert_eq!(y.to_vec(), vec![6.5, 0.5, 0.5, 0.5]);
    let gy = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [1, 1, 2, 2]).unwrap();
    let gx = Tensor::conv_transpose2d_backward_input(&gy, &w, [1, 1], opts).unwrap();
    assert_eq!(gx.to_vec(), vec![2.0]);
    let gw = Tensor::conv_transpose2d_backward_weight(&gy, &x, [1, 1], opts).unwrap();
    assert_eq!(gw.to_vec(), vec![3.0]);
}

#[test]
fn conv2d_shape_errors_name_both_shapes() {
    let o = Conv2dOptions::new();
    let w = t(&[32, 3, 3, 3]);
    assert_eq!(
        msg(t(&[3, 28, 28]).conv2d(&w, None, o)),
        "conv2d: expected input of rank 4 [N, C, H, W] for weight [32, 3, 3, 3], got shape \
         [3, 28, 28]"
    );
    assert_eq!(
        msg(t(&[2, 3, 5, 5]).conv2d(&t(&[32, 3, 3]), None, o)),
        "conv2d: expected weight of rank 4 [C_out, C_in / groups, kH, kW] for input \
         [2, 3, 5, 5], got shape [32, 3, 3]"
    );
    assert_eq!(
        msg(t(&[64, 1, 28, 28]).conv2d(&w, None, o)),
        "conv2d: weight [32, 3, 3, 3] expects 3 input channels, got input [64, 1, 28, 28]"
    );
    assert_eq!(
        msg(t(&[1, 4, 5, 5]).conv2d(&t(&[4, 1, 3, 3]), None, o.groups(2))),
        "conv2d: weight [4, 1, 3, 3] with groups 2 expects 2 input channels, got input \
         [1, 4, 5, 5]"
    );
    assert_eq!(
        msg(t(&[1, 3, 5, 5]).conv2d(&t(&[4, 1, 3, 3]), None, o.groups(2))),
        "conv2d: input [1, 3, 5, 5] has 3 channels, not divisible by groups 2 (weight \
         [4, 1, 3, 3])"
    );
    assert_eq!(
        msg(t(&[1, 4, 5, 5]).conv2d(&t(&[3, 2, 3, 3]), None, o.groups(2))),
        "conv2d: weight [3, 2, 3, 3] has 3 output channels, not divisible by groups 2 (input \
         [1, 4, 5, 5])"
    );
    assert_eq!(
        msg(t(&[1, 0, 5, 5]).conv2d(&t(&[4, 0, 3, 3]), None, o)),
        "conv2d: input [1, 0, 5, 5] has an empty channel or spatial dimension (weight \
         [4, 0, 3, 3])"
    );
    assert_eq!(
        msg(t(&[1, 1, 5, 5]).conv2d(&t(&[1, 1, 0, 3]), None, o)),
        "conv2d: weight [1, 1, 0, 3] has an empty dimension (input [1, 1, 5, 5])"
    );
    assert_eq!(
        msg(t(&[1, 1, 2, 2]).conv2d(&t(&[1, 1, 3, 3]), None, o)),
        "conv2d: kernel [3, 3] with dilation [1, 1] spans [3, 3], more than the input size \
         [2, 2] with padding [0, 0] (input [1, 1, 2, 2], weight [1, 1, 3, 3])"
    );
    assert_eq!(
        msg(t(&[1, 1, 5, 5]).conv2d(&t(&[1, 1, 3, 3]), None, o.dilation2([1, 3]))),
        "conv2d: kernel [3, 3] with dilation [1, 3] spans [3, 7], more than the input size \
         [5, 5] with padding [0, 0] (input [1, 1, 5, 5], weight [1, 1, 3, 3])"
    );
    let e = t(&[1, 1, 5, 5])
        .conv2d(&t(&[1, 1, 3, 3]), None, o.padding(usize::MAX / 2))
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("conv2d: input size [5, 5], padding"),
        "{e}"
    );
    assert!(e.to_string().contains("overflow"), "{e}");
}

#[test]
fn conv2d_option_and_bias_errors() {
    let (x, w) = (t(&[1, 2, 5, 5]), t(&[4, 2, 3, 3]));
    let ctx = "(input [1, 2, 5, 5], weight [4, 2, 3, 3])";
    let o = Conv2dOptions::new();
    assert_eq!(
        msg(x.conv2d(&w, None, o.stride2([0, 1]))),
        format!("conv2d: stride [0, 1] must be positive {ctx}")
    );
    assert_eq!(
        msg(x.conv2d(&w, None, o.dilation(0))),
        format!("conv2d: dilation [0, 0] must be positive {ctx}")
    );
    assert_eq!(
        msg(x.conv2d(&w, None, o.groups(0))),
        format!("conv2d: groups must be positive, got 0 {ctx}")
    );
    let e = x.conv2d(&w, Some(&t(&[5])), o).unwrap_err();
    assert!(matches!(e, TensorError::ShapeMismatch { .. }));
    assert_eq!(
        e.to_string(),
        format!("conv2d: shapes [5] and [4] do not match: bias needs one value per output channel {ctx}")
    );
    assert!(msg(x.conv2d(&w, Some(&t(&[1, 4])), o)).contains("shapes [1, 4] and [4]"));
}

#[test]
fn conv2d_backward_errors() {
    let o = Conv2dOptions::new();
    let (gy, w, x) = (t(&[2, 4, 3, 3]), t(&[4, 2, 3, 3]), t(&[2, 2, 5, 5]));
    let bi =
        |gy: &Tensor<f64>, w: &Tensor<f64>, hw, o| msg(Tensor::conv2d_backward_input(gy, w, hw, o));
    assert_eq!(
        bi(&t(&[4, 3, 3]), &w, [5, 5], o),
        "conv2d_backward_input: expected grad_out of rank 4 [N, C, H, W] for weight \
         [4, 2, 3, 3], got shape [4, 3, 3]"
    );
    assert!(bi(&gy, &t(&[4, 2, 3]), [5, 5], o).contains("expected weight of rank 4"));
    assert_eq!(
        bi(&gy, &w, [5, 5], o.stride(0)),
        "conv2d_backward_input: stride [0, 0] must be positive (grad_out [2, 4, 3, 3], weight \
         [4, 2, 3, 3])"
    );
    assert!(bi(&gy, &t(&[4, 0, 3, 3]), [5, 5], o).contains("weight [4, 0, 3, 3] has an empty"));
    assert_eq!(
        bi(&gy, &w, [0, 5], o),
        "conv2d_backward_input: input size [0, 5] must be positive (grad_out [2, 4, 3, 3], \
         weight [4, 2, 3, 3])"
    );
    assert_eq!(
        bi(&gy, &t(&[3, 2, 3, 3]), [5, 5], o),
        "conv2d_backward_input: weight [3, 2, 3, 3] has 3 output channels, got grad_out \
         [2, 4, 3, 3]"
    );
    assert!(bi(&gy, &t(&[3, 2, 3, 3]), [5, 5], o.groups(2)).contains("not divisible by groups 2"));
    assert_eq!(
        bi(&gy, &w, [7, 7], o),
        "conv2d_backward_input: input size [7, 7] with weight [4, 2, 3, 3] gives output size \
         [5, 5], but grad_out is [2, 4, 3, 3]"
    );
    assert!(bi(&gy, &w, [2, 2], o).contains("more than the input size [2, 2]"));

    let bw =
        |gy: &Tensor<f64>, x: &Tensor<f64>, k, o| msg(Tensor::conv2d_backward_weight(gy, x, k, o));
    assert_eq!(
        bw(&gy, &t(&[2, 5, 5]), [3, 3], o),
        "conv2d_backward_weight: expected input of rank 4 [N, C, H, W] for grad_out \
         [2, 4, 3, 3], got shape [2, 5, 5]"
    );
    assert!(bw(&t(&[2, 4, 3]), &x, [3, 3], o).contains("expected grad_out of rank 4"));
    assert!(bw(&gy, &x, [3, 3], o.groups(0)).contains("groups must be positive"));
    assert_eq!(
        bw(&gy, &t(&[3, 2, 5, 5]), [3, 3], o),
        "conv2d_backward_weight: shapes [2, 4, 3, 3] and [3, 2, 5, 5] do not match: grad_out \
         and input have different batch sizes"
    );
    assert!(bw(&gy, &t(&[2, 2, 5, 0]), [3, 3], o).contains("input [2, 2, 5, 0] has an empty"));
    assert!(bw(&t(&[2, 0, 3, 3]), &x, [3, 3], o).contains("grad_out [2, 0, 3, 3] has an empty"));
    assert_eq!(
        bw(&gy, &x, [3, 0], o),
        "conv2d_backward_weight: kernel size [3, 0] must be positive (grad_out [2, 4, 3, 3], \
         input [2, 2, 5, 5])"
    );
    assert_eq!(
        bw(&gy, &t(&[2, 3, 5, 5]), [3, 3], o.groups(2)),
        "conv2d_backward_weight: input [2, 3, 5, 5] has 3 channels, not divisible by groups 2 \
         (grad_out [2, 4, 3, 3])"
    );
    assert_eq!(
        bw(&t(&[2, 3, 3, 3]), &t(&[2, 4, 5, 5]), [3, 3], o.groups(2)),
        "conv2d_backward_weight: grad_out [2, 3, 3, 3] has 3 channels, not divisible by groups \
         2 (input [2, 4, 5, 5])"
    );
    assert_eq!(
        bw(&gy, &x, [2, 2], o),
        "conv2d_backward_weight: input [2, 2, 5, 5] with kernel size [2, 2] gives output size \
         [4, 4], but grad_out is [2, 4, 3, 3]"
    );
    assert!(bw(&gy, &x, [6, 6], o).contains("spans [6, 6], more than the input size [5, 5]"));

    assert_eq!(
        msg(Tensor::conv2d_backward_bias(&t(&[4, 3]))),
        "conv2d_backward_bias: expected grad_out of rank 4 [N, C, H, W], got shape [4, 3]"
    );
}

#[test]
fn conv1d_errors_show_one_dimensional_sizes() {
    let o = Conv1dOptions::new();
    let (x, w) = (t(&[2, 3, 7]), t(&[4, 3, 3]));
    assert_eq!(
        msg(t(&[2, 3, 7, 1]).conv1d(&w, None, o)),
        "conv1d: expected input of rank 3 [N, C, L] for weight [4, 3, 3], got shape \
         [2, 3, 7, 1]"
    );
    assert_eq!(
        msg(x.conv1d(&t(&[4, 3, 3, 3]), None, o)),
        "conv1d: expected weight of rank 3 [C_out, C_in / groups, K] for input [2, 3, 7], got \
         shape [4, 3, 3, 3]"
    );
    assert_eq!(
        msg(x.conv1d(&t(&[4, 2, 3]), None, o)),
        "conv1d: weight [4, 2, 3] expects 2 input channels, got input [2, 3, 7]"
    );
    assert_eq!(
        msg(x.conv1d(&w, None, o.stride(0))),
        "conv1d: stride 0 must be positive (input [2, 3, 7], weight [4, 3, 3])"
    );
    assert_eq!(
        msg(x.conv1d(&w, None, o.dilation(4))),
        "conv1d: kernel 3 with dilation 4 spans 9, more than the input size 7 with padding 0 \
         (input [2, 3, 7], weight [4, 3, 3])"
    );
    assert!(msg(x.conv1d(&w, Some(&t(&[3])), o)).contains("shapes [3] and [4]"));
    let gy = t(&[2, 4, 5]);
    assert_eq!(
        msg(Tensor::conv1d_backward_input(&gy, &w, 8, o)),
        "conv1d_backward_input: input size 8 with weight [4, 3, 3] gives output size 6, but \
         grad_out is [2, 4, 5]"
    );
    assert!(msg(Tensor::conv1d_backward_input(&gy, &w, 0, o)).contains("input size 0 must be"));
    assert_eq!(
        msg(Tensor::conv1d_backward_weight(&gy, &x, 4, o)),
        "conv1d_backward_weight: input [2, 3, 7] with kernel size 4 gives output size 4, but \
         grad_out is [2, 4, 5]"
    );
    assert_eq!(
        msg(Tensor::conv1d_backward_weight(&gy, &x, 0, o)),
        "conv1d_backward_weight: kernel size 0 must be positive (grad_out [2, 4, 5], input \
         [2, 3, 7])"
    );
    assert_eq!(
        msg(Tensor::conv1d_backward_bias(&t(&[2, 4, 5, 1]))),
        "conv1d_backward_bias: expected grad_out of rank 3 [N, C, L], got shape [2, 4, 5, 1]"
    );
}

#[test]
fn conv_transpose2d_errors() {
    let o = ConvTranspose2dOptions::new();
    let (x, w) = (t(&[2, 4, 3, 3]), t(&[4, 3, 2, 2]));
    let ctx = "(input [2, 4, 3, 3], weight [4, 3, 2, 2])";
    assert_eq!(
        msg(t(&[4, 3, 3]).conv_transpose2d(&w, None, o)),
        "conv_transpose2d: expected input of rank 4 [N, C, H, W] for weight [4, 3, 2, 2], got \
         shape [4, 3, 3]"
    );
    assert_eq!(
        msg(x.conv_transpose2d(&t(&[4, 3, 2]), None, o)),
        "conv_transpose2d: expected weight of rank 4 [C_in, C_out / groups, kH, kW] for input \
         [2, 4, 3, 3], got shape [4, 3, 2]"
    );
    assert_eq!(
        msg(x.conv_transpose2d(&w, None, o.stride(2).output_padding(2))),
        format!(
            "conv_transpose2d: output_padding [2, 2] must be smaller than stride [2, 2] or \
             dilation [1, 1] {ctx}"
        )
    );
    assert_eq!(
        msg(x.conv_transpose2d(&w, None, o.dilation2([1, 0]))),
        format!("conv_transpose2d: dilation [1, 0] must be positive {ctx}")
    );
    assert!(msg(t(&[2, 4, 0, 3]).conv_transpose2d(&w, None, o)).contains("has an empty"));
    assert!(msg(x.conv_transpose2d(&t(&[4, 0, 2, 2]), None, o)).contains("has an empty"));
    assert_eq!(
        msg(x.conv_transpose2d(&t(&[3, 3, 2, 2]), None, o)),
        "conv_transpose2d: weight [3, 3, 2, 2] expects 3 input channels, got input [2, 4, 3, 3]"
    );
    assert_eq!(
        msg(x.conv_transpose2d(&w, None, o.groups(3))),
        "conv_transpose2d: input [2, 4, 3, 3] has 4 channels, not divisible by groups 3 \
         (weight [4, 3, 2, 2])"
    );
    assert_eq!(
        msg(x.conv_transpose2d(&w, Some(&t(&[4])), o.groups(2))),
        format!(
            "conv_transpose2d: shapes [4] and [6] do not match: bias needs one value per output \
             channel {ctx}"
        )
    );
    assert_eq!(
        msg(x.conv_transpose2d(&w, None, o.padding(3))),
        format!(
            "conv_transpose2d: input size [3, 3] with kernel [2, 2], stride [1, 1], padding \
             [3, 3], dilation [1, 1] and output_padding [0, 0] gives output size [-2, -2], \
             which is not positive {ctx}"
        )
    );
}

#[test]
fn conv_transpose2d_backward_errors() {
    let o = ConvTranspose2dOptions::new();
    let (gy, w, x) = (t(&[2, 3, 4, 4]), t(&[4, 3, 2, 2]), t(&[2, 4, 3, 3]));
    let bi = |gy: &Tensor<f64>, w: &Tensor<f64>, hw, o| {
        msg(Tensor::conv_transpose2d_backward_input(gy, w, hw, o))
    };
    assert!(bi(&t(&[3, 4, 4]), &w, [3, 3], o).contains("expected grad_out of rank 4"));
    assert!(bi(&gy, &t(&[4, 3, 2]), [3, 3], o).contains("expected weight of rank 4"));
    assert!(bi(&gy, &w, [3, 3], o.output_padding(1)).contains("output_padding [1, 1]"));
    assert!(bi(&gy, &t(&[0, 3, 2, 2]), [3, 3], o).contains("weight [0, 3, 2, 2] has an empty"));
    assert!(bi(&gy, &w, [3, 0], o).contains("input size [3, 0] must be positive"));
    assert_eq!(
        bi(&gy, &w, [3, 3], o.groups(3)),
        "conv_transpose2d_backward_input: weight [4, 3, 2, 2] has 4 input channels, not \
         divisible by groups 3 (grad_out [2, 3, 4, 4])"
    );
    assert_eq!(
        bi(&gy, &w, [3, 3], o.groups(2)),
        "conv_transpose2d_backward_input: weight [4, 3, 2, 2] with groups 2 gives 6 output \
         channels, got grad_out [2, 3, 4, 4]"
    );
    assert_eq!(
        bi(&gy, &w, [4, 4], o),
        "conv_transpose2d_backward_input: input size [4, 4] with weight [4, 3, 2, 2] gives \
         output size [5, 5], but grad_out is [2, 3, 4, 4]"
    );
    assert!(bi(&gy, &w, [1, 1], o.padding(2)).contains("which is not positive"));

    let bw = |gy: &Tensor<f64>, x: &Tensor<f64>, k, o| {
        msg(Tensor::conv_transpose2d_backward_weight(gy, x, k, o))
    };
    assert!(bw(&gy, &t(&[4, 3, 3]), [2, 2], o).contains("expected input of rank 4"));
    assert!(bw(&t(&[3, 4, 4]), &x, [2, 2], o).contains("expected grad_out of rank 4"));
    assert!(bw(&gy, &x, [2, 2], o.stride(0)).contains("stride [0, 0] must be positive"));
    assert!(bw(&t(&[2, 3, 0, 4]), &x, [2, 2], o).contains("grad_out [2, 3, 0, 4] has an empty"));
    assert!(bw(&gy, &t(&[2, 0, 3, 3]), [2, 2], o).contains("input [2, 0, 3, 3] has an empty"));
    assert_eq!(
        bw(&gy, &t(&[1, 4, 3, 3]), [2, 2], o),
        "conv_transpose2d_backward_weight: shapes [2, 3, 4, 4] and [1, 4, 3, 3] do not match: \
         grad_out and input have different batch sizes"
    );
    assert!(bw(&gy, &x, [0, 2], o).contains("kernel size [0, 2] must be positive"));
    assert!(bw(&gy, &x, [2, 2], o.groups(3)).contains("input [2, 4, 3, 3] has 4 channels"));
    assert!(bw(&gy, &x, [2, 2], o.groups(2)).contains("grad_out [2, 3, 4, 4] has 3 channels"));
    assert_eq!(
        bw(&gy, &x, [3, 3], o),
        "conv_transpose2d_backward_weight: input [2, 4, 3, 3] with kernel size [3, 3] gives \
         output size [5, 5], but grad_out is [2, 3, 4, 4]"
    );
    assert!(bw(&gy, &x, [2, 2], o.padding(3)).contains("which is not positive"));
}

#[test]
fn results_too_large_to_allocate_are_errors() {
    let one = t(&[1, 1, 1, 1]);
    let e = msg(one.conv2d(&one, None, Conv2dOptions::new().padding(1 << 40)));
    assert_eq!(
        e,
        format!(
            "conv2d: the result shape [1, 1, {0}, {0}] is too large (input [1, 1, 1, 1], weight \
             [1, 1, 1, 1])",
            (1usize << 41) + 1
        )
    );
    let big = 1usize << 40;
    let o = Conv2dOptions::new().stride(big);
    assert!(msg(Tensor::conv2d_backward_input(&one, &one, [big, big], o)).contains("too large"));
    let o = ConvTranspose2dOptions::new().stride(big);
    assert!(msg(t(&[1, 1, 2, 2]).conv_transpose2d(&one, None, o)).contains("too large"));
}
