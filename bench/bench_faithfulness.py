"""Benchmark (not a test): the faithfulness sweep's pass schedule, against its floor.

A faithfulness curve (MIB's ten edge fractions, plus the empty circuit and the full model) needs at least one
forward pass of the clean batch per distinct circuit and, under `patching`, one run of the counterfactual batch whose
activations every ablated edge reads. The 100% circuit is the full model and the empty circuit under patching is the
counterfactual run, so the distinct runs are `n_circuits + 1` forwards (11), each with its metric (since 2026-12-04; before, the floor left
out the metric, which every run of the sweep computes; since 2026-12-05 each forward's logits at the metric's positions
alone, as every run of the sweep computes them): the floor, timed here on the same batch in three forms:

- `floor`: the model's plain forward (no per-head copies, no per-head output expansion), the least any run costs:
  the strict floor;
- `floor_split`: each head with its own q/k/v input through TransformerLens' per-head copies (`use_split_qkv_input`),
  without the per-head output expansion: what an edge-level ablation costs done the TransformerLens way (the floor
  this script used on 2026-12-03);
- `floor_tl`: the same with `use_attn_result` on, the model as `load_model` returns it for edge work (the floor
  before 2026-12-03).

and, since 2026-12-05, `floor + products`: the plain floor plus the matrix products an edge-level ablation of the
sweep's circuits must make beyond plain forwards, at their fewest (`product_shapes`: each destination's sum of its
ablated edges, each gathered head's output; until 2026-12-06 also each head with mixed inputs' own q/k/v projection,
which since then replaces TransformerLens' projection of that head instead of adding to it), timed as bare torch
products (`products`), so that what the sweep takes above it is overhead, not arithmetic the method needs. Likewise
for memory, since 2026-12-05: `store_mb`, what such an ablation must keep beyond one forward (`store_floats`: the
counterfactual's source outputs and the `ablated - current` rows the circuits' destinations read one by one), and
`memory_over_floor`, the sweep's peak over one plain forward's plus that.

Two schedules compute the same curve:

- `per-circuit` (the schedule before 2026-12-03): one `evaluate_graph` call per circuit, each re-running the
  counterfactual batch: `2 (n_circuits + 1) + 1` forwards;
- `shared` (the default now): `evaluate_graph` with the list of circuits, so each batch's counterfactual run
  (or means) is computed once and every circuit's hooked forward reads it.

Both run at the library's default `batch_size` (32 prompts a pass: the whole batch at every size here but the
research preset's 64 and 128, which run in batches of 32 against floors of one forward of all the prompts; before
2026-12-04 the script passed the whole batch), with `bench/harness.py`'s rules (the default and the floors interleaved, median of 5 rounds after a warm-up;
the per-circuit schedule median of 3; process CPU and wall), peak memory in a
fresh process per schedule (resident high-water mark minus the resident set before the call, of a second call after one
warm-up call since 2026-12-05 (before, of the first call, which also paged in library code), median of 3 processes;
`memory_ratio` is the default's over one plain forward's, with its metric), at three prompt
counts with the growth exponent of the default's CPU time, and the largest difference between the two
schedules' faithfulness values (they must agree). The model is a random 4-layer, 8-head, d_model 128
HookedTransformer with MLPs; circuits are MIB's fractions of the graph EAP scores on the same prompts, pruned.

    OMP_NUM_THREADS=1 python bench/bench_faithfulness.py [--sizes 8,16,32] [--seq_len 16]

The peers (since 2026-12-04), each in its own environment and process (`bench/peer_faithfulness.py`; a peer whose
python is missing is left out): MIB's evaluation with the EAP-IG reference's own code (hannamw/EAP-IG `evaluate_graph`
per circuit, `evaluate_baseline` for the full model and the corrupted run; environment as `bench/peer_eap_reference.py`
makes it, `--ref-python`, default /tmp/eapref/bin/python) and auto-circuit 1.0.1's `run_circuits` (every circuit of a
batch on one corrupted run; environment as `bench/bench_eap.py` makes it, `--ac-python`, default
/tmp/eapbench/bin/python). They evaluate the sweep's own circuits (written with `Graph.to_json`), so each per-prompt
metric value (every circuit, the full model, the empty circuit) and each faithfulness value is compared with
circuit_gen's in the peer's convention; each is timed as ours is (median of `--repeats` after a warm-up, process CPU),
with the peak memory of a second call after its warm-up call, as ours (since 2026-12-05; before, of the warm-up call).

`--research` (GPU: `--research --device cuda`): a GPT-2-small-shaped random model (12 layers, 12 heads, d_model
768, d_vocab 50257) on 32, 64 and 128 prompts of 32 tokens. Writes bench/results/faithfulness.json
(faithfulness_cuda.json on a GPU), which the docs page `benchmarks` renders.
Any size given on the command line wins over the preset's (`--research --sizes 2 --seq_len 8 --out F`:
the research shapes on a CPU, as a quick check that the GPU run's code path works).

A real model's smaller size on a CPU (since 2026-12-06): Pythia-70m's dimensions (6 layers, 8 heads, d_model 512,
d_mlp 2,048, d_vocab 50,304) in the same GPT-2-style random model (sequential attention and MLP, learned positions, not
Pythia's parallel block and rotary embeddings); its own entry on the docs page:

    OMP_NUM_THREADS=1 python bench/bench_faithfulness.py --n_layers 6 --n_heads 8 --d_model 512 --d_vocab 50304 \
        --sizes 4,8,16 --seq_len 32 --out bench/results/faithfulness_pythia70m_shape_cpu.json

`--anatomy` (since 2026-12-06) prints, per size, where the default sweep's time goes beyond its floor (`anatomy`): its
parts, the time inside each kind of hook, and the same forwards with do-nothing hooks at the same hook points; it writes
no results file (`circuit_evaluation` quotes it):

    OMP_NUM_THREADS=1 python bench/bench_faithfulness.py --anatomy --sizes 8,16,32
"""
import argparse, json, os, subprocess, sys, tempfile, time, warnings
from pathlib import Path
import torch

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
from harness import fresh_processes_mb, growth_exponent, measure, measure_interleaved, peak_memory_mb, reproduce_command, write_results
from bench_eap_schedule import bench_model   # the same random model as the EAP-IG schedule benchmark
from circuit_gen.circuit_graph import Graph, select_top_n
from circuit_gen.circuit_evaluation import MIB_PERCENTAGES, evaluate_graph, faithfulness_curve
from circuit_gen.edge_attribution import _flags_off
from circuit_gen.models import unembed_once
from circuit_gen.edge_attribution import _metric_rows, _unembed_at, answer_logit_metric, attribute

