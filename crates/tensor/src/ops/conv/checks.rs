//! Validation of the convolutions' arguments, giving the kernel geometry.
//!
//! Every public convolution function checks its shapes and options here, so the kernels only
//! ever see consistent sizes. 1-d convolutions are 2-d ones over `[1, L]` images: their shapes
//! are lifted to rank 4 after the checks, and messages show the caller's own shapes.

use super::options::{
    check_conv, check_kernel, check_transposed, conv_out_size, pair, transposed_out_size,
    Conv2dOptions, ConvTranspose2dOptions,
};
use crate::error::{Result, TensorError};
use crate::kernels::conv::ConvGeom;
use crate::shape::Shape;

/// A public function being checked: its name and number of spatial dimensions (1 or 2).
#[derive(Debug, Clone, Copy)]
pub(super) struct Op {
    pub name: &'static str,
    pub sd: usize,
}

/// A checked problem: the kernel geometry and the shape of the result.
#[derive(Debug)]
pub(super) struct Checked {
    pub geom: ConvGeom,
    pub out_shape: Vec<usize>,
}

impl Checked {
    /// A checked problem, if its result can be allocated: its element count must fit in
    /// `isize::MAX` bytes of `f64` (huge paddings or strides can ask for more).
    fn new(op: Op, geom: ConvGeom, out_shape: Vec<usize>, ctx: &str) -> Result<Checked> {
        let fits = out_shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_some_and(|n| n <= isize::MAX as usize / 8);
        if !fits {
            return Err(TensorError::invalid(
                op.name,
                format!("the result shape {} is too large{ctx}", show(&out_shape)),
            ));
        }
        Ok(Checked { geom, out_shape })
    }
}

fn show(s: &[usize]) -> Shape {
    Shape::from(s)
}

impl Op {
    pub(super) fn new(name: &'static str, sd: usize) -> Op {
        Op { name, sd }
    }

    fn rank(self) -> usize {
        self.sd + 2
    }

    /// `[N, C, H, W]`-like layout of an activation.
    fn layout(self) -> &'static str {
        if self.sd == 1 {
            "[N, C, L]"
        } else {
            "[N, C, H, W]"
        }
    }

    /// Layout of a weight.
    fn weight_layout(self, transposed: bool) -> &'static str {
        match (self.sd, transposed) {
            (1, _) => "[C_out, C_in / groups, K]",
            (_, false) => "[C_out, C_in / groups, kH, kW]",
            (_, true) => "[C_in, C_out / groups, kH, kW]",
        }
    }

    /// The shape as rank 4 (`[a, b, l]` becomes `[a, b, 1, l]`); the rank was checked.
    fn lift(self, s: &[usize]) -> [usize; 4] {
        if self.sd == 1 {
            [s[0], s[1], 1, s[2]]
        } else {
            [s[0], s[1], s[2], s[3]]
        }
    }

    /// The result shape from rank-4 sizes.
    fn unlift(self, s: [usize; 4]) -> Vec<usize> {
        if self.sd == 1 {
            vec![s[0], s[1], s[3]]
        } else {
            s.to_vec()
        }
    }

    fn pair(self, v: [usize; 2]) -> String {
        pair(self.sd, v)
    }

    /// Rejects a tensor of the wrong rank, naming the other operand.
    fn check_rank(
        self,
        role: &str,
        layout: &str,
        s: &[usize],
        other: &str,
        o: &[usize],
    ) -> Result<()> {
        if s.len() != self.rank() {
            return Err(TensorError::rank(
                self.name,
                format!(
                    "{role} of rank {} {layout} for {other} {}",
                    self.rank(),
                    show(o)
                ),
                s,
            ));
        }
        Ok(())
    }

    /// Rejects an empty dimension (from `first` on: 1 skips the batch).
    fn check_nonempty(self, role: &str, s: &[usize], first: usize, ctx: &str) -> Result<()> {
        if s[first..].contains(&0) {
            let what = if first == 0 {
                "an empty dimension"
            } else {
                "an empty channel or spatial dimension"
            };
            return Err(TensorError::invalid(
                self.name,
                format!("{role} {} has {what}{ctx}", show(s)),
            ));
        }
        Ok(())
    }

    /// Rejects a channel count that `groups` does not divide.
    fn check_divides(
        self,
        role: &str,
        s: &[usize],
        count: usize,
        what: &str,
        groups: usize,
        ctx: &str,
    ) -> Result<()> {
        if count % groups != 0 {
            return Err(TensorError::invalid(
                self.name,
                format!(
                    "{role} {} has {count} {what}, not divisible by groups {groups}{ctx}",
                    show(s)
                ),
            ));
        }
        Ok(())
    }

    /// Rejects an empty requested size (`input_hw`, `kernel_hw`).
    fn check_size(self, what: &str, v: [usize; 2], ctx: &str) -> Result<()> {
        if v.contains(&0) {
            return Err(TensorError::invalid(
                self.name,
                format!("{what} {} must be positive{ctx}", self.pair(v)),
            ));
        }
        Ok(())
    }

    /// Rejects two different batch sizes.
    fn check_batch(self, a: (&str, &[usize]), b: (&str, &[usize])) -> Result<()> {
        if a.1[0] != b.1[0] {
            return Err(TensorError::mismatch(
                self.name,
                a.1,
                b.1,
                &format!("{} and {} have different batch sizes", a.0, b.0),
            ));
        }
        Ok(())
    }

    /// Rejects a grad_out whose spatial size is not the one the forward pass gives.
    fn check_grad_size(self, want: [usize; 2], gy: &[usize], from: &str) -> Result<()> {
        let got = self.lift(gy);
        if [got[2], got[3]] != want {
            return Err(TensorError::invalid(
                self.name,
                format!(
                    "{from} gives output size {}, but grad_out is {}",
                    self.pair(want),
                    show(gy)
                ),
            ));
        }
        Ok(())
    }
}

