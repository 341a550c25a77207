"""Hessian top-k eigenvalues and traces: circuit_gen.hessian vs hessian-eigenthings and pyhessian (a benchmark, not a test).

Same model (LeNet-tiny, 5,994 parameters, trained 2 epochs on scikit-learn's digits at 28x28), same batches, float32,
one CPU thread, at three batch sizes (default 64, 128, 256; the middle one is the main size). Every timing is the
peer's or our *whole* call, operator construction included (bench/harness.py: median of 3 after a warm-up, process
CPU and wall time); peak memory is that of one call in a fresh process. Ratios are peer CPU time / ours (> 1: ours
is faster).

(a) Top-k eigenvalues (k = 20, tolerance 1e-4 for everyone), against a float64 ARPACK reference (tol 1e-12):
- circuit_gen `lanczos_eigs` (ARPACK, Krylov space 3k; `top_bottom_eigs` is two such runs);
- hessian-eigenthings `lanczos` driven as a user would: its default 2k steps, then 3k, 4k, ... until its own residual
  test (`converged`, the same |beta s| < tol |lambda| test as ARPACK's) passes for all k, every attempt timed; and,
  for reference, one run at the step count that passed, as if known in advance (the peer's best case);
- pyhessian `hessian.eigenvalues` (deflated power iteration, maxIter 1000, tol 1e-4), main size only (it takes
  ~2,000 HVPs). It finds the largest-*magnitude* eigenvalues, so it is compared with that reference.
(b) Trace at equal HVP counts (99 = 3 x 33), against the exact trace of the dense Hessian (`HessianOperator.dense`):
- circuit_gen `hutchinson_trace` (probes batched through vmap) and `hutchpp_trace` (Hutch++);
- hessian-eigenthings `hutchinson` and `hutch_plus_plus` (it has both, in algorithms/trace.py);
- pyhessian `hessian.trace` (Hutchinson; tol=0 so it runs all its maxIter probes).
Error: |relative error| of seed 0 at every size; root-mean-square relative error over 10 seeds at the main size
(ours; the peers draw the same Rademacher probes from the same seed, so their seed-0 estimates are compared with
ours directly: diff_to_ours).
(c) HVPs to a 1% root-mean-square error at the main size: Hutchinson's from its exact variance on the dense Hessian
(2 (|H|_F^2 - sum H_ii^2) / m), Hutch++'s as the smallest m on a grid whose RMS error over 30 seeds is <= 1%, found by
running `hutchpp_trace` on the dense Hessian (same probes, matrix products instead of HVPs) and confirmed with real
HVPs over 10 seeds; then the time each needs for that accuracy.
Growth exponents: slope of log CPU time on log batch size over the three sizes, per method.
Floor (since 2026-12-06), for our rows: what an HVP method cannot avoid given its HVP count, timed the same way: build
the operator (the batch's gradient graph, kept) and make that many HVPs, as many vectors per call as the method batches
(one for Lanczos; `probes_per_call` for the trace estimators), and nothing else (`hvp_floor`); `ratio_to_floor` is our
whole call over it. How many HVPs a method needs is compared with the peers' separately (the `hvps` column).

The peers must not go into the project's .venv (they pull torchvision builds that break TransformerLens imports).
Run it from a separate environment (circuit_gen is imported from this checkout; it needs nothing more):

    python3 -m venv /tmp/hessbench
    /tmp/hessbench/bin/pip install torch==2.13.0
    /tmp/hessbench/bin/pip install -c <(echo torch==2.13.0) pyhessian hessian-eigenthings==1.0.0a5 \\
        scipy scikit-learn pyyaml safetensors jaxtyping tqdm
    /tmp/hessbench/bin/pip uninstall -y torchvision
    OMP_NUM_THREADS=1 /tmp/hessbench/bin/python bench/bench_hessian.py [--batches 64,128,256] [--k 20] [--tol 1e-4]
        [--hvps 99] [--seeds 10] [--target 0.01] [--repeats 3] [--out FILE.json]

A peer that is not installed is skipped (and said so). Results go to bench/results/hessian.json.

Measured 2026-12-03 on the shared 2-core dev machine, loaded by three other workers (load average 3-7), one thread,
process CPU time, median of 3 after a warm-up (full table and the exact command in bench/results/hessian.json):

(a) top-20 eigenvalues, tol 1e-4, batch 64 / 128 / 256:
    circuit_gen lanczos_eigs                  1.44 / 1.81 / 5.11 s, 82 / 61 / 82 HVPs, max rel err <= 2.6e-7, 16 / 25 / 62 MB
    hessian-eigenthings, until converged      5.45 / 8.29 / 16.69 s (3.8x / 4.6x / 3.3x), 180 HVPs (40, 60, 80 steps), <= 1.2e-6
      one 80-step run, known in advance       2.00 / 3.13 / 7.91 s (1.4x / 1.7x / 1.5x)
    pyhessian (batch 128 only)                64.4 s (36x), 1,973 HVPs, top-20-by-magnitude err 3.4e-2
(b) trace at 99 HVPs, batch 64 / 128 / 256 (exact traces 166.8 / 180.1 / 195.7):
    circuit_gen hutchinson_trace              1.18 / 2.75 / 5.05 s, 68 / 74 / 112 MB
    circuit_gen hutchpp_trace                 1.21 / 2.69 / 5.77 s, 73 / 80 / 136 MB
    pyhessian trace (Hutchinson)              1.58 / 2.75 / 5.00 s (1.34x / 1.00x / 0.99x), 15 / 24 / 61 MB
    hessian-eigenthings hutchinson            2.85 / 4.42 / 8.54 s (2.4x / 1.6x / 1.7x), 15 / 30 / 52 MB
    hessian-eigenthings hutch_plus_plus       2.69 / 6.02 / 9.28 s (2.2x / 2.2x / 1.6x), 19 / 35 / 61 MB
    The peers draw the same probes from the same seed: their estimates equal ours to <= 3e-7 of the trace. RMS
    relative error over 10 seeds at batch 128: Hutchinson 4.2%, Hutch++ 0.77%. Against pyhessian's Hutchinson ours
    is a tie from batch 128 on: both make one backward pass per probe through a kept double-backward graph, and
    vmapping 2-8 probes per call gains little on one loaded CPU thread (it costs memory: max_mb=64 of tangents).
    hessian-eigenthings rebuilds the gradient graph for every HVP.
(c) 1% RMS error at batch 128: Hutchinson needs 2,497 HVPs (exact variance), Hutch++ 90 (27.7x fewer). Time for that
    accuracy: ours Hutch++ 2.50 s; hessian-eigenthings' Hutch++ 4.27 s (1.7x); pyhessian's Hutchinson 69.4 s (28x).
Growth exponents (batch 64 -> 256): lanczos ours 0.91, hessian-eigenthings 0.81; trace ours 1.05 (Hutchinson) and
1.13 (Hutch++), pyhessian 0.83, hessian-eigenthings 0.79 / 0.89 (their fixed per-HVP costs weigh more at small batches).

Measured again 2026-12-06 with nothing else running (the run bench/results/hessian.json holds), with the floor: Lanczos
1.12 / 1.56 / 4.05 s (hessian-eigenthings until converged 3.7x / 5.1x / 3.3x slower; pyhessian 33x), 1.00 / 1.00 /
1.03x its floor; Hutchinson 0.97 / 2.18 / 4.26 s and Hutch++ 1.01 / 2.20 / 4.09 s, 1.01-1.05x their floors, against
pyhessian's Hutchinson 1.37x / 1.17x / 1.08x and hessian-eigenthings' 1.8-2.3x slower.
"""
import argparse, contextlib, importlib, json, math, sys, tempfile, warnings
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project's circuit_gen, without installing it
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import torch
import torch.nn.functional as F

