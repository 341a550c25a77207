"""Benchmark (not a test): EntropyMonitor overhead against training alone, and Laplace log-dets against laplace-torch.

1. Overhead (the floor): a GrokTrainer run of `--steps` steps with an `EntropyMonitor` at its default interval
   (an iterate every 10 steps, a diagonal+SWAG+spectral snapshot every 5 iterates) against the same steps
   without it, at three model widths (d_model 32, 64, 128; p = 59; 100 steps a call, so two snapshots). Aim: <= 1.15.
2. Peer check: KFAC and full-Laplace log-determinants of the posterior precision of a small MLP classifier
   (6 inputs, 3 classes, hidden 16 / 32 / 64), ours against laplace-torch (`Laplace(..., hessian_structure=
   'kron' | 'full')`): value (relative difference) and time. laplace-torch pulls torchvision, which breaks the
   main environment, so this part runs in a separate venv (`--peer-python`), ours timed in the same process.

Every timing is bench/harness.py's: median of 3 after a warm-up, process CPU and wall, peak memory (resident
high-water mark of one call above what the process held), growth = log-log slope of CPU time over the sizes.

    OMP_NUM_THREADS=1 python bench/bench_entropy.py --peer-python /tmp/benchvenv/bin/python [--steps 100]

Separate environment for the peer check (never the project .venv):
    python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install torch==2.13.0 &&
    /tmp/benchvenv/bin/pip install laplace-torch==0.3 transformer-lens==3.9.0 numpy jaxtyping tqdm pyyaml safetensors \\
        -c <(echo torch==2.13.0) && /tmp/benchvenv/bin/pip uninstall -y torchvision
    PYTHONPATH=. /tmp/benchvenv/bin/python bench/bench_entropy.py --peer_only --peer-json /tmp/entropy_peer.json

`--research` (for a GPU: `--research --device cuda`): the overhead at Nanda et al.'s grokking size (p = 113,
d_model 128) and twice and four times as wide (256, 512), 500 steps; the peer part runs only with `--peer-python`.
Results go to bench/results/entropy.json (entropy_cuda.json on a GPU; `--out` elsewhere) for the docs page
`benchmarks`.
"""
import argparse, json, os, subprocess, sys, warnings
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent)); sys.path.insert(0, str(HERE))
from harness import growth_exponent, measure, peak_memory_mb, reproduce_command, write_results  # noqa: E402

SMALL = dict(p=59, widths="32,64,128", steps=100)
RESEARCH = dict(p=113, widths="128,256,512", steps=500)
HIDDEN = (16, 32, 64)
PEER_CASES = (("full", "full Laplace log det", {}),
              ("kron", "KFAC log det (joint bias)", {"separate_bias": False}),
              ("kron", "KFAC log det (separate bias)", {"separate_bias": True}))


def _row(case, size, ours, reference, ref, rel_diff=None, key="cpu_s") -> dict:
    return {"case": case, "size": size, "ours_cpu_s": ours["cpu_s"], "ours_wall_s": ours["wall_s"],
            "ours_peak_mb": ours["peak_mb"], "reference": reference, "ref_cpu_s": ref["cpu_s"], "ref_wall_s": ref["wall_s"],
            "ref_peak_mb": ref["peak_mb"], "ours_over_ref": ours[key] / ref[key], "rel_diff": rel_diff}


def _timed(fn, repeats) -> dict:
    """Median time (`measure`), then the peak memory of one more call after `malloc_trim` (`peak_memory_mb`'s `warm`; since
    2026-12-06: before, no trim, so the timed calls' freed pages could hide part of the peak), ours and the peer alike."""
    return {**measure(fn, repeats=repeats), "peak_mb": peak_memory_mb(fn, warm=True)}


def overhead(p: int, d_model: int, steps: int, repeats: int, device, key: str) -> dict:
    "Training `steps` steps with and without an EntropyMonitor: the table row (ours = with it, reference = without)."
    from circuit_gen.entropy import EntropyMonitor
    from circuit_gen.grokking import GrokConfig, GrokTrainer
    cfg = GrokConfig(p=p, frac=0.3, d_model=d_model, d_mlp=4 * d_model, steps=steps * (repeats + 3), eval_every=10**9)
    res = {}
    for monitor in (False, True):
        tr = GrokTrainer(cfg, device=device)
        mon = EntropyMonitor(tr.model) if monitor else None
        def run():   # the same trainer goes on: every call does the same work (the monitor keeps its interval)
            for _ in range(steps):
                tr.train_step()
                if mon is not None: mon.update(tr.model, tr.step)
        res[monitor] = _timed(run, repeats)
    return _row("training + EntropyMonitor", f"p {p}, d_model {d_model}", res[True], "training alone (floor)", res[False],
                key=key)


def _mlp_problem(hidden: int, seed: int = 0):
    torch.manual_seed(seed)
    X = torch.randn(256, 6)
    y = (X[:, 0] + X[:, 1] > 0).long() + (X[:, 2] > 1).long()
    net = torch.nn.Sequential(torch.nn.Linear(6, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 3))
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
    return net, torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64)


