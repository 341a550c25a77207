"""Benchmark (not a test): the pass schedule of exact edge patching (`attribute(method="exact")`), against its floor.

Exact patching runs one patched forward per edge; edges are stacked along the batch (`max_rows` rows per pass; None, the
default: `EXACT_EDGES_PER_PASS` = 8 edges at once; since 2026-12-04 the destinations that start at one layer share passes,
before, every pass held one destination's edges only). This script times each
schedule with the floor in interleaved rounds (bench/harness.py: median of 5 after a warm-up, process CPU and wall) on a random 2-layer, 4-head, d_model 64
model (8 positions) at three batch sizes, checks every schedule gives the same scores (max |difference|), and measures
peak memory in a fresh process per schedule (on a GPU: CUDA's peak, in-process) against one plain forward pass of
the batch, each of a second call after a warm-up call (since 2026-12-05; before, of the first call, which also paged in
code; the peer's likewise). The floor is the forwards patching cannot avoid, as plain forwards (`floor_forwards`): the clean run with its
metric, the corrupted run (the patch values; since 2026-12-04, with the metric of every patched run: before, the
floor left out both, which any exact patching does), and one no-grad forward of every (edge, prompt) row from its
destination's layer on (the run before that layer is the clean run; until 2026-12-03 the floor ran whole forwards,
as `attribute` did), without TransformerLens' per-head copies and results (since 2026-12-03; before, the model as
loaded for edge work), stacked in the passes the default schedule makes, each run's logits at the metric's position
alone (since 2026-12-05, when `attribute` stopped computing the others for a metric that declares its positions, as
`answer_logit_metric` does); the growth exponent is the log-log slope of
CPU time over the batch sizes.

    OMP_NUM_THREADS=1 python bench/bench_exact_schedule.py [--batches 4,8,16]

The peer (since 2026-12-04): the EAP-IG reference's exact patching (hannamw/EAP-IG, `attribute(..., "exact")`, the
method MIB's exact scores come from) on the same model and prompts, in its own environment (made as
`bench/peer_eap_reference.py` says; `--ref-python`, default /tmp/eapref/bin/python; left out where missing, and at
`--research` sizes, where it would run one counterfactual and one hooked forward per edge, 65k forwards a batch): its
time and peak memory as one more row, and its largest score difference from circuit_gen's in its convention.

`--research` (for a GPU: `--research --device cuda`) uses a GPT-2-small-shaped random model (12 layers, 12 heads,
d_model 768, d_vocab 50257, n_ctx 64, 32,491 edges) on 32, 64 and 128 prompts of 16 tokens, only the default schedule
(8 edges per pass: 1,024 rows at 128 prompts; all of a destination's sources at once would need ~60 GB of logits):
about 17 PFLOP per call at 128 prompts before 2026-12-05, so it ran for about an hour on an H200 (float32); the
unembedding at every one of the 16 positions was about half of that arithmetic, and since then only the metric's position
is unembedded (2.1x fewer FLOPs counted over the passes; not yet timed on a GPU). It writes
bench/results/exact_schedule.json (exact_schedule_cuda.json on a GPU; `--out` elsewhere) for the docs page
`benchmarks`.

The default (8 edges per pass) was, of the schedules measured, the only one within 2x the memory of a forward at every
size, on this small model and on a 4-layer, 8-head, d_model 256 one (`--n_layers 4 --n_heads 8 --d_model 256 --batches 8`):
16 edges per pass ran at 0.91-0.99x the floor at 1.6-2.9x the memory (2026-12-04). With the logits at the metric's
positions (2026-12-05) 16 edges per pass stays within 2x on both (1.36-1.77x) at 0.78-1.08x the floor, against the
default's 1.06-1.16x; the default stays at 8 because a metric that does not declare its positions still gets every
position's logits. `max_rows` / `memory_gb` trade time for memory.
These memory ratios (before 2026-12-05's evening) divide by a forward with the per-head copies and results on and read
first calls; against a plain forward on a second call no schedule that stacks edges is within 2x (the default 8-13x on
the small model), and the default is within 1.2-1.3x of the floor's own passes (`floor_passes_mb`).
"""
import argparse, json, os, subprocess, sys, tempfile, warnings
from pathlib import Path
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from harness import fresh_processes_mb, growth_exponent, measure_interleaved, peak_memory_mb, reproduce_command, write_results
from bench_eap_schedule import bench_model
from circuit_gen.circuit_graph import Graph
from circuit_gen.edge_attribution import EXACT_EDGES_PER_PASS, _exact_passes, _flags_off, _metric_rows, _unembed_at, attribute, answer_logit_metric
from circuit_gen.models import unembed_once

