"""Dense Hessian of LeNet-tiny: circuit_gen's triangle scheme vs all-columns HVPs vs torch.func (a benchmark, not a test).

Same model (LeNet-tiny, 5,994 parameters, briefly trained on scikit-learn's digits at 28x28),
same batch, float32. Methods:

- `triangle`: `HessianOperator.dense()` (default): for each parameter tensor, HVPs of the loss as a
  function of that tensor and the later ones only, the rest by symmetry;
- `columns`: `HessianOperator.dense(scheme="columns")`: one full forward-over-reverse HVP per column;
- `torch.func`: `jacrev(grad(loss), chunk_size=...)`, reverse-over-reverse, torch's own route.

Reports wall time (best of `--repeats`), HVPs, the largest difference to the triangle result
relative to its largest entry, and the time ratio to the triangle scheme.

    python bench/bench_dense_hessian.py [--batch 64] [--chunk 128] [--threads 2] [--repeats 3] [--out FILE.json]

Measured 2026-11-22 on the 2-core dev machine (batch 64, chunk 128, 2 threads, best of 2):
triangle 3.79 s; columns 23.86 s (6.3x), max rel diff 1.7e-7; torch.func jacrev(grad) 23.38 s
(6.2x), max rel diff 3.4e-7. All three make 5,994 (partial or full) HVPs.
"""
import argparse, json, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project's circuit_gen, without installing it

import torch
import torch.nn.functional as F
from torch.func import grad, jacrev

from circuit_gen.core import seed_everything
from circuit_gen.hessian import HessianOperator
from circuit_gen.digits import LeNetTiny, load_digits_28, train_classifier


def timed(fn, repeats):
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); best = min(best, time.perf_counter() - t)
    return out, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--chunk", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    x, y = load_digits_28(device="cpu")
    seed_everything(0)
    model = LeNetTiny()
    train_classifier(model, x, y, epochs=a.epochs, lr=0.02, batch_size=64, ckpt_steps=[], device="cpu", progress=False)
    batch = (x[:a.batch], y[:a.batch])
    rows = {}
    op = HessianOperator(model, F.cross_entropy, batch, device="cpu")
    H_tri, t = timed(lambda: op.dense(chunk_size=a.chunk), a.repeats)
    rows["circuit_gen dense (triangle)"] = dict(seconds=t, hvps=op.n_hvp // a.repeats, max_rel_diff=0.0)
    scale = float(H_tri.abs().max())
    op = HessianOperator(model, F.cross_entropy, batch, device="cpu")
    H, t = timed(lambda: op.dense(chunk_size=a.chunk, scheme="columns"), a.repeats)
    rows["circuit_gen dense (columns)"] = dict(seconds=t, hvps=op.n_hvp // a.repeats, max_rel_diff=float((H - H_tri).abs().max()) / scale)
    H, t = timed(lambda: jacrev(grad(op.loss_at), chunk_size=a.chunk)(op.theta), a.repeats)
    rows["torch.func jacrev(grad)"] = dict(seconds=t, hvps=op.n, max_rel_diff=float((H - H_tri).abs().max()) / scale)
    base = rows["circuit_gen dense (triangle)"]["seconds"]
    print(f"LeNet-tiny, {op.n:,} params, batch {a.batch}, chunk {a.chunk}, {a.threads} threads, float32, best of {a.repeats}")
    print(f"{'method':32s} {'seconds':>8s} {'HVPs':>6s} {'max rel diff':>12s} {'time / triangle':>15s}")
    for name, r in rows.items():
        r["time_ratio_vs_triangle"] = r["seconds"] / base
        print(f"{name:32s} {r['seconds']:8.2f} {r['hvps']:6d} {r['max_rel_diff']:12.1e} {r['time_ratio_vs_triangle']:15.2f}")
    if a.out: Path(a.out).write_text(json.dumps(dict(args=vars(a), results=rows), indent=2))


if __name__ == "__main__":
    main()
