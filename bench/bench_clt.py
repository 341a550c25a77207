"""CLT training throughput and attribution-graph build time: circuit_gen vs sae-lens and circuit-tracer (a benchmark, not a test).

1. `train`: training steps per second of a circuit_gen CLT (3 layers like toy-ioi, d_model 64,
   `--width` features per layer) against sae-lens's JumpReLU training SAE of the same width on
   one layer (tanh sparsity, Anthropic's setup), on the same random activations, Adam, one CPU
   thread. Reported as tokens/s and as FLOP/s (forward+backward ~ 3x the forward matmul FLOPs:
   SAE 4*d*F per token, CLT 2*L*d*F + L(L+1)*d*F), so the ratio compares work done per second.
2. `graph-ours` / `graph-peer`: attribution-graph build time for one IOI prompt on the shipped
   toy-ioi with the same random-but-sparse CLT, in circuit_gen and in circuit-tracer (its
   TransformerLens backend loading the same weights), and the largest difference between the
   two graphs' feature->feature edges (same local replacement model, so they should agree).

The peers must not go into the project's .venv. sae-lens runs next to TransformerLens 3.9:

    python3 -m venv /tmp/cltbench
    /tmp/cltbench/bin/pip install torch==2.13.0
    /tmp/cltbench/bin/pip install -c <(printf 'torch==2.13.0\\ntransformer-lens==3.9.0\\n') sae-lens transformer-lens==3.9.0 \\
        safetensors jaxtyping tqdm pyyaml fastcore tokenizers
    /tmp/cltbench/bin/pip uninstall -y torchvision
    OMP_NUM_THREADS=1 /tmp/cltbench/bin/python bench/bench_clt.py train

circuit-tracer 0.5 needs transformers <= 4.57 (TransformerLens 3.2.1), so it gets its own:

    python3 -m venv /tmp/ctbench
    /tmp/ctbench/bin/pip install torch==2.13.0
    /tmp/ctbench/bin/pip install -c <(echo torch==2.13.0) circuit-tracer==0.5.0 safetensors jaxtyping tqdm pyyaml
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_clt.py graph-ours --dir /tmp/cltgraph
    OMP_NUM_THREADS=1 /tmp/ctbench/bin/python bench/bench_clt.py graph-peer --dir /tmp/cltgraph

A peer that is not installed is skipped (and said so).
"""
import argparse, json, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the project's circuit_gen, without installing it

import torch


def bench_train(width: int, batch: int, steps: int, d_model: int = 64, n_layers: int = 3) -> dict:
    from circuit_gen.clt import CLTConfig, CrossLayerTranscoder, clt_loss
    torch.manual_seed(0)
    x = torch.randn(batch, n_layers, d_model); y = torch.randn(batch, n_layers, d_model)
    res = {"width": width, "batch": batch, "steps": steps, "d_model": d_model, "n_layers": n_layers}
    clt = CrossLayerTranscoder(CLTConfig(d_model=d_model, layers=list(range(n_layers)), d_features=width), device="cpu")
    opt = torch.optim.Adam(clt.parameters(), lr=1e-3)
    def step():
        loss, _ = clt_loss(clt, x, y); opt.zero_grad(); loss.backward(); opt.step()
    for _ in range(3): step()
    t = time.perf_counter()
    for _ in range(steps): step()
    dt = (time.perf_counter() - t) / steps
    flops = 3 * (2 * n_layers * d_model * width + n_layers * (n_layers + 1) * d_model * width)
    res["ours"] = {"tokens_per_s": batch / dt, "flop_per_token": flops, "gflop_per_s": batch * flops / dt / 1e9}
    try:
        from sae_lens import JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig
        from sae_lens.saes.sae import TrainStepInput
    except ImportError as e:
        res["sae_lens"] = f"not installed ({e})"; return res
    sae = JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(d_in=d_model, d_sae=width, jumprelu_sparsity_loss_mode="tanh",
                                                        l0_coefficient=1.0, dtype="float32", device="cpu"))
    opt = torch.optim.Adam(sae.parameters(), lr=1e-3)
    xs = x[:, 0].contiguous()
    coeffs = {k: 1.0 for k in sae.get_coefficients()}
    def sae_step(i):
        out = sae.training_forward_pass(TrainStepInput(sae_in=xs, coefficients=coeffs, dead_neuron_mask=None,
                                                       n_training_steps=i, is_logging_step=False))
        opt.zero_grad(); out.loss.backward(); opt.step()
    for i in range(3): sae_step(i)
    t = time.perf_counter()
    for i in range(steps): sae_step(i)
    dt = (time.perf_counter() - t) / steps
    flops = 3 * 4 * d_model * width
    res["sae_lens"] = {"tokens_per_s": batch / dt, "flop_per_token": flops, "gflop_per_s": batch * flops / dt / 1e9}
    res["flop_rate_ratio_ours_over_sae_lens"] = res["ours"]["gflop_per_s"] / res["sae_lens"]["gflop_per_s"]
    return res


