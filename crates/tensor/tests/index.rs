//! Property tests of slicing, indexing, joining and padding against naive loops over
//! row-major `Vec<f64>`, plus the adjoint identities autograd relies on.

use proptest::prelude::*;
use youshi_tensor::{Indices, Tensor};
use youshi_testkit::{assert_close, uniform_vec};

// ---------------------------------------------------------------------------------------------
// Naive references: row-major buffers and explicit multi-indices.
// ---------------------------------------------------------------------------------------------

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Flat row-major position of `idx` in `shape`.
fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    let mut p = 0;
    for (&i, &d) in idx.iter().zip(shape) {
        assert!(i < d, "reference index {idx:?} outside {shape:?}");
        p = p * d + i;
    }
    p
}

/// Calls `f` on every multi-index of `shape` in row-major order.
fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `n` integers in `0..bound` (`bound > 0`) from `seed`.
fn ints(n: usize, bound: usize, seed: u64) -> Vec<usize> {
    uniform_vec(n, seed)
        .into_iter()
        .map(|u| (((u + 1.0) / 2.0 * bound as f64) as usize).min(bound - 1))
        .collect()
}

/// A seeded tensor of `shape`; a strided view (permuted, or every other element for rank 1)
/// when `strided`.
fn input(shape: &[usize], seed: u64, strided: bool) -> Tensor<f64> {
    let n = numel(shape);
    if !strided {
        return Tensor::from_vec(uniform_vec(n, seed), shape).unwrap();
    }
    if shape.len() == 1 {
        let t = Tensor::from_vec(uniform_vec(2 * n, seed), [2 * n]).unwrap();
        return t.slice(0, 0, 2 * n, 2).unwrap();
    }
    let rev: Vec<usize> = shape.iter().rev().copied().collect();
    let perm: Vec<isize> = (0..shape.len() as isize).rev().collect();
    Tensor::from_vec(uniform_vec(n, seed), rev)
        .unwrap()
        .permute(&perm)
        .unwrap()
}

/// An index array of `shape` with values below `bound`, optionally in a transposed layout.
fn index_array(shape: &[usize], bound: usize, seed: u64, transposed: bool) -> Indices {
    let v = ints(numel(shape), bound, seed);
    if transposed {
        let rev: Vec<usize> = shape.iter().rev().copied().collect();
        Indices::from_shape_vec(rev, v).unwrap().reversed_axes()
    } else {
        Indices::from_shape_vec(shape.to_vec(), v).unwrap()
    }
}

fn close(a: &[f64], b: &[f64]) -> Result<(), TestCaseError> {
    assert_close(a, b, 1e-10, 1e-12).map_err(TestCaseError::fail)
}

fn close_scalar(a: f64, b: f64) -> Result<(), TestCaseError> {
    close(&[a], &[b])
}

// ---------------------------------------------------------------------------------------------
// Strategies: ranks 1..=4 with sizes that break kernels (1, primes, odd).
// ---------------------------------------------------------------------------------------------

fn dims() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop::sample::select(vec![1usize, 2, 3, 5, 7]), 1..=4)
}

/// A shape, an axis in it, a seed and a layout flag.
fn case() -> impl Strategy<Value = (Vec<usize>, usize, u64, bool)> {
    dims().prop_flat_map(|s| {
        let r = s.len();
        (Just(s), 0..r, any::<u64>(), any::<bool>())
    })
}

/// The axis as a possibly negative `isize`, alternating by seed.
fn signed(axis: usize, rank: usize, seed: u64) -> isize {
    if seed % 2 == 0 {
        axis as isize
    } else {
        axis as isize - rank as isize
    }
}

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(48)
}

