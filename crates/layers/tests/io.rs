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

// ---------------------------------------------------------------------------------------
// safetensors save / load
// ---------------------------------------------------------------------------------------

mod st {
    use std::path::PathBuf;

    use safetensors::tensor::{Dtype, SafeTensors};
    use serde_json::Value;
    use youshi_autograd::{Graph, Param, Var};
    use youshi_layers::io::{
        load_safetensors, load_state_dict, save_safetensors, state_dict, temp_path,
    };
    use youshi_layers::{
        Buffer, Flatten, LayerError, Linear, Module, ModuleExt, Relu, Result, Sequential, Slot,
    };
    use youshi_tensor::{seeded_rng, Element, Tensor};

    const REF: &str = include_str!("fixtures/io.json");
    const MLP: &[u8] = include_bytes!("fixtures/io_mlp.safetensors");
    const MLP32: &[u8] = include_bytes!("fixtures/io_mlp32.safetensors");
    const BN: &[u8] = include_bytes!("fixtures/io_bn.safetensors");

    fn reference() -> Value {
        serde_json::from_str(REF).unwrap()
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    }

    fn shape(v: &Value) -> Vec<usize> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    }

    /// A fresh directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("youshi-io-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// The Youshi twin of the torch model in `io.py`.
    fn mlp<T: Element>(seed: u64) -> Sequential<T> {
        let mut rng = seeded_rng(seed);
        Sequential::new()
            .add(Linear::new(6, 5, &mut rng).unwrap())
            .add(Relu)
            .add(Flatten::default())
            .add(Linear::new(5, 3, &mut rng).unwrap())
    }

    /// A module holding what `nn.BatchNorm1d(4)` holds, with PyTorch's names.
    struct BnState<T: Element> {
        weight: Param<T>,
        bias: Param<T>,
        running_mean: Buffer<T>,
        running_var: Buffer<T>,
        num_batches_tracked: Buffer<T>,
    }

    impl<T: Element> BnState<T> {
        fn new(c: usize) -> Self {
            BnState {
                weight: Param::new(Tensor::ones([c])),
                bias: Param::new(Tensor::zeros([c])),
                running_mean: Buffer::new(Tensor::zeros([c])),
                running_var: Buffer::new(Tensor::ones([c])),
                num_batches_tracked: Buffer::new(Tensor::scalar(T::zero())),
            }
        }
    }

    impl<T: Element> Module<T> for BnState<T> {
        fn kind(&self) -> &'static str {
            "BnState"
        }
        fn forward(&self, x: &Var<T>) -> Result<Var<T>> {
            Ok(x.clone())
        }
        fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, T>)) {
            f("weight", Slot::Param(&self.weight));
            f("bias", Slot::Param(&self.bias));
            f("running_mean", Slot::Buffer(&self.running_mean));
            f("running_var", Slot::Buffer(&self.running_var));
            f(
                "num_batches_tracked",
                Slot::Buffer(&self.num_batches_tracked),
            );
        }
    }

    fn snapshot<T: Element>(m: &dyn Module<T>) -> Vec<(String, Vec<T>)> {
        state_dict(m)
            .into_iter()
            .map(|(n, t)| (n, t.to_vec()))
            .collect()
    }

    /// serde_json's float parsing may be off in the last bit, so "equal" is within 1e-15.
    fn assert_close(got: &[f64], want: &[f64], name: &str) {
        assert_eq!(got.len(), want.len(), "{name}");
        for (a, b) in got.iter().zip(want) {
            assert!(close(*a, *b, 1e-15), "{name}: {a} vs {b}");
        }
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }

    #[test]
    fn round_trip_into_a_fresh_model_is_exact() {
        let dir = scratch("roundtrip");
        let a: Sequential<f64> = mlp(1);
        let path = dir.join("m.safetensors");
        save_safetensors(&a, &path).unwrap();
        let b: Sequential<f64> = mlp(2);
        assert_ne!(snapshot(&a), snapshot(&b));
        load_safetensors(&b, &path, true).unwrap();
        assert_eq!(snapshot(&a), snapshot(&b));
        assert!(!temp_path(&path).exists());

        let a32: Sequential<f32> = mlp(3);
        save_safetensors(&a32, &path).unwrap(); // overwrites
        let b32: Sequential<f32> = mlp(4);
        load_safetensors(&b32, &path, true).unwrap();
        assert_eq!(snapshot(&a32), snapshot(&b32));

        let bn = BnState::<f32>::new(4);
        bn.num_batches_tracked.set(Tensor::scalar(7.0)).unwrap();
        bn.running_mean.set(Tensor::full([4], 0.5)).unwrap();
        save_safetensors(&bn, &path).unwrap();
        let bn2 = BnState::<f32>::new(4);
        load_safetensors(&bn2, &path, true).unwrap();
        assert_eq!(snapshot(&bn), snapshot(&bn2));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn loads_a_torch_state_dict_and_reproduces_torch_outputs() {
        let r = reference();
        let model: Sequential<f64> = mlp(5);
        let dir = scratch("torch-mlp");
        load_safetensors(&model, write(&dir, "mlp.safetensors", MLP), true).unwrap();
        let sd = state_dict(&model);
        assert_eq!(sd.len(), r["mlp"].as_object().unwrap().len());
        for (name, t) in &sd {
            let want = &r["mlp"][name.as_str()];
            assert_eq!(t.shape(), &shape(&want["shape"])[..], "{name}");
            assert_close(&t.to_vec(), &floats(&want["values"]), name);
        }
        let x = Tensor::from_vec(floats(&r["mlp_input"]), [2, 6]).unwrap();
        let y = model.forward(&Graph::no_grad().constant(x)).unwrap();
        assert_eq!(y.shape(), &shape(&r["mlp_output_shape"])[..]);
        for (a, b) in y.value().to_vec().iter().zip(floats(&r["mlp_output"])) {
            assert!(close(*a, b, 1e-9), "{a} vs {b}");
        }

        // The float32 file, into an f32 model and (converted) into an f64 model.
        let p32 = write(&dir, "mlp32.safetensors", MLP32);
        let m32: Sequential<f32> = mlp(6);
        load_safetensors(&m32, &p32, true).unwrap();
        let m64: Sequential<f64> = mlp(6);
        load_safetensors(&m64, &p32, true).unwrap();
        for ((name, t32), (_, t64)) in state_dict(&m32).iter().zip(state_dict(&m64).iter()) {
            let want = floats(&r["mlp"][name.as_str()]["values"]);
            for ((a, b), w) in t32.to_vec().iter().zip(t64.to_vec()).zip(want) {
                assert_eq!(*a as f64, b, "{name}: f32 -> f64 conversion is exact");
                assert!(close(*a as f64, w, 1e-6), "{name}: {a} vs {w}");
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn loads_torch_batch_norm_state_with_an_int64_counter() {
        let r = reference();
        let dir = scratch("torch-bn");
        let path = write(&dir, "bn.safetensors", BN);
        for_each_type(&path, &r);
        std::fs::remove_dir_all(&dir).ok();

        fn for_each_type(path: &std::path::Path, r: &Value) {
            let bn = BnState::<f64>::new(4);
            load_safetensors(&bn, path, true).unwrap();
            for (name, t) in state_dict(&bn) {
                let want = &r["bn"][name.as_str()];
                assert_eq!(t.shape(), &shape(&want["shape"])[..], "{name}");
                assert_close(&t.to_vec(), &floats(&want["values"]), &name);
            }
            assert_eq!(bn.num_batches_tracked.value().item().unwrap(), 3.0);
            let bn32 = BnState::<f32>::new(4);
            load_safetensors(&bn32, path, true).unwrap();
            assert_eq!(bn32.num_batches_tracked.value().item().unwrap(), 3.0);
        }
    }

    #[test]
    fn youshi_files_have_the_names_dtypes_and_shapes_torch_expects() {
        let dir = scratch("layout");
        // The batch-norm state, against the file torch wrote.
        let path = dir.join("bn.safetensors");
        let bn = BnState::<f64>::new(4);
        bn.num_batches_tracked.set(Tensor::scalar(3.0)).unwrap();
        save_safetensors(&bn, &path).unwrap();
        let ours = std::fs::read(&path).unwrap();
        let ours = SafeTensors::deserialize(&ours).unwrap();
        let theirs = SafeTensors::deserialize(BN).unwrap();
        let layout = |s: &SafeTensors| {
            let mut v: Vec<(String, Dtype, Vec<usize>)> = s
                .iter()
                .map(|(n, t)| (n.to_string(), t.dtype(), t.shape().to_vec()))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        assert_eq!(layout(&ours), layout(&theirs));
        let counter = ours.tensor("num_batches_tracked").unwrap();
        assert_eq!(counter.dtype(), Dtype::I64);
        assert_eq!(counter.shape(), &[] as &[usize]);
        assert_eq!(counter.data(), 3i64.to_le_bytes());

        // The MLP in f64 and in f32.
        let m: Sequential<f64> = mlp(7);
        save_safetensors(&m, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let ours = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(
            layout(&ours),
            layout(&SafeTensors::deserialize(MLP).unwrap())
        );
        let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
        assert_eq!(
            meta.metadata()
                .as_ref()
                .unwrap()
                .get("format")
                .map(String::as_str),
            Some("pt")
        );
        let w = ours.tensor("0.weight").unwrap();
        let values: Vec<f64> = w
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, m.params()[0].value().to_vec());
        let m32: Sequential<f32> = mlp(7);
        save_safetensors(&m32, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            layout(&SafeTensors::deserialize(&bytes).unwrap()),
            layout(&SafeTensors::deserialize(MLP32).unwrap())
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A safetensors file from a raw header and data section.
    fn raw(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn format_offset(e: LayerError) -> u64 {
        match e {
            LayerError::Format { offset, .. } => offset,
            other => panic!("expected a Format error, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_files_give_format_errors_with_offsets() {
        let dir = scratch("corrupt");
        let model: Sequential<f64> = mlp(8);
        let before = snapshot(&model);
        let load = |name: &str, bytes: &[u8]| {
            let p = write(&dir, name, bytes);
            load_safetensors(&model, &p, true).unwrap_err()
        };

        // Truncated: the data ends early; shorter than the length prefix.
        let e = load("trunc.safetensors", &MLP[..MLP.len() - 10]);
        assert_eq!(format_offset(e.clone()), MLP.len() as u64 - 10, "{e}");
        assert!(e.to_string().contains("truncated"), "{e}");
        assert_eq!(format_offset(load("tiny.safetensors", &MLP[..5])), 5);
        assert_eq!(format_offset(load("empty.safetensors", &[])), 0);

        // Header length larger than the file (and absurd): rejected before allocating.
        let mut bad = MLP.to_vec();
        bad[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let e = load("hlen.safetensors", &bad);
        assert_eq!(format_offset(e.clone()), 0);
        assert!(e.to_string().contains("header length"), "{e}");
        let mut bad = MLP.to_vec();
        bad[..8].copy_from_slice(&(MLP.len() as u64).to_le_bytes());
        assert_eq!(format_offset(load("hlen2.safetensors", &bad)), 0);

        // A header that is not JSON: the offset points into the header.
        let e = load("json.safetensors", &raw("{\"a\": nope}", &[]));
        let off = format_offset(e.clone());
        assert!((8..8 + 11).contains(&off), "{e}");
        assert!((8 + 6..=8 + 8).contains(&off), "{e}");
        let e = load("utf8.safetensors", &raw("{\"\u{e9}\":1}", &[])[..]);
        assert!(matches!(e, LayerError::Format { .. }), "{e}");
        let mut utf = raw("{\"ab\": 1}", &[]);
        utf[8 + 2] = 0xff;
        assert_eq!(format_offset(load("utf8b.safetensors", &utf)), 10);

        // Offsets out of range or inconsistent with the shape.
        let h = r#"{"0.weight":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"0.bias":{"dtype":"F64","shape":[2],"data_offsets":[16,40]}}"#;
        let e = load("range.safetensors", &raw(h, &[0u8; 40]));
        let start = 8 + h.len() as u64;
        assert_eq!(format_offset(e.clone()), start + 16, "{e}");
        assert!(e.to_string().contains("0.bias"), "{e}");
        let h = r#"{"0.weight":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"0.bias":{"dtype":"F64","shape":[2],"data_offsets":[24,40]}}"#;
        let e = load("gap.safetensors", &raw(h, &[0u8; 40]));
        assert_eq!(format_offset(e.clone()), 8 + h.len() as u64 + 24, "{e}");
        let h = r#"{"0.weight":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}"#;
        let e = load("past.safetensors", &raw(h, &[0u8; 8]));
        assert_eq!(format_offset(e.clone()), 8 + h.len() as u64 + 8, "{e}");
        let e = load("extra.safetensors", &raw(h, &[0u8; 20]));
        assert_eq!(format_offset(e.clone()), 8 + h.len() as u64 + 16, "{e}");

        // Nothing of the model changed.
        assert_eq!(snapshot(&model), before);
        std::fs::remove_dir_all(&dir).ok();
    }

    type Problems = (Vec<String>, Vec<String>, Vec<(String, String, String)>);

    fn state_dict_err(e: LayerError) -> Problems {
        match e {
            LayerError::StateDict {
                missing,
                unexpected,
                shapes,
            } => (missing, unexpected, shapes),
            other => panic!("expected a StateDict error, got {other:?}"),
        }
    }

    /// Writes `entries` (name, dtype, shape, bytes) with the safetensors crate.
    fn file_with(
        dir: &std::path::Path,
        name: &str,
        entries: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)>,
    ) -> PathBuf {
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = entries
            .iter()
            .map(|(n, d, s, b)| {
                (
                    n.to_string(),
                    safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap(),
                )
            })
            .collect();
        let bytes = safetensors::serialize(views, None).unwrap();
        write(dir, name, &bytes)
    }

    fn f64_bytes(n: usize) -> Vec<u8> {
        (0..n).flat_map(|i| (i as f64).to_le_bytes()).collect()
    }

    #[test]
    fn name_shape_and_dtype_problems_are_all_reported_and_change_nothing() {
        let dir = scratch("mismatch");
        let model: Sequential<f64> = mlp(9);
        let before = snapshot(&model);

        // Missing 3.bias, unexpected 9.weight, 0.bias of the wrong shape, 3.weight of a wrong
        // dtype (F16), 0.weight fine.
        let p = file_with(
            &dir,
            "all.safetensors",
            vec![
                ("0.weight", Dtype::F64, vec![5, 6], f64_bytes(30)),
                ("0.bias", Dtype::F64, vec![4], f64_bytes(4)),
                ("3.weight", Dtype::F16, vec![3, 5], vec![0; 30]),
                ("9.weight", Dtype::F64, vec![1], f64_bytes(1)),
            ],
        );
        let (missing, unexpected, shapes) =
            state_dict_err(load_safetensors(&model, &p, true).unwrap_err());
        assert_eq!(missing, ["3.bias"]);
        assert_eq!(unexpected, ["9.weight"]);
        assert_eq!(shapes.len(), 2, "{shapes:?}");
        assert_eq!(shapes[0].0, "0.bias");
        assert!(
            shapes[0].1.contains("[5]") && shapes[0].2.contains("[4]"),
            "{shapes:?}"
        );
        assert_eq!(shapes[1].0, "3.weight");
        assert!(shapes[1].2.contains("F16"), "{shapes:?}");
        assert_eq!(snapshot(&model), before);

        // Non-strict: names are ignored, but shape and dtype mismatches still fail.
        let (missing, unexpected, shapes) =
            state_dict_err(load_safetensors(&model, &p, false).unwrap_err());
        assert!(missing.is_empty() && unexpected.is_empty());
        assert_eq!(shapes.len(), 2);
        assert_eq!(snapshot(&model), before);

        // Non-strict with only a subset: loads what is there.
        let p = file_with(
            &dir,
            "subset.safetensors",
            vec![
                ("0.weight", Dtype::F64, vec![5, 6], f64_bytes(30)),
                ("extra", Dtype::F32, vec![2], vec![0; 8]),
            ],
        );
        let e = state_dict_err(load_safetensors(&model, &p, true).unwrap_err());
        assert_eq!(e.0, ["0.bias", "3.weight", "3.bias"]);
        assert_eq!(e.1, ["extra"]);
        assert_eq!(snapshot(&model), before);
        load_safetensors(&model, &p, false).unwrap();
        let after = snapshot(&model);
        assert_eq!(after[0].1, (0..30).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(after[1..], before[1..]);

        // I64 is a counter's dtype only; an int weight is a dtype mismatch.
        let p = file_with(
            &dir,
            "int.safetensors",
            vec![("weight", Dtype::I64, vec![3, 2], vec![0; 48])],
        );
        let lin: Linear<f64> = Linear::with_bias(2, 3, false, &mut seeded_rng(0)).unwrap();
        let (_, _, shapes) = state_dict_err(load_safetensors(&lin, &p, true).unwrap_err());
        assert_eq!(shapes[0].0, "weight");
        assert!(shapes[0].2.contains("I64"), "{shapes:?}");

        // The error message lists everything.
        let msg = LayerError::StateDict {
            missing: vec!["a".into()],
            unexpected: vec!["b".into()],
            shapes: vec![],
        }
        .to_string();
        assert!(
            msg.contains("missing a") && msg.contains("unexpected b"),
            "{msg}"
        );

        // load_state_dict from tensors checks the same way.
        let e = load_state_dict(
            &model,
            vec![("0.weight".to_string(), Tensor::<f64>::zeros([6, 5]))],
            false,
        )
        .unwrap_err();
        assert_eq!(state_dict_err(e).2[0].0, "0.weight");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_failed_save_leaves_the_old_file_intact() {
        let dir = scratch("atomic");
        let path = dir.join("model.safetensors");
        let a: Sequential<f64> = mlp(10);
        save_safetensors(&a, &path).unwrap();
        let old = std::fs::read(&path).unwrap();
        // Block the temporary file with a directory: the write fails before touching `path`.
        std::fs::create_dir(temp_path(&path)).unwrap();
        let b: Sequential<f64> = mlp(11);
        let e = save_safetensors(&b, &path).unwrap_err();
        assert!(matches!(e, LayerError::Io { op: "save", .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), old);
        assert!(temp_path(&path).is_dir());
        std::fs::remove_dir(temp_path(&path)).unwrap();
        // A directory that does not exist.
        let e = save_safetensors(&b, dir.join("nope").join("m.safetensors")).unwrap_err();
        assert!(matches!(e, LayerError::Io { .. }), "{e}");
        // Saving works again once the obstacle is gone, and replaces the file.
        save_safetensors(&b, &path).unwrap();
        assert_ne!(std::fs::read(&path).unwrap(), old);
        let c: Sequential<f64> = mlp(12);
        load_safetensors(&c, &path, true).unwrap();
        assert_eq!(snapshot(&c), snapshot(&b));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let model: Sequential<f64> = mlp(0);
        let e =
            load_safetensors(&model, "/nonexistent/youshi/model.safetensors", true).unwrap_err();
        assert!(matches!(e, LayerError::Io { op: "load", .. }), "{e}");
    }
}

// ---------------------------------------------------------------------------------------
// summary
// ---------------------------------------------------------------------------------------

mod summary_tests {
    use youshi_autograd::Var;
    use youshi_layers::summary::summary;
    use youshi_layers::{
        Buffer, Flatten, LayerError, Linear, Module, ModuleExt, Relu, Result, Sequential, Slot,
    };
    use youshi_tensor::{seeded_rng, Tensor};

    /// A user container (not Sequential): reported as one row.
    struct Residual {
        inner: Linear<f64>,
    }

    impl Module<f64> for Residual {
        fn kind(&self) -> &'static str {
            "Residual"
        }
        fn forward(&self, x: &Var<f64>) -> Result<Var<f64>> {
            let y = self.inner.forward(x).map_err(|e| e.within("inner"))?;
            Ok(y.add(x)?)
        }
        fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Module<f64>)) {
            f("inner", &self.inner);
        }
    }

    /// Updates a buffer on every forward, like batch norm's running statistics.
    struct Counting {
        seen: Buffer<f64>,
    }

    impl Module<f64> for Counting {
        fn kind(&self) -> &'static str {
            "Counting"
        }
        fn forward(&self, x: &Var<f64>) -> Result<Var<f64>> {
            let v = self.seen.value().item()?;
            self.seen.set(Tensor::scalar(v + 1.0))?;
            Ok(x.clone())
        }
        fn visit_own(&self, f: &mut dyn FnMut(&str, Slot<'_, f64>)) {
            f("seen", Slot::Buffer(&self.seen));
        }
    }

    fn model() -> Sequential<f64> {
        let mut rng = seeded_rng(0);
        Sequential::new()
            .add(Flatten::default())
            .add(Linear::new(12, 8, &mut rng).unwrap())
            .add(Relu)
            .add(
                Sequential::new()
                    .add(Residual {
                        inner: Linear::new(8, 8, &mut rng).unwrap(),
                    })
                    .add(Counting {
                        seen: Buffer::new(Tensor::scalar(0.0)),
                    }),
            )
            .add(Linear::with_bias(8, 3, false, &mut rng).unwrap())
    }

    #[test]
    fn rows_shapes_and_counts() {
        let m = model();
        m.params()[0].set_requires_grad(false); // freeze 1.weight
        let s = summary(&m, &[2, 3, 4]).unwrap();
        let rows: Vec<(&str, &str, Vec<usize>, usize)> = s
            .rows
            .iter()
            .map(|r| (r.name.as_str(), r.kind, r.output_shape.clone(), r.params))
            .collect();
        assert_eq!(
            rows,
            [
                ("0", "Flatten", vec![2, 12], 0),
                ("1", "Linear", vec![2, 8], 12 * 8 + 8),
                ("2", "ReLU", vec![2, 8], 0),
                ("3.0", "Residual", vec![2, 8], 8 * 8 + 8),
                ("3.1", "Counting", vec![2, 8], 0),
                ("4", "Linear", vec![2, 3], 8 * 3),
            ]
        );
        assert_eq!(s.output_shape, [2, 3]);
        assert_eq!(s.input_shape, [2, 3, 4]);
        assert_eq!(s.non_trainable, 96);
        assert_eq!(s.trainable, 8 + 72 + 24);
        assert_eq!(s.total(), 200);
        // The buffer touched by the forward pass was restored.
        assert_eq!(m.named_buffers()[0].1.value().item().unwrap(), 0.0);

        let text = s.to_string();
        assert!(
            text.starts_with("Model: Sequential, input [2, 3, 4]"),
            "{text}"
        );
        assert!(text.contains("Layer (type)"), "{text}");
        assert!(text.contains("3.0 (Residual)"), "{text}");
        assert!(text.contains("Total params: 200"), "{text}");
        assert!(text.contains("Trainable params: 104"), "{text}");
        assert!(text.contains("Non-trainable params: 96"), "{text}");
        let row = text.lines().find(|l| l.starts_with("1 (Linear)")).unwrap();
        assert!(
            row.contains("[2, 8]") && row.trim_end().ends_with("104"),
            "{row}"
        );
    }

    #[test]
    fn a_single_module_and_thousands_separators() {
        let l: Linear<f64> = Linear::new(1000, 1000, &mut seeded_rng(0)).unwrap();
        let s = summary(&l, &[1, 1000]).unwrap();
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.rows[0].name, "");
        assert_eq!(s.rows[0].params, 1_001_000);
        assert!(s.to_string().contains("1,001,000"), "{s}");
    }

    #[test]
    fn a_bad_input_names_the_layer() {
        let m = model();
        let e = summary(&m, &[2, 5]).unwrap_err();
        match &e {
            LayerError::Input { path, kind, .. } => {
                assert_eq!(path, "1");
                assert_eq!(*kind, "Linear");
            }
            other => panic!("{other:?}"),
        }
        // Inside a non-Sequential container, the path goes through it.
        let nested: Sequential<f64> = Sequential::new().add(Residual {
            inner: Linear::new(4, 4, &mut seeded_rng(0)).unwrap(),
        });
        match summary(&nested, &[1, 3]).unwrap_err() {
            LayerError::Input { path, .. } => assert_eq!(path, "0.inner"),
            other => panic!("{other:?}"),
        }
        assert_eq!(m.named_buffers()[0].1.value().item().unwrap(), 0.0);
    }
}
