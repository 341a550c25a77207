"""The faithfulness sweep in the peers' own code, for `bench/bench_faithfulness.py` (which runs this file in each peer's
environment; nothing here imports circuit_gen).

`bench_faithfulness.py --peers` writes a work folder: the model (`cfg.json`, `weights.safetensors`, as
`peer_eap_reference.save_inputs` writes them), the prompts and answers (`prompts.json`), each circuit of the sweep as an
MIB/EAP-IG JSON file written by circuit_gen's `Graph.to_json` (`circuit_00.json`, ...; the same edges in every tool)
and `params.json` (batch size, repeats). This script, run with a peer's python, evaluates every circuit with that
peer's own code, times the whole sweep (median of `repeats` after a warm-up call; process CPU and wall; peak resident
memory beyond what the process held of a second call after the warm-up call, since 2026-12-05: before, of the warm-up
call, which also paged in library code) and writes each circuit's per-prompt metric (the answer's
logit minus the wrong answer's at the last position), the full model's and the empty circuit's to `<peer>.json`, which
`bench_faithfulness.py` compares with circuit_gen's values on the same circuits.

- `reference`: MIB's circuit-track evaluation with hannamw/EAP-IG's code (`--work/src`: its `eap` package, as
  `peer_eap_reference.reference_source` copies it, with its CUDA device made the model's): `Graph.from_json` for each
  circuit, `evaluate_graph` per circuit (it prunes the circuit, runs the counterfactual batch and the hooked clean batch)
  and one `evaluate_baseline` call for the full model and the corrupted run (the second metric reads the corrupted
  logits the call computes anyway, so the baselines cost two forwards, not four). The input node is the token
  embedding alone: circuit_gen compares with `convention="reference"`.
- `auto-circuit` (1.0.1): `patchable_model(factorized=True, separate_qkv=True, slice_output="last_seq")` and
  `run_circuits` with `PatchType.TREE_PATCH` (every edge outside the circuit patched) and `AblationType.RESAMPLE` (from
  the corrupted prompts), which runs the corrupted batch once per batch and every circuit on it; its circuits are the top
  edges of a score, so each edge scores the number of the sweep's circuits it is in (nested circuits are then exactly
  the top-k sets; `bench_faithfulness.py` checks the nesting). Its input node is the whole first-layer input, as in
  circuit_gen's default convention. The full model and the corrupted run are two plain forwards of its model.
"""
import argparse, json, sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness import timed                             # torch only: importable in every peer environment
from bench_eap import auto_circuit_aliases, our_edge_name   # auto-circuit under TransformerLens 3, its node names as ours (bench_eap imports no circuit_gen either)
import peer_eap_reference as exchange                 # the model and prompts travel as for the EAP-IG cross-check


def logit_diff(logits, answers):
    "Per prompt: logit of answers[:, 0] minus answers[:, 1] at the last position (`logits`: `[batch, pos, vocab]` or `[batch, vocab]`)."
    import torch
    rows = logits[:, -1] if logits.ndim == 3 else logits
    return rows.gather(-1, answers[:, :1])[:, 0] - rows.gather(-1, answers[:, 1:2])[:, 0]


def run_reference(work: Path, batch: int, repeats: int) -> dict:
    "hannamw/EAP-IG's `evaluate_graph` per circuit and `evaluate_baseline` for the full model and the corrupted run."
    import torch
    model, loader = exchange.reference_batches(work, batch)
    from eap.graph import Graph
    from eap.evaluate import evaluate_baseline, evaluate_graph
    graphs = [Graph.from_json(str(f)) for f in sorted(work.glob("circuit_*.json"))]
    # the reference's metric signature: (logits, clean_logits, input_lengths, labels); evaluate_baseline hands the
    # corrupted logits as the second argument, so one call gives the full model's metric and the corrupted run's
    full = lambda logits, other, lengths, labels: logit_diff(logits[torch.arange(len(logits)), lengths - 1], labels)
    empty = lambda logits, other, lengths, labels: logit_diff(other[torch.arange(len(other)), lengths - 1], labels)
    out = {}
    def sweep():
        m_full, m_empty = evaluate_baseline(model, loader, [full, empty], quiet=True)
        out.update(full=m_full.tolist(), empty=m_empty.tolist(), circuits=[evaluate_graph(model, g, loader, full, quiet=True).tolist() for g in graphs])
    return {**timed(sweep, repeats, warm=True), **out}


