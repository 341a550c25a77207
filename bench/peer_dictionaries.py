"""Cross-check of circuit_gen.dictionaries with the peers' own code (a check, not a test of the package).

Files written by the peers' own save functions load here with the same feature activations and
reconstructions as the peers' own encode/decode; files we write load in the peers' own loaders:

* circuit-tracer: `TranscoderSet.to_safetensors` / `CrossLayerTranscoder.to_safetensors` (ours reads),
  `load_transcoders_from_cache` (config.yaml + layer_{i} or W_enc_{i}/W_dec_{i}) and
  `load_gemma_scope_transcoder` (params.npz) read ours;
* sae-lens: `JumpReLUTranscoder.save_model` / `Transcoder.save_model` (ours reads), `SAE.load_from_disk`
  reads ours.

The peers are not dependencies of circuit_gen; give them their own environment:

    python3 -m venv /tmp/peers
    /tmp/peers/bin/pip install torch==2.13.0
    /tmp/peers/bin/pip install sae-lens circuit-tracer
    OMP_NUM_THREADS=1 PYTHONPATH=. /tmp/peers/bin/python bench/peer_dictionaries.py

It prints one line per check with the largest absolute differences and exits non-zero if one is
above 1e-5 (float32 weights, activations of order 1).
"""
import sys, tempfile
from pathlib import Path

import torch
import yaml

from circuit_gen.clt import CLTConfig, CrossLayerTranscoder
from circuit_gen.dictionaries import (is_transcoder_set, load_circuit_tracer, load_sae_lens, save_circuit_tracer,
                                      save_gemma_scope, save_sae_lens)

L, D, F_, B = 3, 16, 24, 40
TOL = 1e-5
results = []

def report(name: str, features: float, reconstruction: float):
    results.append((name, features, reconstruction))
    print(f"{name:62s} features {features:.2e}  reconstruction {reconstruction:.2e}", flush=True)

def max_diff(a, b) -> float: return (a.detach().float() - b.detach().float()).abs().max().item()

def our_dictionaries(seed=0):
    "A CLT and a per-layer set of ours, both with non-unit normalisation (folded into the weights on save)."
    g = torch.Generator().manual_seed(seed)
    clt = CrossLayerTranscoder(CLTConfig(d_model=D, layers=list(range(L)), d_features=F_, threshold_init=0.2), seed=seed, device="cpu")
    clt.fit_normalisation(3 * torch.randn(256, L, D, generator=g), 0.5 * torch.randn(256, L, D, generator=g))
    per_layer = CrossLayerTranscoder(clt.cfg, seed=seed + 1, device="cpu")
    per_layer.load_state_dict(clt.state_dict())
    with torch.no_grad():
        for w in per_layer.W_dec: w[1:] = 0
    assert is_transcoder_set(per_layer) and not is_transcoder_set(clt)
    return clt, per_layer

def write_ct_config(folder: Path, kind: str):
    # the keys circuit-tracer's save_transcoders_to_cache writes next to the weights
    with open(folder/"config.yaml", "w") as f:
        yaml.dump({"model_kind": kind, "model_name": "tiny", "feature_input_hook": "hook_resid_mid",
                   "feature_output_hook": "hook_mlp_out", "scan": "tiny"}, f)

