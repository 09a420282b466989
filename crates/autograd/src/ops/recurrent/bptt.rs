//! The two loops of the fused recurrence: the forward over time, keeping the activations,
//! and the backward through time that reuses them (equations in the [parent module](super)).

use youshi_tensor::{math, Element, Tensor};

use crate::error::Result;
use crate::ops::recurrent::{CellKind, Dims, RecurrenceOptions};

/// What the forward keeps for the backward, indexed by time step (not processing order).
pub(crate) struct Saved<T: Element> {
    /// `[T * B, H]`: the hidden state entering each step.
    h_prev: Tensor<T>,
    /// `[T, B, G*H]`: activated gates (for the RNN, the new hidden state).
    acts: Vec<T>,
    /// `[T, B, H]`: LSTM `tanh(c_t)`; GRU `H_n`, the hidden part of the candidate.
    extra: Vec<T>,
    /// `[T, B, H]`: LSTM cell state entering each step.
    c_prev: Vec<T>,
}

/// The forward pass: returns `[T + S, B, H]` (the outputs, then `h_n`, then `c_n` for the
/// LSTM) and, if `save`, the activations for the backward.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward<T: Element>(
    xw: &Tensor<T>,
    h0: &Tensor<T>,
    c0: Option<&Tensor<T>>,
    whh: &Tensor<T>,
    bias: Option<&[T]>,
    opts: &RecurrenceOptions,
    dims: Dims,
    save: bool,
) -> Result<(Tensor<T>, Saved<T>)> {
    let Dims {
        steps,
        batch,
        hidden: nh,
    } = dims;
    let kind = opts.kind;
    let gh = kind.gates() * nh;
    let xw = xw.contiguous();
    let xs = xw
        .as_slice()
        .expect("a contiguous tensor exposes its slice");
    // A row-major copy of W_hhᵀ (small) spares the GEMM a strided operand at every step.
    let whh_t = whh.t()?.contiguous();
    let mut h = h0.to_vec();
    let mut c = c0.map(|c| c.to_vec()).unwrap_or_default();
    let states = if kind.has_cell_state() { 2 } else { 1 };
    let bh = batch * nh;
    let mut out = vec![T::zero(); (steps + states) * bh];
    let buffer = |on: bool, len: usize| {
        if save && on {
            vec![T::zero(); len]
        } else {
            Vec::new()
        }
    };
    let is_rnn = matches!(kind, CellKind::RnnTanh | CellKind::RnnRelu);
    let mut h_prev = buffer(true, steps * bh);
    let mut saved_acts = buffer(true, steps * batch * gh);
    let mut saved_extra = buffer(!is_rnn, steps * bh);
    let mut saved_c_prev = buffer(kind.has_cell_state(), steps * bh);
    // One row's cell state (LSTM) or candidate (GRU) on its way through `tanh`.
    let mut scratch = vec![T::zero(); nh];
    for step in 0..steps {
        let t = if opts.reverse { steps - 1 - step } else { step };
        let mut hw = Tensor::from_vec(h.clone(), [batch, nh])?
            .matmul(&whh_t)?
            .to_vec();
        if let Some(b) = bias {
            for row in hw.chunks_exact_mut(gh) {
                for (v, &bv) in row.iter_mut().zip(b) {
                    *v += bv;
                }
            }
        }
        if save {
            h_prev[t * bh..(t + 1) * bh].copy_from_slice(&h);
            if kind.has_cell_state() {
                saved_c_prev[t * bh..(t + 1) * bh].copy_from_slice(&c);
            }
        }
        for b in 0..batch {
            if opts.lengths.as_ref().is_some_and(|l| t >= l[b]) {
                continue;
            }
            let x = &xs[(t * batch + b) * gh..(t * batch + b + 1) * gh];
            let row = b * nh..(b + 1) * nh;
            let o = &mut out[t * bh + b * nh..t * bh + (b + 1) * nh];
            let acts = if save {
                Some(&mut saved_acts[(t * batch + b) * gh..(t * batch + b + 1) * gh])
            } else {
                None
            };
            let extra = if save && !is_rnn {
                Some(&mut saved_extra[t * bh + b * nh..t * bh + (b + 1) * nh])
            } else {
                None
            };
            let hb = &mut h[row.clone()];
            // The pre-activations `X_t + H_t` of this row, activated in place below.
            let gates = &mut hw[b * gh..(b + 1) * gh];
            match kind {
                CellKind::RnnTanh | CellKind::RnnRelu => {
                    for (a, &xv) in gates.iter_mut().zip(x) {
                        *a += xv;
                    }
                    if kind == CellKind::RnnTanh {
                        math::tanh_in_place(gates);
                    } else {
                        for a in gates.iter_mut() {
                            *a = a.max(T::zero());
                        }
                    }
                    hb.copy_from_slice(gates);
                    o.copy_from_slice(gates);
                    if let Some(acts) = acts {
                        acts.copy_from_slice(gates);
                    }
                }
                CellKind::Lstm => {
                    for (a, &xv) in gates.iter_mut().zip(x) {
                        *a += xv;
                    }
                    math::sigmoid_in_place(&mut gates[..2 * nh]);
                    math::tanh_in_place(&mut gates[2 * nh..3 * nh]);
                    math::sigmoid_in_place(&mut gates[3 * nh..]);
                    let (i, rest) = gates.split_at(nh);
                    let (f, rest) = rest.split_at(nh);
                    let (gg, og) = rest.split_at(nh);
                    let cb = &mut c[row];
                    for j in 0..nh {
                        let cn = f[j] * cb[j] + i[j] * gg[j];
                        cb[j] = cn;
                        scratch[j] = cn;
                    }
                    math::tanh_in_place(&mut scratch);
                    for j in 0..nh {
                        hb[j] = og[j] * scratch[j];
                    }
                    o.copy_from_slice(hb);
                    if let Some(a) = acts {
                        a.copy_from_slice(gates);
                    }
                    if let Some(e) = extra {
                        e.copy_from_slice(&scratch);
                    }
                }
                CellKind::Gru => {
                    let (rz, hn) = gates.split_at_mut(2 * nh);
                    for (a, &xv) in rz.iter_mut().zip(x) {
                        *a += xv;
                    }
                    math::sigmoid_in_place(rz);
                    let (r, z) = rz.split_at(nh);
                    for j in 0..nh {
                        scratch[j] = x[2 * nh + j] + r[j] * hn[j];
                    }
                    math::tanh_in_place(&mut scratch);
                    for j in 0..nh {
                        hb[j] = (T::one() - z[j]) * scratch[j] + z[j] * hb[j];
                    }
                    o.copy_from_slice(hb);
                    if let Some(a) = acts {
                        a[..2 * nh].copy_from_slice(rz);
                        a[2 * nh..].copy_from_slice(&scratch);
                    }
                    if let Some(e) = extra {
                        e.copy_from_slice(hn);
                    }
                }
            }
        }
    }
    out[steps * bh..(steps + 1) * bh].copy_from_slice(&h);
    if kind.has_cell_state() {
        out[(steps + 1) * bh..].copy_from_slice(&c);
    }
    let saved = Saved {
        h_prev: if save {
            Tensor::from_vec(h_prev, [steps * batch, nh])?
        } else {
            Tensor::zeros([0, nh])
        },
        acts: saved_acts,
        extra: saved_extra,
        c_prev: saved_c_prev,
    };
    Ok((Tensor::from_vec(out, [steps + states, batch, nh])?, saved))
}