/// Rejects a bias that is not `[channels]`.
pub(super) fn check_bias(op: Op, bias: Option<&[usize]>, channels: usize, ctx: &str) -> Result<()> {
    match bias {
        Some(b) if b != [channels] => Err(TensorError::mismatch(
            op.name,
            b,
            [channels],
            &format!("bias needs one value per output channel{ctx}"),
        )),
        _ => Ok(()),
    }
}

#[allow(clippy::too_many_arguments)]
fn geom(
    n: usize,
    c: usize,
    hw: [usize; 2],
    o: usize,
    ohw: [usize; 2],
    k: [usize; 2],
    opts: &Conv2dOptions,
) -> ConvGeom {
    ConvGeom {
        n,
        c,
        h: hw[0],
        w: hw[1],
        o,
        oh: ohw[0],
        ow: ohw[1],
        kh: k[0],
        kw: k[1],
        sh: opts.stride[0],
        sw: opts.stride[1],
        ph: opts.padding[0],
        pw: opts.padding[1],
        dh: opts.dilation[0],
        dw: opts.dilation[1],
        groups: opts.groups,
    }
}

/// Checks a convolution forward: input `x` `[N, C, *]`, weight `w` `[O, C / g, *k]`, bias.
pub(super) fn forward(
    op: Op,
    x: &[usize],
    w: &[usize],
    bias: Option<&[usize]>,
    o: &Conv2dOptions,
) -> Result<Checked> {
    op.check_rank("input", op.layout(), x, "weight", w)?;
    op.check_rank("weight", op.weight_layout(false), w, "input", x)?;
    let ctx = format!(" (input {}, weight {})", show(x), show(w));
    check_conv(op.name, op.sd, o, &ctx)?;
    op.check_nonempty("input", x, 1, &format!(" (weight {})", show(w)))?;
    op.check_nonempty("weight", w, 0, &format!(" (input {})", show(x)))?;
    let [n, c, h, wd] = op.lift(x);
    let [co, cg, kh, kw] = op.lift(w);
    let g = o.groups;
    op.check_divides(
        "input",
        x,
        c,
        "channels",
        g,
        &format!(" (weight {})", show(w)),
    )?;
    op.check_divides(
        "weight",
        w,
        co,
        "output channels",
        g,
        &format!(" (input {})", show(x)),
    )?;
    if c / g != cg {
        let with = if g == 1 {
            String::new()
        } else {
            format!(" with groups {g}")
        };
        return Err(TensorError::invalid(
            op.name,
            format!(
                "weight {}{with} expects {} input channels, got input {}",
                show(w),
                cg.saturating_mul(g),
                show(x)
            ),
        ));
    }
    check_bias(op, bias, co, &ctx)?;
    let out = conv_out_size(op.name, op.sd, [h, wd], [kh, kw], o, &ctx)?;
    Checked::new(
        op,
        geom(n, c, [h, wd], co, out, [kh, kw], o),
        op.unlift([n, co, out[0], out[1]]),
        &ctx,
    )
}

