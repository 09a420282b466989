//! Tests of the fused recurrence: a per-sequence reference, finite differences and errors.

use youshi_tensor::Tensor;
use youshi_testkit::uniform_vec;

use super::*;
use crate::{gradcheck, GradcheckOptions, Graph};

fn t(shape: &[usize], seed: u64, scale: f64) -> Tensor<f64> {
    let n = shape.iter().product();
    let v = uniform_vec(n, seed).iter().map(|x| x * scale).collect();
    Tensor::from_vec(v, shape).unwrap()
}

const KINDS: [CellKind; 4] = [
    CellKind::RnnTanh,
    CellKind::RnnRelu,
    CellKind::Lstm,
    CellKind::Gru,
];

/// The value of the fused op packed as `[output; h_n; c_n]` flattened.
fn packed(r: &Recurrence<f64>) -> Vec<f64> {
    let mut v = r.output.value().to_vec();
    v.extend(r.h_n.value().to_vec());
    if let Some(c) = &r.c_n {
        v.extend(c.value().to_vec());
    }
    v
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A plain per-step reference of the equations, one sequence at a time.
#[allow(clippy::too_many_arguments)]
fn naive(
    kind: CellKind,
    xw: &[f64],
    h0: &[f64],
    c0: &[f64],
    whh: &[f64],
    bhh: &[f64],
    steps: usize,
    batch: usize,
    nh: usize,
    reverse: bool,
    lengths: &[usize],
) -> Vec<f64> {
    let gh = kind.gates() * nh;
    let mut out = vec![0.0; steps * batch * nh];
    let mut hn = vec![0.0; batch * nh];
    let mut cn = vec![0.0; batch * nh];
    for b in 0..batch {
        let mut h = h0[b * nh..(b + 1) * nh].to_vec();
        let mut c = c0.get(b * nh..(b + 1) * nh).unwrap_or(&[]).to_vec();
        let order: Vec<usize> = if reverse {
            (0..lengths[b]).rev().collect()
        } else {
            (0..lengths[b]).collect()
        };
        for t in order {
            let x = &xw[(t * batch + b) * gh..(t * batch + b + 1) * gh];
            let hw: Vec<f64> = (0..gh)
                .map(|r| bhh[r] + (0..nh).map(|k| whh[r * nh + k] * h[k]).sum::<f64>())
                .collect();
            let mut next = vec![0.0; nh];
            for j in 0..nh {
                next[j] = match kind {
                    CellKind::RnnTanh => (x[j] + hw[j]).tanh(),
                    CellKind::RnnRelu => (x[j] + hw[j]).max(0.0),
                    CellKind::Lstm => {
                        let i = sig(x[j] + hw[j]);
                        let f = sig(x[nh + j] + hw[nh + j]);
                        let g = (x[2 * nh + j] + hw[2 * nh + j]).tanh();
                        let o = sig(x[3 * nh + j] + hw[3 * nh + j]);
                        c[j] = f * c[j] + i * g;
                        o * c[j].tanh()
                    }
                    CellKind::Gru => {
                        let r = sig(x[j] + hw[j]);
                        let z = sig(x[nh + j] + hw[nh + j]);
                        let n = (x[2 * nh + j] + r * hw[2 * nh + j]).tanh();
                        (1.0 - z) * n + z * h[j]
                    }
                };
            }
            h = next;
            out[(t * batch + b) * nh..(t * batch + b + 1) * nh].copy_from_slice(&h);
        }
        hn[b * nh..(b + 1) * nh].copy_from_slice(&h);
        if kind.has_cell_state() {
            cn[b * nh..(b + 1) * nh].copy_from_slice(&c);
        }
    }
    out.extend(hn);
    if kind.has_cell_state() {
        out.extend(cn);
    }
    out
}

#[test]
fn forward_matches_a_per_sequence_reference() {
    let (steps, batch, nh) = (4, 3, 2);
    for kind in KINDS {
        let gh = kind.gates() * nh;
        for (reverse, lengths) in [
            (false, vec![4, 4, 4]),
            (true, vec![4, 4, 4]),
            (false, vec![4, 1, 3]),
            (true, vec![2, 4, 0]),
        ] {
            let (xw, h0, c0) = (
                t(&[steps, batch, gh], 1, 1.0),
                t(&[batch, nh], 2, 0.5),
                t(&[batch, nh], 3, 0.5),
            );
            let (whh, bhh) = (t(&[gh, nh], 4, 0.7), t(&[gh], 5, 0.3));
            let g = Graph::<f64>::no_grad();
            let c0v = g.constant(c0.clone());
            let opts = RecurrenceOptions::new(kind)
                .reverse(reverse)
                .lengths(lengths.clone());
            let r = Var::recurrence(
                &g.constant(xw.clone()),
                &g.constant(h0.clone()),
                kind.has_cell_state().then_some(&c0v),
                &g.constant(whh.clone()),
                Some(&g.constant(bhh.clone())),
                &opts,
            )
            .unwrap();
            let c0s = if kind.has_cell_state() {
                c0.to_vec()
            } else {
                vec![]
            };
            let want = naive(
                kind,
                &xw.to_vec(),
                &h0.to_vec(),
                &c0s,
                &whh.to_vec(),
                &bhh.to_vec(),
                steps,
                batch,
                nh,
                reverse,
                &lengths,
            );
            let got = packed(&r);
            assert_eq!(got.len(), want.len());
            for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (a - b).abs() < 1e-13,
                    "{kind:?} reverse {reverse} {lengths:?} [{i}]: {a} vs {b}"
                );
            }
        }
    }
}

