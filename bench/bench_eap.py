r"""Benchmark (not a test): EAP-IG time per prompt against its floor, the EAP-IG reference and auto-circuit.

Same inputs for every tool: a random GPT-2-like HookedTransformer (4 layers x 8 heads, d_mlp = 4 d_model, vocabulary
1000, seed 0) at three widths, d_model 64, 128 and 256 (the sizes; 1,519 edges each), and 16 random clean/corrupted
prompt pairs of 16 tokens (a correct and a wrong answer token at the last position), batches of 8, m = 5 IG steps.
Our environment writes the config, the weights (safetensors) and the prompts to a work folder
(`peer_eap_reference.save_inputs`); each tool then runs in a fresh process of its own environment (`--role`), rebuilds
the model from those files (`load_inputs`), freezes its weights (ours does so itself, auto-circuit's own loader does)
and measures with `bench/harness.py`: peak memory of a second call, after a warm-up call and `malloc_trim` (resident
high-water mark beyond what the process held; since 2026-12-06, before, of the first call, which also paged in library
code), then the median wall and process-CPU time of 3 calls (ours and the floor in alternation, 3 rounds,
so that a changing load on the shared machine moves both alike).

- ours: `attribute(..., method="EAP-IG-inputs", ig_steps=5, batch_size=8)`, default settings (one IG step of a batch
  per pass), and once more with `convention="reference"` for the comparison.
- floor: m forward+backward passes per batch, gradients w.r.t. the activations only, the same metric, one transposed
  copy of `W_U` and the logits at the metric's positions alone, as `attribute` computes them (since 2026-12-05).
- EAP-IG reference: hannamw/EAP-IG `src/eap` (795f560), read from a bare clone as `peer_eap_reference.py` does, its
  hard-coded `device='cuda'` replaced by the model's device and our token ids passed through its `tokenize_plus`;
  `attribute(model, graph, batches, <MIB logit-difference loss>, "EAP-IG-inputs", ig_steps=5)`. Compared: max
  |difference| of its scores from ours with `convention="reference"` (and Spearman with our default scores).
- auto-circuit 1.0.1: `patchable_model(factorized=True, slice_output="last_seq", separate_qkv=True)` (set-up, 0.03 s,
  not timed), then `mask_gradient_prune_scores(grad_function="logit", answer_function="avg_diff",
  integrated_grad_samples=5)`. It integrates along the edge masks (m+1 points, mask 0 = clean to 1 = corrupted), not
  along the input embeddings, so only ranks compare: the Spearman correlation with our default scores over all edges,
  its names mapped to ours ('A1.3'->'A2.0.Q' is 'a1.h3->a2.h0<q>', 'Resid Start' 'input', 'MLP 0' 'm0', 'Resid End'
  'logits'); the signs agree (its loss is minus the logit difference and its masks move towards corrupted).

Measured 2026-12-05 after `attribute` and the floor began to unembed at the metric's positions alone (the run that
wrote bench/results/eap.json; 2-core machine, nothing else running, one thread; ms per prompt; speedup = the row's CPU
time / ours, > 1: ours faster):

| d_model | tool | wall | CPU | peak MB | CPU / floor | speedup | max abs diff | Spearman |
|---|---|---:|---:|---:|---:|---:|---:|---:|
| 64 | circuit_gen (default) | 16 | 16 | 37 | 1.14 | 1.00 |  |  |
| 64 | floor | 14 | 14 |  | 1.00 | 0.88 |  |  |
| 64 | EAP-IG reference | 22 | 22 | 45 | 1.63 | 1.43 | 2.1e-08 | 0.938 |
| 64 | auto-circuit | 29 | 29 | 62 | 2.13 | 1.87 |  | 0.906 |
| 128 | circuit_gen (default) | 29 | 29 | 59 | 1.06 | 1.00 |  |  |
| 128 | floor | 28 | 28 |  | 1.00 | 0.94 |  |  |
| 128 | EAP-IG reference | 37 | 37 | 73 | 1.34 | 1.26 | 1.8e-08 | 0.951 |
| 128 | auto-circuit | 52 | 52 | 117 | 1.87 | 1.76 |  | 0.882 |
| 256 | circuit_gen (default) | 182 | 182 | 123 | 1.05 | 1.00 |  |  |
| 256 | floor | 174 | 174 |  | 1.00 | 0.96 |  |  |
| 256 | EAP-IG reference | 218 | 218 | 142 | 1.25 | 1.20 | 2.4e-08 | 0.945 |
| 256 | auto-circuit | 279 | 279 | 224 | 1.61 | 1.54 |  | 0.873 |

The run of the same day before that change (af997fa; the floor then copied `W_U` in every forward and computed every
position's logits): ours 1.15 / 1.06 / 1.02x the floor, the reference's time over ours 1.46 / 1.30 / 1.23, auto-circuit's
1.67 / 1.82 / 1.58, peak memory ours 38 / 66 / 136 MB, the reference's 43 / 77 / 131. At this vocabulary (1,000) the
unembedding is a small part of a pass, so the change moves these figures little.

Growth of CPU time per prompt with d_model (log-log slope): ours 1.78, floor 1.84, reference 1.65, auto-circuit 1.63.
The runs of 2026-12-03 (before the changes of 12-04 and 12-05, which touched EAP-IG's passes only in how hooks are
added and the sources recorded, and in the logits at the metric's positions; machine shared, load 1-2) spread as follows
(CPU at d_model 64 / 128 / 256): ours / floor 1.12-1.13 / 0.90-1.10 / 1.02-1.08, the reference's time over ours
1.22-1.98 / 1.17-1.52 / 1.24-1.25, auto-circuit's 1.50-2.42 / 1.56-1.67 / 1.32-1.69; the two runs of 12-05 fall in or
near those ranges. Peak memory on 12-03: ours 38-40 / 66-73 / 122-129 MB, the reference's 42-43 / 71-79 / 136-138;
auto-circuit's 1.6-1.8x ours. The reference's scores agree with `convention="reference"` to 3e-8; its ranks differ from
our default ones (Spearman 0.94-0.95) because its IG points are k/m for k = 0..m-1, ours k = 1..m.

Where the time goes (profiled at d_model 256, 16 prompts, one call, before that change): with glibc's default allocator more than half of
every tool's CPU time is kernel time, page faults of the large activation tensors that go back to the OS after every
pass (user + system seconds per call: ours 1.8-2.0 + 2.2-2.5, reference 1.9-2.3 + 2.4-2.5, floor 1.4-1.6 + 1.9-2.4;
~0.7M minor faults each). That shared cost narrows the ratios at d_model 256. With
`MALLOC_MMAP_THRESHOLD_=4000000000 MALLOC_TRIM_THRESHOLD_=4000000000` the system time vanishes: ours 1.7-1.9 s, the
reference 2.2-2.5 s, the floor 1.5-1.75 s (ours 1.1x the floor, the reference 1.3x ours). Of our user time, autograd's
backward and TransformerLens' attention forward (the per-head results and split q/k/v inputs that edge attribution
needs, which the floor pays too) take ~85%; circuit_gen's own hooks and gradient sums ~1%. Ours does one forward pass
fewer than the reference (the clean activations are read off the alpha = 1 pass) and one matrix product per
destination per batch rather than per step; auto-circuit runs m+1 passes whose every destination adds a mask-weighted
sum over all its sources.

    OMP_NUM_THREADS=1 python bench/bench_eap.py          # 7-10 min here; writes bench/results/eap.json
    OMP_NUM_THREADS=1 python bench/bench_eap.py --d_models 32,64 --n_prompts 8 --out /tmp/eap.json   # a quick look

Environments for the peers (never the project .venv); a peer whose python is missing is left out:

    python3 -m venv /tmp/eapref && /tmp/eapref/bin/pip install torch==2.13.0 &&
    /tmp/eapref/bin/pip install transformer_lens==3.9.0 matplotlib
    python3 -m venv /tmp/eapbench && /tmp/eapbench/bin/pip install torch==2.13.0 &&
    /tmp/eapbench/bin/pip install auto-circuit attrs safetensors transformer-lens==3.9.0 \
        -c <(printf "torch==2.13.0\ntransformer-lens==3.9.0\n") &&
    /tmp/eapbench/bin/pip uninstall -y torchvision

auto-circuit 1.0.1 imports `attr` without declaring it (hence `attrs`) and names that TransformerLens 3 removed (this
script aliases them, as ../shared/ENV.md describes). The reference's source comes from `--eap-git` (a bare clone of
hannamw/EAP-IG, default /work/.mirror/hannamw+EAP-IG/repo) or `--eap-src` (a checkout's src/).
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, warnings
from pathlib import Path

warnings.filterwarnings("ignore")
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness import growth_exponent, measure, peak_memory_mb, timed   # torch only: importable in every peer environment
import peer_eap_reference as exchange                            # how models, prompts and the reference's source travel

METHOD = "EAP-IG-inputs"
TOOLS = {"ours": "circuit_gen attribute (default)", "floor": "floor: m forward+backward",
         "reference": "EAP-IG reference (hannamw)", "auto-circuit": "auto-circuit 1.0.1 mask gradients"}


def bench_model(n_layers: int, n_heads: int, d_model: int, d_vocab: int, n_ctx: int):
    "A random GPT-2-like HookedTransformer with the edge hooks on (seed 0: the same weights for every run)."
    from transformer_lens import HookedTransformer, HookedTransformerConfig
    cfg = HookedTransformerConfig(n_layers=n_layers, n_heads=n_heads, d_model=d_model, d_head=d_model // n_heads,
                                  d_mlp=4 * d_model, n_ctx=n_ctx, d_vocab=d_vocab, act_fn="gelu", normalization_type="LN",
                                  seed=0, device="cpu")
    model = HookedTransformer(cfg)
    model.set_use_attn_result(True)
    model.set_use_split_qkv_input(True)
    model.set_use_hook_mlp_in(True)
    return model.eval()


def freeze(model):
    "Weights frozen in every tool (ours does it itself, auto-circuit's own loader does it): only activation gradients."
    for p in model.parameters(): p.requires_grad_(False)


def floor_passes(model, clean, metric, steps: int, batch: int):
    """m forward+backward passes per batch, gradients w.r.t. activations only (weights frozen), with one transposed copy of
    `W_U` and the logits at the metric's positions alone (`unembed_once` and its `rows`, as `attribute` computes them;
    until 2026-12-05 the floor copied `W_U` in every forward and computed every position's logits)."""
    import torch
    from circuit_gen.models import unembed_once
    from circuit_gen.edge_attribution import _metric_rows, _unembed_at
    with unembed_once(model) as into:
        for i0 in range(0, len(clean), batch):
            idx = torch.arange(len(clean))[i0:i0 + batch]
            rows = _metric_rows(metric, idx)
            for _ in range(steps):
                with model.hooks(fwd_hooks=[("blocks.0.hook_resid_pre", lambda act, hook: act.detach().requires_grad_(True))]):
                    _unembed_at(into, rows)
                    metric(model(clean[idx]), idx).sum().backward()


