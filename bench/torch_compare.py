#!/usr/bin/env python3
"""PyTorch side of issue 8's GPU benchmark (docs/gpu-kernels.md).

1. Oracle: odyn's forward, J v and J^T w of a small dense Euler tanh net (narrow and wide kernels) and of a small conv
   ResNet, written by `bench_cuda -dump DIR`, against torch.func.jvp / torch.func.vjp on the same weights and data,
   fp64; relative difference (2-norm) <= 1e-10 per output.
2. Timings: the same shapes as bench_cuda in PyTorch fp64 on cuda (forward, jvp, vjp), CUDA events after a warm-up.

Usage: torch_compare.py [--oracle DIR] [--bench] [--quick] [--reps R] [--budget SECONDS]
Exit code: 0, 1 when an oracle comparison fails, 2 when torch or a CUDA device is missing.

Layouts (include/odyn/private/cudakernels.h): states are column-major n x s with example e in column e, i.e. a
row-major (s, n) array; K_j is column-major n x n, so theta's n*n block read row-major is K_j^T and K_j Y is Y @ M.
Conv states are (s, c, h, w) row-major, stencils (c_out, c_in, 3, 3) as torch's conv2d weight (cross-correlation).
"""
import argparse
import math
import os
import sys
import time

try:
    import torch
except ImportError:  # the GPU machine has it; elsewhere say so and skip
    print("torch_compare: no torch, skipped")
    sys.exit(2)


def load(d, name, what, shape, dev):
    with open(os.path.join(d, f"{name}_{what}.bin"), "rb") as f:  # raw little-endian float64; no numpy needed
        a = torch.frombuffer(bytearray(f.read()), dtype=torch.float64)
    return a.reshape(shape).to(dev)


def meta(d, name):
    with open(os.path.join(d, f"{name}.txt")) as f:
        t = f.read().split()
    return t[0], {t[i]: float(t[i + 1]) for i in range(1, len(t), 2)}


def dense_f(n, N, h):
    slot = n * n + n

    def f(theta, Y):
        for j in range(N):
            M = theta[j * slot: j * slot + n * n].reshape(n, n)
            b = theta[j * slot + n * n: (j + 1) * slot]
            Y = Y + h * torch.tanh(Y @ M + b)
        return Y
    return f


def conv_f(c, N, h):
    nk = c * c * 9
    slot = nk + c

    def f(theta, Y):
        for j in range(N):
            K = theta[j * slot: j * slot + nk].reshape(c, c, 3, 3)
            b = theta[j * slot + nk: (j + 1) * slot]
            Y = Y + h * torch.tanh(torch.nn.functional.conv2d(Y, K, b, padding=1))
        return Y
    return f


def rel(a, b):
    nb = torch.linalg.norm(b).item()
    d = torch.linalg.norm(a - b).item()
    return d / nb if nb > 0 else d


def oracle(d, dev, tol=1e-10):
    fails = 0
    for name in ("dense", "wide", "conv"):
        if not os.path.exists(os.path.join(d, f"{name}.txt")):
            print(f"oracle {name}: {d}/{name}.txt missing (run bench_cuda -dump {d})")
            fails += 1
            continue
        kind, m = meta(d, name)
        N, s = int(m["N"]), int(m["s"])
        if kind == "dense":
            n = int(m["n"])
            f, np_, ys = dense_f(n, N, m["h"]), N * (n * n + n), (s, n)
        else:
            c, hh, ww = int(m["c"]), int(m["h"]), int(m["w"])
            f, np_, ys = conv_f(c, N, m["h_step"]), N * (c * c * 9 + c), (s, c, hh, ww)
        th, Y0, dth, dY0, W = (load(d, name, w, sh, dev) for w, sh in (("theta", (np_,)), ("Y0", ys), ("dtheta", (np_,)), ("dY0", ys), ("W", ys)))
        YN, Jv = torch.func.jvp(f, (th, Y0), (dth, dY0))
        _, vjp_fn = torch.func.vjp(f, th, Y0)
        gth, gY0 = vjp_fn(W)
        for what, mine, ref in (("forward Y_N", load(d, name, "YN", ys, dev), YN), ("J v", load(d, name, "Jv", ys, dev), Jv),
                                ("J^T w: theta", load(d, name, "gtheta", (np_,), dev), gth), ("J^T w: Y0", load(d, name, "gY0", ys, dev), gY0)):
            r = rel(mine, ref)
            ok = r <= tol
            fails += not ok
            print(f"oracle {name:5s} ({kind} N={N} s={s}) {what:13s} odyn vs torch.autograd rel diff {r:.3e} (tol {tol:.0e}) {'ok' if ok else 'FAIL'}")
    return fails


