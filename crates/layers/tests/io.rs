//! Initialisers, safetensors save/load (against files written by PyTorch), and the model
//! summary.

use youshi_layers::init::{self, FanMode, Nonlinearity};
use youshi_layers::LayerError;
use youshi_tensor::{seeded_rng, Tensor};

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn assert_stats(v: &[f64], std: f64, what: &str) {
    let (m, s) = mean_std(v);
    assert!(m.abs() < 0.02 * std.max(1e-3) * 5.0, "{what}: mean {m}");
    assert!((s - std).abs() < 0.02 * std, "{what}: std {s}, want {std}");
}

#[test]
fn gains_match_pytorch() {
    let g = |n, p| init::calculate_gain(n, p).unwrap();
    assert_eq!(g(Nonlinearity::Linear, None), 1.0);
    assert_eq!(g(Nonlinearity::Sigmoid, None), 1.0);
    assert_eq!(g(Nonlinearity::Tanh, None), 5.0 / 3.0);
    assert_eq!(g(Nonlinearity::Relu, None), 2f64.sqrt());
    assert_eq!(g(Nonlinearity::Selu, None), 0.75);
    assert!((g(Nonlinearity::LeakyRelu, None) - (2.0 / (1.0 + 1e-4f64)).sqrt()).abs() < 1e-15);
    assert!((g(Nonlinearity::LeakyRelu, Some(5f64.sqrt())) - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
    assert!(init::calculate_gain(Nonlinearity::LeakyRelu, Some(f64::NAN)).is_err());
}

#[test]
fn fans_follow_pytorch_and_reject_vectors() {
    assert_eq!(
        init::calculate_fan_in_and_fan_out(&[30, 20]).unwrap(),
        (20, 30)
    );
    assert_eq!(
        init::calculate_fan_in_and_fan_out(&[8, 4, 3, 3]).unwrap(),
        (36, 72)
    );
    assert_eq!(
        init::calculate_fan_in_and_fan_out(&[8, 4, 5]).unwrap(),
        (20, 40)
    );
    for bad in [&[][..], &[7][..]] {
        let e = init::calculate_fan_in_and_fan_out(bad).unwrap_err();
        assert!(matches!(e, LayerError::Config { .. }), "{e}");
    }
    let mut rng = seeded_rng(0);
    let mut v = Tensor::<f64>::zeros([10]);
    assert!(init::xavier_uniform(&mut v, 1.0, &mut rng).is_err());
    assert!(init::xavier_normal(&mut v, 1.0, &mut rng).is_err());
    assert!(
        init::kaiming_uniform(&mut v, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng).is_err()
    );
    assert!(
        init::kaiming_normal(&mut v, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng).is_err()
    );
    assert!(init::orthogonal(&mut v, 1.0, &mut rng).is_err());
}

#[test]
fn invalid_parameters_are_config_errors() {
    let mut rng = seeded_rng(0);
    let mut w = Tensor::<f32>::zeros([4, 4]);
    assert!(init::uniform(&mut w, 1.0, 0.0, &mut rng).is_err());
    assert!(init::uniform(&mut w, f64::NAN, 0.0, &mut rng).is_err());
    assert!(init::normal(&mut w, 0.0, -1.0, &mut rng).is_err());
    assert!(init::normal(&mut w, f64::INFINITY, 1.0, &mut rng).is_err());
    assert!(init::xavier_uniform(&mut w, -1.0, &mut rng).is_err());
    assert!(init::orthogonal(&mut w, f64::NAN, &mut rng).is_err());
    assert!(init::kaiming_uniform(
        &mut w,
        f64::NAN,
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
        &mut rng
    )
    .is_err());
    // Nothing was changed by the failed calls.
    assert_eq!(w.to_vec(), vec![0.0; 16]);
}

#[test]
fn simple_fills_keep_shape_and_bounds() {
    let mut rng = seeded_rng(1);
    let mut w = Tensor::<f64>::zeros([200, 300]);
    init::uniform(&mut w, -2.0, 3.0, &mut rng).unwrap();
    assert_eq!(w.shape(), &[200, 300]);
    let v = w.to_vec();
    assert!(v.iter().all(|x| (-2.0..3.0).contains(x)));
    let (m, s) = mean_std(&v);
    assert!(
        (m - 0.5).abs() < 0.02 && (s - 5.0 / 12f64.sqrt()).abs() < 0.02,
        "{m} {s}"
    );
    init::normal(&mut w, 1.5, 0.5, &mut rng).unwrap();
    let (m, s) = mean_std(&w.to_vec());
    assert!(
        (m - 1.5).abs() < 0.005 && (s - 0.5).abs() < 0.005,
        "{m} {s}"
    );
    init::constant(&mut w, 0.25).unwrap();
    assert!(w.to_vec().iter().all(|&x| x == 0.25));
    init::ones(&mut w).unwrap();
    assert!(w.to_vec().iter().all(|&x| x == 1.0));
    init::zeros(&mut w).unwrap();
    assert!(w.to_vec().iter().all(|&x| x == 0.0));
    assert_eq!(w.shape(), &[200, 300]);
}

#[test]
fn xavier_bounds_and_std() {
    let mut rng = seeded_rng(2);
    let (fan_in, fan_out): (f64, f64) = (300.0, 200.0);
    let mut w = Tensor::<f64>::zeros([200, 300]);
    init::xavier_uniform(&mut w, 2.0, &mut rng).unwrap();
    let a = 2.0 * (6.0f64 / (fan_in + fan_out)).sqrt();
    let v = w.to_vec();
    assert!(v.iter().all(|x| x.abs() <= a));
    assert!(v.iter().any(|x| x.abs() > 0.99 * a));
    assert_stats(&v, a / 3f64.sqrt(), "xavier_uniform");
    init::xavier_normal(&mut w, 2.0, &mut rng).unwrap();
    assert_stats(
        &w.to_vec(),
        2.0 * (2.0f64 / (fan_in + fan_out)).sqrt(),
        "xavier_normal",
    );
    // Convolution shape: receptive field counts.
    let mut k = Tensor::<f32>::zeros([64, 32, 3, 3]);
    init::xavier_uniform(&mut k, 1.0, &mut rng).unwrap();
    let a = (6.0f32 / ((32 + 64) * 9) as f32).sqrt();
    assert!(k.to_vec().iter().all(|x| x.abs() <= a));
}

#[test]
fn kaiming_bounds_std_and_modes() {
    let mut rng = seeded_rng(3);
    let mut w = Tensor::<f64>::zeros([100, 50, 3, 3]);
    let fan_in: f64 = 50.0 * 9.0;
    let fan_out: f64 = 100.0 * 9.0;
    init::kaiming_uniform(&mut w, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut rng).unwrap();
    let bound = 2f64.sqrt() * (3.0 / fan_in).sqrt();
    let v = w.to_vec();
    assert!(v.iter().all(|x| x.abs() <= bound));
    assert_stats(&v, bound / 3f64.sqrt(), "kaiming_uniform fan_in");
    init::kaiming_normal(&mut w, 0.0, FanMode::FanOut, Nonlinearity::Relu, &mut rng).unwrap();
    assert_stats(
        &w.to_vec(),
        2f64.sqrt() / fan_out.sqrt(),
        "kaiming_normal fan_out",
    );
    init::kaiming_normal(
        &mut w,
        0.2,
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
        &mut rng,
    )
    .unwrap();
    assert_stats(
        &w.to_vec(),
        (2.0 / 1.04f64).sqrt() / fan_in.sqrt(),
        "kaiming_normal leaky",
    );
    init::kaiming_normal(&mut w, 0.0, FanMode::FanIn, Nonlinearity::Tanh, &mut rng).unwrap();
    assert_stats(
        &w.to_vec(),
        5.0 / 3.0 / fan_in.sqrt(),
        "kaiming_normal tanh",
    );
    // nn.Linear's own default: a = sqrt(5) gives bound 1 / sqrt(fan_in).
    let mut l = Tensor::<f64>::zeros([40, 60]);
    init::kaiming_uniform(
        &mut l,
        5f64.sqrt(),
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
        &mut rng,
    )
    .unwrap();
    let b = 1.0 / 60f64.sqrt();
    let v = l.to_vec();
    assert!(v.iter().all(|x| x.abs() <= b + 1e-15));
    assert!(v.iter().any(|x| x.abs() > 0.98 * b));
}

fn gram(v: &[f64], rows: usize, cols: usize, by_rows: bool) -> Vec<f64> {
    let n = if by_rows { rows } else { cols };
    let at = |i: usize, k: usize| {
        if by_rows {
            v[i * cols + k]
        } else {
            v[k * cols + i]
        }
    };
    let len = if by_rows { cols } else { rows };
    let mut g = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            g[i * n + j] = (0..len).map(|k| at(i, k) * at(j, k)).sum();
        }
    }
    g
}