// ---------------------------------------------------------------------------------------------
// Views: slice, narrow, select.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn slice_matches_python_ranges(
        (shape, axis, seed, strided) in case(),
        start in 0usize..10,
        end in 0usize..12,
        step in 1usize..5,
    ) {
        let x = input(&shape, seed, strided);
        let xs = x.to_vec();
        let got = x.slice(signed(axis, shape.len(), seed), start, end, step).unwrap();
        // Python: range(start, min(end, dim), step) restricted to the axis.
        let kept: Vec<usize> = (start..end.min(shape[axis])).step_by(step).collect();
        let mut want_shape = shape.clone();
        want_shape[axis] = kept.len();
        prop_assert_eq!(got.shape(), want_shape.as_slice());
        let mut want = Vec::new();
        for_each_index(&want_shape, |o| {
            let mut i = o.to_vec();
            i[axis] = kept[o[axis]];
            want.push(xs[ravel(&i, &shape)]);
        });
        prop_assert_eq!(got.to_vec(), want);
        if !kept.is_empty() && numel(&want_shape) > 0 {
            // A view: its first element is the input's element at `start`.
            let mut first = vec![0; shape.len()];
            first[axis] = start;
            let addr = &x.array()[first.as_slice()] as *const f64;
            prop_assert_eq!(got.array().as_ptr(), addr);
        }
    }

    #[test]
    fn narrow_and_select_match_loops(
        (shape, axis, seed, strided) in case(),
        a in 0usize..8,
        b in 0usize..8,
    ) {
        let x = input(&shape, seed, strided);
        let xs = x.to_vec();
        let dim = shape[axis];
        let ax = signed(axis, shape.len(), seed);
        let start = a.min(dim);
        let len = b.min(dim - start);
        let n = x.narrow(ax, start, len).unwrap();
        let mut ns = shape.clone();
        ns[axis] = len;
        let mut want = Vec::new();
        for_each_index(&ns, |o| {
            let mut i = o.to_vec();
            i[axis] += start;
            want.push(xs[ravel(&i, &shape)]);
        });
        prop_assert_eq!(n.to_vec(), want);
        prop_assert!(x.narrow(ax, start, dim - start + 1).is_err());

        let i = a % dim;
        let s = x.select(ax, i).unwrap();
        let mut ss = shape.clone();
        ss.remove(axis);
        prop_assert_eq!(s.shape(), ss.as_slice());
        let mut want = Vec::new();
        for_each_index(&shape, |ix| if ix[axis] == i { want.push(xs[ravel(ix, &shape)]) });
        prop_assert_eq!(s.to_vec(), want);
        let e = x.select(ax, dim + a).unwrap_err().to_string();
        let needle = format!("index {} is out of bounds for dimension {axis} of size {dim}", dim + a);
        prop_assert!(e.contains(&needle), "{}", e);
    }
}

// ---------------------------------------------------------------------------------------------
// index_select / index_add.
// ---------------------------------------------------------------------------------------------

fn index_select_ref(xs: &[f64], shape: &[usize], axis: usize, idx: &[usize]) -> Vec<f64> {
    let mut os = shape.to_vec();
    os[axis] = idx.len();
    let mut out = Vec::with_capacity(numel(&os));
    for_each_index(&os, |o| {
        let mut i = o.to_vec();
        i[axis] = idx[o[axis]];
        out.push(xs[ravel(&i, shape)]);
    });
    out
}

