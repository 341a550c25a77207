"""Benchmark (not a test): EAP-IG time per prompt against its floor, and against auto-circuit.

1. Floor: EAP-IG with m steps needs at least m forward+backward passes of the model on the
   batch. We time `attribute(..., method="EAP-IG-inputs", ig_steps=m)` per prompt (which also
   runs one clean and one corrupted forward and one einsum per destination hook) and m
   forward+backward passes on the same batch (weights frozen, gradients w.r.t. the
   activations, the same metric), and report the ratio. Aim: <= 1.3. Two figures: all m steps
   stacked along the batch dimension in one pass (the default, best on a GPU), and
   `max_rows=batch` (one step's rows per pass). On a CPU with glibc, the one-pass figure
   depends on the allocator: large activation tensors are mmap'd and returned to the OS on
   every pass, and the page faults cost ~60%. Measured (2-core shared CPU, 4L x 8H d_model=128,
   m=5, batch 8): ratio 1.6-1.7 by default, 1.05 with `MALLOC_MMAP_THRESHOLD_=4000000000
   MALLOC_TRIM_THRESHOLD_=4000000000`; `max_rows=batch` gives 1.1-1.25 either way. With
   6L x 8H d_model=256, seq 32 (default allocator): one pass 2.4, `max_rows=batch` 1.14;
   auto-circuit 1.73 s/prompt against our 0.44 (chunked).
2. Peer (optional): auto-circuit's `mask_gradient_prune_scores` with
   `integrated_grad_samples=m` on the same model and prompts (time per prompt, and the
   Spearman correlation of its edge scores with ours where the edge sets match). auto-circuit
   breaks the main environment, so it runs only where importable (a separate venv, see below).

    OMP_NUM_THREADS=1 python bench/bench_eap.py [--steps 5] [--batch 8] [--n_prompts 16] [--json out.json]

Separate environment for the peer (never the project .venv):
    python3 -m venv /tmp/eapbench && /tmp/eapbench/bin/pip install torch==2.13.0 &&
    /tmp/eapbench/bin/pip install auto-circuit transformer-lens==3.9.0 -c <(printf "torch==2.13.0\\ntransformer-lens==3.9.0\\n") &&
    /tmp/eapbench/bin/pip uninstall -y torchvision
    PYTHONPATH=. /tmp/eapbench/bin/python bench/bench_eap.py
(auto-circuit 1.0.1 imports names TransformerLens 3 removed; this script aliases them, as ../shared/ENV.md describes.)
"""
import argparse, json, math, os, sys, time, warnings
import torch

warnings.filterwarnings("ignore")
from transformer_lens import HookedTransformer, HookedTransformerConfig

from circuit_gen.circuit_graph import Graph
from circuit_gen.edge_attribution import attribute, answer_logit_metric


def bench_model(args) -> HookedTransformer:
    "A random GPT-2-like model (or a named one via circuit_gen.models.load_model)."
    if args.model:
        from circuit_gen.models import load_model
        return load_model(args.model, device=args.device or None)
    cfg = HookedTransformerConfig(n_layers=args.n_layers, n_heads=args.n_heads, d_model=args.d_model, d_head=args.d_model // args.n_heads,
                                  d_mlp=4 * args.d_model, n_ctx=64, d_vocab=args.d_vocab, act_fn="gelu", normalization_type="LN",
                                  seed=0, device=args.device or "cpu")
    m = HookedTransformer(cfg)
    m.set_use_attn_result(True); m.set_use_split_qkv_input(True); m.set_use_hook_mlp_in(True)
    return m.eval()


