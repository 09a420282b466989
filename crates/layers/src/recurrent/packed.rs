//! Variable-length batches: padding sequences into one tensor with their lengths
//! ([`pad_sequences`]), and the checks of the lengths given to a recurrent layer.
//!
//! Where PyTorch packs a batch (`pack_padded_sequence`), Youshi keeps the padded tensor and
//! passes the lengths beside it: sequence `b` only runs its first `lengths[b]` steps (the
//! reverse direction starts at step `lengths[b] - 1`), its outputs past its length are zero
//! (as `pad_packed_sequence` gives) and its final states are those at its own end. The batch
//! needs no sorting. A length of 0 (which PyTorch rejects) leaves the initial state unchanged.

use youshi_tensor::{Element, Shape, Tensor};

use crate::error::{LayerError, Result};

/// Checks that `lengths` has one entry per sequence and none exceeds the `steps` of the
/// input.
pub(crate) fn check_lengths(
    kind: &'static str,
    lengths: &[usize],
    batch: usize,
    steps: usize,
    input: &[usize],
) -> Result<()> {
    if lengths.len() != batch {
        return Err(LayerError::argument(
            kind,
            "lengths",
            format!(
                "has {} entries for a batch of {batch} in input {}",
                lengths.len(),
                Shape::from(input)
            ),
        ));
    }
    if lengths.iter().any(|&l| l > steps) {
        return Err(LayerError::argument(
            kind,
            "lengths",
            format!(
                "{lengths:?} exceed the sequence length {steps} of input {}",
                Shape::from(input)
            ),
        ));
    }
    Ok(())
}

/// Pads sequences of different lengths into one batch, with their lengths: PyTorch's
/// `pad_sequence` plus the lengths that [`Lstm::forward_full`](super::Lstm::forward_full)
/// and the other recurrent layers take.
///
/// # Shapes
/// Sequences `[L_b, *]` with the same trailing dimensions give `[max L_b, B, *]`, or
/// `[B, max L_b, *]` with `batch_first`; positions past a sequence's length hold `value`.
///
/// # Errors
/// [`LayerError::Argument`] naming `pad_sequences` for an empty list, a rank-0 sequence, or
/// trailing dimensions that differ (with both shapes).
///
/// # Examples
/// ```
/// use youshi_layers::recurrent::pad_sequences;
/// use youshi_tensor::Tensor;
/// let a = Tensor::<f32>::ones([3, 2]);
/// let b = Tensor::<f32>::ones([1, 2]);
/// let (padded, lengths) = pad_sequences(&[a, b], true, 0.0)?;
/// assert_eq!(padded.shape(), &[2, 3, 2]);
/// assert_eq!(lengths, [3, 1]);
/// assert_eq!(padded.to_vec()[6..], [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
/// # Ok::<(), youshi_layers::LayerError>(())
/// ```
pub fn pad_sequences<T: Element>(
    sequences: &[Tensor<T>],
    batch_first: bool,
    value: T,
) -> Result<(Tensor<T>, Vec<usize>)> {
    let err = |reason: String| LayerError::argument("pad_sequences", "sequences", reason);
    let Some(first) = sequences.first() else {
        return Err(err("is empty; give at least one sequence".into()));
    };
    if first.ndim() == 0 {
        return Err(err(format!(
            "must be [L, *], got a scalar of shape {}",
            first.shape_obj()
        )));
    }
    let trailing = &first.shape()[1..];
    for s in sequences {
        if s.ndim() == 0 || &s.shape()[1..] != trailing {
            return Err(err(format!(
                "must share their trailing dimensions: {} and {}",
                first.shape_obj(),
                s.shape_obj()
            )));
        }
    }
    let lengths: Vec<usize> = sequences.iter().map(|s| s.shape()[0]).collect();
    let steps = lengths.iter().copied().max().unwrap_or(0);
    let batch = sequences.len();
    let row: usize = trailing.iter().product();
    let mut data = vec![value; steps * batch * row];
    for (b, s) in sequences.iter().enumerate() {
        let v = s.to_vec();
        for (t, chunk) in v.chunks(row.max(1)).take(lengths[b]).enumerate() {
            let at = if batch_first {
                (b * steps + t) * row
            } else {
                (t * batch + b) * row
            };
            data[at..at + row].copy_from_slice(&chunk[..row]);
        }
    }
    let mut shape = if batch_first {
        vec![batch, steps]
    } else {
        vec![steps, batch]
    };
    shape.extend_from_slice(trailing);
    Ok((Tensor::from_vec(data, shape)?, lengths))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_major_layout_and_errors() {
        let a = Tensor::<f64>::from_vec(vec![1.0, 2.0], [2]).unwrap();
        let b = Tensor::<f64>::from_vec(vec![3.0], [1]).unwrap();
        let (p, l) = pad_sequences(&[a.clone(), b], false, -1.0).unwrap();
        assert_eq!(p.shape(), &[2, 2]);
        assert_eq!(p.to_vec(), [1.0, 3.0, 2.0, -1.0]);
        assert_eq!(l, [2, 1]);
        let e = pad_sequences::<f64>(&[], false, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pad_sequences: sequences is empty; give at least one sequence"
        );
        let c = Tensor::<f64>::zeros([2, 3]);
        let e = pad_sequences(&[Tensor::zeros([1, 2]), c], false, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pad_sequences: sequences must share their trailing dimensions: [1, 2] and [2, 3]"
        );
        let e = pad_sequences(&[Tensor::scalar(1.0)], false, 0.0).unwrap_err();
        assert!(e.to_string().contains("scalar of shape []"), "{e}");
        // Zero-width rows and empty sequences pad without error.
        let (p, l) = pad_sequences(
            &[Tensor::<f64>::zeros([2, 0]), Tensor::zeros([0, 0])],
            true,
            0.0,
        )
        .unwrap();
        assert_eq!((p.shape(), l), (&[2usize, 2, 0][..], vec![2, 0]));
    }
}
