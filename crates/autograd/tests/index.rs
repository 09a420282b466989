//! Gradient checks of the indexing, joining and padding ops against central finite
//! differences, with proptest-chosen shapes, axes, indices, strides and paddings; plus
//! gradient accumulation through reused values, error propagation and no-recording of
//! constant-only computations.

use proptest::prelude::*;
use youshi_autograd::{gradcheck, AutogradError, GradcheckOptions, Graph, Result, Var};
use youshi_tensor::{Indices, Tensor};
use youshi_testkit::uniform_vec;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Seeded values in [-1, 1) of `shape`.
fn data(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::from_vec(uniform_vec(numel(shape), seed), shape).unwrap()
}

/// `n` integers in `0..bound` (`bound > 0`) from `seed`.
fn ints(n: usize, bound: usize, seed: u64) -> Vec<usize> {
    uniform_vec(n, seed)
        .into_iter()
        .map(|u| (((u + 1.0) / 2.0 * bound as f64) as usize).min(bound - 1))
        .collect()
}

/// The leaf for an input of logical `shape`: stored with the axes reversed when `strided`, so
/// that [`view`] hands the op a permuted (non-contiguous) value.
fn leaf_data(shape: &[usize], seed: u64, strided: bool) -> Tensor<f64> {
    if strided {
        let rev: Vec<usize> = shape.iter().rev().copied().collect();
        data(&rev, seed)
    } else {
        data(shape, seed)
    }
}

/// The op's input: the leaf itself, or its axes reversed back (a strided view).
fn view(x: &Var<f64>, strided: bool) -> Result<Var<f64>> {
    if strided {
        let perm: Vec<isize> = (0..x.shape().len() as isize).rev().collect();
        x.permute(&perm)
    } else {
        Ok(x.clone())
    }
}

