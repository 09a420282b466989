//! The code of `docs/recurrent.md`, compiled and run, with checks of what the page says.

use youshi_layers::recurrent::{GruCellConfig, LstmCellConfig, RnnCellConfig};
use youshi_layers::ModuleExt;

#[test]
fn recurrent_guide_runs() -> Result<(), Box<dyn std::error::Error>> {
    // --- begin guide code ---
    use youshi_layers::recurrent::{GruConfig, LstmConfig, RnnConfig, RnnNonlinearity};
    use youshi_tensor::seeded_rng;

    let mut rng = seeded_rng(0);
    let lstm = LstmConfig::new(128, 256) // nn.LSTM(128, 256,
        .num_layers(2) //   num_layers=2,
        .bidirectional(true) //   bidirectional=True,
        .batch_first(true) //   batch_first=True,
        .dropout(0.2) //   dropout=0.2,
        .bias(true) //   bias=True)
        .init::<f32>(&mut rng)?;
    let gru = GruConfig::new(128, 256).init::<f32>(&mut rng)?;
    let rnn = RnnConfig::new(128, 256)
        .nonlinearity(RnnNonlinearity::Relu)
        .init::<f32>(&mut rng)?;

    use youshi_autograd::Graph;
    use youshi_layers::recurrent::LstmState;
    use youshi_layers::Module;
    use youshi_tensor::Tensor;

    let g = Graph::new();
    let x = g.constant(Tensor::rand_uniform([4, 10, 128], -1.0, 1.0, &mut rng)?); // [N, L, H_in]
    let seq = lstm.forward(&x)?; // [N, L, 2 * 256]
    let h0 = g.constant(Tensor::zeros([4, 4, 256])); // [D * layers, N, H]
    let c0 = g.constant(Tensor::zeros([4, 4, 256]));
    let (y, state) = lstm.forward_full(&x, Some(&LstmState { h: h0, c: c0 }), None)?;
    // state.h and state.c are the final states, [4, 4, 256] each.
    let (gru_out, h_n) = gru.forward_full(&g.constant(Tensor::zeros([10, 4, 128])), None, None)?;

    use youshi_layers::recurrent::pad_sequences;

    let sequences: Vec<Tensor<f32>> = [7, 3, 10]
        .iter()
        .map(|&len| Tensor::rand_uniform([len, 128], -1.0, 1.0, &mut rng))
        .collect::<Result<_, _>>()?;
    let (padded, lengths) = pad_sequences(&sequences, true, 0.0)?; // [3, 10, 128], [7, 3, 10]
    let (packed_y, packed_state) = lstm.forward_full(&g.constant(padded), None, Some(&lengths))?;
    // --- end guide code ---

    assert_eq!(seq.shape(), &[4, 10, 512]);
    assert_eq!(y.shape(), &[4, 10, 512]);
    assert_eq!(state.h.shape(), &[4, 4, 256]);
    assert_eq!(state.c.shape(), &[4, 4, 256]);
    assert_eq!(gru_out.shape(), &[10, 4, 256]);
    assert_eq!(h_n.shape(), &[1, 4, 256]);
    assert_eq!(lengths, [7, 3, 10]);
    assert_eq!(packed_y.shape(), &[3, 10, 512]);
    assert_eq!(packed_state.c.shape(), &[4, 3, 256]);
    // Outputs past a sequence's length are zero.
    let tail = packed_y.value().select(0, 1)?.narrow(0, 3, 7)?;
    assert!(tail.to_vec().iter().all(|&v| v == 0.0));
    // The option table, the names and the initialisation bound of the page.
    assert_eq!(rnn.named_params()[0].0, "weight_ih_l0");
    assert_eq!(lstm.named_params()[12].0, "weight_ih_l1_reverse");
    assert_eq!(lstm.named_params()[12].1.shape(), vec![1024, 512]);
    let bound = 1.0 / 256f32.sqrt();
    for (_, p) in gru.named_params() {
        assert!(p.value().to_vec().iter().all(|v| v.abs() <= bound));
    }
    let mut rngs = Vec::new();
    lstm.visit_rngs(&mut |name, _| rngs.push(name.to_string()));
    assert_eq!(rngs, ["rng"]);
    // The cells of the page.
    let x1 = g.constant(Tensor::ones([4, 128]));
    let rc = RnnCellConfig::new(128, 16).init::<f32>(&mut rng)?;
    let gc = GruCellConfig::new(128, 16).init::<f32>(&mut rng)?;
    let lc = LstmCellConfig::new(128, 16).init::<f32>(&mut rng)?;
    let h = rc.step(&x1, None)?;
    assert_eq!(gc.step(&x1, Some(&h))?.shape(), &[4, 16]);
    let s = lc.step(&x1, None)?;
    assert_eq!(lc.step(&x1, Some(&s))?.c.shape(), &[4, 16]);
    Ok(())
}