def run_ours(work: Path, steps: int, batch: int, repeats: int) -> dict:
    "Our env: `attribute` with default settings, the floor, and the scores in both conventions."
    import torch
    from safetensors.torch import save_file
    from circuit_gen.edge_attribution import answer_logit_metric, attribute
    model, clean, corrupted, answers = exchange.load_inputs(work)
    metric = answer_logit_metric(answers, torch.full((len(clean),), clean.shape[1] - 1))
    graphs = []
    def ours(**kw):
        graphs.append(attribute(model, clean, corrupted, metric, method=METHOD, ig_steps=steps, batch_size=batch,
                                progress=False, **kw))
        del graphs[:-1]
    from harness import measure_interleaved
    peak = peak_memory_mb(ours, warm=True)                               # a warm-up call, then the peak of a second
    default = graphs[-1].scores
    freeze(model)
    floor = lambda: floor_passes(model, clean, metric, steps, batch)
    floor()                                                              # warm-up; its memory is not measured
    # ours and the floor in alternation (median of `repeats` rounds): a load that changes meanwhile moves both alike
    t = measure_interleaved({"ours": lambda: ours(), "floor": floor}, repeats=repeats, warmup=0)
    out = {"ours": {**t["ours"], "peak_mb": peak}, "floor": {**t["floor"], "peak_mb": None}}
    ours(convention="reference")
    save_file({"default": default, "reference": graphs[-1].scores}, str(work/"ours_scores.safetensors"))
    out["n_edges"] = graphs[-1].n_edges
    return out