fn index_add_ref(xs: &[f64], shape: &[usize], axis: usize, idx: &[usize], src: &[f64]) -> Vec<f64> {
    let mut out = xs.to_vec();
    let mut ss = shape.to_vec();
    ss[axis] = idx.len();
    for_each_index(&ss, |s| {
        let mut d = s.to_vec();
        d[axis] = idx[s[axis]];
        out[ravel(&d, shape)] += src[ravel(s, &ss)];
    });
    out
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn index_select_and_add_match_loops(
        (shape, axis, seed, strided) in case(),
        n in 0usize..8,
    ) {
        let x = input(&shape, seed, strided);
        let dim = shape[axis];
        let ax = signed(axis, shape.len(), seed);
        let idx = ints(n, dim, seed ^ 1);
        let got = x.index_select(ax, &idx).unwrap();
        prop_assert_eq!(got.to_vec(), index_select_ref(&x.to_vec(), &shape, axis, &idx));

        let mut ss = shape.clone();
        ss[axis] = n;
        let src = input(&ss, seed ^ 2, !strided);
        let sum = x.index_add(ax, &idx, &src).unwrap();
        close(&sum.to_vec(), &index_add_ref(&x.to_vec(), &shape, axis, &idx, &src.to_vec()))?;

        // Adjointness: <index_select(x), y> == <x, index_add(0, y)>.
        let y = input(&ss, seed ^ 3, false);
        let lhs = dot(&got.to_vec(), &y.to_vec());
        let rhs = dot(&x.to_vec(), &x.zeros_like().index_add(ax, &idx, &y).unwrap().to_vec());
        close_scalar(lhs, rhs)?;

        // Errors name the index and the size.
        let mut bad = idx.clone();
        bad.push(dim + n);
        let e = x.index_select(ax, &bad).unwrap_err().to_string();
        let needle = format!("index {} is out of bounds for dimension {axis} of size {dim}", dim + n);
        prop_assert!(e.contains(&needle), "{}", e);
        if n != dim {
            let e = x.index_add(ax, &idx, &x).unwrap_err().to_string();
            prop_assert!(e.contains(&format!("{:?}", shape)), "{}", e);
        }
    }

    #[test]
    fn index_add_f32_accumulates_repeats(
        (shape, axis, seed, strided) in case(),
        n in 1usize..24,
    ) {
        let dim = shape[axis];
        let x = input(&shape, seed, strided).cast::<f32>();
        // Few distinct targets, so each one accumulates several rows.
        let idx = ints(n, dim.min(2), seed ^ 4);
        let mut ss = shape.clone();
        ss[axis] = n;
        let src = input(&ss, seed ^ 5, false).cast::<f32>();
        let got: Vec<f64> = x.index_add(signed(axis, shape.len(), seed), &idx, &src)
            .unwrap()
            .to_vec()
            .into_iter()
            .map(f64::from)
            .collect();
        let want = index_add_ref(
            &x.cast::<f64>().to_vec(), &shape, axis, &idx, &src.cast::<f64>().to_vec());
        // Each output sums at most n + 1 terms in [-1, 1).
        let tol = 2.0 * f32::EPSILON as f64 * (n + 1) as f64;
        assert_close(&got, &want, 0.0, tol).map_err(TestCaseError::fail)?;
    }
}

// ---------------------------------------------------------------------------------------------
// gather / scatter_add.
// ---------------------------------------------------------------------------------------------

/// An index shape for `gather`/`scatter_add` on `shape` along `axis`: no larger than `shape`
/// elsewhere, 1..=6 along `axis`.
fn index_shape(shape: &[usize], axis: usize, seed: u64) -> Vec<usize> {
    let picks = ints(shape.len(), 1 << 20, seed);
    shape
        .iter()
        .zip(picks)
        .enumerate()
        .map(|(d, (&s, p))| if d == axis { 1 + p % 6 } else { 1 + p % s })
        .collect()
}

fn gather_ref(xs: &[f64], shape: &[usize], axis: usize, index: &Indices) -> Vec<f64> {
    let ishape = index.shape();
    let iv: Vec<usize> = index.iter().copied().collect();
    let mut out = Vec::with_capacity(iv.len());
    for_each_index(ishape, |ii| {
        let mut s = ii.to_vec();
        s[axis] = iv[ravel(ii, ishape)];
        out.push(xs[ravel(&s, shape)]);
    });
    out
}