/// Checks a convolution's input gradient: grad_out `gy` `[N, O, *out]`, weight `w`
/// `[O, C / g, *k]`, and the input's spatial size `input` (lifted).
pub(super) fn backward_input(
    op: Op,
    gy: &[usize],
    w: &[usize],
    input: [usize; 2],
    o: &Conv2dOptions,
) -> Result<Checked> {
    op.check_rank("grad_out", op.layout(), gy, "weight", w)?;
    op.check_rank("weight", op.weight_layout(false), w, "grad_out", gy)?;
    let ctx = format!(" (grad_out {}, weight {})", show(gy), show(w));
    check_conv(op.name, op.sd, o, &ctx)?;
    op.check_nonempty("weight", w, 0, &format!(" (grad_out {})", show(gy)))?;
    op.check_size("input size", input, &ctx)?;
    let [n, cy, _, _] = op.lift(gy);
    let [co, cg, kh, kw] = op.lift(w);
    let g = o.groups;
    op.check_divides(
        "weight",
        w,
        co,
        "output channels",
        g,
        &format!(" (grad_out {})", show(gy)),
    )?;
    if cy != co {
        return Err(TensorError::invalid(
            op.name,
            format!(
                "weight {} has {co} output channels, got grad_out {}",
                show(w),
                show(gy)
            ),
        ));
    }
    let c = cg.checked_mul(g).ok_or_else(|| {
        TensorError::invalid(
            op.name,
            format!("groups {g} overflow the channel count{ctx}"),
        )
    })?;
    let out = conv_out_size(op.name, op.sd, input, [kh, kw], o, &ctx)?;
    let from = format!("input size {} with weight {}", op.pair(input), show(w));
    op.check_grad_size(out, gy, &from)?;
    Checked::new(
        op,
        geom(n, c, input, co, out, [kh, kw], o),
        op.unlift([n, c, input[0], input[1]]),
        &ctx,
    )
}

/// Checks a convolution's weight gradient: grad_out `gy` `[N, O, *out]`, input `x`
/// `[N, C, *]`, and the kernel size `kernel` (lifted).
pub(super) fn backward_weight(
    op: Op,
    gy: &[usize],
    x: &[usize],
    kernel: [usize; 2],
    o: &Conv2dOptions,
) -> Result<Checked> {
    op.check_rank("grad_out", op.layout(), gy, "input", x)?;
    op.check_rank("input", op.layout(), x, "grad_out", gy)?;
    let ctx = format!(" (grad_out {}, input {})", show(gy), show(x));
    check_conv(op.name, op.sd, o, &ctx)?;
    op.check_nonempty("grad_out", gy, 1, &format!(" (input {})", show(x)))?;
    op.check_nonempty("input", x, 1, &format!(" (grad_out {})", show(gy)))?;
    op.check_batch(("grad_out", gy), ("input", x))?;
    check_kernel(op.name, op.sd, kernel, &ctx)?;
    let [n, c, h, wd] = op.lift(x);
    let co = op.lift(gy)[1];
    let g = o.groups;
    op.check_divides(
        "input",
        x,
        c,
        "channels",
        g,
        &format!(" (grad_out {})", show(gy)),
    )?;
    op.check_divides(
        "grad_out",
        gy,
        co,
        "channels",
        g,
        &format!(" (input {})", show(x)),
    )?;
    let out = conv_out_size(op.name, op.sd, [h, wd], kernel, o, &ctx)?;
    let from = format!("input {} with kernel size {}", show(x), op.pair(kernel));
    op.check_grad_size(out, gy, &from)?;
    Checked::new(
        op,
        geom(n, c, [h, wd], co, out, kernel, o),
        op.unlift([co, c / g, kernel[0], kernel[1]]),
        &ctx,
    )
}

/// Checks a transposed convolution forward: input `x` `[N, C_in, H, W]`, weight `w`
/// `[C_in, C_out / g, kH, kW]`, bias `[C_out]`. The geometry is that of the convolution it
/// transposes: the image is the output, the grid the input.
pub(super) fn transposed(
    op: Op,
    x: &[usize],
    w: &[usize],
    bias: Option<&[usize]>,
    o: &ConvTranspose2dOptions,
) -> Result<Checked> {
    op.check_rank("input", op.layout(), x, "weight", w)?;
    op.check_rank("weight", op.weight_layout(true), w, "input", x)?;
    let ctx = format!(" (input {}, weight {})", show(x), show(w));
    check_transposed(op.name, o, &ctx)?;
    op.check_nonempty("input", x, 1, &format!(" (weight {})", show(w)))?;
    op.check_nonempty("weight", w, 0, &format!(" (input {})", show(x)))?;
    let [n, cin, h, wd] = op.lift(x);
    let [wi, cog, kh, kw] = op.lift(w);
    let g = o.groups;
    op.check_divides(
        "input",
        x,
        cin,
        "channels",
        g,
        &format!(" (weight {})", show(w)),
    )?;
    if wi != cin {
        return Err(TensorError::invalid(
            op.name,
            format!(
                "weight {} expects {wi} input channels, got input {}",
                show(w),
                show(x)
            ),
        ));
    }
    let cout = cog.checked_mul(g).ok_or_else(|| {
        TensorError::invalid(
            op.name,
            format!("groups {g} overflow the channel count{ctx}"),
        )
    })?;
    check_bias(op, bias, cout, &ctx)?;
    let out = transposed_out_size(op.name, [h, wd], [kh, kw], o, &ctx)?;
    Checked::new(
        op,
        geom(n, cout, out, cin, [h, wd], [kh, kw], &o.conv()),
        vec![n, cout, out[0], out[1]],
        &ctx,
    )
}

