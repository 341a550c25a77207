"""Benchmark (not a test): attribution graphs, ours against circuit-tracer, on the same model, dictionary and prompt.

At three sizes (10, 20 and 40 positions of one IOI text on the shipped `toy-ioi` model, ~600, ~1,300 and ~2,600
active features) both libraries build the full (unpruned) attribution graph of the same random dictionary:

* the dictionary: a random CLT on toy-ioi (`--kind cross_layer_transcoder`, 512 features per layer) or a per-layer
  transcoder set (`--kind transcoder_set`), normalised on the 40-token prompt, with one JumpReLU threshold set by
  bisection so that the active features off the BOS position number ~600 / ~1,300 / ~2,600; written with
  `save_circuit_tracer` and read back by circuit-tracer's own `load_clt` / `load_transcoder_set`;
* ours: `build_attribution_graph(..., freeze_bos=True, demean_logits=True)` (circuit-tracer's conventions: no
  feature or error node at the BOS position, demeaned logit nodes); circuit-tracer: `attribute(tokens, model,
  attribution_targets=<our logit tokens>)` with `ReplacementModel.from_config` on the same weights;
* the same `--batch` (targets per backward pass) for both, float32, one thread;
* each timing is the median of 3 after a warm-up (`harness.measure`), process CPU time and wall time; peak memory
  is `harness.peak_memory_mb` (resident high-water mark above what the process held before) of a second build after a
  warm-up build and `malloc_trim`, for both libraries (since 2026-12-06; before, of the first build, which also paged in
  library code and, at the second and third sizes, could reuse the freed pages of the sizes before it);
* the outputs compared: the max |difference| of the two adjacency matrices over every target row and every
  feature, error and logit column (the same node order in both), and separately over the token columns, which
  differ by convention: circuit-tracer's token node is the token embedding `W_E[t]` (`hook_embed`), ours is the
  whole input residual stream `W_E[t] + W_pos[p]` (`blocks.0.hook_resid_pre`), so only the token columns of a
  model with positional embeddings differ.

Run it from the repository root (the peer in its own environment, as a subprocess):

    python3 -m venv /tmp/ctvenv && /tmp/ctvenv/bin/pip install torch==2.13.0 &&
    /tmp/ctvenv/bin/pip install circuit-tracer -c <(printf 'torch==2.13.0\\n')   # pulls TransformerLens 3.2.1 and transformers 4.57
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_attribution_graph.py --peer-python /tmp/ctvenv/bin/python

It prints one table (markdown), keeps its intermediate files in `--dir` (default /tmp/bench_attribution_graph) and
writes the results as bench/results/attribution_graph.json (attribution_graph_cuda.json on a GPU; `--out` elsewhere),
which the docs page `benchmarks` renders. Without `--peer-python` it measures ours alone and says so.

`--research` (for a GPU: `--research --device cuda`): a random GPT-2-small-shaped model (12 layers, 12 heads,
d_model 768, n_ctx 128, toy-ioi's 1,024-token vocabulary) with a random CLT of 4,096 features per layer, random
prompts of 16, 32 and 64 positions and thresholds set for ~2,500, ~5,000 and ~10,000 active features; batches 128,
256, 512; ours only (circuit-tracer cannot be installed on a machine without network).
"""
import argparse, json, math, os, subprocess, sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from harness import growth_exponent, measure, peak_memory_mb, reproduce_command, write_results  # noqa: E402

SIZES = [(10, 600), (20, 1300), (40, 2600)]   # (positions, active features off the BOS position)
D_FEATURES = 512
RESEARCH_SIZES = [(16, 2500), (32, 5000), (64, 10000)]
RESEARCH_D_FEATURES = 4096


def _research_model(device):
    "A random GPT-2-small-shaped HookedTransformer with toy-ioi's tokenizer (d_vocab 1,024)."
    from circuit_gen.models import load_model
    from circuit_gen.testing import tiny_model
    tok = load_model("toy-ioi", device="cpu").tokenizer
    return tiny_model(n_layers=12, d_model=768, n_heads=12, n_ctx=128, tokenizer=tok, edge_hooks=False, device=device)


def _random_tokens(model, n_pos: int):
    "BOS, then random token ids: the research prompt."
    g = torch.Generator().manual_seed(0)
    bos = model.tokenizer.bos_token_id
    return torch.cat([torch.tensor([bos]), torch.randint(0, model.cfg.d_vocab, (n_pos - 1,), generator=g)])


