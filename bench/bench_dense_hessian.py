"""Dense Hessian of LeNet-tiny: circuit_gen's triangle scheme vs all-columns HVPs vs torch.func (a benchmark, not a test).

Same model (LeNet-tiny, briefly trained on scikit-learn's digits at 28x28), same batch, float32, at three widths
(conv channels 2/4, 4/8 and 6/12: 906, 2,202 and 3,898 parameters). Methods:

- `triangle`: `HessianOperator.dense()` (default): for each parameter tensor, HVPs of the loss as a
  function of that tensor and the later ones only, the rest by symmetry;
- `columns`: `HessianOperator.dense(scheme="columns")`: one full forward-over-reverse HVP per column;
- `torch.func`: `jacrev(grad(loss), chunk_size=...)`, reverse-over-reverse, torch's own route (the peer).

Reports (bench/harness.py) the median of 3 after a warm-up of process CPU and wall time, peak memory (resident
high-water mark of one call after a warm-up call and `malloc_trim`, above what the process held, in-process; on a GPU
CUDA's peak), HVPs, the largest
difference to the triangle result relative to its largest entry, the time ratio to the triangle scheme, and the
growth exponent of each method's time in the number of parameters. There is no floor: a dense Hessian from HVPs
has no cheaper reference than the methods themselves.

    OMP_NUM_THREADS=1 python bench/bench_dense_hessian.py [--batch 64] [--chunk 128] [--threads 1] [--out FILE.json]

`--research` (for a GPU: `--research --device cuda`): conv channels 8/16, 16/32 and 32/64 (5,994, 18,378 and
62,346 parameters; the largest Hessian is 15.5 GB in float32), batch 256, chunk 512. Results go to
bench/results/dense_hessian.json (dense_hessian_cuda.json on a GPU; `--out` elsewhere) for the docs page `benchmarks`.

Measured 2026-11-22 on the 2-core dev machine (5,994 parameters, batch 64, chunk 128, 2 threads, best of 2):
triangle 3.79 s; columns 23.86 s (6.3x), max rel diff 1.7e-7; torch.func jacrev(grad) 23.38 s
(6.2x), max rel diff 3.4e-7. All three make 5,994 (partial or full) HVPs.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project's circuit_gen, without installing it
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
import torch.nn.functional as F
from torch.func import grad, jacrev

from harness import growth_exponent, measure, peak_memory_mb, release_freed_memory, reproduce_command, write_results
from circuit_gen.core import resolve_device, seed_everything
from circuit_gen.hessian import HessianOperator
from circuit_gen.digits import LeNetTiny, load_digits_28, train_classifier

SMALL = dict(widths="2x4,4x8,6x12", batch=64, chunk=128)
RESEARCH = dict(widths="8x16,16x32,32x64", batch=256, chunk=512)


def one_size(channels, x, y, a, device) -> list[dict]:
    "Time, memory and agreement of the three methods on one LeNet-tiny width."
    seed_everything(0)
    model = LeNetTiny(channels)
    train_classifier(model, x, y, epochs=a.epochs, lr=0.02, batch_size=64, ckpt_steps=[], device=device, progress=False)
    batch = (x[:a.batch], y[:a.batch])
    op = HessianOperator(model, F.cross_entropy, batch, device=device)
    gb = 2 * op.dense_bytes() / 2**30 + 1
    methods = {"circuit_gen dense (triangle)": lambda: op.dense(max_gb=gb, chunk_size=a.chunk),
               "circuit_gen dense (columns)": lambda: op.dense(max_gb=gb, chunk_size=a.chunk, scheme="columns"),
               "torch.func jacrev(grad)": lambda: jacrev(grad(op.loss_at), chunk_size=a.chunk)(op.theta)}
    rows, H_tri = [], op.dense(max_gb=gb, chunk_size=a.chunk)   # the reference the others are compared with
    scale = float(H_tri.abs().max())
    for name, fn in methods.items():
        op.n_hvp = 0
        diff = float((fn() - H_tri).abs().max()) / scale   # the warm-up call: its output is the one compared, its HVPs counted
        hvps = op.n_hvp if name.startswith("circuit_gen") else op.n
        # peak memory: a second call, after `malloc_trim` (since 2026-12-06; before, the first call, which also paged in
        # code and made torch.func's one-time set-up); its result is allocated within the call, so it counts
        release_freed_memory()
        mem = peak_memory_mb(fn)
        t = measure(fn, repeats=a.repeats, warmup=0)   # the calls above were the warm-up
        rows.append({"n_params": op.n, "method": name, "cpu_s": t["cpu_s"], "wall_s": t["wall_s"], "peak_mb": mem,
                     "hvps": hvps, "max_rel_diff": diff})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--widths", default=None, help=f"conv channels per size, default {SMALL['widths']}")
    ap.add_argument("--batch", type=int, default=None, help=f"default {SMALL['batch']}")
    ap.add_argument("--chunk", type=int, default=None, help=f"basis vectors per vmapped HVP batch, default {SMALL['chunk']}")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--research", action="store_true", help="widths 8x16,16x32,32x64, batch 256, chunk 512")
    ap.add_argument("--device", default="", help="cpu, cuda, ...; default: circuit_gen's default device")
    ap.add_argument("--out", default=None, help="results JSON path")
    a = ap.parse_args()
    for k, v in (RESEARCH if a.research else SMALL).items():
        if getattr(a, k) is None: setattr(a, k, v)
    torch.set_num_threads(a.threads)
    device = resolve_device(a.device or None)
    key = "wall_s" if device.type == "cuda" else "cpu_s"   # a GPU's work is not this process's CPU time
    x, y = load_digits_28(device=device)
    rows = []
    for w in a.widths.split(","):
        rows += one_size(tuple(int(c) for c in w.split("x")), x, y, a, device)
    ours = {r["n_params"]: r for r in rows if r["method"] == "circuit_gen dense (triangle)"}
    for r in rows: r["time_vs_triangle"] = r[key] / ours[r["n_params"]][key]
    print(f"LeNet-tiny, batch {a.batch}, chunk {a.chunk}, {a.threads} threads, float32, {device}, median of {a.repeats}")
    print(f"{'params':>7s} {'method':30s} {'CPU s':>8s} {'wall s':>8s} {'peak MB':>8s} {'HVPs':>6s} {'max rel diff':>12s} "
          f"{'/ triangle':>10s}")
    for r in rows:
        print(f"{r['n_params']:7d} {r['method']:30s} {r['cpu_s']:8.2f} {r['wall_s']:8.2f} {r['peak_mb']:8.0f} "
              f"{r['hvps']:6d} "
              f"{r['max_rel_diff']:12.1e} {r['time_vs_triangle']:10.2f}")
    sizes = sorted(ours)
    by = lambda m: [next(r for r in rows if r["n_params"] == n and r["method"] == m)[key] for n in sizes]
    peer = [r for r in rows if r["method"] == "torch.func jacrev(grad)"]
    summary = {"peer": "torch.func jacrev(grad)", "ratio_to_fastest_peer": peer[-1]["time_vs_triangle"],
               "ratio_to_floor": None, "max_rel_diff": max(r["max_rel_diff"] for r in rows),
               "growth_exponent": growth_exponent(sizes, by("circuit_gen dense (triangle)")),
               "peer_growth_exponent": growth_exponent(sizes, by("torch.func jacrev(grad)")),
               "columns_vs_triangle": next(r["time_vs_triangle"] for r in rows
                                           if r["n_params"] == sizes[-1] and "columns" in r["method"])}
    notes = (f"LeNet-tiny trained {a.epochs} epochs on digits 28x28; batch {a.batch}, chunk {a.chunk}, {a.threads} "
             f"thread(s), float32, device {device}. Ratios at the largest size, from {key.replace('_s', ' time')} "
             "(> 1: the triangle scheme is faster); max_rel_diff: largest |H - H_triangle| / max |H_triangle| over "
             "every method and size. Peak memory in-process. No floor: no cheaper reference computes the same matrix.")
    command = reproduce_command("bench/bench_dense_hessian.py")
    write_results("dense_hessian", "Dense Hessian (LeNet-tiny): triangle scheme vs torch.func", command, rows, summary,
                  notes, path=a.out)


if __name__ == "__main__":
    main()