#[test]
fn orthogonal_is_orthonormal_for_tall_wide_and_conv_shapes() {
    let mut rng = seeded_rng(4);
    for (shape, gain) in [
        (vec![30, 10], 1.0),
        (vec![10, 30], 1.0),
        (vec![25, 25], 2.0),
        (vec![6, 2, 3, 3], 0.5),
    ] {
        let mut w = Tensor::<f64>::zeros(shape.clone());
        init::orthogonal(&mut w, gain, &mut rng).unwrap();
        assert_eq!(w.shape(), &shape[..]);
        let rows = shape[0];
        let cols = w.numel() / rows;
        let v = w.to_vec();
        let by_rows = rows <= cols;
        let g = gram(&v, rows, cols, by_rows);
        let n = rows.min(cols);
        for i in 0..n {
            for j in 0..n {
                let want = if i == j { gain * gain } else { 0.0 };
                assert!(
                    (g[i * n + j] - want).abs() < 1e-12,
                    "{shape:?} G[{i},{j}] = {}",
                    g[i * n + j]
                );
            }
        }
    }
    // f32 too.
    let mut w = Tensor::<f32>::zeros([16, 16]);
    init::orthogonal(&mut w, 1.0, &mut rng).unwrap();
    let v: Vec<f64> = w.to_vec().iter().map(|&x| x as f64).collect();
    let g = gram(&v, 16, 16, true);
    for i in 0..16 {
        assert!((g[i * 16 + i] - 1.0).abs() < 1e-5);
    }
}

#[test]
fn initialisers_are_reproducible_and_handle_empty_tensors() {
    let mut a = Tensor::<f32>::zeros([5, 7]);
    let mut b = Tensor::<f32>::zeros([5, 7]);
    init::kaiming_uniform(
        &mut a,
        0.0,
        FanMode::FanIn,
        Nonlinearity::Relu,
        &mut seeded_rng(9),
    )
    .unwrap();
    init::kaiming_uniform(
        &mut b,
        0.0,
        FanMode::FanIn,
        Nonlinearity::Relu,
        &mut seeded_rng(9),
    )
    .unwrap();
    assert_eq!(a, b);
    let mut e = Tensor::<f32>::zeros([0, 4]);
    init::kaiming_normal(
        &mut e,
        0.0,
        FanMode::FanIn,
        Nonlinearity::Relu,
        &mut seeded_rng(0),
    )
    .unwrap();
    init::orthogonal(&mut e, 1.0, &mut seeded_rng(0)).unwrap();
    init::xavier_uniform(&mut e, 1.0, &mut seeded_rng(0)).unwrap();
    assert_eq!(e.shape(), &[0, 4]);
}