def _random_clt(model, width):
    "A random CLT on the model whose thresholds leave a few percent of features active."
    from circuit_gen.activations import model_fingerprint
    from circuit_gen.clt import CLTConfig, CrossLayerTranscoder
    clt = CrossLayerTranscoder(CLTConfig(d_model=model.cfg.d_model, layers=list(range(model.cfg.n_layers)), d_features=width,
                                         threshold_init=1.2, model=model_fingerprint(model)), seed=0, device="cpu")
    return clt


def graph_ours(folder: Path, width: int, repeats: int) -> dict:
    from circuit_gen.models import load_model, toy_model_dir
    from circuit_gen.ioi import make_ioi_prompts
    from circuit_gen.attribution_graph import build_attribution_graph
    from circuit_gen.core import save_tensors
    model = load_model("toy-ioi", device="cpu")
    clt = _random_clt(model, width)
    prompt = make_ioi_prompts(model, 1, seed=0).prompts[0]
    tokens = model.to_tokens(prompt)[0]
    g = build_attribution_graph(model, clt, tokens, batch_size=64, progress=False)
    t = time.perf_counter()
    for _ in range(repeats): g = build_attribution_graph(model, clt, tokens, batch_size=64, progress=False)
    dt = (time.perf_counter() - t) / repeats
    folder.mkdir(parents=True, exist_ok=True)
    # the same CLT in circuit-tracer's layout and units (scales folded in)
    L = clt.cfg.n_layers
    with torch.no_grad():
        W_enc = torch.stack([(clt.W_enc[l] * clt.input_scale[l]).T for l in range(L)])
        W_dec = {f"W_dec_{s}": torch.stack([clt.W_dec[s][k] / clt.output_scale[s + k] for k in range(L - s)], 1) for s in range(L)}
        save_tensors({"W_enc": W_enc, "b_enc": clt.b_enc, "threshold": clt.threshold, "b_dec": clt.b_dec / clt.output_scale[:, None],
                      **W_dec, "tokens": tokens, "features": g.features, "adjacency": g.adjacency},
                     folder/"ours.safetensors")
    res = {"prompt": prompt, "n_pos": len(tokens), "n_features": g.n_features, "n_logits": g.n_logits, "seconds_per_graph": dt,
           "model_folder": str(toy_model_dir("toy-ioi"))}
    (folder/"ours.json").write_text(json.dumps(res, indent=2))
    return res


