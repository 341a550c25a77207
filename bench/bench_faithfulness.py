"""Benchmark (not a test): the faithfulness sweep's pass schedule, against its floor.

A faithfulness curve (MIB's ten edge fractions, plus the empty circuit and the full model) needs at least one
forward pass of the clean batch per circuit, one for the full model, and, under `patching`, one run of the
counterfactual batch whose activations every ablated edge reads: the floor, `(n_circuits + 2)` forwards, timed
here on the same batch. Each floor forward gives every head its own q/k/v input (`use_split_qkv_input`: an edge-level
ablation changes each head's input separately, so this is part of the problem) and does not expand the heads' outputs
(`use_attn_result` off: TransformerLens builds them with a broadcast multiply-and-sum that costs about as much as the
rest of the forward; `evaluate_graph` computes them from `hook_z` with one batched product). `floor_tl_cpu_s` is the
same forwards with `use_attn_result` on, the model as `load_model` returns it for edge work, the floor this script
used before 2026-12-03. Two schedules compute the same curve:

- `per-circuit` (the schedule before 2026-12-03): one `evaluate_graph` call per circuit, each re-running the
  counterfactual batch: `2 (n_circuits + 1) + 1` forwards;
- `shared` (the default now): `evaluate_graph` with the list of circuits, so each batch's counterfactual run
  (or means) is computed once and every circuit's hooked forward reads it.

Both run with `bench/harness.py`'s rules (median of 3 after a warm-up, process CPU and wall), peak memory in a
fresh process per schedule (resident high-water mark minus the resident set before the call), at three prompt
counts with the growth exponent of the default's CPU time, and the largest difference between the two
schedules' faithfulness values (they must agree). The model is a random 4-layer, 8-head, d_model 128
HookedTransformer with MLPs; circuits are the top-k% edges of random edge scores.

    OMP_NUM_THREADS=1 python bench/bench_faithfulness.py [--sizes 8,16,32] [--seq_len 16]

`--research` (GPU: `--research --device cuda`): a GPT-2-small-shaped random model (12 layers, 12 heads, d_model
768, d_vocab 50257) on 32, 64 and 128 prompts of 32 tokens. Writes bench/results/faithfulness.json
(faithfulness_cuda.json on a GPU), which the docs page `benchmarks` renders.
"""
import argparse, contextlib, os, shlex, subprocess, sys, warnings
import torch

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
from harness import growth_exponent, measure, peak_memory_mb, write_results
from bench_eap_schedule import bench_model   # the same random model as the EAP-IG schedule benchmark
from circuit_gen.circuit_graph import Graph, select_top_n
from circuit_gen.circuit_evaluation import MIB_PERCENTAGES, evaluate_graph, faithfulness_curve
from circuit_gen.edge_attribution import _flags_off
from circuit_gen.edge_attribution import answer_logit_metric

RESEARCH = dict(n_layers=12, n_heads=12, d_model=768, d_vocab=50257, seq_len=32, sizes="32,64,128")


def inputs(model, b, seq_len):
    "Clean and corrupted random prompts, the answer-logit metric and a randomly scored graph, the same for the same sizes."
    g = torch.Generator().manual_seed(0)
    clean, corrupted = (torch.randint(0, model.cfg.d_vocab, (b, seq_len), generator=g).to(model.cfg.device) for _ in range(2))
    answers = torch.randint(0, model.cfg.d_vocab, (b, 2), generator=g).to(model.cfg.device)
    graph = Graph.from_model(model)
    graph.scores = torch.randn(graph.scores.shape, generator=g) * graph.real_edge_mask
    return clean, corrupted, answer_logit_metric(answers, torch.full((b,), seq_len - 1, device=model.cfg.device)), graph


def per_circuit(model, graph, clean, corrupted, metric, b):
    "The old schedule: one evaluate_graph call per circuit (each re-runs the counterfactual batch)."
    ev = lambda g: evaluate_graph(model, g, clean, corrupted, metric, batch_size=b).mean().item()
    with torch.no_grad(): m_full = metric(model(clean), torch.arange(b)).mean().item()
    m_empty = ev(Graph(graph.cfg))
    return [(ev(select_top_n(graph, int(round(graph.n_edges * k / 100)))) - m_empty) / (m_full - m_empty) for k in MIB_PERCENTAGES]


def shared(model, graph, clean, corrupted, metric, b):
    return faithfulness_curve(model, graph, clean, corrupted, metric, batch_size=b, progress=False)["faithfulness"]


def floor(model, clean, corrupted, n_forwards, head_results=False):
    "`n_forwards` forwards with per-head inputs; the heads' outputs expanded by TransformerLens only if `head_results`."
    with torch.no_grad(), (contextlib.nullcontext() if head_results else _flags_off(model, "use_attn_result")):
        for _ in range(n_forwards - 1): model(clean)
        model(corrupted)