fn scatter_add_ref(
    xs: &[f64],
    shape: &[usize],
    axis: usize,
    index: &Indices,
    src: &[f64],
    sshape: &[usize],
) -> Vec<f64> {
    let ishape = index.shape();
    let iv: Vec<usize> = index.iter().copied().collect();
    let mut out = xs.to_vec();
    for_each_index(ishape, |ii| {
        let mut d = ii.to_vec();
        d[axis] = iv[ravel(ii, ishape)];
        out[ravel(&d, shape)] += src[ravel(ii, sshape)];
    });
    out
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn gather_and_scatter_add_match_loops(
        (shape, axis, seed, strided) in case(),
        transposed in any::<bool>(),
        grow in any::<bool>(),
    ) {
        let x = input(&shape, seed, strided);
        let ax = signed(axis, shape.len(), seed);
        let ishape = index_shape(&shape, axis, seed ^ 6);
        let index = index_array(&ishape, shape[axis], seed ^ 7, transposed);
        let g = x.gather(ax, &index).unwrap();
        prop_assert_eq!(g.shape(), ishape.as_slice());
        prop_assert_eq!(g.to_vec(), gather_ref(&x.to_vec(), &shape, axis, &index));

        // src may be larger than the index in every dimension; only its leading block is read.
        let sshape: Vec<usize> = ishape.iter().map(|&d| d + usize::from(grow)).collect();
        let src = input(&sshape, seed ^ 8, !strided);
        let s = x.scatter_add(ax, &index, &src).unwrap();
        let want = scatter_add_ref(&x.to_vec(), &shape, axis, &index, &src.to_vec(), &sshape);
        close(&s.to_vec(), &want)?;

        // Adjointness: <gather(x), y> == <x, scatter_add(0, index, y)>.
        let y = input(&ishape, seed ^ 9, false);
        let lhs = dot(&g.to_vec(), &y.to_vec());
        let back = x.zeros_like().scatter_add(ax, &index, &y).unwrap();
        close_scalar(lhs, dot(&x.to_vec(), &back.to_vec()))?;

        // An out-of-range value is named with the axis size.
        let mut bad = index.clone();
        let last = bad.len() - 1;
        if let Some(v) = bad.iter_mut().nth(last) {
            *v = shape[axis] + 3;
        }
        let needle = format!(
            "index {} is out of bounds for dimension {axis} of size {}", shape[axis] + 3, shape[axis]);
        let e = x.gather(ax, &bad).unwrap_err().to_string();
        prop_assert!(e.contains(&needle), "{}", e);
        let e = x.scatter_add(ax, &bad, &src).unwrap_err().to_string();
        prop_assert!(e.contains(&needle), "{}", e);
    }

    #[test]
    fn scatter_add_f32_accumulates(
        (shape, axis, seed, strided) in case(),
    ) {
        let x = input(&shape, seed, strided).cast::<f32>();
        let mut ishape = index_shape(&shape, axis, seed ^ 10);
        ishape[axis] = 6;
        let index = index_array(&ishape, shape[axis].min(2), seed ^ 11, false);
        let src = input(&ishape, seed ^ 12, false).cast::<f32>();
        let got: Vec<f64> = x.scatter_add(signed(axis, shape.len(), seed), &index, &src)
            .unwrap()
            .to_vec()
            .into_iter()
            .map(f64::from)
            .collect();
        let want = scatter_add_ref(
            &x.cast::<f64>().to_vec(), &shape, axis, &index, &src.cast::<f64>().to_vec(), &ishape);
        let tol = 2.0 * f32::EPSILON as f64 * (ishape[axis] + 1) as f64;
        assert_close(&got, &want, 0.0, tol).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn masked_fill_matches_loop(
        (shape, _axis, seed, strided) in case(),
        drop_lead in 0usize..3,
    ) {
        let x = input(&shape, seed, strided);
        // A mask with some dimensions set to 1 and some leading ones dropped.
        let ones = ints(shape.len(), 2, seed ^ 13);
        let full: Vec<usize> = shape.iter().zip(&ones).map(|(&d, &o)| if o == 1 { 1 } else { d }).collect();
        let mshape = full[drop_lead.min(shape.len() - 1)..].to_vec();
        let mv: Vec<f64> = uniform_vec(numel(&mshape), seed ^ 14)
            .into_iter()
            .map(|u| if u > 0.0 { 1.0 } else { 0.0 })
            .collect();
        let mask = Tensor::from_vec(mv.clone(), mshape.clone()).unwrap();
        let got = x.masked_fill(&mask, 42.0).unwrap();
        let xs = x.to_vec();
        let lead = shape.len() - mshape.len();
        let mut want = Vec::new();
        for_each_index(&shape, |i| {
            let mi: Vec<usize> = i[lead..].iter().zip(&mshape).map(|(&v, &m)| if m == 1 { 0 } else { v }).collect();
            want.push(if mv[ravel(&mi, &mshape)] != 0.0 { 42.0 } else { xs[ravel(i, &shape)] });
        });
        prop_assert_eq!(got.to_vec(), want);
    }
}

// ---------------------------------------------------------------------------------------------
// concat / stack / split / chunk.
// ---------------------------------------------------------------------------------------------

fn concat_ref(parts: &[(Vec<f64>, Vec<usize>)], axis: usize) -> (Vec<f64>, Vec<usize>) {
    let mut os = parts[0].1.clone();
    os[axis] = parts.iter().map(|p| p.1[axis]).sum();
    let mut out = Vec::new();
    for_each_index(&os, |o| {
        let mut at = o[axis];
        for (v, s) in parts {
            if at < s[axis] {
                let mut i = o.to_vec();
                i[axis] = at;
                out.push(v[ravel(&i, s)]);
                return;
            }
            at -= s[axis];
        }
    });
    (out, os)
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn concat_matches_loop_and_split_round_trips(
        (shape, axis, seed, strided) in case(),
        k in 1usize..5,
    ) {
        let ax = signed(axis, shape.len(), seed);
        // k pieces with their own extents along the axis (0 allowed), alternating layouts.
        let extents = ints(k, 6, seed ^ 15);
        let pieces: Vec<Tensor<f64>> = extents
            .iter()
            .enumerate()
            .map(|(i, &e)| {
                let mut s = shape.clone();
                s[axis] = e;
                input(&s, seed.wrapping_add(i as u64), strided ^ (i % 2 == 1))
            })
            .collect();
        let refs: Vec<&Tensor<f64>> = pieces.iter().collect();
        let c = Tensor::concat(&refs, ax).unwrap();
        let parts: Vec<(Vec<f64>, Vec<usize>)> =
            pieces.iter().map(|p| (p.to_vec(), p.shape().to_vec())).collect();
        let (want, ws) = concat_ref(&parts, axis);
        prop_assert_eq!(c.shape(), ws.as_slice());
        prop_assert_eq!(c.to_vec(), want);

        // split_sizes undoes concat, with views into the result.
        let back = c.split_sizes(&extents, ax).unwrap();
        prop_assert_eq!(back.len(), k);
        for (b, p) in back.iter().zip(&pieces) {
            prop_assert_eq!(b.shape(), p.shape());
            prop_assert_eq!(b.to_vec(), p.to_vec());
        }
        // split by a size, then concat again.
        let size = 1 + (seed as usize % 4);
        let sp = c.split(size, ax).unwrap();
        let total = c.shape()[axis];
        prop_assert_eq!(sp.len(), total.div_ceil(size).max(1));
        let r: Vec<&Tensor<f64>> = sp.iter().collect();
        prop_assert_eq!(Tensor::concat(&r, ax).unwrap(), c.contiguous());
        // concat and split are adjoint: <concat(x..), y> == sum <x_i, split(y)_i>.
        let y = input(&ws, seed ^ 16, false);
        let lhs = dot(&c.to_vec(), &y.to_vec());
        let ys = y.split_sizes(&extents, ax).unwrap();
        let rhs: f64 = pieces.iter().zip(&ys).map(|(p, q)| dot(&p.to_vec(), &q.to_vec())).sum();
        close_scalar(lhs, rhs)?;
    }

    #[test]
    fn concat_rejects_mismatched_shapes(
        (shape, axis, seed, _strided) in case(),
    ) {
        let x = input(&shape, seed, false);
        // Grow a dimension other than the axis (if any) of a second tensor.
        if let Some(other) = (0..shape.len()).find(|&d| d != axis) {
            let mut s2 = shape.clone();
            s2[other] += 1;
            let y = input(&s2, seed ^ 17, false);
            let e = Tensor::concat(&[&x, &y], axis as isize).unwrap_err().to_string();
            let (a, b) = (format!("{:?}", shape), format!("{:?}", s2));
            prop_assert!(e.contains(&a) && e.contains(&b), "{}", e);
            prop_assert!(e.contains(&format!("axis {axis}")), "{}", e);
        }
        let mut s3 = shape.clone();
        s3.push(1);
        let z = input(&s3, seed, false);
        let e = Tensor::concat(&[&x, &z], axis as isize).unwrap_err().to_string();
        prop_assert!(e.contains("rank"), "{}", e);
    }

    #[test]
    fn stack_and_chunk_match_loops(
        (shape, axis, seed, strided) in case(),
        k in 1usize..4,
        n in 1usize..9,
    ) {
        let pieces: Vec<Tensor<f64>> =
            (0..k).map(|i| input(&shape, seed.wrapping_add(i as u64), strided ^ (i == 1))).collect();
        let refs: Vec<&Tensor<f64>> = pieces.iter().collect();
        let new_axis = (seed as usize) % (shape.len() + 1);
        let s = Tensor::stack(&refs, new_axis as isize).unwrap();
        let mut ws = shape.clone();
        ws.insert(new_axis, k);
        prop_assert_eq!(s.shape(), ws.as_slice());
        let vals: Vec<Vec<f64>> = pieces.iter().map(|p| p.to_vec()).collect();
        let mut want = Vec::new();
        for_each_index(&ws, |o| {
            let mut i = o.to_vec();
            let which = i.remove(new_axis);
            want.push(vals[which][ravel(&i, &shape)]);
        });
        prop_assert_eq!(s.to_vec(), want);
        for (j, p) in pieces.iter().enumerate() {
            prop_assert_eq!(&s.select(new_axis as isize, j).unwrap(), p);
        }

        // torch.chunk: pieces of ceil(dim / n), the last smaller, maybe fewer than n.
        let x = &pieces[0];
        let dim = shape[axis];
        let ch = x.chunk(n, signed(axis, shape.len(), seed)).unwrap();
        let c = dim.div_ceil(n);
        prop_assert_eq!(ch.len(), dim.div_ceil(c));
        for (j, p) in ch.iter().enumerate() {
            let len = c.min(dim - j * c);
            prop_assert_eq!(p.shape()[axis], len);
            prop_assert_eq!(p.to_vec(), x.narrow(axis as isize, j * c, len).unwrap().to_vec());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pad / unpad / repeat.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn pad_matches_loop_and_unpad_is_its_adjoint(
        (shape, _axis, seed, strided) in case(),
        npads in 0usize..5,
        value in -2.0f64..2.0,
    ) {
        let x = input(&shape, seed, strided);
        let np = npads.min(shape.len());
        let amounts = ints(2 * np, 4, seed ^ 18);
        let pads: Vec<(usize, usize)> = amounts.chunks(2).map(|c| (c[0], c[1])).collect();
        let first = shape.len() - np;
        let p = x.pad(&pads, value).unwrap();
        let mut ps = shape.clone();
        for (k, &(b, e)) in pads.iter().enumerate() {
            ps[first + k] += b + e;
        }
        prop_assert_eq!(p.shape(), ps.as_slice());
        let xs = x.to_vec();
        let mut want = Vec::new();
        for_each_index(&ps, |o| {
            let mut i = o.to_vec();
            let mut inside = true;
            for (k, &(b, _)) in pads.iter().enumerate() {
                let d = first + k;
                if o[d] < b || o[d] >= b + shape[d] {
                    inside = false;
                } else {
                    i[d] = o[d] - b;
                }
            }
            want.push(if inside { xs[ravel(&i, &shape)] } else { value });
        });
        prop_assert_eq!(p.to_vec(), want);
        prop_assert_eq!(p.unpad(&pads).unwrap().to_vec(), xs.clone());

        // Adjointness (zero padding): <pad(x), y> == <x, unpad(y)>.
        let z = x.pad(&pads, 0.0).unwrap();
        let y = input(&ps, seed ^ 19, !strided);
        let lhs = dot(&z.to_vec(), &y.to_vec());
        close_scalar(lhs, dot(&xs, &y.unpad(&pads).unwrap().to_vec()))?;

        // Too many pairs, and padding larger than the dimension.
        let many = vec![(0, 0); shape.len() + 1];
        let e = x.pad(&many, 0.0).unwrap_err().to_string();
        prop_assert!(e.contains(&format!("{:?}", shape)), "{}", e);
        let last = shape.len() - 1;
        let e = x.unpad(&[(shape[last], 1)]).unwrap_err().to_string();
        let needle = format!("dimension {last} of size {}", shape[last]);
        prop_assert!(e.contains(&needle), "{}", e);
    }

    #[test]
    fn repeat_matches_loop(
        (shape, _axis, seed, strided) in case(),
        extra in 0usize..2,
    ) {
        let x = input(&shape, seed, strided);
        let reps: Vec<usize> = ints(shape.len() + extra, 3, seed ^ 20).iter().map(|r| r + 1).collect();
        let r = x.repeat(&reps).unwrap();
        let mut src = vec![1; extra];
        src.extend_from_slice(&shape);
        let os: Vec<usize> = reps.iter().zip(&src).map(|(a, b)| a * b).collect();
        prop_assert_eq!(r.shape(), os.as_slice());
        let xs = x.to_vec();
        let mut want = Vec::new();
        for_each_index(&os, |o| {
            let i: Vec<usize> = o[extra..].iter().zip(&shape).map(|(&v, &d)| v % d).collect();
            want.push(xs[ravel(&i, &shape)]);
        });
        prop_assert_eq!(r.to_vec(), want);
    }
}
