//! A short tour of `youshi-tensor`: creation, views, broadcasting, reductions, matmul,
//! convolution, and errors that name the operation and the shapes.
//!
//! Run with `cargo run --release --example 01_tensors`.

use youshi::tensor::{seeded_rng, Conv2dOptions, Tensor, TensorError};

fn main() -> Result<(), TensorError> {
    // Creation: from data, ranges, constants and seeded random numbers.
    let a = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    let r = Tensor::<f32>::arange(0.0, 6.0, 1.0)?.reshape(&[3, 2])?;
    let mut rng = seeded_rng(42);
    let noise = Tensor::<f32>::rand_normal([2, 3], 0.0, 1.0, &mut rng)?;
    println!("a = {:?}  shape {:?}", a.to_vec(), a.shape());
    println!("r = {:?}  shape {:?}", r.to_vec(), r.shape());
    println!("N(0, 1) draws (seed 42): {:?}", noise.to_vec());

    // Views: transpose, slice and reshape share storage; `contiguous` copies when needed.
    let at = a.t()?;
    println!(
        "aᵀ shape {:?}, contiguous: {}",
        at.shape(),
        at.is_contiguous()
    );
    let col = a.slice(1, 1, 3, 1)?;
    println!("a[:, 1:3] = {:?}", col.to_vec());

    // Broadcasting follows NumPy: [2, 3] + [3] adds the row to every row.
    let bias = Tensor::<f32>::from_vec(vec![10.0, 20.0, 30.0], [3])?;
    println!("a + bias = {:?}", a.add(&bias)?.to_vec());

    // Reductions over axes, with keepdim, and a numerically stable softmax.
    println!("sum over rows = {:?}", a.sum(&[0], false)?.to_vec());
    println!("mean of each row = {:?}", a.mean(&[-1], true)?.to_vec());
    println!("softmax of each row = {:?}", a.softmax(-1)?.to_vec());

    // Matrix products: [2, 3] x [3, 2] -> [2, 2].
    let p = a.matmul(&r)?;
    println!("a · r = {:?}  shape {:?}", p.to_vec(), p.shape());

    // Convolution in NCHW with OIHW weights: a 3x3 box filter over a 1-channel 5x5 image.
    let image = Tensor::<f32>::arange(0.0, 25.0, 1.0)?.reshape(&[1, 1, 5, 5])?;
    let weight = Tensor::<f32>::full([1, 1, 3, 3], 1.0 / 9.0);
    let blurred = image.conv2d(&weight, None, Conv2dOptions::default().padding(1))?;
    println!("blurred image shape {:?}", blurred.shape());

    // Errors are values naming the operation and the shapes involved.
    match a.matmul(&a) {
        Ok(_) => unreachable!("[2, 3] x [2, 3] is not a valid product"),
        Err(e) => println!("error, as expected: {e}"),
    }
    Ok(())
}
