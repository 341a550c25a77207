"""Benchmark (not a test): which pass schedule EAP-IG should use by default, measured against its floor.

EAP-IG with m steps needs at least m forward+backward passes over each batch (the floor, timed here the
same way: weights frozen, gradients w.r.t. the activations, the same metric, on the same model with the
same hooks switched on: per-head results, split q/k/v inputs and MLP inputs, which `attribute` requires
(`check_model_hooks`) because its gradients are taken at the per-head q/k/v inputs). `attribute` can stack
several IG steps of a batch into one pass (`max_rows` rows per pass; None: one IG step per pass) or run
them one by one. This script times every schedule at several batch sizes, with the rules of
`bench/harness.py` (median of `--repeats`, default 5, after a warm-up, process CPU and wall) but interleaved:
each round runs the floor and then every schedule once, so that a load that changes during the run (the
machine is shared) moves the floor and the schedules alike; and it checks that every schedule gives the
same edge scores (max |difference|). Peak memory is measured in a fresh process per schedule (resident high-water
mark of one call minus the resident set before it: within one process the allocator keeps freed pages and
hides later peaks; on a GPU, CUDA's peak allocation in-process), against one forward+backward pass of the batch,
each of a second call after a warm-up call, the median of three processes (since 2026-12-05; before, of the first call
in one process, which also paged in code).
Growth: the log-log slope of the default schedule's CPU time (and the floor's) over the batch sizes.

    OMP_NUM_THREADS=1 python bench/bench_eap_schedule.py [--batches 2,4,8,16,32] [--json out.json]

`--research` (for a GPU: `--research --device cuda`) uses a GPT-2-small-shaped random model (12 layers, 12 heads,
d_model 768, d_vocab 50257, n_ctx 64) on 32, 64 and 128 prompts of 32 tokens. It writes
bench/results/eap_schedule.json (eap_schedule_cuda.json on a GPU; `--out` elsewhere), which the docs page
`benchmarks` renders. EAP-IG against its peers (auto-circuit, the EAP-IG reference) is bench/bench_eap.py.
"""
import argparse, json, os, sys, warnings
import torch

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
from harness import fresh_processes_mb, growth_exponent, measure_interleaved, peak_memory_mb, reproduce_command, write_results
from transformer_lens import HookedTransformer, HookedTransformerConfig
from circuit_gen.edge_attribution import _metric_rows, _unembed_at, attribute, answer_logit_metric
from circuit_gen.models import unembed_once


RESEARCH = dict(n_layers=12, n_heads=12, d_model=768, d_vocab=50257, seq_len=32, batches="32,64,128")   # GPT-2-small shaped


def bench_model(n_layers=4, n_heads=8, d_model=128, d_vocab=1000, device="cpu") -> HookedTransformer:
    cfg = HookedTransformerConfig(n_layers=n_layers, n_heads=n_heads, d_model=d_model, d_head=d_model // n_heads, d_mlp=4 * d_model,
                                  n_ctx=64, d_vocab=d_vocab, act_fn="gelu", normalization_type="LN", seed=0, device=str(device))
    m = HookedTransformer(cfg)
    m.set_use_attn_result(True); m.set_use_split_qkv_input(True); m.set_use_hook_mlp_in(True)
    return m.eval()


def floor_passes(model, clean, metric, steps: int):
    """m forward+backward passes of the batch, gradients w.r.t. activations only (weights frozen), with one transposed copy
    of `W_U` (`unembed_once`: TransformerLens copies it per call, work `attribute` does not do) and the logits at the
    metric's positions alone (`unembed_once`'s `rows`, as `attribute` computes them since 2026-12-05)."""
    idx = torch.arange(len(clean), device=clean.device)
    rows = _metric_rows(metric, idx)
    for p in model.parameters(): p.requires_grad_(False)
    try:
        with unembed_once(model) as into:
            for _ in range(steps):
                _unembed_at(into, rows)
                with model.hooks(fwd_hooks=[("blocks.0.hook_resid_pre", lambda act, hook: act.detach().requires_grad_(True))]):
                    metric(model(clean), idx).sum().backward()
    finally:
        for p in model.parameters(): p.requires_grad_(True)


def _inputs(b, seq_len, d_vocab, device):
    "Clean and corrupted random prompts and the answer-logit metric, the same for the same sizes."
    g = torch.Generator().manual_seed(0)
    clean, corrupted = (torch.randint(0, d_vocab, (b, seq_len), generator=g).to(device) for _ in range(2))
    answers = torch.randint(0, d_vocab, (b, 2), generator=g).to(device)
    return clean, corrupted, answer_logit_metric(answers, torch.full((b,), seq_len - 1, device=device))


def one_memory(model, b: int, schedule: str, seq_len: int, steps: int) -> float:
    """Peak MB of one call of `schedule` ('floor' = one forward+backward, 'default', or rows per pass): of a second call, after
    a warm-up call (since 2026-12-05; before, of the first, which also paged in library code: more of it for `attribute`'s
    hooks than for the floor's bare passes)."""
    clean, corrupted, metric = _inputs(b, seq_len, model.cfg.d_vocab, model.cfg.device)
    if schedule == "floor": return peak_memory_mb(lambda: floor_passes(model, clean, metric, 1), warm=True)
    kw = {} if schedule == "default" else {"max_rows": int(schedule)}
    return peak_memory_mb(lambda: attribute(model, clean, corrupted, metric, ig_steps=steps, batch_size=b, progress=False, **kw), warm=True)


