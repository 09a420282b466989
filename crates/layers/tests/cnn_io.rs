//! A small CNN trained a little in PyTorch (`tests/fixtures/cnn.py`) round-trips through
//! safetensors: Youshi loads PyTorch's file strictly, reproduces PyTorch's eval-mode output,
//! and writes a file with exactly PyTorch's names, dtypes, shapes and bytes.

use safetensors::tensor::{Dtype, SafeTensors};
use serde_json::Value;
use youshi_autograd::Graph;
use youshi_layers::conv::{Conv2dConfig, Padding};
use youshi_layers::io::{load_safetensors, save_safetensors};
use youshi_layers::norm::BatchNorm2d;
use youshi_layers::pool::Pool2dConfig;
use youshi_layers::{Flatten, Linear, Module, ModuleExt, Relu, Sequential};
use youshi_tensor::{seeded_rng, Tensor};

const REF: &str = include_str!("fixtures/cnn.json");
const TORCH_FILE: &[u8] = include_bytes!("fixtures/cnn.safetensors");

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// The Youshi twin of the torch model in `cnn.py`.
fn cnn(seed: u64) -> Sequential<f32> {
    let mut rng = seeded_rng(seed);
    Sequential::new()
        .add(
            Conv2dConfig::new(1, 4, 3)
                .padding(Padding::Explicit(1))
                .init::<f32>(&mut rng)
                .unwrap(),
        )
        .add(BatchNorm2d::<f32>::new(4).unwrap())
        .add(Relu)
        .add(Pool2dConfig::new(2).max().unwrap())
        .add(Flatten::default())
        .add(Linear::<f32>::new(4 * 4 * 4, 3, &mut rng).unwrap())
}

fn output(model: &Sequential<f32>, r: &Value) -> Vec<f32> {
    let x: Vec<f32> = floats(&r["input"]).iter().map(|&v| v as f32).collect();
    let x = Tensor::from_vec(x, usizes(&r["input_shape"])).unwrap();
    let y = model.forward(&Graph::no_grad().constant(x)).unwrap();
    assert_eq!(y.shape(), &usizes(&r["output_shape"])[..]);
    y.value().to_vec()
}

type Layout = Vec<(String, Dtype, Vec<usize>, Vec<u8>)>;

fn layout(bytes: &[u8]) -> Layout {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let mut v: Layout = st
        .iter()
        .map(|(n, t)| {
            (
                n.to_string(),
                t.dtype(),
                t.shape().to_vec(),
                t.data().to_vec(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn torch_cnn_loads_matches_and_round_trips() {
    let r: Value = serde_json::from_str(REF).unwrap();
    let dir = std::env::temp_dir().join(format!("youshi-cnn-io-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let torch_path = dir.join("torch.safetensors");
    std::fs::write(&torch_path, TORCH_FILE).unwrap();

    // Load PyTorch's file strictly; eval mode reproduces PyTorch's output.
    let model = cnn(1);
    load_safetensors(&model, &torch_path, true).unwrap();
    model.eval();
    let got = output(&model, &r);
    let want = floats(&r["output"]);
    assert_eq!(got.len(), want.len());
    for (a, b) in got.iter().zip(&want) {
        assert!(
            (*a as f64 - b).abs() <= 1e-4 * b.abs().max(1.0),
            "output {a} vs {b}"
        );
    }

    // Save; the file has PyTorch's names, dtypes, shapes and values.
    let ours_path = dir.join("ours.safetensors");
    save_safetensors(&model, &ours_path).unwrap();
    let ours_bytes = std::fs::read(&ours_path).unwrap();
    let ours = layout(&ours_bytes);
    let theirs = layout(TORCH_FILE);
    let names: Vec<&str> = ours.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "0.bias",
            "0.weight",
            "1.bias",
            "1.num_batches_tracked",
            "1.running_mean",
            "1.running_var",
            "1.weight",
            "5.bias",
            "5.weight",
        ]
    );
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o.0, t.0);
        assert_eq!(o.1, t.1, "{} dtype", o.0);
        assert_eq!(o.2, t.2, "{} shape", o.0);
        assert_eq!(o.3, t.3, "{} values", o.0);
    }
    assert_eq!(ours.len(), theirs.len());
    let counter = ours
        .iter()
        .find(|e| e.0 == "1.num_batches_tracked")
        .unwrap();
    assert_eq!(counter.1, Dtype::I64);
    assert_eq!(counter.2, Vec::<usize>::new());
    assert_eq!(counter.3, 2i64.to_le_bytes());

    // A fresh model loading our file reproduces the output exactly.
    let fresh = cnn(2);
    load_safetensors(&fresh, &ours_path, true).unwrap();
    fresh.eval();
    assert_eq!(output(&fresh, &r), got);
    std::fs::remove_dir_all(&dir).ok();
}