def peer_laplace(repeats: int) -> list[dict] | str:
    "Our KFAC/full-Laplace log det vs laplace-torch on 2-layer MLP classifiers of three widths (table rows)."
    try:
        from laplace import Laplace
    except Exception as e:
        return f"laplace-torch not importable here ({type(e).__name__}); see the module docstring"
    from circuit_gen.laplace_entropy import KFACLaplaceEntropy, FullLaplaceEntropy
    rows = []
    for hidden in HIDDEN:
        net, loader = _mlp_problem(hidden)
        batches = list(loader)
        n = sum(q.numel() for q in net.parameters())
        for struct, case, kw in PEER_CASES:
            ours_cls = FullLaplaceEntropy if struct == "full" else KFACLaplaceEntropy
            def peer():
                la = Laplace(net, "classification", subset_of_weights="all", hessian_structure=struct, prior_precision=1.0)
                la.fit(loader)
                return float(la.log_det_posterior_precision)
            def ours():
                return ours_cls(net, batches, output_fn=lambda m, b: m(b[0]), loss_kind="ce", prior_precision=1.0,
                                **kw).log_det_precision()
            a, b = ours(), peer()
            rows.append(_row(case, f"hidden {hidden} ({n} params)", _timed(ours, repeats), "laplace-torch 0.3",
                             _timed(peer, repeats), abs(a - b) / abs(b)))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=None, help=f"training steps per timed call, default {SMALL['steps']}")
    ap.add_argument("--p", type=int, default=None, help=f"modulus, default {SMALL['p']}")
    ap.add_argument("--widths", default=None, help=f"d_model per size, default {SMALL['widths']}")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--research", action="store_true", help="p 113, d_model 128/256/512, 500 steps")
    ap.add_argument("--device", default="", help="cpu, cuda, ...; default: circuit_gen's default device")
    ap.add_argument("--peer-python", default=None, help="a python with laplace-torch installed; none: no peer check")
    ap.add_argument("--peer_only", action="store_true", help="only the laplace-torch comparison (run by --peer-python)")
    ap.add_argument("--peer-json", default=None, help="where --peer_only writes its rows")
    ap.add_argument("--out", default=None, help="results JSON path")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    if a.peer_only:
        res = peer_laplace(a.repeats)
        print(res if isinstance(res, str) else f"laplace-torch comparison: {len(res)} rows", flush=True)
        if a.peer_json: Path(a.peer_json).write_text(json.dumps(res, indent=1))
        return
    for k, v in (RESEARCH if a.research else SMALL).items():
        if getattr(a, k) is None: setattr(a, k, v)
    from circuit_gen.core import resolve_device
    device = resolve_device(a.device or None)
    key = "wall_s" if device.type == "cuda" else "cpu_s"   # a GPU's work is not this process's CPU time
    widths = [int(w) for w in a.widths.split(",")]
    rows = []
    for d in widths:
        rows.append(overhead(a.p, d, a.steps, a.repeats, device, key))
        print(json.dumps(rows[-1]), flush=True)
    peer, peer_note = [], "no --peer-python: laplace-torch not compared."
    if a.peer_python:
        out = Path("/tmp/bench_entropy_peer.json")
        subprocess.run([a.peer_python, __file__, "--peer_only", "--peer-json", str(out), "--repeats", str(a.repeats)],
                       check=True, env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)})
        got = json.loads(out.read_text())
        if isinstance(got, str): peer_note = got
        else: peer, peer_note = got, "laplace-torch 0.3 in its own venv; ours timed in the same process (CPU)."
        for r in peer: print(json.dumps(r), flush=True)
    rows += peer
    mon = rows[:len(widths)]
    summary = {"peer": "laplace-torch 0.3" if peer else None,
               "ratio_to_floor": mon[-1]["ours_over_ref"], "ratio_to_floor_worst": max(r["ours_over_ref"] for r in mon),
               "growth_exponent": growth_exponent(widths, [r["ours_" + key] for r in mon]),
               "floor_growth_exponent": growth_exponent(widths, [r["ref_" + key] for r in mon])}
    if peer:
        largest = [r for r in peer if r["size"] == peer[-1]["size"]]
        matched = [r for r in peer if r["case"] != "KFAC log det (joint bias)"]   # laplace-torch's KFAC: bias apart
        summary.update(ratio_to_fastest_peer=min(1 / r["ours_over_ref"] for r in largest),
                       max_rel_diff=max(r["rel_diff"] for r in matched),
                       rel_diff_joint_bias=max(r["rel_diff"] for r in peer if r not in matched))
    notes = (f"Monitor overhead: GrokTrainer (p {a.p}, frac 0.3, d_mlp 4 d_model), {a.steps} steps per timed call, "
             f"the EntropyMonitor at its defaults, device {device}; ours_over_ref = with / without the monitor "
             f"({key.replace('_s', ' time')}); summary ratio_to_floor at the largest width. " + peer_note +
             " Peer rows: ours_over_ref = our time / laplace-torch's (< 1: ours faster); rel_diff = |ours - theirs| / "
             "|theirs| of the log det; ratio_to_fastest_peer is the least favourable structure at the largest width; "
             "max_rel_diff over full and separate-bias KFAC (laplace-torch's KFAC keeps each bias in its own factor; our "
             "joint-bias variant, the bias folded into the weight's input factor, is a different approximation).")
    command = reproduce_command("bench/bench_entropy.py")
    write_results("entropy", "Weight entropy: monitor overhead and Laplace log-dets against laplace-torch", command,
                  rows, summary, notes, path=a.out)


if __name__ == "__main__":
    main()