/// Runs [`gradcheck`] with the default step and tolerances, as a proptest failure.
fn check<F>(f: F, inputs: &[Tensor<f64>]) -> std::result::Result<(), TestCaseError>
where
    F: Fn(&[Var<f64>]) -> Result<Var<f64>>,
{
    gradcheck(|_g, x| f(x), inputs, GradcheckOptions::default())
        .map(|_| ())
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

/// Concatenates pieces along `axis` in reverse order (so every slot is moved), leaving out
/// piece `drop` if given (its slot must then get a zero gradient).
fn rejoin(parts: Vec<Var<f64>>, axis: isize, drop: Option<usize>) -> Result<Var<f64>> {
    let kept: Vec<&Var<f64>> = parts
        .iter()
        .enumerate()
        .rev()
        .filter(|&(i, _)| Some(i) != drop)
        .map(|(_, p)| p)
        .collect();
    Var::concat(&kept, axis)
}

fn shape_strategy(min_rank: usize, max_rank: usize, max_dim: usize) -> BoxedStrategy<Vec<usize>> {
    prop::collection::vec(1..=max_dim, min_rank..=max_rank).boxed()
}

// ---------------------------------------------------------------------------------------------
// Gradient checks
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(28))]

    #[test]
    fn slice_gradcheck(
        shape in shape_strategy(1, 3, 6),
        axis in 0usize..3,
        start in 0usize..5,
        len in 0usize..9,
        step in 1usize..5,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let axis = (axis % shape.len()) as isize - shape.len() as isize; // negative axes too
        let end = start + len; // may pass the size: clamped, like Python
        check(
            |x| view(&x[0], strided)?.slice(axis, start, end, step),
            &[leaf_data(&shape, seed, strided)],
        )?;
    }

    #[test]
    fn narrow_and_select_gradcheck(
        shape in shape_strategy(1, 3, 5),
        axis in 0usize..3,
        a in 0usize..100,
        b in 0usize..100,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let ax = axis % shape.len();
        let size = shape[ax];
        let start = a % (size + 1);
        let len = b % (size - start + 1);
        let x = leaf_data(&shape, seed, strided);
        check(|v| view(&v[0], strided)?.narrow(ax as isize, start, len), std::slice::from_ref(&x))?;
        let index = a % size;
        check(|v| view(&v[0], strided)?.select(ax as isize, index), &[x])?;
    }

    #[test]
    fn index_select_gradcheck(
        shape in shape_strategy(1, 3, 4),
        axis in 0usize..3,
        n in 0usize..7,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let ax = axis % shape.len();
        // n indices into an axis of at most 4 entries: repeats are common.
        let indices = ints(n, shape[ax], seed + 1);
        check(
            |x| view(&x[0], strided)?.index_select(ax as isize, &indices),
            &[leaf_data(&shape, seed, strided)],
        )?;
    }

    #[test]
    fn gather_gradcheck(
        shape in shape_strategy(1, 3, 4),
        axis in 0usize..3,
        fracs in prop::collection::vec(0usize..100, 3),
        along in 1usize..6,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let ax = axis % shape.len();
        // Index extent up to the input's outside the axis, any extent along it.
        let ishape: Vec<usize> = shape
            .iter()
            .enumerate()
            .map(|(d, &s)| if d == ax { along } else { 1 + fracs[d] % s })
            .collect();
        let index = Indices::from_shape_vec(
            ishape.clone(),
            ints(numel(&ishape), shape[ax], seed + 1),
        )
        .unwrap();
        check(
            |x| view(&x[0], strided)?.gather(ax as isize, &index),
            &[leaf_data(&shape, seed, strided)],
        )?;
    }

    #[test]
    fn scatter_add_gradcheck(
        shape in shape_strategy(1, 3, 4),
        axis in 0usize..3,
        fracs in prop::collection::vec(0usize..100, 3),
        along in 1usize..6,
        extra in prop::collection::vec(0usize..2, 3),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let ax = axis % shape.len();
        let ishape: Vec<usize> = shape
            .iter()
            .enumerate()
            .map(|(d, &s)| if d == ax { along } else { 1 + fracs[d] % s })
            .collect();
        // src may be larger than the index; its unread block gets a zero gradient.
        let sshape: Vec<usize> = ishape.iter().zip(&extra).map(|(&i, &e)| i + e).collect();
        let index = Indices::from_shape_vec(
            ishape.clone(),
            ints(numel(&ishape), shape[ax], seed + 1),
        )
        .unwrap();
        check(
            |x| view(&x[0], strided)?.scatter_add(ax as isize, &index, &view(&x[1], strided)?),
            &[leaf_data(&shape, seed, strided), leaf_data(&sshape, seed + 2, strided)],
        )?;
    }

    #[test]
    fn masked_fill_gradcheck(
        shape in shape_strategy(1, 3, 4),
        drop_lead in 0usize..3,
        ones in prop::collection::vec(any::<bool>(), 3),
        fill in -2.0f64..2.0,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        // A mask broadcast to the input: leading dimensions dropped, some others set to 1.
        let mshape: Vec<usize> = shape[drop_lead.min(shape.len())..]
            .iter()
            .zip(&ones)
            .map(|(&s, &one)| if one { 1 } else { s })
            .collect();
        let bits: Vec<f64> = ints(numel(&mshape), 2, seed + 1).iter().map(|&b| b as f64).collect();
        let mask = Tensor::from_vec(bits, mshape).unwrap();
        check(
            |x| view(&x[0], strided)?.masked_fill(&x[0].constant(mask.clone()), fill),
            &[leaf_data(&shape, seed, strided)],
        )?;
    }

    #[test]
    fn concat_and_stack_gradcheck(
        shape in shape_strategy(1, 3, 3),
        axis in 0usize..4,
        sizes in prop::collection::vec(0usize..4, 1..5),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let ax = axis % shape.len();
        let inputs: Vec<Tensor<f64>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let mut sh = shape.clone();
                sh[ax] = s;
                leaf_data(&sh, seed + i as u64, strided)
            })
            .collect();
        check(
            |x| {
                let views = x.iter().map(|v| view(v, strided)).collect::<Result<Vec<_>>>()?;
                Var::concat(&views.iter().collect::<Vec<_>>(), ax as isize)
            },
            &inputs,
        )?;
        // stack: one shape for all; the new axis anywhere in 0..=rank.
        let sax = (axis % (shape.len() + 1)) as isize;
        let inputs: Vec<Tensor<f64>> = (0..sizes.len())
            .map(|i| leaf_data(&shape, seed + 10 + i as u64, strided))
            .collect();
        check(
            |x| {
                let views = x.iter().map(|v| view(v, strided)).collect::<Result<Vec<_>>>()?;
                Var::stack(&views.iter().collect::<Vec<_>>(), sax)
            },
            &inputs,
        )?;
    }

    #[test]
    fn split_split_sizes_chunk_gradcheck(
        shape in shape_strategy(1, 3, 6),
        axis in 0usize..3,
        size in 1usize..8,
        cuts in prop::collection::vec(0usize..100, 0..4),
        drop in prop::option::of(0usize..8),
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let ax = axis % shape.len();
        let a = ax as isize;
        let dim = shape[ax];
        let x = leaf_data(&shape, seed, strided);
        // `drop` leaves one piece unused (when there are several), else all are rejoined.
        let pick = |parts: &Vec<Var<f64>>| drop.filter(|_| parts.len() > 1).map(|d| d % parts.len());
        check(
            |v| {
                let parts = view(&v[0], strided)?.split(size, a)?;
                let d = pick(&parts);
                rejoin(parts, a, d)
            },
            std::slice::from_ref(&x),
        )?;
        // A random partition of `dim` (empty pieces allowed).
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (dim + 1)).collect();
        bounds.push(0);
        bounds.push(dim);
        bounds.sort_unstable();
        let sizes: Vec<usize> = bounds.windows(2).map(|w| w[1] - w[0]).collect();
        check(
            |v| {
                let parts = view(&v[0], strided)?.split_sizes(&sizes, a)?;
                let d = pick(&parts);
                rejoin(parts, a, d)
            },
            std::slice::from_ref(&x),
        )?;
        check(
            |v| {
                let parts = view(&v[0], strided)?.chunk(size, a)?;
                let d = pick(&parts);
                rejoin(parts, a, d)
            },
            &[x],
        )?;
    }

    #[test]
    fn pad_and_unpad_gradcheck(
        shape in shape_strategy(1, 3, 3),
        pads in prop::collection::vec((0usize..3, 0usize..3), 0..4),
        fill in -2.0f64..2.0,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let pads = &pads[..pads.len().min(shape.len())];
        check(
            |x| view(&x[0], strided)?.pad(pads, fill),
            &[leaf_data(&shape, seed, strided)],
        )?;
        // unpad: grow the padded dimensions so the padding fits.
        let first = shape.len() - pads.len();
        let mut big = shape.clone();
        for (k, &(b, e)) in pads.iter().enumerate() {
            big[first + k] += b + e;
        }
        check(
            |x| view(&x[0], strided)?.unpad(pads),
            &[leaf_data(&big, seed + 1, strided)],
        )?;
    }

    #[test]
    fn repeat_gradcheck(
        shape in shape_strategy(0, 3, 3),
        reps in prop::collection::vec(0usize..4, 5),
        extra in 0usize..3,
        strided in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let reps = &reps[..shape.len() + extra];
        check(
            |x| view(&x[0], strided)?.repeat(reps),
            &[leaf_data(&shape, seed, strided)],
        )?;
    }

    #[test]
    fn reused_value_accumulates_through_every_op(
        shape in shape_strategy(2, 3, 4),
        seed in 0u64..1000,
    ) {
        // One input feeds every op; the gradient is the sum over all uses.
        let last = shape.len() - 1;
        let index = Indices::from_shape_vec(shape.clone(), ints(numel(&shape), shape[0], seed + 1))
            .unwrap();
        let mask = Tensor::from_vec(
            ints(shape[last], 2, seed + 2).iter().map(|&b| b as f64).collect(),
            [shape[last]],
        )
        .unwrap();
        check(
            |x| {
                let x = &x[0];
                let flat = |v: Var<f64>| v.reshape(&[-1]);
                let mut uses = vec![
                    flat(x.slice(0, 0, 9, 2)?)?,
                    flat(x.narrow(-1, 1, shape[last] - 1)?)?,
                    flat(x.select(0, 0)?)?,
                    flat(x.index_select(0, &[0, 0, shape[0] - 1])?)?,
                    flat(x.gather(0, &index)?)?,
                    flat(x.scatter_add(0, &index, x)?)?,
                    flat(x.masked_fill(&x.constant(mask.clone()), 3.0)?)?,
                    flat(Var::stack(&[x, x], 1)?)?,
                    flat(x.pad(&[(1, 2)], 0.5)?)?,
                    flat(x.pad(&[(1, 1)], 0.0)?.unpad(&[(0, 2)])?)?,
                    flat(x.repeat(&vec![2; shape.len()])?)?,
                ];
                uses.extend(x.chunk(2, 0)?.into_iter().map(flat).collect::<Result<Vec<_>>>()?);
                uses.extend(x.split(1, -1)?.into_iter().map(flat).collect::<Result<Vec<_>>>()?);
                Var::concat(&uses.iter().collect::<Vec<_>>(), 0)
            },
            &[data(&shape, seed)],
        )?;
    }
}