# ---------------------------------------------------------------- ours (the project's .venv)
def _prompt_tokens(model, n_pos: int):
    from circuit_gen.ioi import make_ioi_prompts
    tokens = model.to_tokens(" ".join(make_ioi_prompts(model, 8, seed=0).prompts))[0]
    if len(tokens) < n_pos: raise ValueError(f"the benchmark text has {len(tokens)} tokens, fewer than {n_pos}")
    return tokens[:n_pos]


def _dictionary(model, kind: str, tokens, n_pos: int, target: int, d_features: int = D_FEATURES):
    "A random CLT (or per-layer set) whose single threshold leaves ~`target` features active off the BOS position."
    from circuit_gen.activations import collect_mlp_activations, model_fingerprint
    from circuit_gen.clt import CLTConfig, CrossLayerTranscoder
    L = model.cfg.n_layers
    clt = CrossLayerTranscoder(CLTConfig(d_model=model.cfg.d_model, layers=list(range(L)), d_features=d_features,
                                         model=model_fingerprint(model)), seed=0, device=model.cfg.device)
    with torch.no_grad():
        if kind == "transcoder_set":
            for w in clt.W_dec: w[1:] = 0
        clt.fit_normalisation(*collect_mlp_activations(model, tokens[None]))
        x, _ = collect_mlp_activations(model, tokens[None, :n_pos])
        pre = clt.encode(x)[0][1:].flatten().sort(descending=True).values.cpu()    # positions 1.. (BOS excluded)
        # the threshold goes in the widest gap near the target count, so float32 rounding in either library
        # (circuit-tracer folds the input scale into W_enc) cannot move a feature across it
        k = target - 20 + int((pre[target - 21:target + 20] - pre[target - 20:target + 21]).argmax())
        clt.log_threshold.fill_(math.log(float(pre[k - 1] + pre[k]) / 2))
    return clt


def _timings(build, batches: list[int]) -> dict:
    "Peak memory of a warm build (`batches[0]`; `peak_memory_mb`'s `warm`), then median CPU/wall per batch size."
    out = {"peak_mb": peak_memory_mb(lambda: build(batches[0]), warm=True)}
    for b in batches: out[str(b)] = measure(lambda: build(b))
    return out


def run_ours(folder: Path, kind: str, batches: list[int], device="cpu", research: bool = False) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    torch.set_num_threads(1)
    from circuit_gen.models import load_model
    from circuit_gen.dictionaries import save_circuit_tracer
    from circuit_gen.attribution_graph import build_attribution_graph
    from safetensors.torch import save_file
    sizes = RESEARCH_SIZES if research else SIZES
    model = _research_model(device) if research else load_model("toy-ioi", device=device)
    text = (_random_tokens if research else _prompt_tokens)(model, max(n for n, _ in sizes)).to(device)
    rows = []
    for n_pos, target in sizes:
        tokens = text[:n_pos]
        clt = _dictionary(model, kind, text, n_pos, target, RESEARCH_D_FEATURES if research else D_FEATURES)
        sub = folder / f"pos{n_pos}"
        if not research: save_circuit_tracer(clt, sub / "dictionary", model_name="toy-ioi", kind=kind)
        build = lambda b: build_attribution_graph(model, clt, tokens, batch_size=b, freeze_bos=True,
                                                  demean_logits=True, progress=False)
        timings = _timings(build, batches)
        g = build(batches[0])
        tensors = {"adjacency": g.adjacency, "features": g.features, "tokens": g.tokens, "logit_tokens": g.logit_tokens}
        if not research: save_file({k: v.contiguous() for k, v in tensors.items()}, str(sub / "ours.safetensors"))
        rows.append({"n_pos": n_pos, "n_features": g.n_features, "n_logits": g.n_logits,
                     "max_abs_edge": g.adjacency.abs().max().item(), **timings})
        print(f"ours pos={n_pos}: {g.n_features} features", file=sys.stderr, flush=True)
    return rows