SMALL = dict(n_layers=2, n_heads=4, d_model=64, d_vocab=500, seq_len=8, batches="4,8,16")
RESEARCH = dict(n_layers=12, n_heads=12, d_model=768, d_vocab=50257, seq_len=16, batches="32,64,128")


def setup(a, b):
    "The model, clean and corrupted prompts, the metric and its answers for batch size `b`, the same for the same arguments."
    m = bench_model(n_layers=a.n_layers, n_heads=a.n_heads, d_model=a.d_model, d_vocab=a.d_vocab, device=a.device)
    g = torch.Generator().manual_seed(0)
    c, k = (torch.randint(0, a.d_vocab, (b, a.seq_len), generator=g).to(a.device) for _ in range(2))
    ans = torch.randint(0, a.d_vocab, (b, 2), generator=g).to(a.device)
    return m, c, k, answer_logit_metric(ans, torch.full((b,), a.seq_len - 1, device=a.device)), ans


PLAIN = ("use_split_qkv_input", "use_attn_result", "use_hook_mlp_in")   # TransformerLens' per-head copies and results, off: a plain forward


def floor_forwards(model, clean, corrupted, metric, rows_cap=None):
    """The forwards exact patching cannot avoid, as plain no-grad forwards: the clean run (its residual stream at every
    layer, its logits and metric), the corrupted run up to the unembedding (the sources' patch values), and one forward per
    (edge, prompt) row from its destination's layer on (a patched run is the clean run before it; the logits destination:
    the final norm and unembedding) with the metric of its logits, stacked in the passes `attribute` makes
    (`_exact_passes`: at most `rows_cap` rows a pass; None: `attribute`'s default, `EXACT_EDGES_PER_PASS` edges, the
    destinations that start at one layer packed together); without TransformerLens' per-head copies and results (the model
    as a user runs it), with one transposed copy of `W_U` for all of them (`unembed_once`: TransformerLens copies it per
    call, work `attribute` does not do), and each run's logits at the metric's positions alone (`unembed_once`'s `rows`,
    where the metric declares them, as `answer_logit_metric` does: since 2026-12-05 `attribute` computes no others)."""
    b, g, L = len(clean), Graph.from_model(model), model.cfg.n_layers
    names = [f"blocks.{l}.hook_resid_pre" for l in range(L)] + [f"blocks.{L - 1}.hook_resid_post"]
    step = EXACT_EDGES_PER_PASS if rows_cap is None else max(1, rows_cap // b)
    idx = torch.arange(b, device=clean.device)
    rows = _metric_rows(metric, idx)
    with torch.no_grad(), _flags_off(model, *PLAIN), unembed_once(model) as into:   # plain forwards
        _unembed_at(into, rows)
        logits, resid = model.run_with_cache(clean, names_filter=lambda n: n in names)
        metric(logits, idx)
        model(corrupted, stop_at_layer=L)
        for start, segs in _exact_passes(g._layout, step):
            R = sum(r1 - r0 for *_, r0, r1 in segs)
            _unembed_at(into, None if rows is None else rows.repeat(R))
            metric(model(resid[names[start]].repeat(R, 1, 1), start_at_layer=start), idx.repeat(R))


def one(a, b, mr):
    """Peak MB of one call: 'floor' (one plain forward of the batch, its logits at the metric's positions), 'floor_passes' (the
    time floor, `floor_forwards`: its passes stack the default's edges), 'none' (the default) or `max_rows`; of a second call,
    after a warm-up call (since 2026-12-05; before, of the first, which also paged in library code)."""
    m, c, k, met, _ = setup(a, b)
    if mr == "floor_passes": return peak_memory_mb(lambda: floor_forwards(m, c, k, met), warm=True)
    if mr == "floor":
        def forward():   # plain, as the time floor's forwards (before 2026-12-05: with the per-head copies and results the model is loaded with)
            with torch.no_grad(), _flags_off(m, *PLAIN), unembed_once(m) as into:
                _unembed_at(into, _metric_rows(met, torch.arange(b, device=c.device)))
                m(c)
        return peak_memory_mb(forward, warm=True)
    kw = {} if mr == "none" else {"max_rows": int(mr)}
    return peak_memory_mb(lambda: attribute(m, c, k, met, method="exact", batch_size=b, progress=False, **kw), warm=True)


def memory(a, b, mr) -> float:
    """`one` in a fresh process on a CPU (the allocator keeps freed pages and hides later peaks), the median of three
    (since 2026-12-05: one process's reading moved by up to 0.9 MB of 5 on the small model), in-process on a GPU."""
    if torch.device(a.device).type == "cuda": return one(a, b, mr)
    shape = [f"--{k}={getattr(a, k)}" for k in (*SMALL, "device") if k != "batches"]
    return fresh_processes_mb([sys.executable, __file__, "--one", str(b), mr, *shape])


REFERENCE = "EAP-IG reference (hannamw/EAP-IG 795f560)"


def reference(a, model, clean, corrupted, answers, metric, b) -> dict | None:
    """The EAP-IG reference's own exact patching (`bench/peer_exact.py`, run with `a.ref_python`) on the same model and
    prompts: its time, peak memory and the largest difference of its scores from circuit_gen's with
    `convention="reference"`; None where its python is missing."""
    if not a.peers or not Path(a.ref_python).exists():
        print(f"{REFERENCE}: left out ({a.ref_python} not found)" if a.peers else f"{REFERENCE}: not asked for"); return None
    import peer_eap_reference as exchange
    work = Path(tempfile.mkdtemp(prefix="exact_peer_"))
    exchange.save_inputs(work, model, clean.cpu(), corrupted.cpu(), answers.cpu())
    exchange.reference_source(None, a.eap_git, work/"src")
    (work/"params.json").write_text(json.dumps({"batch": b, "repeats": a.repeats}))
    subprocess.run([a.ref_python, str(Path(__file__).parent/"peer_exact.py"), "--work", str(work)], check=True,
                   env={**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"})
    r = json.loads((work/"reference.json").read_text())
    ours = attribute(model, clean, corrupted, metric, method="exact", batch_size=b, convention="reference", progress=False).scores
    r["max_abs_diff"] = float((ours.cpu() - torch.tensor(r.pop("scores"))).abs().max())
    print(REFERENCE, {k: f"{v:.3g}" for k, v in r.items() if isinstance(v, float)}, flush=True)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k, v in SMALL.items(): ap.add_argument(f"--{k}", type=type(v), default=None, help=f"default {v}")
    ap.add_argument("--research", action="store_true", help="GPT-2-small-shaped model, 32/64/128 prompts, default schedule")
    ap.add_argument("--device", default="", help="cpu, cuda, ...; default: circuit_gen's default device")
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--out", default=None, help="results JSON path")
    ap.add_argument("--one", nargs=2, metavar=("BATCH", "MAX_ROWS"), help="internal: print one peak-memory figure")
    ap.add_argument("--peers", default="reference", help="'reference': also the EAP-IG reference's exact patching, where installed ('' for none)")
    ap.add_argument("--ref-python", default="/tmp/eapref/bin/python", help="python of the EAP-IG reference's environment")
    ap.add_argument("--eap-git", default="/work/.mirror/hannamw+EAP-IG/repo", help="a bare git clone of hannamw/EAP-IG")
    a = ap.parse_args()
    for k, v in (RESEARCH if a.research else SMALL).items():
        if getattr(a, k) is None: setattr(a, k, v)
    from circuit_gen.core import resolve_device
    a.device = str(resolve_device(a.device or None))
    if a.one:
        print(one(a, int(a.one[0]), a.one[1])); return
    key = "wall_s" if torch.device(a.device).type == "cuda" else "cpu_s"   # a GPU's work is not this process's CPU time
    rows = []
    for b in [int(x) for x in a.batches.split(",")]:
        m, c, k, met, ans = setup(a, b)
        schedules = ["none"] if a.research else ["none", str(64 * b), str(16 * b), str(4 * b), str(b)]
        runs = {mr: (lambda kw={} if mr == "none" else {"max_rows": int(mr)}:
                     attribute(m, c, k, met, method="exact", batch_size=b, progress=False, **kw)) for mr in schedules}
        # the floor and every schedule in interleaved rounds, so that a changing machine speed moves them alike
        times = measure_interleaved({"floor": lambda: floor_forwards(m, c, k, met), **runs}, a.repeats if a.research else max(a.repeats, 5))
        floor = times["floor"]
        fl, fl_passes = memory(a, b, "floor"), memory(a, b, "floor_passes")
        ref = None
        for mr in schedules:
            t = times[mr]
            s = runs[mr]().scores
            d = 0.0 if ref is None else float((s - ref).abs().max())
            ref = s if ref is None else ref
            mem = memory(a, b, mr)
            rows.append({"batch": b, "max_rows": "all (default)" if mr == "none" else int(mr), "cpu_s": t["cpu_s"],
                         "wall_s": t["wall_s"], "floor_cpu_s": floor["cpu_s"], "floor_wall_s": floor["wall_s"],
                         "ratio_to_floor": t[key] / floor[key], "peak_mb": mem, "floor_fwd_mb": fl,
                         "mem_ratio": mem / max(fl, 1e-9), "floor_passes_mb": fl_passes,
                         "mem_over_floor": mem / max(fl_passes, 1e-9), "max_score_difference": d})
            print(json.dumps(rows[-1]), flush=True)
        r = None if a.research else reference(a, m, c, k, ans, met, b)
        if r is not None:
            rows.append({"batch": b, "max_rows": REFERENCE, "cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "floor_cpu_s": floor["cpu_s"],
                         "floor_wall_s": floor["wall_s"], "ratio_to_floor": r[key] / floor[key], "peak_mb": r["peak_mb"],
                         "floor_fwd_mb": fl, "mem_ratio": r["peak_mb"] / max(fl, 1e-9), "floor_passes_mb": fl_passes,
                         "mem_over_floor": r["peak_mb"] / max(fl_passes, 1e-9), "max_score_difference": r["max_abs_diff"]})
    first = [r for r in rows if r["max_rows"] == rows[0]["max_rows"]]   # the default
    peer = [r for r in rows if r["max_rows"] == REFERENCE]
    sizes = [r["batch"] for r in first]
    summary = {"peer": REFERENCE if peer else None, "ratio_to_fastest_peer": peer[-1][key] / first[-1][key] if peer else None,
               "ratio_to_floor": first[-1]["ratio_to_floor"],
               "ratio_to_floor_worst": max(r["ratio_to_floor"] for r in first), "memory_ratio": first[-1]["mem_ratio"],
               "memory_ratio_worst": max(r["mem_ratio"] for r in first), "memory_over_floor": first[-1]["mem_over_floor"],
               "max_abs_diff": max(r["max_score_difference"] for r in rows if r["max_rows"] != REFERENCE),
               "max_abs_diff_reference": max(r["max_score_difference"] for r in peer) if peer else None,
               "growth_exponent": growth_exponent(sizes, [r[key] for r in first]),
               "floor_growth_exponent": growth_exponent(sizes, [r["floor_" + key] for r in first])}
    n_edges = Graph.from_model(m).n_edges
    notes = (f"Random model ({a.n_layers} layers, {a.n_heads} heads, d_model {a.d_model}, d_vocab {a.d_vocab}, {n_edges} "
             f"edges), {a.seq_len} positions; batch = prompts per call; {torch.get_num_threads()} thread(s), device "
             f"{a.device}. Floor: the clean run and the corrupted run, and one plain no-grad forward per (edge, prompt) row from its "
             f"destination's layer on, each with its metric (the logits at the metric's positions alone, as attribute computes them since 2026-12-05), stacked in the default's passes ({EXACT_EDGES_PER_PASS} edges a pass, the "
             f"destinations that start at one layer sharing passes). Summary ratios at the largest batch, default "
             f"schedule, from {key.replace('_s', ' time')}; mem_ratio: peak memory / one plain forward of the batch (its logits at the metric's positions; plain since 2026-12-05, before with the per-head copies and results the model is loaded with), each of a second call in a fresh process after a warm-up call, median of three processes; "
             "floor_passes_mb: the floor's own peak (its passes stack the default's edges, as attribute's do), mem_over_floor: peak memory / that. "
             "max_abs_diff: the largest edge-score difference between schedules. Peer row (where its environment is "
             f"installed): {REFERENCE}'s exact patching (get_scores_exact: one evaluate_graph call, a counterfactual run and a "
             "hooked clean run, per edge) in its own environment and process (bench/peer_exact.py), its peak memory, as ours "
             "and the floor's, that of a second call after a warm-up call (before 2026-12-05: of the first call); its max_score_difference is against circuit_gen's scores with convention='reference' (its input "
             "node, its metric's batch mean); ratio_to_fastest_peer: its time over the default's (> 1: ours faster).")
    command = reproduce_command("bench/bench_exact_schedule.py")
    write_results("exact_schedule", "Exact edge patching: pass schedule against its floor", command, rows, summary,
                  notes, path=a.out)


if __name__ == "__main__":
    main()
