"""PyTorch reference timings for the shapes of benches/matmul.rs, benches/conv.rs,
benches/autograd.rs and benches/lstm.rs, so Youshi's figures can be compared on the same
machine.

Usage: python3 benches/reference/pytorch_bench.py [threads ...]   (default: 1 and 2)
Prints the best of several rounds for each case, in the units criterion reports.
"""
import sys
import time

import torch
import torch.nn.functional as F


def best(fn, reps, rounds=5):
    fn()
    out = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        out = min(out, (time.perf_counter() - t) / reps)
    return out


def main():
    threads = [int(a) for a in sys.argv[1:]] or [1, 2]
    torch.manual_seed(0)
    for nt in threads:
        torch.set_num_threads(nt)
        print(f"== {nt} thread(s), torch {torch.__version__}")
        for n in [256, 1024]:
            a, b = torch.rand(n, n), torch.rand(n, n)
            s = best(lambda: a @ b, max(1, int(2e9 / (2 * n**3))))
            print(f"matmul square_{n}: {2 * n**3 / s / 1e9:.1f} GFLOP/s")
        for m, k, n in [(128, 784, 512), (128, 512, 256), (128, 256, 10)]:
            a, b = torch.rand(m, k), torch.rand(k, n)
            s = best(lambda: a @ b, 200)
            print(f"matmul mlp_{m}x{k}x{n}: {2 * m * k * n / s / 1e9:.1f} GFLOP/s")
        x, g = torch.rand(128, 784), torch.rand(128, 512)
        s = best(lambda: x.t() @ g, 200)
        print(f"matmul xt_g_784x128x512: {2 * 784 * 128 * 512 / s / 1e9:.1f} GFLOP/s")
        for name, n, ci, co, hw in [("C1", 64, 1, 32, 28), ("C2", 64, 32, 64, 14), ("C3", 8, 64, 64, 56), ("C4", 32, 3, 64, 32)]:
            x = torch.rand(n, ci, hw, hw, requires_grad=True)
            w = torch.rand(co, ci, 3, 3, requires_grad=True)
            b = torch.rand(co)
            with torch.no_grad():
                fwd = best(lambda: F.conv2d(x, w, b, padding=1), 10)
            y = F.conv2d(x, w, b, padding=1)
            gy = torch.rand_like(y)
            gin = best(lambda: torch.ops.aten.convolution_backward(gy, x, w, [co], [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, False, False]), 10)
            gw = best(lambda: torch.ops.aten.convolution_backward(gy, x, w, [co], [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [False, True, False]), 10)
            print(f"conv {name}: forward {fwd * 1e3:.2f} ms, grad_input {gin * 1e3:.2f} ms, grad_weight {gw * 1e3:.2f} ms")
        x = torch.rand(64, 64, 14, 14)
        s = best(lambda: F.max_pool2d(x, 2), 50)
        print(f"max_pool2d C2_out_2x2: {s * 1e6:.1f} us")
        lstm_case()


def lstm_case():
    """benches/lstm.rs: one-layer LSTM, L 35, N 32, H_in 128, H 256."""
    steps, batch, inp, hidden = 35, 32, 128, 256
    lstm = torch.nn.LSTM(inp, hidden)
    x = torch.rand(steps, batch, inp)
    with torch.no_grad():
        fwd = best(lambda: lstm(x), 10)

    def forward_backward():
        lstm.zero_grad()
        y, _ = lstm(x)
        y.sum().backward()

    fb = best(forward_backward, 10)
    flops = 2 * steps * batch * 4 * hidden * (inp + hidden)
    print(f"lstm L35_N32_128to256: forward {fwd * 1e3:.2f} ms ({flops / fwd / 1e9:.1f} GFLOP/s), "
          f"forward_backward {fb * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