# ---------------------------------------------------------------- circuit-tracer (its own venv)
def _peer_model(dictionary: Path, kind: str, device="cpu"):
    from circuit_tracer.replacement_model import ReplacementModel
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformerConfig
    from transformers import PreTrainedTokenizerFast
    folder = ROOT / "circuit_gen" / "weights" / "toy-ioi"
    cfgd = json.loads((folder / "config.json").read_text())["hooked_transformer_config"]
    fields = HookedTransformerConfig.__dataclass_fields__
    cfg = HookedTransformerConfig(**{k: v for k, v in cfgd.items() if k in fields}, device=str(device))
    hooks = dict(feature_input_hook="hook_resid_mid", feature_output_hook="hook_mlp_out")
    if kind == "cross_layer_transcoder":
        from circuit_tracer.transcoder.cross_layer_transcoder import load_clt
        transcoders = load_clt(str(dictionary), lazy_decoder=False, lazy_encoder=False, dtype=torch.float32,
                               device=torch.device(device), **hooks)
    else:
        from circuit_tracer.transcoder.single_layer_transcoder import load_transcoder_set
        paths = {i: str(dictionary / f"layer_{i}.safetensors") for i in range(cfg.n_layers)}
        transcoders = load_transcoder_set(paths, scan="toy-ioi", lazy_decoder=False, lazy_encoder=False,
                                          device=torch.device(device), **hooks)
    # the shipped tokenizer_config names a transformers-5 class: rebuild the tokenizer from tokenizer.json
    bos = json.loads((folder / "tokenizer_config.json").read_text()).get("bos_token", "<|endoftext|>")
    saved = dictionary.parent / "tokenizer"     # saved and read back: TransformerLens wants its `name_or_path`
    tok = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), bos_token=bos, eos_token=bos)
    tok.save_pretrained(str(saved))
    tok = PreTrainedTokenizerFast.from_pretrained(str(saved))
    model = ReplacementModel.from_config(cfg, transcoders, backend="transformerlens", tokenizer=tok)
    # circuit-tracer wraps each MLP as `mlp.old_mlp` and the unembedding as `unembed.old_unembed`
    rename = lambda k: k.replace(".mlp.", ".mlp.old_mlp.").replace("unembed.", "unembed.old_unembed.")
    weights = load_file(str(folder / "model.safetensors"))
    state = {rename(k): v for k, v in weights.items() if not k.endswith((".mask", ".IGNORE"))}
    missing = model.load_state_dict(state, strict=False).missing_keys
    lost = [k for k in missing if not k.endswith((".mask", ".IGNORE", "rotary_sin", "rotary_cos")) and "transcoders" not in k]
    if lost: raise RuntimeError(f"circuit-tracer's model did not get weights {lost[:5]}")
    return model.eval()


def run_peer(folder: Path, kind: str, batches: list[int], device="cpu") -> list[dict]:
    torch.set_num_threads(1)
    from importlib.metadata import version
    from circuit_tracer import attribute
    from safetensors.torch import load_file
    rows = []
    for n_pos, _ in SIZES:
        sub = folder / f"pos{n_pos}"
        ours = load_file(str(sub / "ours.safetensors"))
        model = _peer_model(sub / "dictionary", kind, device)
        build = lambda b: attribute(ours["tokens"], model, attribution_targets=ours["logit_tokens"], batch_size=b,
                                    verbose=False)
        timings = _timings(build, batches)
        g = build(batches[0])
        A_t, A_o = g.adjacency_matrix.double(), ours["adjacency"].double()
        theirs = g.active_features[g.selected_features].tolist()
        same_nodes = A_t.shape == A_o.shape and theirs == ours["features"].tolist() and \
            [int(t) for t in _logit_ids(g)] == ours["logit_tokens"].tolist()
        row = {"n_pos": n_pos, "n_features": len(theirs), "same_nodes": same_nodes, "version": version("circuit-tracer"),
               **timings}
        if same_nodes:
            n_l = len(ours["logit_tokens"])
            tok = slice(A_o.shape[1] - n_l - n_pos, A_o.shape[1] - n_l)
            keep = torch.ones(A_o.shape[1], dtype=torch.bool)
            keep[tok] = False
            row["max_abs_diff"] = (A_t - A_o)[:, keep].abs().max().item()
            row["max_abs_diff_token_columns"] = (A_t - A_o)[:, tok].abs().max().item()
        rows.append(row)
        print(f"circuit-tracer pos={n_pos}: {len(theirs)} features", file=sys.stderr, flush=True)
    return rows