SMALL = dict(n_layers=4, n_heads=8, d_model=128, d_vocab=1000, seq_len=16, sizes="8,16,32")
RESEARCH = dict(n_layers=12, n_heads=12, d_model=768, d_vocab=50257, seq_len=32, sizes="32,64,128")


def inputs(model, b, seq_len):
    """Clean and corrupted random prompts, the answer-logit metric and the graph EAP scores on them, the same for the same
    sizes. (Random scores would make most small circuits empty once pruned to edges on an input-to-logits path; EAP's
    scores give circuits of 5 to 500 edges at MIB's fractions, as attribution does on a trained model.)"""
    g = torch.Generator().manual_seed(0)
    clean, corrupted = (torch.randint(0, model.cfg.d_vocab, (b, seq_len), generator=g).to(model.cfg.device) for _ in range(2))
    answers = torch.randint(0, model.cfg.d_vocab, (b, 2), generator=g).to(model.cfg.device)
    metric = answer_logit_metric(answers, torch.full((b,), seq_len - 1, device=model.cfg.device))
    return clean, corrupted, answers, metric, attribute(model, clean, corrupted, metric, method="EAP", batch_size=b, progress=False)


def sweep_circuits(graph) -> list:
    "The circuits `faithfulness_curve` evaluates by default: the top edges of `graph` at each of MIB's fractions, pruned."
    return [select_top_n(graph, int(round(graph.n_edges * k / 100))) for k in MIB_PERCENTAGES]


def distinct_runs(graph) -> tuple[int, list[int]]:
    """Forwards the curve cannot avoid, and each circuit's edge count: one per distinct circuit, with the empty circuit
    the counterfactual run (made anyway under patching) and the 100% circuit the full model."""
    circuits = sweep_circuits(graph)
    return len({tuple(c.in_graph.flatten().nonzero().flatten().tolist()) for c in circuits} | {()}), [c.count_included_edges() for c in circuits]


