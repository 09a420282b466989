//! The ResNet-style basic block of `docs/user-guide.md`, compiled and run: forward shape,
//! PyTorch's parameter and buffer names, gradients reaching every parameter, train/eval,
//! summary, safetensors round trip and freezing.

use youshi_autograd::{Graph, Var};
use youshi_layers::conv::{Conv2d, Conv2dConfig, Padding};
use youshi_layers::io::{load_safetensors, save_safetensors};
use youshi_layers::norm::BatchNorm2d;
use youshi_layers::summary::summary;
use youshi_layers::{Module, ModuleExt, Result};
use youshi_tensor::{seeded_rng, Tensor, TensorRng};

// --- begin guide code ---
/// `relu(bn2(conv2(relu(bn1(conv1(x))))) + x)`, torchvision's `BasicBlock` without downsampling.
struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    conv2: Conv2d,
    bn2: BatchNorm2d,
}

impl BasicBlock {
    fn new(channels: usize, rng: &mut TensorRng) -> Result<Self> {
        let conv = Conv2dConfig::new(channels, channels, 3)
            .padding(Padding::Explicit(1))
            .bias(false);
        Ok(BasicBlock {
            conv1: conv.init(rng)?,
            bn1: BatchNorm2d::new(channels)?,
            conv2: conv.init(rng)?,
            bn2: BatchNorm2d::new(channels)?,
        })
    }
}

impl Module for BasicBlock {
    fn kind(&self) -> &'static str {
        "BasicBlock"
    }

    fn forward(&self, x: &Var) -> Result<Var> {
        let y = self.conv1.forward(x).map_err(|e| e.within("conv1"))?;
        let y = self.bn1.forward(&y).map_err(|e| e.within("bn1"))?.relu()?;
        let y = self.conv2.forward(&y).map_err(|e| e.within("conv2"))?;
        let y = self.bn2.forward(&y).map_err(|e| e.within("bn2"))?;
        Ok(y.add(x)?.relu()?)
    }

    fn visit_children(&self, f: &mut dyn FnMut(&str, &dyn Module)) {
        f("conv1", &self.conv1);
        f("bn1", &self.bn1);
        f("conv2", &self.conv2);
        f("bn2", &self.bn2);
    }
}
// --- end guide code ---

#[test]
fn basic_block_from_the_guide_works() -> Result<()> {
    let mut rng = seeded_rng(0);
    let block = BasicBlock::new(8, &mut rng)?;

    let names: Vec<String> = block.named_params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "conv1.weight",
            "bn1.weight",
            "bn1.bias",
            "conv2.weight",
            "bn2.weight",
            "bn2.bias"
        ]
    );
    let buffers: Vec<String> = block.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert!(buffers.contains(&"bn1.running_mean".to_string()));
    assert!(buffers.contains(&"bn2.num_batches_tracked".to_string()));

    // Training: the output keeps the shape and gradients reach every parameter.
    block.train();
    let g = Graph::new();
    let x = g.constant(Tensor::rand_uniform([2, 8, 6, 6], -1.0, 1.0, &mut rng)?);
    let y = block.forward(&x)?;
    assert_eq!(y.shape(), &[2, 8, 6, 6]);
    y.mul(&y)?.mean_all()?.backward()?;
    for (name, p) in block.named_params() {
        let grad = p.grad().unwrap_or_else(|| panic!("{name}: no gradient"));
        assert!(
            grad.to_vec().iter().any(|v| *v != 0.0),
            "{name}: zero gradient"
        );
    }
    let mean = block.named_buffers()[0].1.value().to_vec();
    assert!(mean.iter().any(|v| *v != 0.0), "running mean updated");

    // Errors carry the path of the layer that rejected the input.
    let err = block
        .forward(&g.constant(Tensor::zeros([2, 3, 6, 6])))
        .unwrap_err();
    assert!(err.to_string().contains("conv1"), "{err}");

    // Summary, eval, save/load, freezing.
    block.eval();
    let s = summary(&block, &[1, 8, 6, 6])?;
    assert_eq!(s.total(), 2 * 8 * 8 * 9 + 4 * 8);
    let path =
        std::env::temp_dir().join(format!("youshi-guide-{}.safetensors", std::process::id()));
    save_safetensors(&block, &path)?;
    let copy = BasicBlock::new(8, &mut seeded_rng(1))?;
    load_safetensors(&copy, &path, true)?;
    copy.eval();
    let g = Graph::no_grad();
    let x = g.constant(Tensor::ones([1, 8, 6, 6]));
    assert_eq!(
        block.forward(&x)?.value().to_vec(),
        copy.forward(&x)?.value().to_vec()
    );
    std::fs::remove_file(&path).ok();

    copy.freeze();
    assert!(copy.params().iter().all(|p| !p.requires_grad()));
    assert_eq!(copy.param_counts().1, s.total());
    Ok(())
}
