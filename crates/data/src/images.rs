//! What the image datasets ([`mnist`](crate::mnist), [`cifar`](crate::cifar)) share: the
//! choice of split and of pixel scale, and the conversion of bytes to tensors.

use youshi_tensor::ndarray::{ArrayD, IxDyn};
use youshi_tensor::{Element, Tensor};

/// Which part of a dataset distributed as separate files to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training examples.
    Train,
    /// The held-out test examples.
    Test,
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
        })
    }
}

/// How pixel bytes become numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Pixels {
    /// Divided by 255, into `[0, 1]`, computed in the element type like torchvision's
    /// `ToTensor` (`byte / 255` rounded once).
    #[default]
    Unit,
    /// The byte values `0..=255` unchanged.
    Raw,
}

/// The value of each byte under `scale`, for a table lookup.
fn table<T: Element>(scale: Pixels) -> [T; 256] {
    let mut lut = [T::zero(); 256];
    for (b, v) in lut.iter_mut().enumerate() {
        *v = match scale {
            Pixels::Unit => T::of(b as f64) / T::of(255.0),
            Pixels::Raw => T::of(b as f64),
        };
    }
    lut
}

/// A tensor of `shape` from `bytes` (whose length is the shape's number of elements).
pub(crate) fn bytes_to_tensor<T: Element>(
    bytes: &[u8],
    shape: &[usize],
    scale: Pixels,
) -> Tensor<T> {
    let lut = table::<T>(scale);
    let values: Vec<T> = bytes.iter().map(|&b| lut[b as usize]).collect();
    let a = ArrayD::from_shape_vec(IxDyn(shape), values)
        .expect("bytes_to_tensor: the loader checked the byte count against the shape");
    Tensor::from_array(a)
}

/// Class indices as a `[N]` tensor of numbers.
pub(crate) fn labels_to_tensor<T: Element>(labels: &[u8]) -> Tensor<T> {
    bytes_to_tensor(labels, &[labels.len()], Pixels::Raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_scale_matches_division_in_the_element_type() {
        let t = bytes_to_tensor::<f32>(&[0, 1, 128, 255], &[2, 2], Pixels::Unit);
        assert_eq!(t.shape(), &[2, 2]);
        assert_eq!(t.to_vec(), vec![0.0, 1.0 / 255.0, 128.0 / 255.0, 1.0]);
        let t = bytes_to_tensor::<f64>(&[3], &[1], Pixels::Unit);
        assert_eq!(t.to_vec(), vec![3.0 / 255.0]);
        let t = bytes_to_tensor::<f32>(&[3, 200], &[2], Pixels::Raw);
        assert_eq!(t.to_vec(), vec![3.0, 200.0]);
        assert_eq!(labels_to_tensor::<f32>(&[5, 0]).to_vec(), vec![5.0, 0.0]);
        assert_eq!(Split::Test.to_string(), "test");
    }
}