/// Central differences for every input of the fused op, both directions, with and
/// without lengths.
#[test]
fn gradcheck_every_cell_direction_and_lengths() {
    let (steps, batch, nh) = (3, 2, 3);
    for kind in KINDS {
        let gh = kind.gates() * nh;
        for (reverse, lengths) in [
            (false, None),
            (true, None),
            (false, Some(vec![3, 1])),
            (true, Some(vec![2, 3])),
        ] {
            let mut inputs = vec![t(&[steps, batch, gh], 11, 1.0), t(&[batch, nh], 12, 0.5)];
            if kind.has_cell_state() {
                inputs.push(t(&[batch, nh], 13, 0.5));
            }
            inputs.push(t(&[gh, nh], 14, 0.6));
            inputs.push(t(&[gh], 15, 0.4));
            let lstm = kind.has_cell_state();
            let mut opts = RecurrenceOptions::new(kind).reverse(reverse);
            opts.lengths = lengths.clone();
            gradcheck(
                |_g, x| {
                    let (c0, rest) = if lstm {
                        (Some(&x[2]), &x[3..])
                    } else {
                        (None, &x[2..])
                    };
                    let r = Var::recurrence(&x[0], &x[1], c0, &rest[0], Some(&rest[1]), &opts)?;
                    let mut parts = vec![r.output.reshape(&[-1])?, r.h_n.reshape(&[-1])?];
                    if let Some(c) = r.c_n {
                        parts.push(c.reshape(&[-1])?);
                    }
                    Var::concat(&parts.iter().collect::<Vec<_>>(), 0)
                },
                &inputs,
                GradcheckOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{kind:?} reverse {reverse} lengths {lengths:?}: {e}"));
        }
    }
}

#[test]
fn gradcheck_without_bias_and_zero_length_sequences() {
    let (steps, batch, nh) = (2, 3, 2);
    for kind in KINDS {
        let gh = kind.gates() * nh;
        let mut inputs = vec![t(&[steps, batch, gh], 21, 1.0), t(&[batch, nh], 22, 0.5)];
        let lstm = kind.has_cell_state();
        if lstm {
            inputs.push(t(&[batch, nh], 23, 0.5));
        }
        inputs.push(t(&[gh, nh], 24, 0.6));
        let opts = RecurrenceOptions::new(kind).lengths(vec![0, 2, 1]);
        gradcheck(
            |_g, x| {
                let (c0, w) = if lstm {
                    (Some(&x[2]), &x[3])
                } else {
                    (None, &x[2])
                };
                let r = Var::recurrence(&x[0], &x[1], c0, w, None, &opts)?;
                // A zero-length sequence keeps its initial state and outputs zeros.
                let h0 = x[1].value().select(0, 0)?.to_vec();
                assert_eq!(r.h_n.value().select(0, 0)?.to_vec(), h0);
                r.output.mul(&r.output)?.sum_all()?.add(&r.h_n.sum_all()?)
            },
            &inputs,
            GradcheckOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    }
}

#[test]
fn frozen_weights_get_no_gradient_and_inputs_still_do() {
    let g = Graph::<f64>::new();
    let xw = g.leaf(t(&[2, 1, 4], 1, 1.0));
    let h0 = g.constant(Tensor::zeros([1, 1]));
    let c0 = g.constant(Tensor::zeros([1, 1]));
    let w = g.constant(t(&[4, 1], 2, 1.0));
    let r = Var::recurrence(
        &xw,
        &h0,
        Some(&c0),
        &w,
        None,
        &RecurrenceOptions::new(CellKind::Lstm),
    )
    .unwrap();
    r.output.sum_all().unwrap().backward().unwrap();
    assert_eq!(xw.grad().unwrap().shape(), &[2, 1, 4]);
}

#[test]
fn errors_name_the_operation_and_shapes() {
    let g = Graph::<f64>::new();
    let c = |s: &[usize]| g.constant(Tensor::zeros(s));
    let run = |xw: &[usize],
               h0: &[usize],
               c0: Option<&[usize]>,
               w: &[usize],
               b: Option<&[usize]>,
               opts: RecurrenceOptions| {
        let c0 = c0.map(c);
        let b = b.map(c);
        Var::recurrence(&c(xw), &c(h0), c0.as_ref(), &c(w), b.as_ref(), &opts)
            .unwrap_err()
            .to_string()
    };
    let lstm = || RecurrenceOptions::new(CellKind::Lstm);
    let gru = || RecurrenceOptions::new(CellKind::Gru);
    assert_eq!(
        run(&[2, 1, 8], &[1, 2], Some(&[1, 2]), &[6, 2], None, lstm()),
        "recurrence: Lstm needs w_hh of shape [4 * hidden, hidden], got [6, 2]"
    );
    assert_eq!(
        run(&[2, 1, 7], &[1, 2], None, &[6, 2], None, gru()),
        "recurrence: input projections must be [T, B, 6] for w_hh [6, 2], got [2, 1, 7]"
    );
    assert_eq!(
        run(&[2, 1, 6], &[2, 2], None, &[6, 2], None, gru()),
        "recurrence: h0 must be [1, 2] for input projections [2, 1, 6], got [2, 2]"
    );
    assert!(run(&[2, 1, 8], &[1, 2], None, &[8, 2], None, lstm())
        .contains("needs an initial cell state"));
    assert!(
        run(&[2, 1, 6], &[1, 2], Some(&[1, 2]), &[6, 2], None, gru())
            .contains("Gru has no cell state")
    );
    assert_eq!(
        run(&[2, 1, 8], &[1, 2], Some(&[2, 2]), &[8, 2], None, lstm()),
        "recurrence: c0 must be [1, 2], got [2, 2]"
    );
    assert_eq!(
        run(&[2, 1, 6], &[1, 2], None, &[6, 2], Some(&[4]), gru()),
        "recurrence: b_hh must be [6], got [4]"
    );
    assert_eq!(
        run(
            &[2, 1, 6],
            &[1, 2],
            None,
            &[6, 2],
            None,
            gru().lengths(vec![1, 1])
        ),
        "recurrence: 2 lengths for a batch of 1"
    );
    assert_eq!(
        run(
            &[2, 1, 6],
            &[1, 2],
            None,
            &[6, 2],
            None,
            gru().lengths(vec![3])
        ),
        "recurrence: length 3 exceeds the 2 time steps of the input projections [2, 1, 6]"
    );
}