def auto_circuit_model(model):
    "auto-circuit's patchable model of `model` (weights frozen), as bench_eap.py builds it."
    import torch
    auto_circuit_aliases()
    from auto_circuit.utils.graph_utils import patchable_model
    for p in model.parameters(): p.requires_grad_(False)
    return patchable_model(model, factorized=True, slice_output="last_seq", separate_qkv=True, device=torch.device("cpu"))


def run_auto_circuit(work: Path, batch: int, repeats: int) -> dict:
    "auto-circuit's `run_circuits` over every circuit at once (edge scores: how many circuits hold the edge)."
    import torch
    model, clean, corrupted, answers = exchange.load_inputs(work)
    pm = auto_circuit_model(model)
    from auto_circuit.data import PromptPairBatch
    from auto_circuit.prune import run_circuits
    from auto_circuit.types import AblationType, PatchType
    circuits = [set(e for e, v in json.loads(f.read_text())["edges"].items() if v["in_graph"]) for f in sorted(work.glob("circuit_*.json"))]
    counts = {}
    for c in circuits:
        for e in c: counts[e] = counts.get(e, 0) + 1
    names = {e: our_edge_name(e.src.name, e.dest.name) for e in pm.edges}
    unknown = set(counts) - set(names.values())
    if unknown: raise ValueError(f"circuit edges auto-circuit's graph lacks: {sorted(unknown)[:5]}")
    scores = {mod: torch.zeros_like(m) for mod, m in pm.current_patch_masks_as_prune_scores().items()}
    for e in pm.edges: scores[e.dest.module_name][e.patch_idx] = float(counts.get(names[e], 0))
    sizes = sorted({len(c) for c in circuits})
    batches = [PromptPairBatch(key=k, batch_diverge_idx=0, clean=clean[i:i + batch], corrupt=corrupted[i:i + batch],
                               answers=answers[i:i + batch, :1], wrong_answers=answers[i:i + batch, 1:2])
               for k, i in enumerate(range(0, len(clean), batch))]
    # each batch's metric of logits (the last position's, as the patchable model slices them): answer minus wrong answer
    metric = lambda logits, b: logit_diff(logits, torch.cat([b.answers, b.wrong_answers], 1))
    out = {}
    def sweep():
        with torch.inference_mode():
            runs = run_circuits(pm, batches, sizes, scores, patch_type=PatchType.TREE_PATCH, ablation_type=AblationType.RESAMPLE)
            full, empty = ([metric(pm(getattr(b, which)), b) for b in batches] for which in ("clean", "corrupt"))
        per = {n: torch.cat([metric(runs[n][b.key], b) for b in batches]).tolist() for n in sizes}
        out.update(full=torch.cat(full).tolist(), empty=torch.cat(empty).tolist(), circuits=[per[len(c)] for c in circuits])
    return {**timed(sweep, repeats, warm=True), **out}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("peer", choices=("reference", "auto-circuit"))
    ap.add_argument("--work", required=True, help="the folder bench_faithfulness.py wrote")
    args = ap.parse_args()
    import torch
    torch.manual_seed(0)
    work = Path(args.work)
    p = json.loads((work/"params.json").read_text())
    res = {"reference": run_reference, "auto-circuit": run_auto_circuit}[args.peer](work, p["batch"], p["repeats"])
    (work/f"{args.peer}.json").write_text(json.dumps(res))


if __name__ == "__main__":
    main()