/// Gradients of the recurrence's inputs.
pub(crate) struct Grads<T: Element> {
    pub(crate) xw: Tensor<T>,
    pub(crate) h0: Tensor<T>,
    pub(crate) c0: Option<Tensor<T>>,
    pub(crate) w_hh: Option<Tensor<T>>,
    pub(crate) b_hh: Option<Tensor<T>>,
}

/// Backward through time from the gradient `g` of the packed `[T + S, B, H]` output.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward<T: Element>(
    g: &Tensor<T>,
    saved: &Saved<T>,
    whh: &Tensor<T>,
    kind: CellKind,
    reverse: bool,
    lengths: Option<&[usize]>,
    dims: Dims,
    need_w: bool,
    need_b: bool,
) -> Result<Grads<T>> {
    let Dims {
        steps,
        batch,
        hidden: nh,
    } = dims;
    let gh = kind.gates() * nh;
    let bh = batch * nh;
    let g = g.contiguous();
    let gs = g.as_slice().expect("a contiguous tensor exposes its slice");
    let mut dh = gs[steps * bh..(steps + 1) * bh].to_vec();
    let mut dc = if kind.has_cell_state() {
        gs[(steps + 1) * bh..(steps + 2) * bh].to_vec()
    } else {
        Vec::new()
    };
    let mut dxw = vec![T::zero(); steps * batch * gh];
    // The hidden side's pre-activation gradients differ from the input side's for the GRU.
    let mut dah = if kind == CellKind::Gru {
        vec![T::zero(); steps * batch * gh]
    } else {
        Vec::new()
    };
    let one = T::one();
    let h_prev = saved
        .h_prev
        .as_slice()
        .expect("the saved states are contiguous");
    for step in (0..steps).rev() {
        let t = if reverse { steps - 1 - step } else { step };
        // The direct (non-GEMM) part of dL/dh_{t-1}; inactive rows pass dh through.
        let mut dh_prev = vec![T::zero(); bh];
        for b in 0..batch {
            let row = b * nh..(b + 1) * nh;
            if lengths.is_some_and(|l| t >= l[b]) {
                dh_prev[row.clone()].copy_from_slice(&dh[row]);
                continue;
            }
            let at = (t * batch + b) * gh;
            let st = t * bh + b * nh;
            let acts = &saved.acts[at..at + gh];
            let dout = &gs[st..st + nh];
            let dx = &mut dxw[at..at + gh];
            match kind {
                CellKind::RnnTanh | CellKind::RnnRelu => {
                    for j in 0..nh {
                        let d = dh[b * nh + j] + dout[j];
                        let hv = acts[j];
                        dx[j] = if kind == CellKind::RnnTanh {
                            d * (one - hv * hv)
                        } else if hv > T::zero() {
                            d
                        } else {
                            T::zero()
                        };
                    }
                }
                CellKind::Lstm => {
                    let tcs = &saved.extra[st..st + nh];
                    let cps = &saved.c_prev[st..st + nh];
                    for j in 0..nh {
                        let d = dh[b * nh + j] + dout[j];
                        let (i, f, gg, o) =
                            (acts[j], acts[nh + j], acts[2 * nh + j], acts[3 * nh + j]);
                        let tc = tcs[j];
                        let dct = dc[b * nh + j] + d * o * (one - tc * tc);
                        dx[j] = dct * gg * i * (one - i);
                        dx[nh + j] = dct * cps[j] * f * (one - f);
                        dx[2 * nh + j] = dct * i * (one - gg * gg);
                        dx[3 * nh + j] = d * tc * o * (one - o);
                        dc[b * nh + j] = dct * f;
                    }
                }
                CellKind::Gru => {
                    let hns = &saved.extra[st..st + nh];
                    let hps = &h_prev[st..st + nh];
                    let dhh = &mut dah[at..at + gh];
                    for j in 0..nh {
                        let d = dh[b * nh + j] + dout[j];
                        let (r, z, n) = (acts[j], acts[nh + j], acts[2 * nh + j]);
                        let dan = d * (one - z) * (one - n * n);
                        let daz = d * (hps[j] - n) * z * (one - z);
                        let dar = dan * hns[j] * r * (one - r);
                        dx[j] = dar;
                        dx[nh + j] = daz;
                        dx[2 * nh + j] = dan;
                        dhh[j] = dar;
                        dhh[nh + j] = daz;
                        dhh[2 * nh + j] = dan * r;
                        dh_prev[b * nh + j] = d * z;
                    }
                }
            }
        }
        let da = if kind == CellKind::Gru { &dah } else { &dxw };
        let da_t = Tensor::from_vec(
            da[t * batch * gh..(t + 1) * batch * gh].to_vec(),
            [batch, gh],
        )?;
        let via_w = da_t.matmul(whh)?;
        let via_w = via_w.contiguous();
        let vs = via_w
            .as_slice()
            .expect("a contiguous tensor exposes its slice");
        for (d, &v) in dh_prev.iter_mut().zip(vs) {
            *d += v;
        }
        dh = dh_prev;
    }
    let dxw = Tensor::from_vec(dxw, [steps, batch, gh])?;
    let da = if kind == CellKind::Gru {
        Tensor::from_vec(dah, [steps * batch, gh])?
    } else {
        dxw.reshape_exact(&[steps * batch, gh])?
    };
    let w_hh = if need_w {
        Some(da.t()?.matmul(&saved.h_prev)?)
    } else {
        None
    };
    let b_hh = if need_b {
        Some(da.sum(&[0], false)?)
    } else {
        None
    };
    Ok(Grads {
        xw: dxw,
        h0: Tensor::from_vec(dh, [batch, nh])?,
        c0: if kind.has_cell_state() {
            Some(Tensor::from_vec(dc, [batch, nh])?)
        } else {
            None
        },
        w_hh,
        b_hh,
    })
}