def circuit_tracer_checks(root: Path, x: torch.Tensor, clt, per_layer):
    import torch.nn.functional as Fn
    from circuit_tracer.transcoder.activation_functions import JumpReLU
    from circuit_tracer.transcoder.cross_layer_transcoder import CrossLayerTranscoder as CtCLT
    from circuit_tracer.transcoder.single_layer_transcoder import SingleLayerTranscoder, TranscoderSet, load_gemma_scope_transcoder
    from circuit_tracer.utils.caching import load_transcoders_from_cache
    g = torch.Generator().manual_seed(1)
    xl = x.transpose(0, 1).contiguous()                         # circuit-tracer stacks layers first: [layer, pos, d_model]
    # 1. their transcoder set (JumpReLU, ReLU, JumpReLU), saved by TranscoderSet.to_safetensors, loaded here
    tcs = {}
    for l in range(L):
        act = Fn.relu if l == 1 else JumpReLU(torch.rand(F_, generator=g) * 0.3, 0.1)
        t = SingleLayerTranscoder(D, F_, act, l, device=torch.device("cpu"), dtype=torch.float32)
        with torch.no_grad():
            for p in (t.W_enc, t.W_dec, t.b_enc, t.b_dec): p.copy_(torch.randn(p.shape, generator=g) / 3)
        tcs[l] = t
    peer_set = TranscoderSet(tcs, feature_input_hook="hook_resid_mid", feature_output_hook="hook_mlp_out", scan="tiny")
    peer_set.to_safetensors(str(root/"ct_set")); write_ct_config(root/"ct_set", "transcoder_set")
    ours = load_circuit_tracer(root/"ct_set", device="cpu")
    with torch.no_grad():
        f_peer = peer_set.encode(xl); y_peer = peer_set.decode(f_peer, xl)
        f_ours = ours.encode(x)[1].transpose(0, 1); y_ours = ours(x).transpose(0, 1)
    report("circuit-tracer TranscoderSet.to_safetensors -> load_circuit_tracer", max_diff(f_ours, f_peer), max_diff(y_ours, y_peer))
    # 2. their CLT, saved by CrossLayerTranscoder.to_safetensors, loaded here
    peer_clt = CtCLT(L, F_, D, activation_function="jump_relu", lazy_decoder=False, device=torch.device("cpu"), dtype=torch.float32)
    with torch.no_grad():
        for p in peer_clt.parameters(): p.copy_(torch.randn(p.shape, generator=g) / 3)
        peer_clt.activation_function.threshold.copy_(torch.rand(peer_clt.activation_function.threshold.shape, generator=g) * 0.3)
    peer_clt.to_safetensors(str(root/"ct_clt")); write_ct_config(root/"ct_clt", "cross_layer_transcoder")
    ours = load_circuit_tracer(root/"ct_clt", device="cpu")
    with torch.no_grad():
        f_peer = peer_clt.encode(xl); y_peer = peer_clt.decode(f_peer.to_sparse())
        f_ours = ours.encode(x)[1].transpose(0, 1); y_ours = ours(x).transpose(0, 1)
    report("circuit-tracer CrossLayerTranscoder.to_safetensors -> load_circuit_tracer", max_diff(f_ours, f_peer), max_diff(y_ours, y_peer))
    # 3. ours, read by circuit-tracer's own loaders (the cache layout: config.yaml + weights)
    with torch.no_grad(): f_ref, y_ref = per_layer.encode(x)[1].transpose(0, 1), per_layer(x).transpose(0, 1)
    save_circuit_tracer(per_layer, root/"cache/local/set", model_name="tiny")
    peer, cfg = load_transcoders_from_cache("local/set", cache_dir=root/"cache", device=torch.device("cpu"), lazy_decoder=False)
    with torch.no_grad(): f_peer = peer.encode(xl); y_peer = peer.decode(f_peer, xl)
    report(f"save_circuit_tracer(set) -> load_transcoders_from_cache ({cfg['model_kind']})", max_diff(f_peer, f_ref), max_diff(y_peer, y_ref))
    with torch.no_grad(): f_ref, y_ref = clt.encode(x)[1].transpose(0, 1), clt(x).transpose(0, 1)
    save_circuit_tracer(clt, root/"cache/local/clt", model_name="tiny")
    peer, cfg = load_transcoders_from_cache("local/clt", cache_dir=root/"cache", device=torch.device("cpu"), lazy_decoder=False)
    with torch.no_grad(): f_peer = peer.encode(xl); y_peer = peer.decode(f_peer.to_sparse())
    report(f"save_circuit_tracer(CLT) -> load_transcoders_from_cache ({cfg['model_kind']})", max_diff(f_peer, f_ref), max_diff(y_peer, y_ref))
    # 4. our Gemma Scope npz, read by circuit-tracer's load_gemma_scope_transcoder
    save_gemma_scope(per_layer, root/"gs")
    with torch.no_grad():
        f_ref, y_ref = per_layer.encode(x)[1], per_layer(x)
        peers = [load_gemma_scope_transcoder(str(root/f"gs/layer_{l}/params.npz"), l, device=torch.device("cpu")) for l in range(L)]
        f_peer = torch.stack([p.encode(x[:, l]) for l, p in enumerate(peers)], 1)
        y_peer = torch.stack([p.decode(f_peer[:, l]) for l, p in enumerate(peers)], 1)
    report("save_gemma_scope -> circuit-tracer load_gemma_scope_transcoder", max_diff(f_peer, f_ref), max_diff(y_peer, y_ref))