// ---------------------------------------------------------------------------------------------
// Accumulation, errors, recording
// ---------------------------------------------------------------------------------------------

/// The gradient of `sum(weights * f(x))` for a fresh leaf `x`.
fn grad_of(x: &Tensor<f64>, f: impl Fn(&Var<f64>) -> Result<Var<f64>>) -> Vec<f64> {
    let g = Graph::new();
    let v = g.leaf(x.clone());
    let y = f(&v).unwrap();
    let w = data(y.shape(), 99).map(|a| a + 2.0);
    y.backward_with(&w).unwrap();
    v.grad().unwrap().to_vec()
}

/// One differentiable use of a value, flattened.
type Use = Box<dyn Fn(&Var<f64>) -> Result<Var<f64>>>;

#[test]
fn gradient_of_reused_value_is_the_sum_of_each_use() {
    let x = data(&[3, 4], 1);
    let idx = Indices::from_shape_vec(vec![2, 4], vec![0, 2, 2, 1, 1, 1, 0, 2]).unwrap();
    let ops: Vec<Use> = vec![
        Box::new(|v| v.slice(1, 1, 4, 2)?.reshape(&[-1])),
        Box::new(|v| v.index_select(1, &[3, 3, 0])?.reshape(&[-1])),
        Box::new(move |v| v.gather(0, &idx)?.reshape(&[-1])),
        Box::new(|v| v.repeat(&[2, 1])?.reshape(&[-1])),
        Box::new(|v| v.pad(&[(1, 1)], 4.0)?.reshape(&[-1])),
        Box::new(|v| v.split(3, 1)?.swap_remove(0).reshape(&[-1])),
    ];
    // Together: every op on the same leaf, joined into one output.
    let together = grad_of(&x, |v| {
        let outs = ops.iter().map(|f| f(v)).collect::<Result<Vec<_>>>()?;
        Var::concat(&outs.iter().collect::<Vec<_>>(), 0)
    });
    // Apart: each op alone, with the same slice of output weights.
    let all_w = {
        let g = Graph::new();
        let v = g.constant(x.clone());
        let n: usize = ops.iter().map(|f| f(&v).unwrap().shape()[0]).sum();
        data(&[n], 99).map(|a| a + 2.0)
    };
    let mut sum = vec![0.0; x.numel()];
    let mut at = 0;
    for f in &ops {
        let g = Graph::new();
        let v = g.leaf(x.clone());
        let y = f(&v).unwrap();
        let n = y.shape()[0];
        y.backward_with(&all_w.narrow(0, at, n).unwrap()).unwrap();
        at += n;
        for (s, d) in sum.iter_mut().zip(v.grad().unwrap().to_vec()) {
            *s += d;
        }
    }
    youshi_testkit::assert_close(&together, &sum, 1e-12, 1e-12).unwrap();
}

