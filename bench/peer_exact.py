"""Exact edge patching in the EAP-IG reference's own code, for `bench/bench_exact_schedule.py` (which runs this file with
the reference environment's python; nothing here imports circuit_gen).

`bench_exact_schedule.py --peers` writes a work folder: the model and prompts as `peer_eap_reference.save_inputs` writes
them, `src/` (the reference's `eap` package, as `peer_eap_reference.reference_source` copies it, its CUDA device made
the model's) and `params.json` (batch size, repeats). This script runs hannamw/EAP-IG's `attribute(..., "exact")`
(`get_scores_exact`: for each edge, the graph without that edge through `evaluate_graph`, which runs the counterfactual
batch and the hooked clean batch) with MIB's logit-difference loss, times it (median of `repeats` after a warm-up call;
process CPU and wall; peak resident memory of a second call, after the warm-up call, beyond what the process held:
since 2026-12-05, as circuit_gen's; before, of the warm-up call), and writes the time and
its edge scores to `reference.json`; `bench_exact_schedule.py` compares them with circuit_gen's
`attribute(method="exact", convention="reference")` on the same prompts (the reference's input node and its metric's
batch mean; `peer_eap_reference.py` checks the same agreement on every model family).
"""
import argparse, json, sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from harness import timed                             # torch only: importable in every peer environment
import peer_eap_reference as exchange                 # the model, prompts and the reference's source travel as for the cross-check


def run_reference(work: Path, batch: int, repeats: int) -> dict:
    "The reference's exact patching of every edge, timed; its scores."
    model, loader = exchange.reference_batches(work, batch)
    import eap.attribute as ref_attribute
    from eap.graph import Graph
    out = {}
    def run():
        graph = Graph.from_model(model)
        ref_attribute.attribute(model, graph, loader, exchange.logit_diff_loss, "exact", quiet=True)
        out["scores"] = graph.scores.tolist()
    return {**timed(run, repeats, warm=True), **out}     # the peak of a second call, as circuit_gen's (since 2026-12-05)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True, help="the folder bench_exact_schedule.py wrote")
    args = ap.parse_args()
    work = Path(args.work)
    p = json.loads((work/"params.json").read_text())
    (work/"reference.json").write_text(json.dumps(run_reference(work, p["batch"], p["repeats"])))


if __name__ == "__main__":
    main()