def sae_lens_checks(root: Path, x: torch.Tensor, per_layer):
    from sae_lens import SAE
    from sae_lens.saes.sae import SAEMetadata
    from sae_lens.saes.transcoder import JumpReLUTranscoder, JumpReLUTranscoderConfig, Transcoder, TranscoderConfig
    g = torch.Generator().manual_seed(2)
    # 1. their transcoders (JumpReLU with some negative thresholds, ReLU), saved by save_model, loaded here
    peers = []
    for l in range(L):
        meta = SAEMetadata(model_name="tiny", hook_name=f"blocks.{l}.hook_resid_mid", hook_name_out=f"blocks.{l}.hook_mlp_out")
        if l == 1: t = Transcoder(TranscoderConfig(d_in=D, d_sae=F_, d_out=D, apply_b_dec_to_input=False, metadata=meta))
        else: t = JumpReLUTranscoder(JumpReLUTranscoderConfig(d_in=D, d_sae=F_, d_out=D, apply_b_dec_to_input=False, metadata=meta))
        with torch.no_grad():
            for name, p in t.named_parameters():
                p.copy_(torch.rand(p.shape, generator=g) * 0.4 - 0.1 if name == "threshold" else torch.randn(p.shape, generator=g) / 3)
        t.eval(); t.save_model(root/f"sl/blocks.{l}.hook_resid_mid"); peers.append(t)
    ours = load_sae_lens(root/"sl", device="cpu")
    with torch.no_grad():
        f_peer = torch.stack([p.encode(x[:, l]) for l, p in enumerate(peers)], 1)
        y_peer = torch.stack([p.decode(f_peer[:, l]) for l, p in enumerate(peers)], 1)
        f_ours, y_ours = ours.encode(x)[1], ours(x)
    report("sae-lens (JumpReLU)Transcoder.save_model -> load_sae_lens", max_diff(f_ours, f_peer), max_diff(y_ours, y_peer))
    # 2. ours, read by SAE.load_from_disk
    save_sae_lens(per_layer, root/"sl_ours", model_name="tiny")
    with torch.no_grad():
        peers = [SAE.load_from_disk(root/f"sl_ours/layer_{l}") for l in range(L)]
        f_peer = torch.stack([p.encode(x[:, l]) for l, p in enumerate(peers)], 1)
        y_peer = torch.stack([p.decode(f_peer[:, l]) for l, p in enumerate(peers)], 1)
        f_ref, y_ref = per_layer.encode(x)[1], per_layer(x)
    report(f"save_sae_lens -> SAE.load_from_disk ({type(peers[0]).__name__})", max_diff(f_peer, f_ref), max_diff(y_peer, y_ref))

def main():
    torch.manual_seed(0)
    x = torch.randn(B, L, D) * 2                   # [pos, layer, d_model]: the rows our encoders take
    clt, per_layer = our_dictionaries()
    with tempfile.TemporaryDirectory() as d:
        for name, run in [("circuit-tracer", lambda: circuit_tracer_checks(Path(d), x, clt, per_layer)),
                          ("sae-lens", lambda: sae_lens_checks(Path(d), x, per_layer))]:
            try: run()
            except ImportError as e: print(f"{name} is not installed here ({e}): its checks are skipped")
    bad = [r for r in results if max(r[1:]) > TOL]
    print(f"{len(results) - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