/// Checks a transposed convolution's input gradient: grad_out `gy` `[N, C_out, *out]`,
/// weight `w` `[C_in, C_out / g, kH, kW]` and the input's spatial size.
pub(super) fn transposed_backward_input(
    op: Op,
    gy: &[usize],
    w: &[usize],
    input: [usize; 2],
    o: &ConvTranspose2dOptions,
) -> Result<Checked> {
    op.check_rank("grad_out", op.layout(), gy, "weight", w)?;
    op.check_rank("weight", op.weight_layout(true), w, "grad_out", gy)?;
    let ctx = format!(" (grad_out {}, weight {})", show(gy), show(w));
    check_transposed(op.name, o, &ctx)?;
    op.check_nonempty("weight", w, 0, &format!(" (grad_out {})", show(gy)))?;
    op.check_size("input size", input, &ctx)?;
    let [n, cy, ohh, oww] = op.lift(gy);
    let [cin, cog, kh, kw] = op.lift(w);
    let g = o.groups;
    op.check_divides(
        "weight",
        w,
        cin,
        "input channels",
        g,
        &format!(" (grad_out {})", show(gy)),
    )?;
    let cout = cog.checked_mul(g).ok_or_else(|| {
        TensorError::invalid(
            op.name,
            format!("groups {g} overflow the channel count{ctx}"),
        )
    })?;
    if cy != cout {
        let with = if g == 1 {
            String::new()
        } else {
            format!(" with groups {g}")
        };
        return Err(TensorError::invalid(
            op.name,
            format!(
                "weight {}{with} gives {cout} output channels, got grad_out {}",
                show(w),
                show(gy)
            ),
        ));
    }
    let out = transposed_out_size(op.name, input, [kh, kw], o, &ctx)?;
    let from = format!("input size {} with weight {}", op.pair(input), show(w));
    op.check_grad_size(out, gy, &from)?;
    Checked::new(
        op,
        geom(n, cout, [ohh, oww], cin, input, [kh, kw], &o.conv()),
        vec![n, cin, input[0], input[1]],
        &ctx,
    )
}

/// Checks a transposed convolution's weight gradient: grad_out `gy` `[N, C_out, *out]`,
/// input `x` `[N, C_in, H, W]` and the kernel size.
pub(super) fn transposed_backward_weight(
    op: Op,
    gy: &[usize],
    x: &[usize],
    kernel: [usize; 2],
    o: &ConvTranspose2dOptions,
) -> Result<Checked> {
    op.check_rank("grad_out", op.layout(), gy, "input", x)?;
    op.check_rank("input", op.layout(), x, "grad_out", gy)?;
    let ctx = format!(" (grad_out {}, input {})", show(gy), show(x));
    check_transposed(op.name, o, &ctx)?;
    op.check_nonempty("grad_out", gy, 1, &format!(" (input {})", show(x)))?;
    op.check_nonempty("input", x, 1, &format!(" (grad_out {})", show(gy)))?;
    op.check_batch(("grad_out", gy), ("input", x))?;
    check_kernel(op.name, op.sd, kernel, &ctx)?;
    let [n, cin, h, wd] = op.lift(x);
    let [_, cout, ohh, oww] = op.lift(gy);
    let g = o.groups;
    op.check_divides(
        "input",
        x,
        cin,
        "channels",
        g,
        &format!(" (grad_out {})", show(gy)),
    )?;
    op.check_divides(
        "grad_out",
        gy,
        cout,
        "channels",
        g,
        &format!(" (input {})", show(x)),
    )?;
    let out = transposed_out_size(op.name, [h, wd], kernel, o, &ctx)?;
    let from = format!("input {} with kernel size {}", show(x), op.pair(kernel));
    op.check_grad_size(out, gy, &from)?;
    Checked::new(
        op,
        geom(n, cout, [ohh, oww], cin, [h, wd], kernel, &o.conv()),
        vec![cin, cout / g, kernel[0], kernel[1]],
        &ctx,
    )
}

/// Checks a bias gradient's grad_out `[N, C, *]`, giving `(n, channels, plane)`.
pub(super) fn bias_grad(op: Op, gy: &[usize]) -> Result<(usize, usize, usize)> {
    if gy.len() != op.rank() {
        return Err(TensorError::rank(
            op.name,
            format!("grad_out of rank {} {}", op.rank(), op.layout()),
            gy,
        ));
    }
    let [n, c, h, w] = op.lift(gy);
    Ok((n, c, h * w))
}
