//! A short tour of `youshi-autograd`: record operations on a graph, call `backward`, read the
//! gradients, check them against finite differences, and fit a line with plain gradient descent.
//!
//! Run with `cargo run --release --example 02_autograd`.

use youshi::autograd::{gradcheck, AutogradError, GradcheckOptions, Graph, Param};
use youshi::tensor::{seeded_rng, Tensor};

fn main() -> Result<(), AutogradError> {
    // y = sum(x² · w): dy/dx = 2 x w, dy/dw = x².
    let g = Graph::<f64>::new();
    let x = g.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3])?);
    let w = g.leaf(Tensor::from_vec(vec![0.5, -1.0, 2.0], [3])?);
    let y = x.square()?.mul(&w)?.sum_all()?;
    y.backward()?;
    println!("y = {}", y.value().item()?);
    println!("dy/dx = {:?}", x.grad().map(|t| t.to_vec()));
    println!("dy/dw = {:?}", w.grad().map(|t| t.to_vec()));

    // Every op's backward can be checked against central finite differences in f64.
    let inputs = [Tensor::from_vec(vec![0.3, -0.7, 1.1, 0.2], [2, 2])?];
    let report = gradcheck(
        |_, v| v[0].tanh()?.matmul(&v[0])?.sum_all(),
        &inputs,
        GradcheckOptions::default(),
    )?;
    println!(
        "gradcheck: {} derivatives, max |analytic - numeric| = {:.2e}",
        report.checked, report.max_abs_err
    );

    // Fit y = 3x - 2 with a parameter and a few hundred steps of gradient descent.
    let mut rng = seeded_rng(7);
    let xs = Tensor::<f32>::rand_uniform([64, 1], -1.0, 1.0, &mut rng)?;
    let ys = xs.mul_scalar(3.0).add_scalar(-2.0);
    let weight = Param::new(Tensor::<f32>::zeros([1, 1]));
    let bias = Param::new(Tensor::<f32>::zeros([1]));
    for step in 0..300 {
        let g = Graph::new();
        let pred = g
            .constant(xs.clone())
            .matmul(&g.param(&weight))?
            .add(&g.param(&bias))?;
        let loss = pred.sub(&g.constant(ys.clone()))?.square()?.mean_all()?;
        loss.backward()?;
        for p in [&weight, &bias] {
            p.update(|v, grad| {
                if let Some(grad) = grad {
                    v.array_mut()
                        .zip_mut_with(&grad.view(), |v, &g| *v -= 0.1 * g);
                }
            });
            p.zero_grad();
        }
        if step % 100 == 0 {
            println!("step {step:3}: loss {:.5}", loss.value().item()?);
        }
    }
    println!(
        "fitted: w = {:.4}, b = {:.4} (true 3, -2)",
        weight.value().item()?,
        bias.value().item()?
    );
    Ok(())
}