def per_circuit(model, graph, clean, corrupted, metric, b):
    "The old schedule: one evaluate_graph call per circuit (each re-runs the counterfactual batch)."
    ev = lambda g: evaluate_graph(model, g, clean, corrupted, metric).mean().item()
    with torch.no_grad(): m_full = metric(model(clean), torch.arange(b)).mean().item()
    m_empty = ev(Graph(graph.cfg))
    return [(ev(c) - m_empty) / (m_full - m_empty) for c in sweep_circuits(graph)]


def shared(model, graph, clean, corrupted, metric, b, memory_gb=None):
    """The default: `faithfulness_curve` as a user calls it (its default `batch_size`, 32 prompts a pass, and `memory_gb`,
    half the free memory, which on the machines measured holds those 32); `memory_gb`: that budget instead."""
    return faithfulness_curve(model, graph, clean, corrupted, metric, progress=False, memory_gb=memory_gb)["faithfulness"]


FLAGS_OFF = {"plain": ("use_attn_result", "use_split_qkv_input", "use_hook_mlp_in"), "split": ("use_attn_result",), "tl": ()}


def floor(model, clean, corrupted, n_forwards, kind="plain", metric=None):
    """`n_forwards` forwards (the last on the counterfactual batch), each with its `metric`: `plain`, per-head inputs
    (`split`), or as loaded (`tl`); one transposed copy of `W_U` for all (`unembed_once`: TransformerLens copies it per call,
    which the sweep does not), and each forward's logits at the metric's positions alone, as the sweep computes them
    (since 2026-12-05: `unembed_once`'s rows). `metric` None: no metric, every position's logits."""
    idx = torch.arange(len(clean), device=clean.device)
    rows = None if metric is None else _metric_rows(metric, idx)
    with torch.no_grad(), _flags_off(model, *FLAGS_OFF[kind]), unembed_once(model) as into:
        for tokens in [clean] * (n_forwards - 1) + [corrupted]:
            _unembed_at(into, rows)
            logits = model(tokens)
            if metric is not None: metric(logits, idx)


def hooked_plans(graph) -> list:
    """`_edge_plan`'s plan (the engine's own) of each circuit of the sweep that needs a hooked run: every distinct circuit
    but the empty one (the counterfactual run) and the full one (the plain forward)."""
    from circuit_gen.circuit_evaluation import _edge_plan
    lay, plans, seen = graph._layout, [], set()
    for c in sweep_circuits(graph):
        kept = c.in_graph & lay.real
        key = tuple(kept.flatten().nonzero().flatten().tolist())
        if key in seen or not kept.any() or bool(kept.eq(lay.real).all()): continue   # a repeat, the counterfactual run, the full model
        seen.add(key)
        plans.append(_edge_plan(lay, (~c.in_graph & lay.real).float()))
    return plans


def product_shapes(graph, plans=None) -> dict:
    """The matrix products an edge-level ablation of the sweep's circuits must compute beyond plain forwards, per hooked circuit
    (every distinct circuit but the empty and the full one), at their fewest (`_edge_plan`'s plan, the engine's own): each
    destination group's sum of its ablated edges' `ablated - current` (over the ablated source rows, or the kept ones
    subtracted from the sum of all, or all rows where that is cheaper), for the columns that need one (heads that read some
    sources ablated and some not, each MLP or logits input); and the output `z_h W_O[h]` of each head a destination reads
    one by one. Left out, so that the bound stays a lower one: heads that read every source ablated (one shared input),
    the running sum of all deltas, the norms of the heads' own inputs, and (since 2026-12-06) each such head's q, k or v
    projection of its own input: the engine has TransformerLens project only the heads that keep its value
    (`circuit_evaluation._qkv_only_for`), so a head's own projection takes the place of the plain forward's, at the same
    arithmetic. {'sums': [(columns, rows)], 'head_outputs': count}. `plans`: `hooked_plans(graph)`, if made already."""
    heads = {r for hr in graph._layout.head_rows for r in hr}
    sums, outs = [], 0
    for plan in hooked_plans(graph) if plans is None else plans:
        gathered = set()
        for hooks, cols, per_head, n, how, rows, wt, (full, mixed) in plan:
            if how in ("none", "all"): continue
            r = list(range(n)) if how == "dense" else rows.tolist()
            k = int(mixed.sum()) if per_head else len(cols)
            if k: sums.append((k, len(r))); gathered.update(r)
        outs += len(gathered & heads)
    return {"sums": sums, "head_outputs": outs}


