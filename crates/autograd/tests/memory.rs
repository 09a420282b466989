//! A long training loop must not accumulate graph nodes: each step's graph is freed when the
//! step ends. (Its own test binary, so no other test touches the process-wide node count.)

use youshi_autograd::{live_nodes, Graph, Param};
use youshi_tensor::{seeded_rng, Tensor};

#[test]
fn thousand_steps_keep_live_nodes_flat() {
    let mut rng = seeded_rng(11);
    let w = Param::new(Tensor::<f64>::rand_uniform([4, 3], -0.5, 0.5, &mut rng).unwrap());
    let b = Param::new(Tensor::<f64>::zeros([3]));
    let x = Tensor::<f64>::rand_uniform([16, 4], -1.0, 1.0, &mut rng).unwrap();
    let target = Tensor::<f64>::rand_uniform([16, 3], -1.0, 1.0, &mut rng).unwrap();
    assert_eq!(live_nodes(), 0);
    let mut peak = 0;
    let mut last_loss = f64::INFINITY;
    for step in 0..1000 {
        {
            let g = Graph::new();
            let y = g
                .constant(x.clone())
                .matmul(&g.param(&w))
                .unwrap()
                .add(&g.param(&b))
                .unwrap();
            let d = y.sub(&g.constant(target.clone())).unwrap();
            let loss = d.mul(&d).unwrap().mean_all().unwrap();
            peak = peak.max(live_nodes());
            w.zero_grad();
            b.zero_grad();
            loss.backward().unwrap();
            for p in [&w, &b] {
                p.update(|v, g| {
                    v.array_mut()
                        .zip_mut_with(&g.unwrap().view(), |v, &g| *v -= 0.1 * g)
                });
            }
            last_loss = loss.value().item().unwrap();
        }
        assert_eq!(live_nodes(), 0, "nodes left alive after step {step}");
    }
    // The graph of one step is small and the same every step.
    assert!(peak <= 10, "one step held {peak} nodes");
    assert!(last_loss.is_finite());
}