def best_time(fn, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        if torch.cuda.is_available(): torch.cuda.synchronize()
        t0 = time.perf_counter(); fn()
        if torch.cuda.is_available(): torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best


def floor_passes(model, clean, metric, steps: int, batch: int):
    "m forward+backward passes per batch, gradients w.r.t. activations only (weights frozen)."
    flags = [p.requires_grad for p in model.parameters()]
    for p in model.parameters(): p.requires_grad_(False)
    try:
        for i0 in range(0, len(clean), batch):
            idx = torch.arange(len(clean))[i0:i0 + batch]
            for _ in range(steps):
                hook = ("blocks.0.hook_resid_pre", lambda act, hook: act.detach().requires_grad_(True))
                with model.hooks(fwd_hooks=[hook]):
                    metric(model(clean[idx]), idx).sum().backward()
    finally:
        for p, f in zip(model.parameters(), flags): p.requires_grad_(f)


def peer_auto_circuit(model, clean, corrupted, answers, steps: int, batch: int, ours: Graph, repeats: int) -> dict:
    "auto-circuit's EAP-IG (mask gradients, integrated_grad_samples=steps) on the same model and prompts."
    try:
        import transformer_lens, transformer_lens.cache.key_value_cache as kv
        sys.modules.setdefault("transformer_lens.past_key_value_caching", kv)
        transformer_lens.HookedTransformerKeyValueCache = kv.TransformerLensKeyValueCache
        kv.HookedTransformerKeyValueCache = kv.TransformerLensKeyValueCache
        from auto_circuit.data import PromptPairBatch
        from auto_circuit.prune_algos.mask_gradient import mask_gradient_prune_scores
        from auto_circuit.types import AblationType
        from auto_circuit.utils.graph_utils import patchable_model
    except Exception as e:
        return {"skipped": f"auto-circuit not importable here ({type(e).__name__}: {str(e)[:100]}); see the module docstring"}
    try:
        batches = []
        for k, i0 in enumerate(range(0, len(clean), batch)):
            sl = slice(i0, i0 + batch)
            batches.append(PromptPairBatch(key=k, batch_diverge_idx=0, clean=clean[sl], corrupt=corrupted[sl],
                                           answers=answers[sl, :1], wrong_answers=answers[sl, 1:2]))
        pm = patchable_model(model, factorized=True, slice_output="last_seq", separate_qkv=True, device=torch.device(clean.device))
        run = lambda: mask_gradient_prune_scores(model=pm, dataloader=batches, official_edges=None, grad_function="logit",
                                                 answer_function="avg_diff", mask_val=None, ablation_type=AblationType.RESAMPLE,
                                                 integrated_grad_samples=steps)
        t = best_time(run, repeats)
        return {"peer": "auto-circuit", "peer_s_per_prompt": t / len(clean)}
    except Exception as e:
        return {"skipped": f"auto-circuit failed on this model ({type(e).__name__}: {str(e)[:160]})"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5); ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--n_prompts", type=int, default=16); ap.add_argument("--seq_len", type=int, default=16)
    ap.add_argument("--n_layers", type=int, default=4); ap.add_argument("--n_heads", type=int, default=8)
    ap.add_argument("--d_model", type=int, default=128); ap.add_argument("--d_vocab", type=int, default=1000)
    ap.add_argument("--model", default=""); ap.add_argument("--device", default="")
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--no_peer", action="store_true")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    model = bench_model(args)
    dev = model.cfg.device
    g = torch.Generator().manual_seed(0)
    V = model.cfg.d_vocab
    clean = torch.randint(0, V, (args.n_prompts, args.seq_len), generator=g).to(dev)
    corrupted = torch.randint(0, V, (args.n_prompts, args.seq_len), generator=g).to(dev)
    answers = torch.randint(0, V, (args.n_prompts, 2), generator=g).to(dev)
    metric = answer_logit_metric(answers, torch.full((args.n_prompts,), args.seq_len - 1))
    ours_graph = None
    def ours(max_rows=None):
        nonlocal ours_graph
        ours_graph = attribute(model, clean, corrupted, metric, method="EAP-IG-inputs", ig_steps=args.steps,
                               batch_size=args.batch, max_rows=max_rows, progress=False)
    ours(); floor_passes(model, clean, metric, 1, args.batch)     # warm-up
    # interleave the three timings so that load from other processes hits them alike
    t_ours = t_chunked = t_floor = math.inf
    for _ in range(args.repeats):
        t_ours = min(t_ours, best_time(ours, 1))
        t_chunked = min(t_chunked, best_time(lambda: ours(args.batch), 1))
        t_floor = min(t_floor, best_time(lambda: floor_passes(model, clean, metric, args.steps, args.batch), 1))
    out = {"bench": "eap", "method": "EAP-IG-inputs", "ig_steps": args.steps, "batch": args.batch, "n_prompts": args.n_prompts,
           "seq_len": args.seq_len, "device": str(dev), "torch_threads": torch.get_num_threads(),
           "model": args.model or f"random {args.n_layers}L x {args.n_heads}H d_model={args.d_model}",
           "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_", ""),
           "n_edges": ours_graph.n_edges, "ours_s_per_prompt": t_ours / args.n_prompts,
           "floor_s_per_prompt": t_floor / args.n_prompts, "ratio_to_floor": t_ours / t_floor,
           "ours_chunked_s_per_prompt": t_chunked / args.n_prompts, "ratio_to_floor_chunked": t_chunked / t_floor}
    if not args.no_peer:
        out.update(peer_auto_circuit(model, clean, corrupted, answers, args.steps, args.batch, ours_graph, args.repeats))
        if "peer_s_per_prompt" in out: out["ratio_to_peer"] = out["ours_s_per_prompt"] / out["peer_s_per_prompt"]
    line = json.dumps(out)
    print(line)
    if args.json:
        with open(args.json, "w") as f: f.write(line + "\n")


if __name__ == "__main__":
    main()