def store_floats(model, graph, plans=None) -> int:
    """Floats a token that an edge-level ablation of the sweep's circuits must keep beyond one plain forward, at the engine's
    own plan (a lower bound on its memory, as `product_shapes` is on its arithmetic): the counterfactual run's source
    outputs, each layer's heads as their `z` (`n_heads * d_head` wide, one row a layer, not one a head) and every other
    source one d_model row; and the `ablated - current` rows that some destination reads one by one (`_stored_rows`), the
    most of any hooked circuit (runs reuse one store). `memory_floor_mb` is one plain forward's peak plus these floats.
    `plans`: `hooked_plans(graph)`, if made already."""
    from circuit_gen.circuit_evaluation import _stored_rows
    lay, c = graph._layout, model.cfg
    heads = sum(len(hr) for hr in lay.head_rows)
    stored = [_stored_rows(plan, lay.n_forward)[0] for plan in (hooked_plans(graph) if plans is None else plans)]
    rows = max([lay.n_forward if keep is None else len(keep) for keep in stored], default=0)
    return len(lay.head_rows) * c.n_heads * c.d_head + (lay.n_forward - heads + rows) * c.d_model


def products(model, shapes: dict, b: int, seq_len: int):
    """A function that makes `shapes`' products (`product_shapes`) as bare torch matrix products, one call each, on buffers
    made once: the compute an edge-level ablation cannot avoid beyond the plain forwards (timed beside them as `products`; the sweep over both is `shared_over_floor_products`)."""
    c, N = model.cfg, b * seq_len
    k_max = max([k for k, _ in shapes["sums"]], default=1); r_max = max([r for _, r in shapes["sums"]], default=1)
    g = torch.Generator().manual_seed(0)
    rnd = lambda *s: torch.randn(*s, generator=g).to(c.device)
    W, X, O = rnd(k_max, r_max), rnd(r_max, N * c.d_model), torch.empty(k_max, N * c.d_model, device=c.device)
    H = shapes["head_outputs"]
    Wo, zo = rnd(max(H, 1), c.d_head, c.d_model), rnd(max(H, 1), N, c.d_head)
    def run():
        for k, r in shapes["sums"]: torch.mm(W[:k, :r], X[:r], out=O[:k])
        if H: torch.bmm(zo, Wo)
    return run


def one_memory(model, b, schedule, seq_len, memory_gb=None) -> float:
    clean, corrupted, _, metric, graph = inputs(model, b, seq_len)
    fn = {"floor": lambda: floor(model, clean, corrupted, 1, metric=metric), "floor_split": lambda: floor(model, clean, corrupted, 1, "split", metric), "per-circuit": lambda: per_circuit(model, graph, clean, corrupted, metric, b),
          "shared": lambda: shared(model, graph, clean, corrupted, metric, b, memory_gb)}[schedule]
    # a warm call (since 2026-12-05; before, the first): a first call also pages in library code and makes one-time caches
    # (2.4 MB of code and about 2 MB more on the small model's sweep, whose warm peak is 9 MB), and the floor's forward code
    # was paged in already by the EAP scores' pass, so a first call charged the sweep alone for them
    # (`warm`: after it, `release_freed_memory`, so that no freed pages, the EAP scores' backward pass's or the warm-up's, hide the peak)
    cpu = {}
    def timed():
        t = time.process_time(); fn(); cpu["s"] = time.process_time() - t
    mb = peak_memory_mb(timed, warm=True)
    print(f"cpu_s {cpu['s']:.2f}")          # the call's own time (the second call); the last line, the peak, is what `memory` reads
    return mb


def memory(args, b, schedule) -> float:
    """Peak MB of one call: on a CPU the median of `args.repeats` fresh processes (the allocator keeps freed pages, and one
    forward's small peak moved between 1.6 and 4.6 MB from process to process), in-process on a GPU."""
    if args.device.startswith("cuda"): return one_memory(make(args), b, schedule, args.seq_len)
    shape = [f"--{k}={getattr(args, k)}" for k in ("seq_len", "n_layers", "n_heads", "d_model", "d_vocab", "device")]
    return fresh_processes_mb([sys.executable, __file__, "--one", str(b), schedule, *shape], args.repeats)


PEERS = {"reference": ("EAP-IG reference (MIB)", "ref_python"), "auto-circuit": ("auto-circuit 1.0.1", "ac_python")}