def run_reference(work: Path, steps: int, batch: int, repeats: int) -> dict:
    "Reference env (/tmp/eapref): hannamw/EAP-IG's own `attribute` on the same model and prompts."
    from safetensors.torch import save_file
    sys.path.insert(0, str(work.parent/"src"))
    import eap.attribute as ref_attribute
    from eap.graph import Graph
    model, clean, corrupted, answers = exchange.load_inputs(work)
    freeze(model)
    exchange.use_token_ids()
    batches = [(clean[i:i + batch], corrupted[i:i + batch], answers[i:i + batch]) for i in range(0, len(clean), batch)]
    graphs = []
    def reference():
        graph = Graph.from_model(model)
        ref_attribute.attribute(model, graph, batches, exchange.logit_diff_loss, METHOD, ig_steps=steps, quiet=True)
        graphs[:] = [graph]
    out = {"reference": timed(reference, repeats, warm=True)}
    save_file({"scores": graphs[-1].scores.float().contiguous()}, str(work/"reference_scores.safetensors"))
    return out


def auto_circuit_aliases():
    "auto-circuit 1.0.1 imports names that TransformerLens 3 moved (../shared/ENV.md): put them where it looks, before importing it."
    import transformer_lens, transformer_lens.cache.key_value_cache as kv
    sys.modules.setdefault("transformer_lens.past_key_value_caching", kv)
    transformer_lens.HookedTransformerKeyValueCache = kv.TransformerLensKeyValueCache
    kv.HookedTransformerKeyValueCache = kv.TransformerLensKeyValueCache