#[test]
fn split_pieces_and_reuse_accumulate_exactly() {
    // y = concat(pieces) + x (through a second use): every element gets 1 from its piece
    // and 1 from the direct use.
    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[5, 2], 3));
    let parts = x.chunk(3, 0).unwrap();
    let joined = Var::concat(&parts.iter().collect::<Vec<_>>(), 0).unwrap();
    let both = Var::stack(&[&joined, &x], 0).unwrap();
    both.backward_with(&Tensor::ones([2, 5, 2])).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0; 10]);
    // Accumulation across backward calls on the same leaf.
    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[4], 4));
    let y = x.index_select(0, &[1, 1, 3]).unwrap();
    let ones = Tensor::ones([3]);
    y.backward_retain(Some(&ones)).unwrap();
    y.backward_retain(Some(&ones)).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 4.0, 0.0, 2.0]);
}

/// Asserts a tensor-level failure whose message starts with `op`.
fn assert_tensor_error(r: Result<Var<f64>>, op: &str) {
    let e = r.unwrap_err();
    assert!(matches!(e, AutogradError::Tensor(_)), "{op}: {e:?}");
    assert!(e.to_string().starts_with(&format!("{op}: ")), "{op}: {e}");
}

#[test]
fn bad_arguments_are_tensor_errors_naming_the_op() {
    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[2, 3], 5));
    let y = g.leaf(data(&[3, 2], 6));
    let idx = |s: &[usize], v: Vec<usize>| Indices::from_shape_vec(s.to_vec(), v).unwrap();
    assert_tensor_error(x.slice(2, 0, 1, 1), "slice");
    assert_tensor_error(x.slice(0, 0, 1, 0), "slice");
    assert_tensor_error(x.narrow(0, 1, 2), "narrow");
    assert_tensor_error(x.narrow(-3, 0, 1), "narrow");
    assert_tensor_error(x.select(1, 3), "select");
    assert_tensor_error(x.index_select(0, &[0, 2]), "index_select");
    assert_tensor_error(x.gather(1, &idx(&[3, 1], vec![0; 3])), "gather");
    assert_tensor_error(x.gather(1, &idx(&[1, 1], vec![3])), "gather");
    assert_tensor_error(
        x.scatter_add(1, &idx(&[2, 3], vec![0; 6]), &y),
        "scatter_add",
    );
    assert_tensor_error(x.scatter_add(1, &idx(&[1], vec![0]), &y), "scatter_add");
    assert_tensor_error(
        x.masked_fill(&x.constant(Tensor::zeros([3, 1])), 0.0),
        "masked_fill",
    );
    assert_tensor_error(Var::concat(&[&x, &y], 0), "concat");
    assert_tensor_error(Var::concat(&[], 0), "concat");
    assert_tensor_error(Var::stack(&[&x, &y], 0), "stack");
    assert_tensor_error(Var::stack(&[&x], 3), "stack");
    assert_tensor_error(x.pad(&[(1, 1); 3], 0.0), "pad");
    assert_tensor_error(x.unpad(&[(2, 2)]), "unpad");
    assert_tensor_error(x.repeat(&[3]), "repeat");
    let split_err = |r: Result<Vec<Var<f64>>>, op: &str| {
        assert_tensor_error(r.map(|mut v| v.swap_remove(0)), op);
    };
    split_err(x.split(0, 1), "split");
    split_err(x.split(1, 2), "split");
    split_err(x.split_sizes(&[1, 1], 1), "split_sizes");
    split_err(x.chunk(0, 0), "chunk");
    assert_eq!(g.len(), 2, "failed operations record nothing");

    // Mixing graphs is caught after the tensor op succeeds.
    let other = Graph::<f64>::new();
    let z = other.leaf(data(&[2, 3], 7));
    assert_eq!(
        Var::concat(&[&x, &z], 0).unwrap_err(),
        AutogradError::GraphMismatch { op: "concat" }
    );
    assert_eq!(
        Var::stack(&[&x, &z], 0).unwrap_err(),
        AutogradError::GraphMismatch { op: "stack" }
    );
    assert_eq!(
        x.scatter_add(0, &idx(&[1, 1], vec![1]), &z).unwrap_err(),
        AutogradError::GraphMismatch { op: "scatter_add" }
    );
    assert_eq!(
        x.masked_fill(&other.constant(Tensor::zeros([3])), 0.0)
            .unwrap_err(),
        AutogradError::GraphMismatch { op: "masked_fill" }
    );
}

