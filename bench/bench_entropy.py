"""Benchmark (not a test): EntropyMonitor overhead, and Laplace log-dets against laplace-torch.

1. Overhead: wall time of a GrokTrainer run with an `EntropyMonitor` at its default interval
   (an iterate every 10 steps, a diagonal+SWAG+spectral snapshot every 5 iterates) divided by
   the same run without it. Aim: <= 1.15.
2. Peer check (optional): KFAC and full-Laplace log-determinants of the posterior precision
   of a small MLP classifier, ours against laplace-torch (`Laplace(..., hessian_structure=
   'kron' | 'full')`), value and time ratio. laplace-torch pulls torchvision, which breaks the
   main environment, so it runs only when importable (a separate venv: see --help).

    OMP_NUM_THREADS=1 python bench/bench_entropy.py [--steps 300] [--p 59] [--d_model 128] [--json out.json]

Separate environment for the peer check (never the project .venv):
    python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install torch==2.13.0 &&
    /tmp/benchvenv/bin/pip install laplace-torch==0.3 numpy jaxtyping tqdm pyyaml safetensors -c <(echo torch==2.13.0) &&
    /tmp/benchvenv/bin/pip uninstall -y torchvision
    PYTHONPATH=. /tmp/benchvenv/bin/python bench/bench_entropy.py --peer_only
"""
import argparse, json, math, time, warnings
import torch

from circuit_gen.entropy import EntropyMonitor
from circuit_gen.laplace_entropy import KFACLaplaceEntropy, FullLaplaceEntropy


def time_training(cfg, monitor: bool, repeats: int = 3) -> float:
    "Best-of-`repeats` wall seconds for `cfg.steps` training steps (evaluation off), with or without the monitor."
    from circuit_gen.grokking import GrokTrainer
    best = math.inf
    for _ in range(repeats):
        tr = GrokTrainer(cfg, device="cpu")
        mon = EntropyMonitor(tr.model) if monitor else None
        t0 = time.perf_counter()
        for _ in range(cfg.steps):
            tr.train_step()
            if mon is not None: mon.update(tr.model, tr.step)
        best = min(best, time.perf_counter() - t0)
    return best


def peer_laplace(seed: int = 0) -> dict:
    "Our KFAC/full-Laplace log det vs laplace-torch on a 2-layer MLP classifier."
    try:
        from laplace import Laplace
    except Exception as e:
        return {"skipped": f"laplace-torch not importable here ({type(e).__name__}); see the module docstring"}
    torch.manual_seed(seed)
    X = torch.randn(256, 6); y = (X[:, 0] + X[:, 1] > 0).long() + (X[:, 2] > 1).long()
    net = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    for _ in range(300):
        opt.zero_grad(); torch.nn.functional.cross_entropy(net(X), y).backward(); opt.step()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64)
    batches = [(xb, yb) for xb, yb in loader]
    out = {}
    for struct, ours_cls, kw in (("full", FullLaplaceEntropy, {}), ("kron", KFACLaplaceEntropy, {"separate_bias": False}),
                                 ("kron", KFACLaplaceEntropy, {"separate_bias": True})):
        t0 = time.perf_counter()
        la = Laplace(net, "classification", subset_of_weights="all", hessian_structure=struct, prior_precision=1.0)
        la.fit(loader)
        peer_logdet = float(la.log_det_posterior_precision); t_peer = time.perf_counter() - t0
        t0 = time.perf_counter()
        ours = ours_cls(net, batches, output_fn=lambda m, b: m(b[0]), loss_kind="ce", prior_precision=1.0, **kw)
        our_logdet = ours.log_det_precision(); t_ours = time.perf_counter() - t0
        out[struct + ("" if not kw else "_separate_bias" if kw["separate_bias"] else "_joint_bias")] = {"ours": our_logdet, "laplace_torch": peer_logdet, "rel_diff": abs(our_logdet - peer_logdet) / abs(peer_logdet),
                       "time_ratio_ours_over_peer": t_ours / t_peer}
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300); ap.add_argument("--p", type=int, default=59)
    ap.add_argument("--d_model", type=int, default=128); ap.add_argument("--json", default="")
    ap.add_argument("--peer_only", action="store_true", help="only the laplace-torch comparison (needs no TransformerLens)")
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    res = {}
    if not a.peer_only:
        from circuit_gen.grokking import GrokConfig
        cfg = GrokConfig(p=a.p, frac=0.3, d_model=a.d_model, d_mlp=4 * a.d_model, steps=a.steps, eval_every=10**9)
        base, mon = time_training(cfg, False), time_training(cfg, True)
        res.update(config=cfg.to_dict(), step_time_s=base / a.steps, monitor_overhead_ratio=mon / base)
    res["peer"] = peer_laplace()
    print(json.dumps(res, indent=2))
    if a.json: open(a.json, "w").write(json.dumps(res, indent=2))