def run_auto_circuit(work: Path, steps: int, batch: int, repeats: int) -> dict:
    "auto-circuit env (/tmp/eapbench): `mask_gradient_prune_scores` with `integrated_grad_samples=m` on the same inputs."
    import time
    import torch
    auto_circuit_aliases()
    from auto_circuit.data import PromptPairBatch
    from auto_circuit.prune_algos.mask_gradient import mask_gradient_prune_scores
    from auto_circuit.types import AblationType
    from auto_circuit.utils.graph_utils import patchable_model
    model, clean, corrupted, answers = exchange.load_inputs(work)
    freeze(model)
    batches = [PromptPairBatch(key=k, batch_diverge_idx=0, clean=clean[i:i + batch], corrupt=corrupted[i:i + batch],
                               answers=answers[i:i + batch, :1], wrong_answers=answers[i:i + batch, 1:2])
               for k, i in enumerate(range(0, len(clean), batch))]
    t0 = time.perf_counter()
    pm = patchable_model(model, factorized=True, slice_output="last_seq", separate_qkv=True, device=torch.device("cpu"))
    setup_s = time.perf_counter() - t0
    scores = []
    def auto_circuit():
        scores[:] = [mask_gradient_prune_scores(model=pm, dataloader=batches, official_edges=None, grad_function="logit",
                                                answer_function="avg_diff", mask_val=None,
                                                ablation_type=AblationType.RESAMPLE, integrated_grad_samples=steps)]
    out = {"auto-circuit": {**timed(auto_circuit, repeats, warm=True), "setup_s": setup_s}}
    edges = [[e.src.name, e.dest.name, float(e.prune_score(scores[-1]))] for e in pm.edges]
    (work/"auto_circuit_scores.json").write_text(json.dumps(edges))
    return out


def our_edge_name(src: str, dest: str) -> str:
    "auto-circuit's node names ('Resid Start', 'A1.3', 'A1.3.Q', 'MLP 0', 'Resid End') as our edge name."
    def node(name):
        if name == "Resid Start": return "input"
        if name == "Resid End": return "logits"
        if m := re.fullmatch(r"A(\d+)\.(\d+)\.([QKV])", name): return f"a{m[1]}.h{m[2]}<{m[3].lower()}>"
        if m := re.fullmatch(r"A(\d+)\.(\d+)", name): return f"a{m[1]}.h{m[2]}"
        if m := re.fullmatch(r"MLP (\d+)", name): return f"m{m[1]}"
        raise ValueError(f"unknown auto-circuit node {name!r}")
    return f"{node(src)}->{node(dest)}"