def _logit_ids(graph):
    "Token ids of circuit-tracer's logit nodes (a tensor in some versions, a list of targets in others)."
    t = graph.logit_targets
    if isinstance(t, torch.Tensor): return t.tolist()
    return [x.vocab_idx if hasattr(x, "vocab_idx") else x.token_id if hasattr(x, "token_id") else int(x) for x in t]


# ---------------------------------------------------------------- the table
def _best(row: dict, batches: list[int]) -> tuple[int, dict]:
    b = min(batches, key=lambda b: row[str(b)]["cpu_s"])
    return b, row[str(b)]


def table(ours: list[dict], peer: list[dict] | None, batches: list[int], same: int) -> str:
    "Markdown: both at batch `same`, then each at its fastest batch size; growth exponents; output differences."
    nan = float("nan")
    lines = ["| positions | features | batch | ours CPU s | ours wall s | circuit-tracer CPU s | wall s "
             "| ratio (CT / ours CPU) |",
             "|---|---|---|---|---|---|---|---|"]
    for label, pick in [(str(same), lambda r: (same, r[str(same)])), ("best", lambda r: _best(r, batches))]:
        for k, o in enumerate(ours):
            bo, to = pick(o)
            bp, tp = pick(peer[k]) if peer else (None, {"cpu_s": nan, "wall_s": nan})
            batch = f"{bo}" if bp in (None, bo) else f"{bo} / {bp}"
            lines.append(f"| {o['n_pos']} | {o['n_features']} | {batch} | {to['cpu_s']:.3f} | {to['wall_s']:.3f} | "
                         f"{tp['cpu_s']:.3f} | {tp['wall_s']:.3f} | {tp['cpu_s'] / to['cpu_s']:.2f} |")
        n = [o["n_features"] for o in ours]
        g_o = growth_exponent(n, [pick(o)[1]["cpu_s"] for o in ours])
        g_p = growth_exponent(n, [pick(p)[1]["cpu_s"] for p in peer]) if peer else nan
        lines.append(f"| growth exponent (CPU time in features) | | {label} | {g_o:.2f} | | {g_p:.2f} | | |")
    lines += ["", "| positions | features | ours peak MB | circuit-tracer peak MB | max abs diff (features, errors, logits) "
              "| token columns | largest edge |", "|---|---|---|---|---|---|---|"]
    for k, o in enumerate(ours):
        p = peer[k] if peer else {}
        lines.append(f"| {o['n_pos']} | {o['n_features']} | {o['peak_mb']:.0f} | {p.get('peak_mb', nan):.0f} | "
                     f"{p.get('max_abs_diff', nan):.1e} | {p.get('max_abs_diff_token_columns', nan):.1e} "
                     f"| {o['max_abs_edge']:.2f} |")
    return "\n".join(lines)