from harness import fresh_processes_mb, growth_exponent, measure, peak_memory_mb, reproduce_command, write_results
from circuit_gen.core import seed_everything
from circuit_gen.digits import LeNetTiny, count_parameters, load_digits_28, train_classifier
from circuit_gen.hessian import HessianOperator, hutchinson_trace, hutchpp_trace, lanczos_eigs, probes_per_call

warnings.filterwarnings("ignore", message=".*create_graph=True.*")  # pyhessian's loss.backward(create_graph=True)
OURS_EIG, OURS_HUTCH, OURS_HPP = "circuit_gen lanczos_eigs", "circuit_gen hutchinson_trace", "circuit_gen hutchpp_trace"


@dataclass
class Call:
    "What one method's call returned: its values (eigenvalues, descending, or a trace), its HVPs, and a remark."
    values: object
    hvps: int
    note: str = ""


@contextlib.contextmanager
def counting(owner, name: str):
    "Count the calls of `owner.name` (a peer's HVP function) while inside."
    count, orig = [0], getattr(owner, name)
    def counted(*args, **kw):
        count[0] += 1
        return orig(*args, **kw)
    setattr(owner, name, counted)
    try: yield count
    finally: setattr(owner, name, orig)


def ours_op(model, batch): return HessianOperator(model, F.cross_entropy, batch, device="cpu")


