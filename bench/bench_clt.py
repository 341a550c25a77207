"""CLT training throughput: circuit_gen against sae-lens and against its floor (a benchmark, not a test).

At three dictionary widths (256, 512, 1,024 features per layer; d_model 64, 1,024 tokens a batch, Adam, float32):

* `1-layer`: a one-layer circuit_gen CLT, which is a JumpReLU SAE/transcoder of exactly the shapes of sae-lens's
  `JumpReLUTrainingSAE` (tanh sparsity, Anthropic's setup) of the same width: same FLOPs, same random activations,
  so the time ratio is a like-for-like comparison. Their outputs are compared on the same weights (our trained
  1-layer CLT's weights copied into the sae-lens SAE, `apply_b_dec_to_input=False`): max |difference| of the
  reconstructions.
* `3-layer`: a CLT over 3 layers like toy-ioi (decoders to the same and all later layers), ours only.
* two floors, for both, each written in plain torch with its own copy of the initial weights and its own Adam:
  - `floor` (the fair one): the same work as our step without our bookkeeping. The same shapes and the same loss and
    gradients: encoders (`baddbmm`), JumpReLU with the rectangle-kernel straight-through threshold gradient (a minimal
    `autograd.Function`, needed for any straight-through estimator: it saves `pre` and `pre - threshold` and gates
    with aten's `threshold_backward`/`hardtanh_backward`, the fastest float selects; the threshold a plain parameter),
    decoders source-to-every-later-layer (plain autograd, one matmul per layer pair), decoder norms, the tanh sparsity
    penalty, the summed MSE, Adam. No input/output normalisation, no log-threshold, no loss parts, no checks.
    It is not a lower bound on our step: circuit_gen's decoders and tanh penalty are one autograd node whose
    hand-written backward makes fewer passes over the `batch x layers x features` tensors than plain autograd does,
    so ours can come out below it (ratio < 1); what it measures is the cost of our bookkeeping against that saving.
  - `relu_floor`: the matmuls, the biases and the Adam update only: a ReLU and plain MSE (no threshold gradient, no
    tanh penalty, no decoder norms). A JumpReLU step cannot reach it: the tanh over all `batch x layers x features`
    activations and its backward, the threshold gradient and the penalty's decoder-norm gradient are work it lacks.

Each figure is one training step, from the median of 3 (after a warm-up) of `--steps` steps, ours and its two floors
measured in turns (sae-lens, in its own process, by bench/harness.py's `measure`):
process CPU and wall time, peak memory (resident high-water mark above what the process held), and the growth
exponent of the step time over the widths. sae-lens runs in its own environment (a subprocess; it must not go
into the project's .venv). sae-lens 6.54 runs next to TransformerLens 3.9 or 3.2:

    python3 -m venv /tmp/cltbench
    /tmp/cltbench/bin/pip install torch==2.13.0
    /tmp/cltbench/bin/pip install -c <(printf 'torch==2.13.0\\ntransformer-lens==3.9.0\\n') sae-lens transformer-lens==3.9.0 \\
        safetensors jaxtyping tqdm pyyaml fastcore tokenizers
    /tmp/cltbench/bin/pip uninstall -y torchvision
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_clt.py --peer-python /tmp/cltbench/bin/python

Without `--peer-python` (or without sae-lens there) it runs ours and the floor only, and says so. `--research` (for a
GPU: `--research --device cuda`): d_model 768, 12 layers (GPT-2 small's MLPs), widths 4,096 / 8,192 / 16,384 per
layer, 4,096 tokens a batch. Results go to bench/results/clt.json (clt_cuda.json on a GPU; `--out` elsewhere) for
the docs page `benchmarks`. Attribution graphs from a CLT, against circuit-tracer, are bench/bench_attribution_graph.py.
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(HERE))   # the project's circuit_gen, without installing it

import torch

from harness import _sync, growth_exponent, measure, peak_memory_mb, reproduce_command  # noqa: E402

SMALL = dict(widths="256,512,1024", batch=1024, d_model=64, n_layers=3, steps=10)
RESEARCH = dict(widths="4096,8192,16384", batch=4096, d_model=768, n_layers=12, steps=10)


def _data(batch, n_layers, d_model, device):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(batch, n_layers, d_model, generator=g).to(device),
            torch.randn(batch, n_layers, d_model, generator=g).to(device))


def _timed(step, steps: int, repeats: int) -> dict:
    "Median per-step CPU and wall seconds (harness.measure over `steps` steps) and the peak memory of `steps` steps."
    run = lambda: [step() for _ in range(steps)]
    mem = peak_memory_mb(run)   # the first steps: Adam's state is allocated here, as in real training
    t = measure(run, repeats=repeats)
    return {"cpu_s": t["cpu_s"] / steps, "wall_s": t["wall_s"] / steps, "peak_mb": mem}


def _timed_in_turns(fns: dict, steps: int, repeats: int) -> dict:
    """`_timed` for several step functions measured in turns: the peak memory and a warm-up run of each, then `repeats`
    rounds that time `steps` steps of each in turn; per function the median per-step CPU and wall seconds. On a shared
    machine the load drifts; in turns it drifts alike for all, so their ratios hold where sequential runs do not."""
    runs = {k: (lambda f=f: [f() for _ in range(steps)]) for k, f in fns.items()}
    mem = {k: peak_memory_mb(run) for k, run in runs.items()}
    for run in runs.values(): run()
    cpu, wall = {k: [] for k in runs}, {k: [] for k in runs}
    for _ in range(max(3, repeats)):
        for k, run in runs.items():
            _sync(); c0, w0 = time.process_time(), time.perf_counter()
            run(); _sync()
            wall[k].append(time.perf_counter() - w0); cpu[k].append(time.process_time() - c0)
    return {k: {"cpu_s": statistics.median(cpu[k]) / steps, "wall_s": statistics.median(wall[k]) / steps,
                "peak_mb": mem[k]} for k in runs}


class _FloorJumpReLU(torch.autograd.Function):
    "JumpReLU `pre * (pre > thr)` with the rectangle-kernel straight-through gradient `-(pre/eps) K g` for `thr`, minimal."
    @staticmethod
    def forward(ctx, pre, thr, eps):
        d = pre - thr
        ctx.save_for_backward(pre, d); ctx.eps = eps
        return torch.ops.aten.threshold_backward(pre, d, 0)                  # pre where pre > thr
    @staticmethod
    def backward(ctx, g):
        pre, d = ctx.saved_tensors
        k = torch.ops.aten.hardtanh_backward((pre / ctx.eps) * g, d, -ctx.eps / 2, ctx.eps / 2)   # where |d| < eps/2
        return torch.ops.aten.threshold_backward(g, d, 0), -k.sum(1, keepdim=True), None


def _floor_params(clt) -> dict:
    "Leaf copies of a CLT's initial weights, the threshold itself (no log), for the plain-torch floors."
    p = lambda t: t.detach().clone().requires_grad_()
    return {"W_enc": p(clt.W_enc), "b_enc": p(clt.b_enc), "thr": p(clt.threshold), "b_dec": p(clt.b_dec),
            "W_dec": [p(w) for w in clt.W_dec]}


def _floor_decode(acts, P):
    "[layer, batch, d_model] reconstructions from [layer, batch, features] activations: plain autograd, a matmul per pair."
    a, W = acts.unbind(0), P["W_dec"]
    outs = []
    for l in range(len(W)):
        y = P["b_dec"][l] + a[0] @ W[0][l]
        for s in range(1, l + 1): y = y + a[s] @ W[s][l - s]
        outs.append(y)
    return torch.stack(outs)


def run_ours(width, n_layers, a, device) -> tuple:
    "Our CLT training step and its two floors: (ours, floor, relu_floor, the trained CLT)."
    from circuit_gen.clt import CLTConfig, CrossLayerTranscoder, clt_loss
    x, y = _data(a.batch, n_layers, a.d_model, device)
    cfg = CLTConfig(d_model=a.d_model, layers=list(range(n_layers)), d_features=width, sparsity="tanh")
    clt = CrossLayerTranscoder(cfg, device=device)
    P, R = _floor_params(clt), _floor_params(clt)
    xt, yt = x.transpose(0, 1), y.transpose(0, 1)                 # [layer, batch, d_model] views
    opt = torch.optim.Adam(clt.parameters(), lr=1e-3)
    def step():
        loss, _ = clt_loss(clt, x, y)
        opt.zero_grad(); loss.backward(); opt.step()
    params = lambda P: [P["W_enc"], P["b_enc"], P["thr"], P["b_dec"], *P["W_dec"]]
    fopt = torch.optim.Adam(params(P), lr=1e-3)
    def floor_step():   # the same loss and gradients as clt_loss (unit normalisation), in plain torch
        pre = torch.baddbmm(P["b_enc"][:, None], xt, P["W_enc"])
        acts = _FloorJumpReLU.apply(pre, P["thr"][:, None], cfg.bandwidth)
        mse = (_floor_decode(acts, P) - yt).pow(2).sum(-1).sum(0).mean()
        norms = torch.stack([w.pow(2).sum((0, 2)).sqrt() for w in P["W_dec"]])
        sparse = torch.tanh(cfg.tanh_scale * acts * norms[:, None]).sum((0, 2)).mean()
        loss = mse + cfg.sparsity_coef * sparse
        fopt.zero_grad(); loss.backward(); fopt.step()
    ropt = torch.optim.Adam(params(R), lr=1e-3)
    def relu_floor_step():
        acts = torch.relu(torch.baddbmm(R["b_enc"][:, None], xt, R["W_enc"]))
        loss = (_floor_decode(acts, R) - yt).pow(2).sum(-1).sum(0).mean()
        ropt.zero_grad(); loss.backward(); ropt.step()
    t = _timed_in_turns({"ours": step, "floor": floor_step, "relu_floor": relu_floor_step}, a.steps, a.repeats)
    return t["ours"], t["floor"], t["relu_floor"], clt


def run_peer(spec: dict) -> dict:
    "sae-lens's JumpReLU training SAE at each width (run in the peer's environment); output agreement on our weights."
    try:
        from sae_lens import JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig, __version__ as version
        from sae_lens.saes.sae import TrainStepInput
    except ImportError as e:
        return {"error": f"sae-lens not importable ({e})"}
    from safetensors.torch import load_file
    torch.set_num_threads(1)
    out = {"version": version, "widths": {}}
    for width in spec["widths"]:
        x, _ = _data(spec["batch"], 1, spec["d_model"], "cpu")
        xs = x[:, 0].contiguous()
        sae = JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(d_in=spec["d_model"], d_sae=width, dtype="float32",
                                                            jumprelu_sparsity_loss_mode="tanh", l0_coefficient=1.0,
                                                            device="cpu"))
        opt = torch.optim.Adam(sae.parameters(), lr=1e-3)
        coeffs = {k: 1.0 for k in sae.get_coefficients()}
        i = [0]
        def step():
            res = sae.training_forward_pass(TrainStepInput(sae_in=xs, coefficients=coeffs, dead_neuron_mask=None,
                                                           n_training_steps=i[0], is_logging_step=False))
            opt.zero_grad(); res.loss.backward(); opt.step()
            i[0] += 1
        t = _timed(step, spec["steps"], spec["repeats"])
        # the same weights in an SAE for inference, on the same inputs: reconstructions compared
        w = load_file(spec["weights"][str(width)])
        cfg = JumpReLUTrainingSAEConfig(d_in=spec["d_model"], d_sae=width, dtype="float32", device="cpu",
                                        apply_b_dec_to_input=False)
        sae = JumpReLUTrainingSAE(cfg)
        with torch.no_grad():
            for k in ("W_enc", "b_enc", "threshold", "W_dec", "b_dec"): getattr(sae, k).copy_(w[k])
            recon = sae.decode(sae.encode(w["x"]))
        t["max_abs_diff"] = float((recon - w["recon"]).abs().max())
        t["recon_scale"] = float(w["recon"].abs().max())
        out["widths"][str(width)] = t
    return out


def _save_for_peer(clt, x, path: Path):
    "A 1-layer CLT's weights in the SAE's layout, the inputs and our reconstructions, for the peer to compare."
    from safetensors.torch import save_file
    with torch.no_grad():
        if not (clt.input_scale == 1).all() or not (clt.output_scale == 1).all(): raise RuntimeError("scales must be 1")
        t = {"W_enc": clt.W_enc[0], "b_enc": clt.b_enc[0], "threshold": clt.threshold[0], "W_dec": clt.W_dec[0][0],
             "b_dec": clt.b_dec[0], "x": x[:, 0], "recon": clt(x)[:, 0]}
        save_file({k: v.detach().cpu().contiguous() for k, v in t.items()}, str(path))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", nargs="?", default="all", choices=["all", "peer"], help="peer: internal (the sae-lens side)")
    for k, v in SMALL.items(): ap.add_argument(f"--{k}", type=type(v), default=None, help=f"default {v}")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--research", action="store_true", help="d_model 768, 12 layers, widths 4096/8192/16384, batch 4096")
    ap.add_argument("--device", default="", help="cpu, cuda, ...; default: circuit_gen's default device")
    ap.add_argument("--peer-python", default=None, help="a python with sae-lens installed; none: ours and the floor only")
    ap.add_argument("--dir", default="/tmp/bench_clt", help="where ours and the peer exchange weights and figures")
    ap.add_argument("--out", default=None, help="results JSON path")
    a = ap.parse_args()
    folder = Path(a.dir); folder.mkdir(parents=True, exist_ok=True)
    if a.part == "peer":
        spec = json.loads((folder / "spec.json").read_text())
        (folder / "peer.json").write_text(json.dumps(run_peer(spec), indent=1)); return
    for k, v in (RESEARCH if a.research else SMALL).items():
        if getattr(a, k) is None: setattr(a, k, v)
    from circuit_gen.core import resolve_device
    device = resolve_device(a.device or None)
    key = "wall_s" if device.type == "cuda" else "cpu_s"   # a GPU's work is not this process's CPU time
    widths = [int(w) for w in a.widths.split(",")]
    ours, weights = {}, {}
    for w in widths:
        for L in (1, a.n_layers):
            o, f, r, clt = run_ours(w, L, a, device)
            ours[w, L] = (o, f, r)
            print(f"ours {L}-layer width {w}: {o[key]:.4f} s/step, floor {f[key]:.4f}, relu floor {r[key]:.4f}",
                  file=sys.stderr, flush=True)
            if L == 1 and a.peer_python:   # the peer compares its reconstructions with ours on these weights
                weights[str(w)] = str(folder / f"clt1_{w}.safetensors")
                _save_for_peer(clt, _data(a.batch, 1, a.d_model, device)[0], Path(weights[str(w)]))
    peer, note = {}, "no --peer-python: sae-lens not compared (ours and the floor only)."
    if a.peer_python:
        spec = dict(widths=widths, batch=a.batch, d_model=a.d_model, steps=a.steps, repeats=a.repeats, weights=weights)
        (folder / "spec.json").write_text(json.dumps(spec))
        subprocess.run([a.peer_python, __file__, "peer", "--dir", str(folder)], check=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
        got = json.loads((folder / "peer.json").read_text())
        if "error" in got: note = got["error"] + ": ours and the floor only."
        else: peer, note = got, f"sae-lens {got['version']} in its own environment, CPU, one thread."
    nan = None
    rows = []
    for L in (1, a.n_layers):
        for w in widths:
            o, f, r = ours[w, L]
            p = peer.get("widths", {}).get(str(w)) if L == 1 else None
            rows.append({"model": "1-layer (SAE-shaped)" if L == 1 else f"{L}-layer CLT", "width": w,
                         "tokens_per_step": a.batch, "ours_cpu_s": o["cpu_s"], "ours_wall_s": o["wall_s"],
                         "ours_peak_mb": o["peak_mb"], "floor_cpu_s": r["cpu_s"], "floor_wall_s": r["wall_s"],
                         "ratio_to_floor": o[key] / r[key], "plain_torch_cpu_s": f["cpu_s"],
                         "plain_torch_wall_s": f["wall_s"], "ratio_to_plain_torch": o[key] / f[key],
                         "sae_lens_cpu_s": p["cpu_s"] if p else nan, "sae_lens_wall_s": p["wall_s"] if p else nan,
                         "sae_lens_peak_mb": p["peak_mb"] if p else nan,
                         "sae_lens_over_ours": p[key] / o[key] if p else nan,
                         "max_abs_diff": p["max_abs_diff"] if p else nan})
    one = [r for r in rows if r["model"].startswith("1-layer")]
    many = [r for r in rows if not r["model"].startswith("1-layer")]
    summary = {"peer": f"sae-lens {peer['version']}" if peer else None,
               "ratio_to_fastest_peer": one[-1]["sae_lens_over_ours"] if peer else None,
               "ratio_to_floor": many[-1]["ratio_to_floor"], "ratio_to_floor_1_layer": one[-1]["ratio_to_floor"],
               "ratio_to_plain_torch": many[-1]["ratio_to_plain_torch"],
               "ratio_to_plain_torch_1_layer": one[-1]["ratio_to_plain_torch"],
               "min_sae_lens_over_ours": min(r["sae_lens_over_ours"] for r in one) if peer else None,
               "max_abs_diff": max(r["max_abs_diff"] for r in one) if peer else None,
               "growth_exponent": growth_exponent(widths, [r["ours_" + key] for r in many]),
               "floor_growth_exponent": growth_exponent(widths, [r["floor_" + key] for r in many])}
    if peer: summary["peer_growth_exponent"] = growth_exponent(widths, [r["sae_lens_" + key] for r in one])
    notes = (f"Per training step of {a.batch} tokens, d_model {a.d_model}, float32, Adam, device {device}; "
             f"{torch.get_num_threads()} thread(s). " + note + " ratio_to_fastest_peer: sae-lens time / ours for the "
             "same-shaped 1-layer model at the largest width (> 1: ours faster; min_sae_lens_over_ours: the smallest over "
             "the widths); ratio_to_floor: ours / the floor, the ReLU+MSE step of the same shapes (matmuls, biases and Adam "
             f"only: no threshold gradient, no tanh penalty; {a.n_layers}-layer CLT, largest width); ratio_to_plain_torch: "
             "ours / the same JumpReLU+tanh step written in plain torch without our bookkeeping (not a lower bound: our fused "
             "backward makes fewer passes than plain autograd); max_abs_diff: reconstructions on the same weights and inputs.")
    command = reproduce_command("bench/bench_clt.py")
    from harness import write_results
    write_results("clt", "CLT training step: against sae-lens and its floor", command, rows, summary, notes, path=a.out)


if __name__ == "__main__":
    main()