def results_rows(ours: list[dict], peer: list[dict] | None, batches: list[int], key: str) -> list[dict]:
    "One row per size for bench/results: each library at its fastest batch size, both at the first; memory; differences."
    rows = []
    for k, o in enumerate(ours):
        p = peer[k] if peer else None
        bo, to = _best(o, batches)
        bp, tp = _best(p, batches) if p else (None, {})
        same = batches[0]
        rows.append({"positions": o["n_pos"], "features": o["n_features"], "ours_batch": bo, "ours_cpu_s": to["cpu_s"],
                     "ours_wall_s": to["wall_s"], "peer_batch": bp, "peer_cpu_s": tp.get("cpu_s"),
                     "peer_wall_s": tp.get("wall_s"),
                     "peer_over_ours": tp[key] / to[key] if p else None,
                     f"peer_over_ours_batch_{same}": p[str(same)][key] / o[str(same)][key] if p else None,
                     "ours_peak_mb": o["peak_mb"], "peer_peak_mb": p["peak_mb"] if p else None,
                     "max_abs_diff": p.get("max_abs_diff") if p else None,
                     "max_abs_diff_token_columns": p.get("max_abs_diff_token_columns") if p else None,
                     "largest_edge": o["max_abs_edge"]})
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", nargs="?", default="all", choices=["all", "ours", "peer"])
    ap.add_argument("--kind", default="cross_layer_transcoder", choices=["cross_layer_transcoder", "transcoder_set"])
    ap.add_argument("--batch", default=None, help="targets per backward pass, both libraries: the first is "
                    "compared side by side (and gives the adjacency and peak memory), all are swept for each one's best; "
                    "default 64,16,32,128 (research: 128,256,512)")
    ap.add_argument("--dir", default="/tmp/bench_attribution_graph")
    ap.add_argument("--peer-python", default=None, help="a python with circuit-tracer installed; none: ours only")
    ap.add_argument("--research", action="store_true", help="GPT-2-small-shaped random model, ~2.5k/5k/10k active features")
    ap.add_argument("--device", default="", help="cpu, cuda, ...; default: circuit_gen's default device")
    ap.add_argument("--out", default=None, help="results JSON path")
    a = ap.parse_args()
    a.batch = a.batch or ("128,256,512" if a.research else "64,16,32,128")
    batches = [int(b) for b in a.batch.split(",")]
    folder = Path(a.dir) / a.kind
    folder.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    if a.part == "peer":
        (folder / "peer.json").write_text(json.dumps(run_peer(folder, a.kind, batches, a.device or "cpu"), indent=1))
        sys.exit(0)
    from circuit_gen.core import resolve_device
    device = resolve_device(a.device or None)
    key = "wall_s" if device.type == "cuda" else "cpu_s"   # a GPU's work is not this process's CPU time
    ours = run_ours(folder, a.kind, batches, device, a.research)
    (folder / "ours.json").write_text(json.dumps(ours, indent=1))
    peer, note = None, "No --peer-python: ours alone (circuit-tracer not run)."
    if a.research and a.peer_python: note = "--research: ours alone (circuit-tracer's model here is toy-ioi)."
    elif a.peer_python and a.part == "all":
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        subprocess.run([a.peer_python, __file__, "peer", "--kind", a.kind, "--batch", a.batch, "--dir", a.dir,
                        "--device", str(device)], check=True, env=env)
        peer = json.loads((folder / "peer.json").read_text())
        note = f"circuit-tracer {peer[0]['version']} in its own environment, as a subprocess."
        bad = [p["n_pos"] for p in peer if not p["same_nodes"]]
        if bad:
            note += f" Its nodes differ from ours at positions {bad}: no edge comparison there."
            print(f"warning: circuit-tracer's nodes differ from ours at positions {bad}: no edge comparison there",
                  file=sys.stderr)
    print(f"{a.kind}, {'GPT-2-small-shaped random model' if a.research else 'toy-ioi'}, float32, one thread, {device}; "
          "median of 3 after a warm-up\n")
    print(table(ours, peer, batches, batches[0]))
    rows = results_rows(ours, peer, batches, key)
    n = [o["n_features"] for o in ours]
    summary = {"peer": f"circuit-tracer {peer[0]['version']}" if peer else None,
               "ratio_to_fastest_peer": rows[-1]["peer_over_ours"], "ratio_to_floor": None,
               "max_abs_diff": max((r["max_abs_diff"] for r in rows if r["max_abs_diff"] is not None), default=None),
               "max_abs_diff_token_columns": max((r["max_abs_diff_token_columns"] for r in rows
                                                  if r["max_abs_diff_token_columns"] is not None), default=None),
               "growth_exponent": growth_exponent(n, [r["ours_" + key] for r in rows])}
    if peer: summary["peer_growth_exponent"] = growth_exponent(n, [r["peer_" + key] for r in rows])
    setting = "a random GPT-2-small-shaped model, 4,096 features per layer" if a.research else "toy-ioi, 512 features per layer"
    notes = (f"{a.kind}, {setting}; "
             f"float32, one thread, device {device}; each library at its fastest batch of {a.batch} "
             f"({key.replace('_s', ' time')}); peer_over_ours > 1: ours faster. ratio_to_fastest_peer at the largest "
             "size. max_abs_diff: adjacency over feature, error and logit columns; token columns differ by convention "
             "(circuit-tracer's token node is W_E[t], ours the whole input residual W_E[t] + W_pos[p]). No floor. Peak memory: a second build at the "
             "first batch size, after a warm-up build and malloc_trim, both libraries. " + note)
    command = reproduce_command("bench/bench_attribution_graph.py", ".venv/bin/python")
    write_results("attribution_graph", "Attribution graphs: against circuit-tracer", command, rows, summary, notes,
                  path=a.out)