def graph_peer(folder: Path, repeats: int) -> dict:
    try:
        from circuit_tracer import attribute as ct_attribute
        from circuit_tracer.replacement_model import ReplacementModel
        from circuit_tracer.transcoder.cross_layer_transcoder import CrossLayerTranscoder as CTCLT
    except ImportError as e:
        return {"circuit_tracer": f"not installed ({e})"}
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformerConfig
    ours = json.loads((folder/"ours.json").read_text())
    mf = Path(ours["model_folder"])
    cfgd = json.loads((mf/"config.json").read_text())["hooked_transformer_config"]
    allowed = set(HookedTransformerConfig.__dataclass_fields__)
    cfg = HookedTransformerConfig(**{k: v for k, v in cfgd.items() if k in allowed}, device="cpu")
    t = load_file(str(folder/"ours.safetensors"))
    L, F, D = t["W_enc"].shape
    clt = CTCLT(n_layers=L, d_transcoder=F, d_model=D, activation_function="jump_relu", lazy_decoder=False,
                device=torch.device("cpu"), dtype=torch.float32)
    with torch.no_grad():
        clt.W_enc.copy_(t["W_enc"]); clt.b_enc.copy_(t["b_enc"]); clt.b_dec.copy_(t["b_dec"])
        clt.activation_function.threshold.copy_(t["threshold"][:, None, :])
        for s in range(L): clt.W_dec[s].copy_(t[f"W_dec_{s}"])
    from transformers import PreTrainedTokenizerFast
    # the shipped tokenizer_config names a transformers-5 class; rebuild it from tokenizer.json for transformers 4.57
    bos = json.loads((mf/"tokenizer_config.json").read_text()).get("bos_token", "<|endoftext|>")
    tdir = folder/"tokenizer"
    PreTrainedTokenizerFast(tokenizer_file=str(mf/"tokenizer.json"), bos_token=bos, eos_token=bos).save_pretrained(str(tdir))
    tok = PreTrainedTokenizerFast.from_pretrained(str(tdir))
    model = ReplacementModel.from_config(cfg, clt, backend="transformerlens", tokenizer=tok)
    sd = {k.replace(".mlp.", ".mlp.old_mlp."): v for k, v in load_file(str(mf/"model.safetensors")).items()
          if not k.endswith((".mask", ".IGNORE"))}   # circuit-tracer wraps each MLP as `mlp.old_mlp`
    missing = model.load_state_dict(sd, strict=False)
    tokens = t["tokens"]
    g = ct_attribute(tokens, model, batch_size=64, verbose=False)
    tt = time.perf_counter()
    for _ in range(repeats): g = ct_attribute(tokens, model, batch_size=64, verbose=False)
    dt = (time.perf_counter() - tt) / repeats
    # compare feature -> feature edges on the features both graphs hold
    ours_feats = {tuple(r): i for i, r in enumerate(t["features"].tolist())}
    theirs = [tuple(r) for r in g.active_features[g.selected_features].tolist()]
    idx_t = [j for j, k in enumerate(theirs) if k in ours_feats]; idx_o = [ours_feats[theirs[j]] for j in idx_t]
    A_o = t["adjacency"][idx_o][:, idx_o].double(); A_t = g.adjacency_matrix[idx_t][:, idx_t].double()
    res = {"seconds_per_graph": dt, "n_features": len(theirs), "shared_features": len(idx_t),
           "max_abs_edge_difference": float((A_o - A_t).abs().max()) if len(idx_t) else None,
           "max_abs_edge": float(A_o.abs().max()) if len(idx_t) else None,
           "unexpected_keys": list(missing.unexpected_keys)[:5]}
    (folder/"peer.json").write_text(json.dumps(res, indent=2))
    res["ratio_peer_over_ours"] = dt / ours["seconds_per_graph"]
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["train", "graph-ours", "graph-peer"])
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/cltgraph")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.part == "train": r = bench_train(a.width, a.batch, a.steps)
    elif a.part == "graph-ours": r = graph_ours(Path(a.dir), a.width, a.repeats)
    else: r = graph_peer(Path(a.dir), a.repeats)
    print(json.dumps(r, indent=2))
    if a.out: Path(a.out).write_text(json.dumps(r, indent=2))