def eigenthings_op(model, batch):
    import hessian_eigenthings as he
    return he.HessianOperator(model, [batch], he.supervised_loss(F.cross_entropy))


def pyhessian_module():
    return importlib.import_module("pyhessian.hessian")  # the module (the package re-exports a class of that name)


# ---- (a) top-k eigenvalues: one whole call each ----
def ours_eigs(model, batch, a, seed=0) -> Call:
    op = ours_op(model, batch)
    return Call(lanczos_eigs(op, k=a.k, which="LA", tol=a.tol, seed=seed, return_vectors=False).numpy(), op.n_hvp)


def eigenthings_steps(k: int, n: int) -> list[int]:
    "The Lanczos step counts a user would try: the peer's default 2k, then larger."
    return [min(m * k // 2, n - 1) for m in (4, 6, 8, 12, 16, 24)]


def eigenthings_eigs(model, batch, a, seed=0, steps=None) -> Call:
    "hessian-eigenthings' Lanczos until its own residual test passes (every attempt counted), or one run of `steps`."
    import hessian_eigenthings as he
    op = eigenthings_op(model, batch)
    with counting(op, "matvec") as count:
        for m in ([steps] if steps else eigenthings_steps(a.k, sum(p.numel() for p in model.parameters()))):
            res = he.lanczos(op, k=a.k, max_iter=m, tol=a.tol, which="LA", seed=seed, reorthogonalize=True)
            if bool(res.converged.all()): break
    vals = np.sort(res.eigenvalues.detach().double().numpy())[::-1]
    return Call(vals, count[0], f"{m} steps, converged={bool(res.converged.all())}")


def pyhessian_eigs(model, batch, a, seed=0) -> Call:
    ph = pyhessian_module()
    torch.manual_seed(seed)
    model.zero_grad(set_to_none=True)  # pyhessian adds to .grad: a stale one would double the Hessian
    with counting(ph, "hessian_vector_product") as count:
        vals, _ = ph.hessian(model, F.cross_entropy, data=batch, cuda=False).eigenvalues(maxIter=1000, tol=a.tol, top_n=a.k)
    model.zero_grad(set_to_none=True)
    return Call(np.sort(np.array(vals))[::-1], count[0], "top-k by magnitude")


# ---- (b) traces at m HVPs: one whole call each ----
def ours_hutchinson(model, batch, m, seed=0) -> Call:
    est = hutchinson_trace(ours_op(model, batch), m, seed)
    return Call(est.estimate, est.n_hvp)


def ours_hutchpp(model, batch, m, seed=0) -> Call:
    est = hutchpp_trace(ours_op(model, batch), m, seed)
    return Call(est.estimate, est.n_hvp)


def eigenthings_hutchinson(model, batch, m, seed=0) -> Call:
    import hessian_eigenthings as he
    op = eigenthings_op(model, batch)
    with counting(op, "matvec") as count: est = he.hutchinson(op, num_samples=m, seed=seed)
    return Call(est.estimate, count[0])


def eigenthings_hutchpp(model, batch, m, seed=0) -> Call:
    import hessian_eigenthings as he
    op = eigenthings_op(model, batch)
    with counting(op, "matvec") as count: est = he.hutch_plus_plus(op, num_matvecs=m, seed=seed)
    return Call(est.estimate, count[0])


def pyhessian_trace(model, batch, m, seed=0) -> Call:
    ph = pyhessian_module()
    torch.manual_seed(seed)  # pyhessian draws its probes from the global generator
    model.zero_grad(set_to_none=True)
    with counting(ph, "hessian_vector_product") as count:
        samples = ph.hessian(model, F.cross_entropy, data=batch, cuda=False).trace(maxIter=m, tol=0.0)
    model.zero_grad(set_to_none=True)
    return Call(float(np.mean(samples)), count[0])


EIGS = {OURS_EIG: ours_eigs, "hessian-eigenthings lanczos (until converged)": eigenthings_eigs,
        "pyhessian eigenvalues (power iteration)": pyhessian_eigs}
TRACES = {OURS_HUTCH: ours_hutchinson, OURS_HPP: ours_hutchpp,
          "hessian-eigenthings hutchinson": eigenthings_hutchinson, "hessian-eigenthings hutch_plus_plus": eigenthings_hutchpp,
          "pyhessian trace (Hutchinson)": pyhessian_trace}
PEER_MODULE = {"hessian-eigenthings": "hessian_eigenthings", "pyhessian": "pyhessian"}


def ours_kind(method: str) -> str:
    "Our trace estimator of the same kind as `method` (Hutch++ or Hutchinson)."
    return OURS_HPP if "plus_plus" in method or "hutchpp" in method else OURS_HUTCH


def available(method: str) -> bool:
    "Whether a method's library is installed (ours always is)."
    for prefix, module in PEER_MODULE.items():
        if method.startswith(prefix):
            try: importlib.import_module(module)
            except ImportError as e:
                print(f"{prefix} not installed, skipped ({e})")
                return False
    return True


class DenseHessian:
    "A dense Hessian with what circuit_gen's trace estimators use of an operator: the same probes, matrix products for HVPs."
    def __init__(self, H): self.H, self.n, self.dtype, self.device, self.theta, self.n_hvp = H, H.shape[0], H.dtype, H.device, H[0], 0
    def activation_bytes(self): return 0
    def hvp(self, V):
        self.n_hvp += V.shape[0] if V.ndim == 2 else 1
        return V.to(self.dtype) @ self.H


# ---- the shared setup ----
def trained_model(epochs: int):
    x, y = load_digits_28(device="cpu")
    seed_everything(0)
    model = LeNetTiny()
    train_classifier(model, x, y, epochs=epochs, lr=0.02, batch_size=64, ckpt_steps=[], device="cpu", progress=False)
    return model.eval(), x, y


def rel_err(vals, ref) -> float:
    return float(np.max(np.abs(np.asarray(vals, dtype=np.float64) - ref) / np.abs(ref)))


def one_memory(state_path: str, section: str, method: str, b: int, a) -> float:
    "Peak MB of one call of `method` in this (fresh) process, after one on two images (imports and lazy set-up: ~85 MB for torch.func)."
    x, y = load_digits_28(device="cpu")
    model = LeNetTiny().eval()
    model.load_state_dict(torch.load(state_path, weights_only=True))
    small = argparse.Namespace(**{**vars(a), "k": 2, "hvps": 3})
    if section == "eig":
        EIGS[method](model, (x[:2], y[:2]), small)
        return peak_memory_mb(lambda: EIGS[method](model, (x[:b], y[:b]), a))
    TRACES[method](model, (x[:2], y[:2]), small.hvps)
    return peak_memory_mb(lambda: TRACES[method](model, (x[:b], y[:b]), a.hvps))


def memory(state_path: str, section: str, method: str, b: int, a) -> float:
    "Peak MB of one call, in a fresh process (the allocator keeps freed pages and would hide a later peak)."
    return fresh_processes_mb([sys.executable, __file__, "--one", state_path, section, method, str(b), f"--k={a.k}",
                               f"--tol={a.tol}", f"--hvps={a.hvps}"], runs=1)


def row(section, b, method, hvps, t, mem, err, rms, diff=None, note="", floor=None):
    "One table row: the same columns for every section (None where a column does not apply; `floor`: `hvp_floor`'s, our rows)."
    return {"section": section, "batch": b, "method": method, "hvps": hvps, "cpu_s": t["cpu_s"], "wall_s": t["wall_s"],
            "peak_mb": mem, "max_rel_err": err, "rms_rel_err": rms, "diff_to_ours": diff, "ours_speedup": None,
            "floor_cpu_s": None if floor is None else floor["cpu_s"],
            "ratio_to_floor": None if floor is None else t["cpu_s"] / floor["cpu_s"], "note": note}


def hvp_floor(model, batch, method: str, hvps: int, a) -> dict:
    """The least our HVP `method` with `hvps` HVPs costs: build the operator (the batch's gradient graph, kept for the HVPs)
    and make `hvps` HVPs, as many vectors a call as the method batches them (one for Lanczos, `probes_per_call` at the
    estimators' defaults for a trace), nothing else; timed as the methods are."""
    per_call = 1 if method == OURS_EIG else probes_per_call(ours_op(model, batch))
    def run():
        op = ours_op(model, batch)
        V = torch.randn(per_call, op.n) if per_call > 1 else torch.randn(op.n)
        for i in range(0, hvps, per_call): op.hvp(V[:min(per_call, hvps - i)] if per_call > 1 else V)
    return measure(run, repeats=a.repeats)



def timed(fn, a) -> tuple[Call, dict]:
    "The first call (the warm-up: its output is the one compared), then the median of `a.repeats` more."
    out = [fn()]
    return out[0], measure(fn, repeats=a.repeats, warmup=0)


def eig_section(model, batch, b, a, main: bool, state_path) -> list[dict]:
    ref_op = HessianOperator(model, F.cross_entropy, batch, dtype=torch.float64, device="cpu")
    ref = lanczos_eigs(ref_op, k=a.k, tol=1e-12, return_vectors=False).numpy()
    rows = []
    for name, fn in EIGS.items():
        if name.startswith("pyhessian") and not main: continue
        if not available(name): continue
        print(f"  eig {name} ...", flush=True)
        call, t = timed(lambda: fn(model, batch, a), a)
        target = ref
        if name.startswith("pyhessian"):  # largest magnitude: the reference mixes both ends
            bottom = lanczos_eigs(ref_op, k=a.k, which="SA", tol=1e-12, shift=float(ref[0]), return_vectors=False).numpy()
            both = np.concatenate([ref, bottom])
            target = np.sort(both[np.argsort(-np.abs(both))[:a.k]])[::-1]
        floor = hvp_floor(model, batch, name, call.hvps, a) if name == OURS_EIG else None
        rows.append(row("top-k eigenvalues", b, name, call.hvps, t, memory(state_path, "eig", name, b, a),
                        rel_err(call.values, target), None, note=call.note, floor=floor))
        if name.startswith("hessian-eigenthings"):  # its best case: one run of the step count that passed, known in advance
            steps = int(call.note.split()[0])
            once, t1 = timed(lambda: eigenthings_eigs(model, batch, a, steps=steps), a)
            rows.append(row("top-k eigenvalues", b, f"hessian-eigenthings lanczos ({steps} steps known in advance)",
                            once.hvps, t1, None, rel_err(once.values, ref), None, note=once.note))
    return rows


def trace_section(model, batch, b, a, main: bool, state_path, exact: float) -> tuple[list[dict], dict]:
    "Each trace method at `a.hvps` HVPs: time, memory, error; and the estimates of seed 0."
    rows, seed0 = [], {}
    for name, fn in TRACES.items():
        if not available(name): continue
        print(f"  trace {name} ...", flush=True)
        call, t = timed(lambda: fn(model, batch, a.hvps), a)
        seed0[name], rms, diff = call.values, None, None
        if main and name.startswith("circuit_gen"):  # the peers draw the same probes (checked by diff_to_ours)
            ests = np.array([fn(model, batch, a.hvps, seed=s).values for s in range(a.seeds)])
            rms = float(np.sqrt(np.mean((ests - exact) ** 2)) / abs(exact))
        if not name.startswith("circuit_gen"): diff = abs(call.values - seed0[ours_kind(name)]) / abs(exact)
        floor = hvp_floor(model, batch, name, call.hvps, a) if name.startswith("circuit_gen") else None
        rows.append(row("trace", b, name, call.hvps, t, memory(state_path, "trace", name, b, a),
                        abs(call.values - exact) / abs(exact), rms, diff, floor=floor))
    return rows, seed0


def target_section(model, batch, b, a, H, exact, trace_rows, seed0_values) -> tuple[list[dict], dict]:
    "HVPs and time each estimator needs for an RMS relative error of `a.target`."
    Hd = H.double()
    variance = 2 * (float((Hd ** 2).sum()) - float((Hd.diagonal() ** 2).sum()))  # Rademacher Hutchinson, one probe
    m_hutch = math.ceil(variance / (a.target * exact) ** 2)
    dense = DenseHessian(H)
    grid = [30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 480, 600, 720, 960, 1200, 1500, 1920, 2400]
    m_hpp, sim = None, {}
    for m in grid:
        ests = np.array([hutchpp_trace(dense, m, seed=s, chunk_size=512).estimate for s in range(a.sim_seeds)])
        sim[m] = float(np.sqrt(np.mean((ests - exact) ** 2)) / abs(exact))
        print(f"  Hutch++ on the dense Hessian, m={m}: rms rel err {sim[m]:.4f}", flush=True)
        if sim[m] <= a.target:
            m_hpp = m
            break
    if m_hpp is None: raise RuntimeError(f"Hutch++ did not reach {a.target} within {grid[-1]} HVPs: {sim}")
    seed0 = hutchpp_trace(dense, a.hvps, seed=0, chunk_size=512).estimate   # the same probes as the real call of seed 0
    rows = []
    call, t = timed(lambda: ours_hutchpp(model, batch, m_hpp), a)
    ests = np.array([ours_hutchpp(model, batch, m_hpp, seed=s).values for s in range(a.seeds)])
    rms = float(np.sqrt(np.mean((ests - exact) ** 2)) / abs(exact))
    ours_value = call.values
    rows.append(row(f"trace to {a.target:.0%}", b, OURS_HPP, call.hvps, t, None, abs(call.values - exact) / abs(exact), rms,
                    note=f"smallest m on the grid with rms <= {a.target} over {a.sim_seeds} seeds (dense simulation)"))
    if available("hessian-eigenthings hutch_plus_plus"):
        call, t = timed(lambda: eigenthings_hutchpp(model, batch, m_hpp), a)
        rows.append(row(f"trace to {a.target:.0%}", b, "hessian-eigenthings hutch_plus_plus", call.hvps, t, None,
                        abs(call.values - exact) / abs(exact), None, abs(call.values - ours_value) / abs(exact),
                        note="the same algorithm and probes: the same HVPs for the same accuracy"))
    # Hutchinson at m_hutch HVPs: each implementation's measured time per HVP at a.hvps, times m_hutch
    for r in trace_rows:
        if r["method"] in (OURS_HUTCH, "hessian-eigenthings hutchinson", "pyhessian trace (Hutchinson)"):
            per = {k: r[k] / r["hvps"] for k in ("cpu_s", "wall_s")}
            rows.append(row(f"trace to {a.target:.0%}", b, r["method"], m_hutch, {k: v * m_hutch for k, v in per.items()},
                            None, None, a.target, note=f"HVPs from the exact variance; time = {m_hutch} x its time per HVP at {r['hvps']} HVPs"))
    info = {"hutchinson_hvps": m_hutch, "hutchpp_hvps": m_hpp, "hutchpp_dense_rms_by_hvps": sim,
            "hutchinson_rms_predicted_at_hvps": math.sqrt(variance / a.hvps) / abs(exact),
            "hutchpp_dense_vs_hvp_seed0_rel_diff": abs(seed0 - seed0_values[OURS_HPP]) / abs(exact)}
    return rows, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", default="64,128,256", help="three batch sizes; the middle one is the main size")
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--hvps", type=int, default=99, help="HVPs per trace estimate (a multiple of 3 keeps Hutch++ exact in both libraries)")
    ap.add_argument("--seeds", type=int, default=10, help="seeds for our trace RMS errors with real HVPs (main size)")
    ap.add_argument("--sim_seeds", type=int, default=30, help="seeds for Hutch++ on the dense Hessian")
    ap.add_argument("--target", type=float, default=0.01, help="RMS relative error for section (c)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sections", default="eig,trace,target")
    ap.add_argument("--out", default=None, help="results JSON path (default bench/results/hessian.json)")
    ap.add_argument("--one", nargs=4, metavar=("STATE", "SECTION", "METHOD", "BATCH"), help="internal: one peak-memory figure")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.one:
        print(one_memory(a.one[0], a.one[1], a.one[2], int(a.one[3]), a))
        return
    sizes = [int(s) for s in a.batches.split(",")]
    main_b = sizes[len(sizes) // 2]
    sections = a.sections.split(",")
    model, x, y = trained_model(a.epochs)
    state_path = str(Path(tempfile.mkdtemp()) / "lenet.pt")
    torch.save(model.state_dict(), state_path)
    rows, info = [], {}
    for b in sizes:
        batch, main = (x[:b], y[:b]), b == main_b
        print(f"batch {b}", flush=True)
        if "eig" in sections: rows += eig_section(model, batch, b, a, main, state_path)
        if "trace" in sections or "target" in sections:
            H = ours_op(model, batch).dense()
            exact = float(H.double().diagonal().sum())
            trace_rows, seed0 = trace_section(model, batch, b, a, main, state_path, exact)
            rows += trace_rows
            if main and "target" in sections:
                target_rows, target_info = target_section(model, batch, b, a, H, exact, trace_rows, seed0)
                rows, info = rows + target_rows, {**info, **target_info}
            info.setdefault("exact_trace", {})[b] = exact
            del H
    for r in rows:  # speedups: each row against our method of the same kind in the same section and size
        mine = OURS_EIG if r["section"] == "top-k eigenvalues" else ours_kind(r["method"])
        mine = next((o for o in rows if o["section"] == r["section"] and o["batch"] == r["batch"] and o["method"] == mine), None)
        if mine is not None: r["ours_speedup"] = r["cpu_s"] / mine["cpu_s"]
    at = lambda section, method, b=main_b: next((r for r in rows if r["section"] == section and r["method"] == method and r["batch"] == b), None)
    peers = lambda section, b=main_b: [r for r in rows if r["section"] == section and r["batch"] == b and not r["method"].startswith("circuit_gen")
                                        and "known in advance" not in r["method"]]
    summary = {}
    if "eig" in sections:
        summary["ratio_to_fastest_peer"] = min(r["ours_speedup"] for r in peers("top-k eigenvalues"))
        adv = [r for r in rows if "known in advance" in r["method"] and r["batch"] == main_b]
        if adv: summary["ratio_to_peer_single_run_known_steps"] = adv[0]["ours_speedup"]
        summary["ratio_to_floor"] = at("top-k eigenvalues", OURS_EIG)["ratio_to_floor"]
        summary["eig_max_rel_err_ours"] = at("top-k eigenvalues", OURS_EIG)["max_rel_err"]
        summary["eig_hvps_ours"] = at("top-k eigenvalues", OURS_EIG)["hvps"]
    if "trace" in sections:
        ph = peers("trace")
        hutch_peers = [r for r in ph if ours_kind(r["method"]) == OURS_HUTCH]
        summary["trace_ratio_to_fastest_peer"] = min(r["cpu_s"] for r in hutch_peers) / at("trace", OURS_HUTCH)["cpu_s"]
        summary["trace_ratio_to_floor"] = {m: at("trace", m)["ratio_to_floor"] for m in (OURS_HUTCH, OURS_HPP)}
        hpp_peers = [r for r in ph if ours_kind(r["method"]) == OURS_HPP]
        if hpp_peers: summary["hutchpp_ratio_to_fastest_peer"] = min(r["cpu_s"] for r in hpp_peers) / at("trace", OURS_HPP)["cpu_s"]
        summary["trace_rms_rel_err"] = {r["method"]: r["rms_rel_err"] for r in rows if r["section"] == "trace" and r["batch"] == main_b
                                        and r["rms_rel_err"] is not None}
        summary["trace_max_diff_to_ours"] = max(r["diff_to_ours"] for r in rows if r["diff_to_ours"] is not None)
    if info.get("hutchpp_hvps"):
        tgt = f"trace to {a.target:.0%}"
        summary["hutchpp_hvp_saving"] = info["hutchinson_hvps"] / info["hutchpp_hvps"]
        summary["hvps_to_target"] = {"target_rms_rel_err": a.target, "hutchinson": info["hutchinson_hvps"], "hutch++": info["hutchpp_hvps"]}
        fastest_peer = min(r["cpu_s"] for r in peers(tgt))
        summary["trace_ratio_to_fastest_peer_equal_accuracy"] = fastest_peer / at(tgt, OURS_HPP)["cpu_s"]
    for section, names in (("top-k eigenvalues", [OURS_EIG, "hessian-eigenthings lanczos (until converged)"]),
                           ("trace", list(TRACES))):
        for name in names:
            got = [(r["batch"], r["cpu_s"]) for r in rows if r["section"] == section and r["method"] == name]
            if len(got) >= 3: summary.setdefault("growth_exponent", {})[f"{section}: {name}"] = growth_exponent(*zip(*got))
    print(f"LeNet-tiny, {count_parameters(model):,} params, batches {sizes} (main {main_b}), k {a.k}, tol {a.tol}, "
          f"{a.hvps} HVPs per trace, 1 thread, median of {a.repeats} after a warm-up")
    print(f"{'section':18s} {'batch':>5s} {'method':58s} {'HVPs':>5s} {'CPU s':>8s} {'wall s':>8s} {'peak MB':>8s} "
          f"{'max rel err':>11s} {'rms err':>8s} {'vs ours':>8s} {'peer/ours':>9s}")
    fmt = lambda v, f: "" if v is None else format(v, f)
    for r in rows:
        print(f"{r['section']:18s} {r['batch']:5d} {r['method']:58s} {r['hvps']:5d} {r['cpu_s']:8.2f} {r['wall_s']:8.2f} "
              f"{fmt(r['peak_mb'], '8.0f'):>8s} {fmt(r['max_rel_err'], '11.1e'):>11s} {fmt(r['rms_rel_err'], '8.4f'):>8s} {fmt(r['diff_to_ours'], '8.1e'):>8s} "
              f"{fmt(r['ours_speedup'], '9.2f'):>9s}")
    print(json.dumps(summary, indent=1, default=float))
    print(json.dumps(info, indent=1, default=float))
    summary["details"] = info
    notes = (f"LeNet-tiny ({count_parameters(model):,} parameters) trained {a.epochs} epochs on digits 28x28; batches "
             f"{sizes}, main {main_b}; float32; 1 thread; median of "
             f"{a.repeats} after a warm-up of each whole call (operator construction included). ours_speedup: peer CPU "
             "time / ours of the same kind (> 1: ours faster). ratio_to_floor (our rows): our whole call over hvp_floor, the "
             "operator built and the same HVPs made, as many vectors a call as the method batches, nothing else. Eigenvalues: max relative error of the top k against "
             "float64 ARPACK (pyhessian: against the largest-magnitude k). Trace: |relative error| of seed 0 against "
             "the dense Hessian's trace; rms_rel_err over seeds at the main size (ours; the peers draw the same "
             "Rademacher probes from the same seed, so diff_to_ours, |peer - ours| / |trace| at seed 0, compares "
             "outputs directly). Peak memory: one call in a fresh process after a warm-up call on two images. The "
             "'trace to 1%' Hutchinson rows are HVPs from the exact variance times the measured time per HVP.")
    command = reproduce_command("bench/bench_hessian.py", "/tmp/hessbench/bin/python")
    write_results("hessian", "Hessian top-k eigenvalues and trace (LeNet-tiny): circuit_gen vs hessian-eigenthings and pyhessian",
                  command, rows, summary, notes, path=a.out)


if __name__ == "__main__":
    main()