def timed(fn, reps):
    fn()
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record()
    for _ in range(reps):
        fn()
    e1.record()
    torch.cuda.synchronize()
    return e0.elapsed_time(e1) / reps


def bench(dev, reps, quick, deadline):
    gen = torch.Generator(device="cpu").manual_seed(1)

    def rnd(*shape, scale=1.0):
        return ((torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * scale).to(dev)

    N = 64
    for n in (2, 8, 64):
        for s in ((10000,) if quick else (10000, 1000000)):
            if time.time() > deadline:
                print("torch bench: time budget spent, the rest skipped")
                return
            theta = torch.cat([torch.cat([rnd(n * n, scale=1 / math.sqrt(n)), rnd(n, scale=0.5)]) for _ in range(N)])
            Y0, dY0, W, dth = rnd(s, n), rnd(s, n), rnd(s, n), rnd(theta.numel())
            f = dense_f(n, N, 1.0 / N)
            fl = N * s * (2 * n * n + 4 * n)
            try:
                with torch.no_grad():
                    tf = timed(lambda: f(theta, Y0), reps)
                tj = timed(lambda: torch.func.jvp(f, (theta, Y0), (dth, dY0)), reps)
                tv = timed(lambda: torch.func.vjp(f, theta, Y0)[1](W), reps)
            except torch.cuda.OutOfMemoryError:
                print(f"torch dense n={n} s={s}: out of device memory, skipped")
                torch.cuda.empty_cache()
                continue
            print(f"torch dense n={n} s={s} N={N} forward {tf:9.3f} ms ({fl / tf * 1e-6:8.1f} GFLOP/s)  jvp {tj:9.3f} ms  vjp (incl. forward) {tv:9.3f} ms")
            del theta, Y0, dY0, W, dth
            torch.cuda.empty_cache()
    for batch in ((200,) if quick else (1000, 5000)):
        if time.time() > deadline:
            print("torch bench: time budget spent, the rest skipped")
            return
        c, hh, N = 6, 28, 16
        theta = torch.cat([torch.cat([rnd(c * c * 9, scale=1 / math.sqrt(9 * c)), rnd(c, scale=0.5)]) for _ in range(N)])
        Y0, W = rnd(batch, c, hh, hh), rnd(batch, c, hh, hh)
        f = conv_f(c, N, 1.0 / N)
        out = batch * c * hh * hh
        flf = N * out * (18 * c + 4)
        flfa = flf + N * (2 * 18 * c * out + 2 * out)
        with torch.no_grad():
            tf = timed(lambda: f(theta, Y0), reps)
        tv = timed(lambda: torch.func.vjp(f, theta, Y0)[1](W), reps)
        print(f"torch conv c={c} {hh}x{hh} batch={batch} N={N} forward {tf:9.3f} ms ({flf / tf * 1e-9:.3f} TFLOP/s)  forward + both adjoints (vjp) {tv:9.3f} ms ({flfa / tv * 1e-9:.3f} TFLOP/s)")
        del theta, Y0, W
        torch.cuda.empty_cache()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--oracle", metavar="DIR", help="compare against the files of bench_cuda -dump DIR")
    ap.add_argument("--bench", action="store_true", help="time PyTorch on bench_cuda's shapes")
    ap.add_argument("--quick", action="store_true", help="small shapes only")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--budget", type=float, default=150.0, help="seconds for the timings; the rest is skipped")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_compare: torch has no CUDA device, skipped")
        sys.exit(2)
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # fp64 anyway; say it
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}, fp64")
    fails = oracle(a.oracle, dev) if a.oracle else 0
    if a.bench:
        bench(dev, max(1, a.reps), a.quick, time.time() + a.budget)
    print(f"torch_compare: {'FAILED ' + str(fails) + ' oracle comparison(s)' if fails else 'done'}")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