def one_memory(model, b, schedule, seq_len) -> float:
    clean, corrupted, metric, graph = inputs(model, b, seq_len)
    fn = {"floor": lambda: floor(model, clean, corrupted, 1), "per-circuit": lambda: per_circuit(model, graph, clean, corrupted, metric, b),
          "shared": lambda: shared(model, graph, clean, corrupted, metric, b)}[schedule]
    return peak_memory_mb(fn)


def memory(args, b, schedule) -> float:
    "Peak MB of one call: in a fresh process on a CPU (the allocator keeps freed pages), in-process on a GPU."
    if args.device.startswith("cuda"): return one_memory(make(args), b, schedule, args.seq_len)
    shape = [f"--{k}={getattr(args, k)}" for k in ("seq_len", "n_layers", "n_heads", "d_model", "d_vocab", "device")]
    out = subprocess.run([sys.executable, __file__, "--one", str(b), schedule, *shape], capture_output=True, text=True,
                         check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return float(out.stdout.strip().splitlines()[-1])


def make(args): return bench_model(args.n_layers, args.n_heads, args.d_model, args.d_vocab, args.device)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="8,16,32"); ap.add_argument("--seq_len", type=int, default=16)
    ap.add_argument("--n_layers", type=int, default=4); ap.add_argument("--n_heads", type=int, default=8)
    ap.add_argument("--d_model", type=int, default=128); ap.add_argument("--d_vocab", type=int, default=1000)
    ap.add_argument("--device", default="cpu"); ap.add_argument("--research", action="store_true")
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--out", default=None)
    ap.add_argument("--one", nargs=2, metavar=("BATCH", "SCHEDULE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.research:
        for k, v in RESEARCH.items(): setattr(args, k, v)
    torch.manual_seed(0)
    if args.one:
        print(one_memory(make(args), int(args.one[0]), args.one[1], args.seq_len)); return
    model = make(args)
    rows, n = [], len(MIB_PERCENTAGES) + 2
    for b in [int(s) for s in args.sizes.split(",")]:
        clean, corrupted, metric, graph = inputs(model, b, args.seq_len)
        t_floor = measure(lambda: floor(model, clean, corrupted, n), args.repeats)
        t_floor_tl = measure(lambda: floor(model, clean, corrupted, n, head_results=True), args.repeats)
        t_old = measure(lambda: per_circuit(model, graph, clean, corrupted, metric, b), args.repeats)
        t_new = measure(lambda: shared(model, graph, clean, corrupted, metric, b), args.repeats)
        diff = max(abs(x - y) for x, y in zip(per_circuit(model, graph, clean, corrupted, metric, b), shared(model, graph, clean, corrupted, metric, b)))
        mem = {s: memory(args, b, s) for s in ("floor", "per-circuit", "shared")}
        row = {"prompts": b, "floor_cpu_s": t_floor["cpu_s"], "floor_tl_cpu_s": t_floor_tl["cpu_s"], "per_circuit_cpu_s": t_old["cpu_s"], "shared_cpu_s": t_new["cpu_s"],
               "shared_wall_s": t_new["wall_s"], "shared_over_floor": t_new["cpu_s"] / t_floor["cpu_s"],
               "shared_over_floor_tl": t_new["cpu_s"] / t_floor_tl["cpu_s"],
               "speedup_vs_per_circuit": t_old["cpu_s"] / t_new["cpu_s"], "floor_mem_mb": mem["floor"],
               "per_circuit_mem_mb": mem["per-circuit"], "shared_mem_mb": mem["shared"], "max_abs_diff": diff}
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    sizes = [r["prompts"] for r in rows]
    summary = {"ratio_to_floor": max(r["shared_over_floor"] for r in rows),
               "ratio_to_floor_tl": max(r["shared_over_floor_tl"] for r in rows),
               "speedup_vs_previous_default": min(r["speedup_vs_per_circuit"] for r in rows),
               "max_abs_diff": max(r["max_abs_diff"] for r in rows),
               "growth_shared": growth_exponent(sizes, [r["shared_cpu_s"] for r in rows]),
               "growth_floor": growth_exponent(sizes, [r["floor_cpu_s"] for r in rows])}
    print(summary)
    cmd = "OMP_NUM_THREADS=1 python bench/bench_faithfulness.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    write_results("faithfulness", "Faithfulness sweep (MIB's 10 fractions + empty + full): schedule vs its floor", cmd.strip(), rows, summary,
                  notes=f"floor: {n} forwards of the batch ({len(MIB_PERCENTAGES)} circuits, empty, full) and one counterfactual forward, "
                        f"each head with its own q/k/v input and TransformerLens' per-head output expansion off (floor_tl: on); "
                        f"model {args.n_layers}L x {args.n_heads}H, d_model {args.d_model}, {args.seq_len} tokens, patching", path=args.out)


if __name__ == "__main__":
    main()