def memory(model, args, b, schedule) -> float:
    """Peak MB of one call: in a fresh process on a CPU (the allocator keeps freed pages), the median of three (since
    2026-12-05), in-process on a GPU."""
    if torch.device(model.cfg.device).type == "cuda": return one_memory(model, b, schedule, args.seq_len, args.steps)
    shape = [f"--{k}={getattr(args, k)}" for k in ("seq_len", "steps", "n_layers", "n_heads", "d_model", "d_vocab", "device")]
    return fresh_processes_mb([sys.executable, __file__, "--one", str(b), schedule, *shape])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5); ap.add_argument("--seq_len", type=int, default=None, help="default 16")
    ap.add_argument("--batches", default=None, help="default 2,4,8,16,32"); ap.add_argument("--json", default="")
    for k, v in dict(n_layers=4, n_heads=8, d_model=128, d_vocab=1000).items():
        ap.add_argument(f"--{k}", type=int, default=None, help=f"default {v}")
    ap.add_argument("--research", action="store_true", help="GPT-2-small-shaped model, 32/64/128 prompts of 32 tokens")
    ap.add_argument("--device", default="", help="cpu, cuda, ...; default: circuit_gen's default device")
    ap.add_argument("--repeats", type=int, default=5); ap.add_argument("--out", default=None, help="results JSON path")
    ap.add_argument("--one", nargs=2, metavar=("BATCH", "SCHEDULE"), help="internal: print one peak-memory figure")
    args = ap.parse_args()
    small = dict(n_layers=4, n_heads=8, d_model=128, d_vocab=1000, seq_len=16, batches="2,4,8,16,32")
    for k, v in (RESEARCH if args.research else small).items():
        if getattr(args, k) is None: setattr(args, k, v)
    from circuit_gen.core import resolve_device
    args.device = str(resolve_device(args.device or None))
    model = bench_model(args.n_layers, args.n_heads, args.d_model, args.d_vocab, device=args.device)
    if args.one:
        print(one_memory(model, int(args.one[0]), args.one[1], args.seq_len, args.steps)); return
    m = args.steps
    key = "wall_s" if torch.device(args.device).type == "cuda" else "cpu_s"   # a GPU's work is not this process's CPU time
    rows = []
    for b in [int(x) for x in args.batches.split(",")]:
        clean, corrupted, metric = _inputs(b, args.seq_len, model.cfg.d_vocab, args.device)
        schedules = {"all steps in one pass": b * m, "one step per pass": b}
        for r in (16, 32, 64):
            if b < r < b * m: schedules[f"{r} rows per pass"] = r
        schedules["default"] = "default"
        def run(max_rows):
            kw = {} if max_rows == "default" else {"max_rows": max_rows}
            return lambda: attribute(model, clean, corrupted, metric, ig_steps=m, batch_size=b, progress=False, **kw)
        times = measure_interleaved({"floor": lambda: floor_passes(model, clean, metric, m),
                                     **{name: run(r) for name, r in schedules.items()}}, repeats=args.repeats)
        floor = times["floor"]
        floor_mem = memory(model, args, b, "floor")
        ref = None
        for name, max_rows in schedules.items():
            t = times[name]
            mem = memory(model, args, b, "default" if max_rows == "default" else str(max_rows))
            scores = run(max_rows)().scores
            diff = 0.0 if ref is None else float((scores - ref).abs().max())
            ref = scores if ref is None else ref
            rows.append({"batch": b, "schedule": name, "cpu_s": t["cpu_s"], "wall_s": t["wall_s"],
                         "floor_cpu_s": floor["cpu_s"], "floor_wall_s": floor["wall_s"],
                         "ratio_to_floor": t[key] / floor[key], "peak_mb": mem, "floor_peak_mb": floor_mem,
                         "memory_ratio": mem / max(floor_mem, 1e-9), "max_score_difference": diff})
            print(json.dumps(rows[-1]), flush=True)
    if args.json:
        with open(args.json, "w") as f: json.dump(rows, f, indent=1)
    default = [r for r in rows if r["schedule"] == "default"]
    sizes = [r["batch"] for r in default]
    summary = {"peer": None, "ratio_to_floor": default[-1]["ratio_to_floor"],
               "ratio_to_floor_worst": max(r["ratio_to_floor"] for r in default),
               "memory_ratio": default[-1]["memory_ratio"],
               "memory_ratio_worst": max(r["memory_ratio"] for r in default),
               "max_abs_diff": max(r["max_score_difference"] for r in rows),
               "growth_exponent": growth_exponent(sizes, [r[key] for r in default]),
               "floor_growth_exponent": growth_exponent(sizes, [r["floor_" + key] for r in default])}
    shape = f"{args.n_layers} layers, {args.n_heads} heads, d_model {args.d_model}, d_vocab {args.d_vocab}"
    notes = (f"Random model ({shape}), {args.seq_len} positions, {m} IG steps, batch = prompts per call; "
             f"{torch.get_num_threads()} thread(s), device {args.device}. Floor: {m} forward+backward passes of the batch "
             f"(weights frozen; the same model and hooks). Times: median of {args.repeats} interleaved rounds (floor, then every "
             f"schedule) after a warm-up round. Ratios and growth from {key.replace('_s', ' time')} at the largest batch, "
             "default schedule. Memory: each schedule's and the floor's peak in a fresh process (median of three), of a second call after a warm-up "
             "call (before 2026-12-05, of the first call, which also paged in code). "
             "max_abs_diff: the largest edge-score difference between schedules. No peer here: bench/bench_eap.py.")
    command = reproduce_command("bench/bench_eap_schedule.py")
    write_results("eap_schedule", "EAP-IG pass schedule against its floor", command, rows, summary, notes, path=args.out)


if __name__ == "__main__":
    main()
