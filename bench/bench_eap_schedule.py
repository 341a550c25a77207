"""Benchmark (not a test): which pass schedule EAP-IG should use by default, measured against its floor.

EAP-IG with m steps needs at least m forward+backward passes over each batch (the floor, timed here the
same way: weights frozen, gradients w.r.t. the activations, the same metric). `attribute` can stack
several IG steps of a batch into one pass (`max_rows` rows per pass; None: all m steps at once) or run
them one by one. This script times every schedule at several batch sizes with `bench/harness.py`
(median of 3 after a warm-up, process CPU and wall) and checks that every schedule gives the same edge
scores (max |difference|). Peak memory is measured in a fresh process per schedule (resident high-water
mark of one call minus the resident set before it: within one process the allocator keeps freed pages and
hides later peaks), against one forward+backward pass of the batch.

    OMP_NUM_THREADS=1 python bench/bench_eap_schedule.py [--json out.json]
"""
import argparse, json, os, sys, warnings
import torch

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
from harness import measure, peak_memory_mb
from transformer_lens import HookedTransformer, HookedTransformerConfig
from circuit_gen.edge_attribution import attribute, answer_logit_metric


def bench_model(n_layers=4, n_heads=8, d_model=128, d_vocab=1000) -> HookedTransformer:
    cfg = HookedTransformerConfig(n_layers=n_layers, n_heads=n_heads, d_model=d_model, d_head=d_model // n_heads, d_mlp=4 * d_model,
                                  n_ctx=64, d_vocab=d_vocab, act_fn="gelu", normalization_type="LN", seed=0, device="cpu")
    m = HookedTransformer(cfg)
    m.set_use_attn_result(True); m.set_use_split_qkv_input(True); m.set_use_hook_mlp_in(True)
    return m.eval()


def floor_passes(model, clean, metric, steps: int):
    "m forward+backward passes of the batch, gradients w.r.t. activations only (weights frozen)."
    idx = torch.arange(len(clean))
    for p in model.parameters(): p.requires_grad_(False)
    try:
        for _ in range(steps):
            with model.hooks(fwd_hooks=[("blocks.0.hook_resid_pre", lambda act, hook: act.detach().requires_grad_(True))]):
                metric(model(clean), idx).sum().backward()
    finally:
        for p in model.parameters(): p.requires_grad_(True)


def _setup(b, seq_len, steps):
    model = bench_model()
    g = torch.Generator().manual_seed(0)
    clean, corrupted = (torch.randint(0, model.cfg.d_vocab, (b, seq_len), generator=g) for _ in range(2))
    answers = torch.randint(0, model.cfg.d_vocab, (b, 2), generator=g)
    return model, clean, corrupted, answers_metric(answers, b, seq_len)


def answers_metric(answers, b, seq_len):
    return answer_logit_metric(answers, torch.full((b,), seq_len - 1))


def one_memory(b: int, schedule: str, seq_len: int, steps: int) -> float:
    "Peak MB of one call of `schedule` ('floor' = one forward+backward) in this (fresh) process."
    model, clean, corrupted, metric = _setup(b, seq_len, steps)
    if schedule == "floor": return peak_memory_mb(lambda: floor_passes(model, clean, metric, 1))
    kw = {} if schedule == "default" else {"max_rows": None if schedule == "all" else int(schedule)}
    if schedule == "all": kw = {"max_rows": b * steps}
    return peak_memory_mb(lambda: attribute(model, clean, corrupted, metric, ig_steps=steps, batch_size=b, progress=False, **kw))


def memory_in_fresh_process(b, schedule, seq_len, steps) -> float:
    import subprocess
    out = subprocess.run([sys.executable, __file__, "--one", str(b), schedule, "--seq_len", str(seq_len), "--steps", str(steps)],
                         capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5); ap.add_argument("--seq_len", type=int, default=16)
    ap.add_argument("--batches", default="2,4,8,16,32"); ap.add_argument("--json", default="")
    ap.add_argument("--one", nargs=2, metavar=("BATCH", "SCHEDULE"), help="internal: print one peak-memory figure")
    args = ap.parse_args()
    if args.one:
        print(one_memory(int(args.one[0]), args.one[1], args.seq_len, args.steps)); return
    model = bench_model()
    V, m = model.cfg.d_vocab, args.steps
    rows = []
    for b in [int(x) for x in args.batches.split(",")]:
        g = torch.Generator().manual_seed(0)
        clean, corrupted = (torch.randint(0, V, (b, args.seq_len), generator=g) for _ in range(2))
        answers = torch.randint(0, V, (b, 2), generator=g)
        metric = answer_logit_metric(answers, torch.full((b,), args.seq_len - 1))
        floor = measure(lambda: floor_passes(model, clean, metric, m))
        floor_mem = memory_in_fresh_process(b, "floor", args.seq_len, m)
        ref = None
        schedules = {"all steps in one pass": b * m, "one step per pass": b}
        for r in (16, 32, 64):
            if b < r < b * m: schedules[f"{r} rows per pass"] = r
        schedules["default"] = "default"
        for name, max_rows in schedules.items():
            kw = {} if max_rows == "default" else {"max_rows": max_rows}
            run = lambda: attribute(model, clean, corrupted, metric, ig_steps=m, batch_size=b, progress=False, **kw)
            t = measure(run)
            mem = memory_in_fresh_process(b, "default" if max_rows == "default" else str(max_rows), args.seq_len, m)
            scores = run().scores
            diff = 0.0 if ref is None else float((scores - ref).abs().max())
            ref = scores if ref is None else ref
            rows.append({"batch": b, "schedule": name, "cpu_s": t["cpu_s"], "wall_s": t["wall_s"], "floor_cpu_s": floor["cpu_s"],
                         "ratio_to_floor": t["cpu_s"] / floor["cpu_s"], "peak_mb": mem, "floor_peak_mb": floor_mem,
                         "memory_ratio": mem / max(floor_mem, 1e-9), "max_score_difference": diff})
            print(json.dumps(rows[-1]), flush=True)
    if args.json:
        with open(args.json, "w") as f: json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