/// Every op once on `x` (and `y` of shape `[3, 2]` where a second operand is needed).
fn run_every_op(x: &Var<f64>, y: &Var<f64>) -> Vec<Var<f64>> {
    let idx = Indices::from_shape_vec(vec![2, 2], vec![1, 0, 2, 2]).unwrap();
    let mask = x.constant(Tensor::from_vec(vec![1.0, 0.0, 1.0], [3]).unwrap());
    let mut out = vec![
        x.slice(1, 0, 3, 2).unwrap(),
        x.narrow(1, 1, 2).unwrap(),
        x.select(0, 1).unwrap(),
        x.index_select(1, &[2, 2]).unwrap(),
        x.gather(1, &idx).unwrap(),
        x.scatter_add(1, &idx, &y.t().unwrap()).unwrap(),
        x.masked_fill(&mask, 1.0).unwrap(),
        Var::concat(&[x, &y.t().unwrap()], 0).unwrap(),
        Var::stack(&[x, x], 0).unwrap(),
        x.pad(&[(1, 1)], 0.0).unwrap(),
        x.unpad(&[(1, 0)]).unwrap(),
        x.repeat(&[2, 1, 2]).unwrap(),
    ];
    out.extend(x.split(2, 1).unwrap());
    out.extend(x.split_sizes(&[1, 1], 0).unwrap());
    out.extend(x.chunk(2, 1).unwrap());
    out
}

#[test]
fn constant_inputs_record_nothing() {
    let g = Graph::<f64>::new();
    let x = g.constant(data(&[2, 3], 8));
    let y = g.constant(data(&[3, 2], 9));
    for v in run_every_op(&x, &y) {
        assert!(!v.requires_grad());
    }
    assert_eq!(g.len(), 0);
}

#[test]
fn no_grad_graph_records_nothing_and_recording_graph_records_each_op() {
    let g = Graph::<f64>::no_grad();
    let x = g.leaf(data(&[2, 3], 8));
    let y = g.leaf(data(&[3, 2], 9));
    let outs = run_every_op(&x, &y);
    assert!(outs.iter().all(|v| !v.requires_grad()));
    assert_eq!(g.len(), 0);

    let g = Graph::<f64>::new();
    let x = g.leaf(data(&[2, 3], 8));
    let y = g.leaf(data(&[3, 2], 9));
    let outs = run_every_op(&x, &y);
    assert!(outs.iter().all(|v| v.requires_grad()));
    // Two leaves, two transposes of y, and one node per output.
    assert_eq!(g.len(), 2 + 2 + outs.len());
}