def peers(args, model, graph, clean, corrupted, answers, metric, b) -> dict:
    """Each installed peer's own code on the sweep's circuits (`bench/peer_faithfulness.py`, run with the peer's python):
    its CPU and wall time, peak memory, and the largest difference of its per-prompt metric values (every circuit, the
    full model, the empty circuit) and of its faithfulness from circuit_gen's on the same circuits, in the convention
    the peer uses (`reference`: the EAP-IG reference's input node; auto-circuit: circuit_gen's default)."""
    import peer_eap_reference as exchange
    work = Path(tempfile.mkdtemp(prefix="faith_peers_"))
    exchange.save_inputs(work, model, clean.cpu(), corrupted.cpu(), answers.cpu())
    circuits = sweep_circuits(graph)
    sets = [set(c.in_graph.flatten().nonzero().flatten().tolist()) for c in circuits]
    if not all(x <= y for x, y in zip(sets, sets[1:])):
        raise RuntimeError("the sweep's circuits are not nested: auto-circuit's top-k circuits cannot reproduce them")
    for i, c in enumerate(circuits): c.to_json(work/f"circuit_{i:02d}.json")
    (work/"params.json").write_text(json.dumps({"batch": b, "repeats": args.repeats}))
    out, asked = {}, args.peers.split(",")
    for name, (label, attr) in PEERS.items():
        python = getattr(args, attr)
        if name not in asked: print(f"{label}: not asked for"); continue
        if not Path(python).exists(): print(f"{label}: left out ({python} not found)"); continue
        if name == "reference": exchange.reference_source(None, args.eap_git, work/"src")
        subprocess.run([python, str(Path(__file__).parent/"peer_faithfulness.py"), name, "--work", str(work)], check=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"})
        r = json.loads((work/f"{name}.json").read_text())
        conv = "reference" if name == "reference" else "circuit_gen"
        with torch.no_grad():
            ours = evaluate_graph(model, [Graph(graph.cfg)] + circuits, clean, corrupted, metric, batch_size=b, convention=conv)
            full = metric(model(clean), torch.arange(b, device=clean.device))
        theirs = torch.tensor([r["empty"]] + r["circuits"])
        faith = lambda m, f: ((m[1:].mean(1) - m[0].mean()) / (f.mean() - m[0].mean()))
        out[name] = {"cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "peak_mb": r["peak_mb"],
                     "max_abs_diff": max((ours.cpu() - theirs).abs().max().item(), (full.cpu() - torch.tensor(r["full"])).abs().max().item()),
                     "faithfulness_max_abs_diff": (faith(ours.cpu(), full.cpu()) - faith(theirs, torch.tensor(r["full"]))).abs().max().item()}
        print(label, {k: f"{v:.3g}" for k, v in out[name].items()}, flush=True)
    return out


def anatomy(model, b: int, seq_len: int, repeats: int) -> dict:
    """Where the default sweep's time goes beyond its floor (`--anatomy`): process CPU ms, the median of `repeats` (>= 5)
    after a warm-up, of
    - `floor`: the floor's forwards (`floor`), and `floor_forward` one of them;
    - `sweep`: the default sweep (`shared`), and the same sweep in its parts: `counterfactual` (the capture run),
      `full_model` (the plain run of the 100% circuit), `hooked` (every hooked circuit's run, `_run_ablated`), `hooks`
      (the time inside the hooked runs' hook functions, by hook point kind in `hooks_by_kind`) and `rest` (set-up: plans,
      graph checks, circuit selection, metric);
    - `identity_hooked_run`: one forward with a hook at every hook point a hooked run uses, each doing nothing (what
      TransformerLens' hook machinery costs), and `registration`: adding and removing those hooks alone, both per run.
    Timing the parts adds a few calls to `process_time` per hook (about 1 us each): `parts_total` against `sweep` shows it."""
    import collections, contextlib
    import circuit_gen.circuit_evaluation as ce
    clean, corrupted, _, metric, graph = inputs(model, b, seq_len)
    n, _ = distinct_runs(graph)
    idx = torch.arange(b, device=clean.device)
    parts, kinds, names = collections.Counter(), collections.Counter(), []
    def timed_part(name):
        f = getattr(ce, name)
        def g(*a, **k):
            t0 = time.process_time()
            try: return f(*a, **k)
            finally: parts[name] += time.process_time() - t0
        return f, g
    def timed_hook(name, fn):
        kind = name.rsplit(".", 1)[-1]
        def h(act, hook):
            t0 = time.process_time()
            try: return fn(act, hook)
            finally: kinds[kind] += time.process_time() - t0
        return h
    hooks_at = ce.hooks_at
    @contextlib.contextmanager
    def recording(m, fwd):                     # `_run_ablated`'s hooks (the capture run's are edge_attribution's own)
        names.append([nm for nm, _ in fwd])
        with hooks_at(m, [(nm, timed_hook(nm, fn)) for nm, fn in fwd]) as x: yield x
    sweep = lambda: shared(model, graph, clean, corrupted, metric, b)
    t_sweep = measure(sweep, repeats)["cpu_s"]
    originals = {k: timed_part(k) for k in ("_capture_z", "_plain_run", "_run_ablated")}
    runs = []
    try:
        for k, (_, g) in originals.items(): setattr(ce, k, g)
        ce.hooks_at = recording
        sweep()                                 # warm-up, and the hook points of each hooked run
        per_run = names[:]
        for _ in range(repeats):
            parts.clear(); kinds.clear()
            t0 = time.process_time(); sweep(); total = time.process_time() - t0
            runs.append((total, dict(parts), dict(kinds)))
    finally:
        for k, (f, _) in originals.items(): setattr(ce, k, f)
        ce.hooks_at = hooks_at
    total, p, k = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    nothing = lambda act, hook: None
    plain = FLAGS_OFF["plain"]
    rows = _metric_rows(metric, idx)
    def identity():                             # as `floor`'s forwards: one transposed W_U for all, the logits at the rows
        with torch.no_grad(), _flags_off(model, *plain), unembed_once(model) as into:
            for run in per_run:
                with hooks_at(model, [(nm, nothing) for nm in run]):
                    _unembed_at(into, rows); metric(model(clean), idx)
    def registration():
        for run in per_run:
            with hooks_at(model, [(nm, nothing) for nm in run]): pass
    t = measure_interleaved({"floor": lambda: floor(model, clean, corrupted, n, metric=metric), "identity": identity,
                             "registration": registration}, repeats)
    ms = lambda s: round(1e3 * s, 2)
    hooked = p.get("_run_ablated", 0.0)
    return {"prompts": b, "floor_forwards": n, "hooked_runs": len(per_run), "floor_forward_ms": ms(t["floor"]["cpu_s"] / n),
            "floor_ms": ms(t["floor"]["cpu_s"]), "sweep_ms": ms(t_sweep), "parts_total_ms": ms(total),
            "counterfactual_ms": ms(p.get("_capture_z", 0.0)), "full_model_ms": ms(p.get("_plain_run", 0.0)),
            "hooked_ms": ms(hooked), "hooked_run_ms": ms(hooked / max(1, len(per_run))), "hooks_ms": ms(sum(k.values())),
            "rest_ms": ms(total - sum(p.values())),
            "identity_hooked_run_ms": ms(t["identity"]["cpu_s"] / max(1, len(per_run))),
            "registration_ms": ms(t["registration"]["cpu_s"] / max(1, len(per_run))),
            "hook_points_per_run": round(sum(map(len, per_run)) / max(1, len(per_run)), 1),
            "hooks_by_kind_ms": {kind: ms(v) for kind, v in sorted(k.items(), key=lambda kv: -kv[1])}}


def make(args): return bench_model(args.n_layers, args.n_heads, args.d_model, args.d_vocab, args.device)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k, v in SMALL.items(): ap.add_argument(f"--{k}", type=type(v), default=None, help=f"default {v} ({RESEARCH[k]} with --research)")
    ap.add_argument("--device", default="cpu"); ap.add_argument("--research", action="store_true")
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--out", default=None)
    ap.add_argument("--peers", default="reference,auto-circuit", help="peers to run where installed ('' for none)")
    ap.add_argument("--ref-python", default="/tmp/eapref/bin/python", help="python of the EAP-IG reference's environment")
    ap.add_argument("--ac-python", default="/tmp/eapbench/bin/python", help="python of auto-circuit's environment")
    ap.add_argument("--eap-git", default="/work/.mirror/hannamw+EAP-IG/repo", help="a bare git clone of hannamw/EAP-IG")
    ap.add_argument("--memory_gb", type=float, default=None, help="with --one: the sweep's memory budget (faithfulness_curve's memory_gb)")
    ap.add_argument("--one", nargs=2, metavar=("BATCH", "SCHEDULE"), help=argparse.SUPPRESS)
    ap.add_argument("--anatomy", action="store_true", help="where the sweep's time goes beyond its floor, per size (printed; no results file)")
    args = ap.parse_args()
    for k, v in (RESEARCH if args.research else SMALL).items():       # what is given on the command line wins
        if getattr(args, k) is None: setattr(args, k, v)
    torch.manual_seed(0)
    if args.one:
        print(one_memory(make(args), int(args.one[0]), args.one[1], args.seq_len, args.memory_gb)); return
    if args.anatomy:
        model = make(args)
        for b in [int(x) for x in args.sizes.split(",")]: print(json.dumps(anatomy(model, b, args.seq_len, max(args.repeats, 5))), flush=True)
        return
    model = make(args)
    rows = []
    for b in [int(s) for s in args.sizes.split(",")]:
        clean, corrupted, answers, metric, graph = inputs(model, b, args.seq_len)
        n, edges = distinct_runs(graph)
        plans = hooked_plans(graph)                      # the sweep's plans, made once for both lower bounds
        shapes = product_shapes(graph, plans)
        bare = products(model, shapes, b, args.seq_len)
        t = measure_interleaved({"floor": lambda: floor(model, clean, corrupted, n, metric=metric), "products": bare, "split": lambda: floor(model, clean, corrupted, n, "split", metric),
                                 "tl": lambda: floor(model, clean, corrupted, n, "tl", metric), "shared": lambda: shared(model, graph, clean, corrupted, metric, b)},
                                max(args.repeats, 5))
        t_floor, t_floor_split, t_floor_tl, t_new = t["floor"], t["split"], t["tl"], t["shared"]
        t_old = measure(lambda: per_circuit(model, graph, clean, corrupted, metric, b), args.repeats)
        diff = max(abs(x - y) for x, y in zip(per_circuit(model, graph, clean, corrupted, metric, b), shared(model, graph, clean, corrupted, metric, b)))
        mem = {s: memory(args, b, s) for s in ("floor", "floor_split", "per-circuit", "shared")}
        store_mb = store_floats(model, graph, plans) * b * args.seq_len * torch.finfo(model.cfg.dtype).bits / 8 / 2**20
        peer = peers(args, model, graph, clean, corrupted, answers, metric, b) if args.peers else {}
        row = {"prompts": b, "circuit_edges": edges, "floor_forwards": n, "floor_cpu_s": t_floor["cpu_s"], "floor_split_cpu_s": t_floor_split["cpu_s"], "floor_tl_cpu_s": t_floor_tl["cpu_s"],
               "per_circuit_cpu_s": t_old["cpu_s"], "shared_cpu_s": t_new["cpu_s"],
               "shared_wall_s": t_new["wall_s"], "shared_over_floor": t_new["cpu_s"] / t_floor["cpu_s"],
               "shared_over_floor_split": t_new["cpu_s"] / t_floor_split["cpu_s"], "shared_over_floor_tl": t_new["cpu_s"] / t_floor_tl["cpu_s"],
               "products_cpu_s": t["products"]["cpu_s"], "product_gflop": sum(2 * k * r * b * args.seq_len * args.d_model for k, r in shapes["sums"]) / 1e9
                   + 2 * shapes["head_outputs"] * b * args.seq_len * args.d_model * (args.d_model // args.n_heads) / 1e9,
               "shared_over_floor_products": t_new["cpu_s"] / (t_floor["cpu_s"] + t["products"]["cpu_s"]),
               "speedup_vs_per_circuit": t_old["cpu_s"] / t_new["cpu_s"], "floor_mem_mb": mem["floor"], "floor_split_mem_mb": mem["floor_split"],
               "per_circuit_mem_mb": mem["per-circuit"], "shared_mem_mb": mem["shared"], "memory_ratio": mem["shared"] / mem["floor"],
               "store_mb": store_mb, "memory_floor_mb": mem["floor"] + store_mb, "memory_over_floor": mem["shared"] / (mem["floor"] + store_mb),
               "max_abs_diff": diff}
        for name, r in peer.items():
            k = name.replace("-", "_")
            row.update({f"{k}_cpu_s": r["cpu_s"], f"{k}_wall_s": r["wall_s"], f"{k}_mem_mb": r["peak_mb"],
                        f"speedup_vs_{k}": r["cpu_s"] / t_new["cpu_s"], f"{k}_max_abs_diff": r["max_abs_diff"],
                        f"{k}_faithfulness_max_abs_diff": r["faithfulness_max_abs_diff"]})
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    sizes = [r["prompts"] for r in rows]
    summary = {"ratio_to_floor": max(r["shared_over_floor"] for r in rows),
               "ratio_to_floor_products": max(r["shared_over_floor_products"] for r in rows),
               "ratio_to_floor_split": max(r["shared_over_floor_split"] for r in rows),
               "ratio_to_floor_tl": max(r["shared_over_floor_tl"] for r in rows),
               "memory_ratio": max(r["memory_ratio"] for r in rows),
               "memory_over_floor": max(r["memory_over_floor"] for r in rows),
               "speedup_vs_previous_default": min(r["speedup_vs_per_circuit"] for r in rows),
               "max_abs_diff": max(r["max_abs_diff"] for r in rows),
               "growth_shared": growth_exponent(sizes, [r["shared_cpu_s"] for r in rows]),
               "growth_floor": growth_exponent(sizes, [r["floor_cpu_s"] for r in rows])}
    found = [k for k in ("reference", "auto_circuit") if all(f"{k}_cpu_s" in r for r in rows)]
    if found:     # speed ratios at the largest size (> 1: ours faster); agreement at the worst size
        summary = {"peer": ", ".join(PEERS[k.replace("_", "-")][0] for k in found),
                   "ratio_to_fastest_peer": min(rows[-1][f"speedup_vs_{k}"] for k in found), **summary}
        for k in found:
            summary[f"speedup_vs_{k}"] = rows[-1][f"speedup_vs_{k}"]
            summary[f"max_abs_diff_{k}"] = max(r[f"{k}_max_abs_diff"] for r in rows)
            summary[f"faithfulness_max_abs_diff_{k}"] = max(r[f"{k}_faithfulness_max_abs_diff"] for r in rows)
            summary[f"growth_{k}"] = growth_exponent(sizes, [r[f"{k}_cpu_s"] for r in rows])
    print(summary)
    cmd = reproduce_command("bench/bench_faithfulness.py")
    write_results("faithfulness", "Faithfulness sweep (MIB's 10 fractions + empty + full): schedule vs its floor", cmd.strip(), rows, summary,
                  notes=f"floor: floor_forwards plain forwards, one per distinct run (each distinct circuit of MIB's {len(MIB_PERCENTAGES)} "
                        f"fractions, the 100% one the full model; the counterfactual run, which is also the empty circuit), each with its metric; "
                        f"products_cpu_s: the matrix products an edge-level ablation of these circuits needs beyond them (product_shapes: each "
                        f"destination's sum of its ablated edges, each head with mixed inputs' own q/k/v projection, each gathered head's output; "
                        f"product_gflop of them), as bare torch products; shared_over_floor_products: shared over floor + products; floor_split: the same with each head's q/k/v input "
                        f"through TransformerLens' per-head copies; floor_tl: also with its per-head output expansion; memory_ratio: "
                        f"shared's peak over one plain forward's; store_mb: what an edge-level ablation of these circuits must keep beyond one "
                        f"forward (store_floats: the counterfactual's source outputs, heads as z, and the most ablated - current rows any "
                        f"circuit's destinations read one by one); memory_over_floor: shared's peak over floor_mem_mb + store_mb; peers (where installed, bench/peer_faithfulness.py): the EAP-IG reference's "
                        f"evaluate_graph per circuit and evaluate_baseline (MIB's evaluation), and auto-circuit's run_circuits, on the same circuits, "
                        f"each in its own process (reference_mem_mb, auto_circuit_mem_mb: the peak of a second call, after its warm-up call, as ours and the floors' (mem_mb: each a second call in a fresh process)); speedup_vs_reference, "
                        f"speedup_vs_auto_circuit: its CPU time over ours (> 1: ours faster); reference_max_abs_diff, auto_circuit_max_abs_diff: "
                        f"its per-prompt metric values against ours in its convention; "
                        f"model {args.n_layers}L x {args.n_heads}H, d_model {args.d_model}, {args.seq_len} tokens, patching", path=args.out)


if __name__ == "__main__":
    main()
