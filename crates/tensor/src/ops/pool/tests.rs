//! Known values and every error path of the pooling operations.

use super::*;

fn range(shape: &[usize]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape).unwrap()
}

fn ids(i: &Indices) -> Vec<usize> {
    i.iter().copied().collect()
}

fn err<T: std::fmt::Debug>(r: Result<T>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn max_pool_2x2_known_values() {
    let x = range(&[2, 1, 4, 4]);
    let (y, i) = x.max_pool2d(Pool2dOptions::new(2)).unwrap();
    assert_eq!(y.shape(), &[2, 1, 2, 2]);
    assert_eq!(
        y.to_vec(),
        vec![5.0, 7.0, 13.0, 15.0, 21.0, 23.0, 29.0, 31.0]
    );
    // Indices are positions inside each plane, not in the whole tensor.
    assert_eq!(ids(&i), vec![5, 7, 13, 15, 5, 7, 13, 15]);
    assert_eq!(i.shape(), &[2, 1, 2, 2]);
}

#[test]
fn max_pool_padding_is_minus_infinity() {
    // All inputs negative: padding must not contribute a 0.
    let x = range(&[1, 3, 3]).map(|v| v - 100.0);
    let (y, i) = x
        .max_pool2d(Pool2dOptions::new(3).stride(1).padding(1))
        .unwrap();
    assert_eq!(y.shape(), &[1, 3, 3]);
    assert_eq!(
        y.to_vec(),
        vec![-96.0, -95.0, -95.0, -93.0, -92.0, -92.0, -93.0, -92.0, -92.0]
    );
    assert_eq!(ids(&i), vec![4, 5, 5, 7, 8, 8, 7, 8, 8]);
}

#[test]
fn max_pool_ties_pick_the_first_tap() {
    let x = Tensor::<f32>::zeros([1, 1, 3, 3]);
    let (_, i) = x
        .max_pool2d(Pool2dOptions::new(3).stride(1).padding(1))
        .unwrap();
    // The first in-bounds tap of each window: (0,0) for the top-left windows, (r-1, c-1)
    // otherwise.
    assert_eq!(ids(&i), vec![0, 0, 1, 0, 0, 1, 3, 3, 4]);
    let x = Tensor::<f32>::full([1, 1, 2, 2], f32::NEG_INFINITY);
    let (y, i) = x.max_pool2d(Pool2dOptions::new(2)).unwrap();
    assert_eq!((y.to_vec(), ids(&i)), (vec![f32::NEG_INFINITY], vec![0]));
}

#[test]
fn max_pool_nan_wins_and_the_last_nan_is_recorded() {
    let nan = f64::NAN;
    let x = Tensor::from_vec(vec![1.0, nan, 3.0, nan, 9.0, 2.0, nan, 0.0], [1, 1, 2, 4]).unwrap();
    let (y, i) = x.max_pool2d(Pool2dOptions::new(2)).unwrap();
    let y = y.to_vec();
    assert!(y[0].is_nan() && y[1].is_nan());
    // Window 0 holds 1, NaN, 9, 2: the NaN at 1. Window 1 holds 3, NaN, NaN, 0: PyTorch's
    // CPU kernel keeps the last NaN it meets, at 6.
    assert_eq!(ids(&i), vec![1, 6]);
}

#[test]
fn dilated_window_in_padding_gives_minus_infinity_and_no_index() {
    // W = 1, kernel 2, dilation 2, padding 1: taps at -1 and 1, both outside the input.
    let x = Tensor::<f64>::ones([1, 1, 1, 1]);
    let opts = Pool2dOptions::new(1)
        .kernel2([1, 2])
        .dilation2([1, 2])
        .padding2([0, 1]);
    let (y, i) = x.max_pool2d(opts).unwrap();
    assert_eq!(y.to_vec(), vec![f64::NEG_INFINITY]);
    assert_eq!(ids(&i), vec![NO_INDEX]);
    let g =
        Tensor::<f64>::max_pool2d_backward(&Tensor::ones([1, 1, 1, 1]), &i, &[1, 1, 1, 1]).unwrap();
    assert_eq!(g.to_vec(), vec![0.0]);
}

#[test]
fn max_pool_backward_accumulates_overlapping_windows() {
    let x = Tensor::from_vec(vec![0.0, 1.0, 9.0, 2.0, 3.0, 4.0], [1, 1, 2, 3]).unwrap();
    let (y, i) = x.max_pool2d(Pool2dOptions::new(2).stride(1)).unwrap();
    assert_eq!(y.to_vec(), vec![3.0, 9.0]);
    let g = Tensor::from_vec(vec![1.0, 10.0], [1, 1, 1, 2]).unwrap();
    let gx = Tensor::max_pool2d_backward(&g, &i, x.shape()).unwrap();
    assert_eq!(gx.to_vec(), vec![0.0, 0.0, 10.0, 0.0, 1.0, 0.0]);
}

#[test]
fn avg_pool_ceil_mode_divisor_matches_pytorch() {
    // torch.nn.functional.avg_pool2d(torch.arange(36.).view(1, 1, 6, 6), 3, 2, 1,
    // ceil_mode=True). Windows along each axis start at -1, 1, 3 and 5 (ceil mode adds the
    // last one, which starts inside the input). Clipped to the padded extent -1..7 their sizes
    // are 3, 3, 3 and 2; their in-bounds taps number 2, 3, 3 and 1.
    let x = range(&[1, 1, 6, 6]);
    let opts = Pool2dOptions::new(3).stride(2).padding(1).ceil_mode(true);
    let y = x.avg_pool2d(opts, true).unwrap();
    assert_eq!(y.shape(), &[1, 1, 4, 4]);
    let y = y.to_vec();
    // (0, 0): rows 0..2, cols 0..2: 0 + 1 + 6 + 7 = 14, divisor 3 * 3 = 9.
    assert!((y[0] - 14.0 / 9.0).abs() < 1e-12);
    // (0, 3): rows 0..2, col 5: 5 + 11 = 16, divisor 3 * 2 = 6 (not 9, not 2).
    assert!((y[3] - 16.0 / 6.0).abs() < 1e-12);
    // (3, 3): only x[5][5] = 35, divisor 2 * 2 = 4 (not 9, not 1).
    assert_eq!(y[15], 35.0 / 4.0);
    // (1, 1): rows 1..4, cols 1..4, a full window: its mean is the centre x[2][2] = 14.
    assert!((y[5] - 14.0).abs() < 1e-12);
    let z = x.avg_pool2d(opts, false).unwrap().to_vec();
    assert_eq!((z[0], z[3], z[15]), (3.5, 8.0, 35.0));
    // All ones: the divisor alone shows.
    let ones = Tensor::<f64>::ones([1, 6, 6])
        .avg_pool2d(opts, true)
        .unwrap();
    let first_row = &ones.to_vec()[..4];
    let expect = [4.0 / 9.0, 6.0 / 9.0, 6.0 / 9.0, 2.0 / 6.0];
    for (a, b) in first_row.iter().zip(expect) {
        assert!((a - b).abs() < 1e-15);
    }
}

#[test]
fn avg_pool_backward_spreads_by_the_divisor() {
    // One 3x3 input, kernel 2, stride 2, padding 1: 4 windows of 1, 2, 2 and 4 in-bounds taps,
    // each dividing by 4 when padding counts.
    let g = Tensor::<f64>::ones([1, 1, 2, 2]);
    let opts = Pool2dOptions::new(2).padding(1);
    let gx = Tensor::avg_pool2d_backward(&g, &[1, 1, 3, 3], opts, true).unwrap();
    assert_eq!(gx.to_vec(), vec![0.25; 9]);
    let gx = Tensor::avg_pool2d_backward(&g, &[1, 1, 3, 3], opts, false).unwrap();
    assert_eq!(
        gx.to_vec(),
        vec![1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.5, 0.25, 0.25]
    );
}

#[test]
fn adaptive_known_values() {
    // 5 -> 3 windows [0, 2), [1, 4), [3, 5) on both axes of x[h][w] = 5 h + w.
    let x = range(&[1, 1, 5, 5]);
    let y = x.adaptive_avg_pool2d([3, 3]).unwrap();
    assert_eq!(y.shape(), &[1, 1, 3, 3]);
    let y = y.to_vec();
    assert_eq!(y[0], (0.0 + 1.0 + 5.0 + 6.0) / 4.0);
    assert_eq!(y[4], 12.0);
    assert_eq!(y[8], (18.0 + 19.0 + 23.0 + 24.0) / 4.0);
    // Upsampling repeats; an output size of 0 is empty, as PyTorch.
    let up = range(&[1, 2, 2]).adaptive_avg_pool2d([4, 2]).unwrap();
    assert_eq!(up.to_vec(), vec![0.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 3.0]);
    assert_eq!(
        x.adaptive_avg_pool2d([0, 2]).unwrap().shape(),
        &[1, 1, 0, 2]
    );
    // Backward: the middle input is in both windows of the 1-d case 3 -> 2 (windows
    // [0, 2) and [1, 3)).
    let g = Tensor::<f64>::ones([1, 1, 2]);
    let gx = Tensor::adaptive_avg_pool2d_backward(&g, &[1, 1, 3]).unwrap();
    assert_eq!(gx.to_vec(), vec![0.5, 1.0, 0.5]);
}

#[test]
fn strided_views_and_empty_batches() {
    // A transposed view pools its logical layout.
    let x = range(&[1, 1, 4, 4]).transpose(2, 3).unwrap();
    assert!(!x.is_contiguous());
    let (y, i) = x.max_pool2d(Pool2dOptions::new(2)).unwrap();
    assert_eq!(y.to_vec(), vec![5.0, 13.0, 7.0, 15.0]);
    assert_eq!(ids(&i), vec![5, 7, 13, 15]);
    // N = 0 is allowed, as in PyTorch.
    let e = Tensor::<f32>::zeros([0, 2, 4, 4]);
    assert_eq!(
        e.max_pool2d(Pool2dOptions::new(2)).unwrap().0.shape(),
        &[0, 2, 2, 2]
    );
    assert_eq!(
        e.avg_pool2d(Pool2dOptions::new(2), true).unwrap().shape(),
        &[0, 2, 2, 2]
    );
}

#[test]
fn pool1d_known_values() {
    let x = Tensor::from_vec(vec![1.0f64, 3.0, 2.0, 5.0, 4.0, 0.0], [2, 1, 3]).unwrap();
    let (y, i) = x.max_pool1d(Pool1dOptions::new(2).stride(1)).unwrap();
    assert_eq!(y.shape(), &[2, 1, 2]);
    assert_eq!(y.to_vec(), vec![3.0, 3.0, 5.0, 4.0]);
    assert_eq!(ids(&i), vec![1, 1, 0, 1]);
    // Padding 1 and count_include_pad: the edge windows divide by 3.
    let y = x
        .avg_pool1d(Pool1dOptions::new(3).stride(1).padding(1), true)
        .unwrap();
    let want = [4.0 / 3.0, 2.0, 5.0 / 3.0, 3.0, 3.0, 4.0 / 3.0];
    for (a, b) in y.to_vec().iter().zip(want) {
        assert!((a - b).abs() < 1e-12);
    }
    assert_eq!(Pool1dOptions::new(3).to_2d().kernel, [1, 3]);
}

#[test]
fn output_size_rules() {
    let o = Pool2dOptions::new(2);
    assert_eq!(o.output_size([5, 4]).unwrap(), [2, 2]);
    assert_eq!(o.ceil_mode(true).output_size([5, 4]).unwrap(), [3, 2]);
    // Without the ceil-mode correction this would be 3 (a window starting at 5 >= 4 + 1).
    let c = Pool2dOptions::new(2).stride(3).padding(1).ceil_mode(true);
    assert_eq!(c.output_size([4, 4]).unwrap(), [2, 2]);
    let d = Pool2dOptions::new(3).stride(1).dilation2([2, 1]);
    assert_eq!(d.output_size([7, 7]).unwrap(), [3, 5]);
    let k = Pool2dOptions::new(1)
        .kernel2([3, 2])
        .stride2([1, 2])
        .padding2([1, 0]);
    assert_eq!(k.output_size([4, 5]).unwrap(), [4, 2]);
    assert_eq!(Pool1dOptions::new(3).dilation(2).output_size(5).unwrap(), 1);
}

#[test]
fn huge_options_do_not_overflow() {
    let e = err(Pool2dOptions::new(usize::MAX).output_size([3, 3]));
    assert!(e.starts_with("pool2d: output size"), "{e}");
    let e = err(Pool2dOptions::new(3)
        .dilation(usize::MAX)
        .output_size([3, 3]));
    assert!(e.contains("is too small"), "{e}");
    // A kernel of 2^64 - 1 padded by half of it covers the whole input from every window.
    let big = Pool2dOptions::new(usize::MAX)
        .stride(1)
        .padding(usize::MAX / 2);
    assert_eq!(big.output_size([3, 2]).unwrap(), [3, 2]);
    let x = range(&[1, 1, 3, 2]);
    let (y, _) = x.max_pool2d(big).unwrap();
    assert_eq!(y.to_vec(), vec![5.0; 6]);
    let y = x.avg_pool2d(big, false).unwrap();
    assert_eq!(y.to_vec(), vec![2.5; 6]);
    assert!(x.avg_pool2d(big, true).unwrap().to_vec()[0] < 1e-30);
}

#[test]
fn input_shape_errors() {
    let o = Pool2dOptions::new(2);
    assert_eq!(
        err(range(&[4, 4]).max_pool2d(o)),
        "max_pool2d: expected rank 4 [N, C, H, W] or rank 3 [C, H, W], got shape [4, 4]"
    );
    assert_eq!(
        err(Tensor::<f32>::zeros([1, 0, 4, 4]).avg_pool2d(o, true)),
        "avg_pool2d: expected non-zero sizes for C, H and W, got shape [1, 0, 4, 4]"
    );
    assert_eq!(
        err(Tensor::<f32>::zeros([2, 4, 0]).adaptive_avg_pool2d([1, 1])),
        "adaptive_avg_pool2d: expected non-zero sizes for C, H and W, got shape [2, 4, 0]"
    );
    assert_eq!(
        err(range(&[1, 2, 3, 4, 5]).adaptive_avg_pool2d([1, 1])),
        "adaptive_avg_pool2d: expected rank 4 [N, C, H, W] or rank 3 [C, H, W], \
         got shape [1, 2, 3, 4, 5]"
    );
    assert_eq!(
        err(range(&[4]).max_pool1d(Pool1dOptions::new(2))),
        "max_pool1d: expected rank 3 [N, C, L] or rank 2 [C, L], got shape [4]"
    );
    assert_eq!(
        err(Tensor::<f64>::zeros([3, 0]).avg_pool1d(Pool1dOptions::new(1), false)),
        "avg_pool1d: expected non-zero sizes for C and L, got shape [3, 0]"
    );
}

#[test]
fn option_errors() {
    let x = range(&[1, 1, 4, 4]);
    assert_eq!(
        err(x.max_pool2d(Pool2dOptions::new(0))),
        "max_pool2d: kernel size [0, 0] must be positive"
    );
    assert_eq!(
        err(x.max_pool2d(Pool2dOptions::new(2).stride2([1, 0]))),
        "max_pool2d: stride [1, 0] must be positive"
    );
    assert_eq!(
        err(x.max_pool2d(Pool2dOptions::new(2).dilation(0))),
        "max_pool2d: dilation [0, 0] must be positive"
    );
    assert_eq!(
        err(x.avg_pool2d(Pool2dOptions::new(2).dilation2([1, 2]), true)),
        "avg_pool2d: dilation [1, 2] is not supported, average pooling has none (it must be 1)"
    );
    assert_eq!(
        err(x.avg_pool2d(Pool2dOptions::new(3).padding2([1, 2]), false)),
        "avg_pool2d: padding [1, 2] must be at most half the kernel size [3, 3]"
    );
    assert_eq!(
        err(x.max_pool2d(Pool2dOptions::new(5))),
        "max_pool2d: output size [0, 0] is too small for input [1, 1, 4, 4] \
         (kernel size [5, 5], stride [5, 5], padding [0, 0])"
    );
    assert_eq!(
        err(x.max_pool2d(Pool2dOptions::new(3).stride(1).dilation2([2, 1]))),
        "max_pool2d: output size [0, 2] is too small for input [1, 1, 4, 4] \
         (kernel size [3, 3], stride [1, 1], padding [0, 0], dilation [2, 1])"
    );
    assert_eq!(
        err(Pool2dOptions::new(4).padding(3).output_size([9, 9])),
        "pool2d: padding [3, 3] must be at most half the kernel size [4, 4]"
    );
    let l = range(&[1, 1, 2]);
    assert_eq!(
        err(l.max_pool1d(Pool1dOptions::new(0))),
        "max_pool1d: kernel size 0 must be positive"
    );
    assert_eq!(
        err(l.avg_pool1d(Pool1dOptions::new(3), true)),
        "avg_pool1d: output size 0 is too small for input [1, 1, 2] \
         (kernel size 3, stride 3, padding 0)"
    );
    assert_eq!(
        err(l.avg_pool1d(Pool1dOptions::new(1).dilation(2), true)),
        "avg_pool1d: dilation 2 is not supported, average pooling has none (it must be 1)"
    );
    assert_eq!(
        err(Pool1dOptions::new(2).padding(2).output_size(9)),
        "pool1d: padding 2 must be at most half the kernel size 2"
    );
}

#[test]
fn max_backward_errors() {
    let op = "max_pool2d_backward";
    let g = Tensor::<f32>::ones([1, 2, 2, 2]);
    let i = Indices::zeros(IxDyn(&[1, 2, 2, 2]));
    assert_eq!(
        err(Tensor::max_pool2d_backward(&g, &i, &[2, 4, 4])),
        format!(
            "{op}: shapes [1, 2, 2, 2] and [2, 4, 4] do not match: grad_out must have the \
             rank and the batch and channel sizes of the input"
        )
    );
    assert_eq!(
        err(Tensor::max_pool2d_backward(&g, &i, &[1, 3, 4, 4])),
        format!(
            "{op}: shapes [1, 2, 2, 2] and [1, 3, 4, 4] do not match: grad_out must have the \
             rank and the batch and channel sizes of the input"
        )
    );
    let i3 = Indices::zeros(IxDyn(&[1, 2, 2, 3]));
    assert_eq!(
        err(Tensor::max_pool2d_backward(&g, &i3, &[1, 2, 4, 4])),
        format!(
            "{op}: shapes [1, 2, 2, 2] and [1, 2, 2, 3] do not match: grad_out and indices \
             must have the same shape"
        )
    );
    let mut bad = i.clone();
    bad[[0, 1, 1, 0]] = 16;
    assert_eq!(
        err(Tensor::max_pool2d_backward(&g, &bad, &[1, 2, 4, 4])),
        format!(
            "{op}: index 16 is out of range for input planes of 4x4 = 16 elements \
             (input shape [1, 2, 4, 4])"
        )
    );
    assert_eq!(
        err(Tensor::max_pool2d_backward(&g, &i, &[8, 8])),
        format!("{op}: expected rank 4 [N, C, H, W] or rank 3 [C, H, W], got shape [8, 8]")
    );
}

#[test]
fn avg_and_adaptive_backward_errors() {
    let g = Tensor::<f64>::ones([1, 1, 3, 3]);
    let o = Pool2dOptions::new(2);
    assert_eq!(
        err(Tensor::avg_pool2d_backward(&g, &[1, 1, 4, 4], o, true)),
        "avg_pool2d_backward: shapes [1, 1, 3, 3] and [1, 1, 2, 2] do not match: grad_out \
         must have the pooled shape of input [1, 1, 4, 4]"
    );
    assert_eq!(
        err(Tensor::avg_pool2d_backward(
            &g,
            &[1, 1, 4, 4],
            o.stride(0),
            true
        )),
        "avg_pool2d_backward: stride [0, 0] must be positive"
    );
    assert_eq!(
        err(Tensor::avg_pool2d_backward(&g, &[1, 1, 1, 1], o, true)),
        "avg_pool2d_backward: output size [0, 0] is too small for input [1, 1, 1, 1] \
         (kernel size [2, 2], stride [2, 2], padding [0, 0])"
    );
    assert_eq!(
        err(Tensor::adaptive_avg_pool2d_backward(&g, &[1, 2, 4, 4])),
        "adaptive_avg_pool2d_backward: shapes [1, 1, 3, 3] and [1, 2, 4, 4] do not match: \
         grad_out must have the rank and the batch and channel sizes of the input"
    );
    assert_eq!(
        err(Tensor::adaptive_avg_pool2d_backward(&g, &[1, 1, 0, 4])),
        "adaptive_avg_pool2d_backward: expected non-zero sizes for C, H and W, \
         got shape [1, 1, 0, 4]"
    );
}

#[test]
fn pool1d_backward_values_and_errors() {
    let x = Tensor::from_vec(vec![1.0f64, 3.0, 2.0, 5.0, 4.0], [1, 5]).unwrap();
    let o = Pool1dOptions::new(3).stride(1).padding(1);
    let (y, i) = x.max_pool1d(o).unwrap();
    assert_eq!(y.to_vec(), vec![3.0, 3.0, 5.0, 5.0, 5.0]);
    let gx = Tensor::max_pool1d_backward(&y.ones_like(), &i, &[1, 5]).unwrap();
    assert_eq!(gx.to_vec(), vec![0.0, 2.0, 0.0, 3.0, 0.0]);
    // count_include_pad = false: the edge windows hold 2 inputs.
    let g = Tensor::<f64>::ones([1, 5]);
    let gx = Tensor::avg_pool1d_backward(&g, &[1, 5], o, false).unwrap();
    let want = [
        0.5 + 1.0 / 3.0,
        0.5 + 2.0 / 3.0,
        1.0,
        0.5 + 2.0 / 3.0,
        0.5 + 1.0 / 3.0,
    ];
    for (a, b) in gx.to_vec().iter().zip(want) {
        assert!((a - b).abs() < 1e-15);
    }
    let mut bad = i.clone();
    bad[[0, 2]] = 5;
    assert_eq!(
        err(Tensor::max_pool1d_backward(&y, &bad, &[1, 5])),
        "max_pool1d_backward: index 5 is out of range for inputs of length 5 (input shape [1, 5])"
    );
    assert_eq!(
        err(Tensor::max_pool1d_backward(&y, &i, &[1, 1, 5])),
        "max_pool1d_backward: shapes [1, 5] and [1, 1, 5] do not match: grad_out must have the \
         rank and the batch and channel sizes of the input"
    );
    assert_eq!(
        err(Tensor::avg_pool1d_backward(&g, &[1, 6], o, true)),
        "avg_pool1d_backward: shapes [1, 5] and [1, 6] do not match: grad_out must have the \
         pooled shape of input [1, 6]"
    );
    assert_eq!(
        err(Tensor::avg_pool1d_backward(
            &g,
            &[1, 5],
            o.dilation(2),
            true
        )),
        "avg_pool1d_backward: dilation 2 is not supported, average pooling has none (it must be 1)"
    );
}

#[test]
fn huge_shapes_are_errors() {
    let g = Tensor::<f32>::ones([1, 1, 1, 1]);
    let i = Indices::zeros(IxDyn(&[1, 1, 1, 1]));
    let huge = usize::MAX / 2;
    assert_eq!(
        err(Tensor::max_pool2d_backward(&g, &i, &[1, 1, huge, 4])),
        format!("max_pool2d_backward: shape [1, 1, {huge}, 4] has too many elements")
    );
    assert!(err(Tensor::max_pool2d_backward(&g, &i, &[0, 1, huge, 4])).contains("too many"));
    assert!(err(Tensor::adaptive_avg_pool2d_backward(&g, &[huge, 1, 2, 2])).contains("too many"));
    let e = err(Tensor::<f32>::ones([1, 1, 2, 2]).adaptive_avg_pool2d([huge, 4]));
    assert_eq!(
        e,
        format!("adaptive_avg_pool2d: shape [1, 1, {huge}, 4] has too many elements")
    );
}
