"""Benchmark (not a test): the pass schedule of exact edge patching (`attribute(method="exact")`).

Exact patching runs one patched forward per edge; the edges into one destination can be stacked along the batch
(`max_rows` rows per pass; None: all of a destination's sources at once, the default). This script times each
schedule (bench/harness.py: process CPU, median of 3 after a warm-up) on a random 2-layer, 4-head, d_model 64 model
(8 positions), checks every schedule gives the same scores, and measures peak memory in a fresh process per schedule
against one plain forward pass of the batch.

    OMP_NUM_THREADS=1 python bench/bench_exact_schedule.py

Measured 2026-12-03 (2-core CPU, quiet): batch 4: all stacked 0.158 s CPU / 2.4x memory, 4 edges per pass 0.217 s /
1.5x, one edge per pass 0.375 s / 1.2x; batch 16: all stacked 0.335 s / 5.0x, 4 edges per pass 0.428 s / 2.3x,
one edge per pass 0.695 s / 1.3x. Scores identical. No schedule is both fastest and within 2x the memory, so the
default stays the fastest (all stacked) and `max_rows` / `memory_gb` trade time for memory.
"""
import sys, os, json, subprocess, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from harness import measure, peak_memory_mb
from bench_eap_schedule import bench_model
from circuit_gen.edge_attribution import attribute, answer_logit_metric
def setup(b, T=8):
    m = bench_model(n_layers=2, n_heads=4, d_model=64, d_vocab=500)
    g = torch.Generator().manual_seed(0)
    c, k = (torch.randint(0, 500, (b, T), generator=g) for _ in range(2))
    a = torch.randint(0, 500, (b, 2), generator=g)
    return m, c, k, answer_logit_metric(a, torch.full((b,), T - 1))
def one(b, mr):
    m, c, k, met = setup(b)
    if mr == "floor":
        with torch.no_grad(): return peak_memory_mb(lambda: m(c))
    kw = {} if mr == "none" else {"max_rows": int(mr)}
    return peak_memory_mb(lambda: attribute(m, c, k, met, method="exact", batch_size=b, progress=False, **kw))
if sys.argv[1:2] == ["--one"]:
    print(one(int(sys.argv[2]), sys.argv[3])); sys.exit()
fresh = lambda b, mr: float(subprocess.run([sys.executable, __file__, "--one", str(b), mr], capture_output=True, text=True, check=True).stdout.split()[-1])
for b in (4, 16):
    m, c, k, met = setup(b)
    ref = None
    fl = fresh(b, "floor")
    for mr in ("none", str(64 * b), str(16 * b), str(4 * b), str(b)):
        kw = {} if mr == "none" else {"max_rows": int(mr)}
        run = lambda: attribute(m, c, k, met, method="exact", batch_size=b, progress=False, **kw)
        t = measure(run)
        s = run().scores
        d = 0.0 if ref is None else float((s - ref).abs().max()); ref = s if ref is None else ref
        mem = fresh(b, mr)
        print(json.dumps({"batch": b, "max_rows": mr, "cpu_s": round(t["cpu_s"], 3), "mem_mb": round(mem, 1), "floor_fwd_mb": round(fl, 1), "mem_ratio": round(mem / max(fl, 1e-9), 2), "diff": d}), flush=True)