def agreement(work: Path, model, results: dict) -> dict:
    "Max |difference| of the reference from ours in reference convention; Spearman of each peer with our default scores."
    import torch
    from safetensors.torch import load_file
    from scipy.stats import spearmanr
    from circuit_gen.circuit_graph import Graph
    ours = load_file(str(work/"ours_scores.safetensors"))
    graph = Graph.from_model(model)
    real = graph.real_edge_mask
    out = {}
    if "reference" in results:
        theirs = load_file(str(work/"reference_scores.safetensors"))["scores"]
        out["reference"] = {"max_abs_diff": float((ours["reference"] - theirs).abs().max()),
                            "spearman": float(spearmanr(ours["default"][real], theirs[real]).statistic)}
    if "auto-circuit" in results:
        ac = {our_edge_name(s, d): v for s, d, v in json.loads((work/"auto_circuit_scores.json").read_text())}
        names = graph.edge_names
        mine = dict(zip(names, ours["default"][graph._layout.edge_rows, graph._layout.edge_cols].tolist()))
        matched = [n for n in names if n in ac]
        if len(matched) != len(names) or len(ac) != len(names):
            raise ValueError(f"auto-circuit has {len(ac)} edges, ours {len(names)}, {len(matched)} matched: "
                             "check the name map in our_edge_name")
        a, b = torch.tensor([mine[n] for n in matched]), torch.tensor([ac[n] for n in matched])
        out["auto-circuit"] = {"max_abs_diff": None, "spearman": float(spearmanr(a, b).statistic),
                               "spearman_abs": float(spearmanr(a.abs(), b.abs()).statistic), "n_matched": len(matched)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5, help="IG steps m")
    ap.add_argument("--batch", type=int, default=8, help="prompts per batch (every tool)")
    ap.add_argument("--n_prompts", type=int, default=16)
    ap.add_argument("--seq_len", type=int, default=16)
    ap.add_argument("--n_layers", type=int, default=4)
    ap.add_argument("--n_heads", type=int, default=8)
    ap.add_argument("--d_models", default="64,128,256", help="the three sizes: model widths (d_head = d_model / n_heads)")
    ap.add_argument("--d_vocab", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per tool and size (median; after one warm-up)")
    ap.add_argument("--ref-python", default="/tmp/eapref/bin/python", help="python of the EAP-IG reference's environment")
    ap.add_argument("--ac-python", default="/tmp/eapbench/bin/python", help="python of auto-circuit's environment")
    ap.add_argument("--eap-src", default=None, help="a checkout's src/ folder holding eap/ (default: read --eap-git)")
    ap.add_argument("--eap-git", default=exchange.EAP_GIT, help="a bare git clone of hannamw/EAP-IG")
    ap.add_argument("--work", default=None, help="folder for the exchanged files (default: a temporary one)")
    ap.add_argument("--out", default=None, help="results file (default: bench/results/eap.json)")
    ap.add_argument("--role", choices=("ours", "reference", "auto-circuit"), help="(internal) one tool, in its environment")
    args = ap.parse_args()
    if args.role:
        run = {"ours": run_ours, "reference": run_reference, "auto-circuit": run_auto_circuit}[args.role]
        print(json.dumps(run(Path(args.work), args.steps, args.batch, args.repeats)))
        return
    # the environment variables that change the figures (threads; glibc's allocator, see the docstring) are part of it
    env_vars = [f"{k}={os.environ[k]}" for k in ("OMP_NUM_THREADS", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
                if k in os.environ]
    command = " ".join(env_vars + ["python", "bench/bench_eap.py"] + sys.argv[1:])
    import torch
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_eap_"))
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work/"src", ignore_errors=True)
    exchange.reference_source(args.eap_src, args.eap_git, work/"src")
    pythons = {"ours": sys.executable, "reference": args.ref_python, "auto-circuit": args.ac_python}
    missing = [k for k, p in pythons.items() if not Path(p).exists()]
    for k in missing: print(f"skipping {k}: no {pythons[k]} (see the module docstring to create it)", file=sys.stderr)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "PYTHONPATH": str(BENCH.parent)}
    sizes = [int(d) for d in args.d_models.split(",")]
    rows, per_size = [], []
    for d_model in sizes:
        model = bench_model(args.n_layers, args.n_heads, d_model, args.d_vocab, n_ctx=max(64, args.seq_len))
        g = torch.Generator().manual_seed(0)
        shape = (args.n_prompts, args.seq_len)
        clean, corrupted = (torch.randint(0, args.d_vocab, shape, generator=g) for _ in range(2))
        answers = torch.randint(0, args.d_vocab, (args.n_prompts, 2), generator=g)
        size_dir = work/f"d_model_{d_model}"
        size_dir.mkdir(exist_ok=True)
        exchange.save_inputs(size_dir, model, clean, corrupted, answers)
        results = {}
        for role in ("ours", "reference", "auto-circuit"):
            if role in missing: continue
            cmd = [pythons[role], __file__, "--role", role, "--work", str(size_dir), "--steps", str(args.steps),
                   "--batch", str(args.batch), "--repeats", str(args.repeats)]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode: raise RuntimeError(f"{role} failed at d_model={d_model}:\n{done.stderr[-3000:]}")
            results.update(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"d_model={d_model} {role}: done", file=sys.stderr, flush=True)
        agree = agreement(size_dir, model, results)
        n = args.n_prompts
        ours_cpu, floor_cpu = results["ours"]["cpu_s"], results["floor"]["cpu_s"]
        for tool in ("ours", "floor", "reference", "auto-circuit"):
            if tool not in results: continue
            r, a = results[tool], agree.get(tool, {})
            rows.append({"d_model": d_model, "n_edges": results["n_edges"], "tool": TOOLS[tool],
                         "wall_ms_per_prompt": 1e3 * r["wall_s"] / n, "cpu_ms_per_prompt": 1e3 * r["cpu_s"] / n,
                         "peak_mb": r["peak_mb"], "cpu_vs_floor": r["cpu_s"] / floor_cpu,
                         "ours_speedup_cpu": r["cpu_s"] / ours_cpu,
                         "max_abs_diff_vs_ours": a.get("max_abs_diff"), "spearman_vs_ours": a.get("spearman")})
            print(json.dumps(rows[-1]), flush=True)
        per_size.append({"d_model": d_model, "results": results, "agreement": agree})
    reference_version = "src/ of " + args.eap_src if args.eap_src else "hannamw/EAP-IG " + subprocess.run(
        ["git", "--git-dir", args.eap_git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    summary, notes = summarize(sizes, rows, per_size, args, reference_version)
    from harness import write_results
    write_results(area="eap", title="EAP-IG (m IG steps): circuit_gen against its floor, the EAP-IG reference and "
                  "auto-circuit", command=command, rows=rows, summary=summary, notes=notes, path=args.out)


def summarize(sizes, rows, per_size, args, reference_version: str) -> tuple[dict, str]:
    "Headline figures (speed at the largest size, agreement at the worst size), growth exponents, and the notes."
    cpu = lambda tool: [r["cpu_ms_per_prompt"] for r in rows if r["tool"] == TOOLS[tool]]
    present = [t for t in TOOLS if len(cpu(t)) == len(sizes)]
    peers = [t for t in ("reference", "auto-circuit") if t in present]
    largest, agree = per_size[-1]["results"], [p["agreement"] for p in per_size]
    names = {"reference": f"EAP-IG reference ({reference_version})", "auto-circuit": "auto-circuit 1.0.1"}
    summary = {
        "peer": ", ".join(names[t] for t in peers) or None,
        "ratio_to_fastest_peer": min(largest[t]["cpu_s"] for t in peers) / largest["ours"]["cpu_s"] if peers else None,
        "ratio_to_floor": largest["ours"]["cpu_s"] / largest["floor"]["cpu_s"],
        "spearman_auto_circuit": min(a["auto-circuit"]["spearman"] for a in agree) if "auto-circuit" in peers else None,
        "max_abs_diff_reference": max(a["reference"]["max_abs_diff"] for a in agree) if "reference" in peers else None,
    }
    for t in present: summary[f"growth_{t.replace('-', '_')}"] = growth_exponent(sizes, cpu(t))
    notes = (f"Random {args.n_layers}-layer x {args.n_heads}-head GPT-2-like model at d_model "
             f"{', '.join(map(str, sizes))} (d_mlp = 4 d_model, vocabulary {args.d_vocab}), the same weights "
             f"(safetensors) and the same {args.n_prompts} random prompt pairs of {args.seq_len} tokens in every tool, "
             f"batches of {args.batch}, m = {args.steps} IG steps, one thread, each tool in a fresh process of its own "
             f"environment, weights frozen in all. Times: median of {args.repeats} after a warm-up call (ours and the floor in alternating rounds), per prompt; "
             "peak_mb: resident high-water mark of a second call (after a warm-up call and malloc_trim) beyond what the process held. cpu_vs_floor: CPU "
             "time / the floor's (m forward+backward passes per batch); ours_speedup_cpu: the row's CPU time / ours "
             "(> 1: ours faster). max_abs_diff_vs_ours: the reference's scores against ours with "
             "convention='reference'; spearman_vs_ours: rank correlation with our default scores over all edges "
             "(auto-circuit integrates along the edge masks, m+1 points from clean to corrupted, not along the input "
             "embeddings, so only ranks compare). Summary: speed ratios (CPU) at the largest size, agreement at the "
             "worst size; growth_*: slopes of log(CPU time per prompt) on log(d_model). With glibc's default "
             "allocator more than half of every tool's CPU time at d_model 256 is kernel time (page faults: large "
             "activation tensors go back to the OS after each pass); MALLOC_MMAP_THRESHOLD_=4000000000 "
             "MALLOC_TRIM_THRESHOLD_=4000000000 removes it (see bench/bench_eap.py).")
    return summary, notes


if __name__ == "__main__":
    main()
