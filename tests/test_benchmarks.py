"""The benchmark results the docs page `nbs/benchmarks.ipynb` renders: their shape, never their times.

Times depend on the machine, so no test here asserts one. What can break the page is a results file without the
keys it reads, or a script that stops writing one; those are checked.
"""
import json, re, subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT/"bench"/"results"
SCRIPTS = {"attribution_graph": "bench_attribution_graph.py", "eap_schedule": "bench_eap_schedule.py",
           "exact_schedule": "bench_exact_schedule.py", "entropy": "bench_entropy.py", "clt": "bench_clt.py",
           "dense_hessian": "bench_dense_hessian.py", "faithfulness": "bench_faithfulness.py"}


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*.json")), ids=lambda p: p.name)
def test_results_have_the_shape_the_page_reads(path):
    d = json.loads(path.read_text())
    assert {"area", "title", "command", "machine", "summary", "columns", "rows", "notes"} <= set(d), sorted(d)
    assert path.stem in (d["area"], d["area"] + "_cuda"), (path.name, d["area"])
    assert d["command"].strip() and "bench/" in d["command"], d["command"]
    assert d["rows"] and all(list(r) == d["columns"] for r in d["rows"]), "every row has the columns, in order"
    assert isinstance(d["summary"], dict) and {"date", "torch"} <= set(d["machine"])
    for k in ("ratio_to_fastest_peer", "ratio_to_floor"):   # speed ratios are positive numbers, or absent (None)
        v = d["summary"].get(k)
        assert v is None or (isinstance(v, (int, float)) and v > 0), (k, v)


@pytest.mark.parametrize("area,script", SCRIPTS.items())
def test_each_script_writes_its_results_and_has_a_gpu_preset(area, script):
    src = (ROOT/"bench"/script).read_text()
    assert re.search(rf'write_results\(\s*"{area}"', src), f"{script} does not write bench/results/{area}.json"
    assert '"--research"' in src and '"--device"' in src, f"{script} lacks --research / --device"
    assert ("measure(" in src or "measure_interleaved(" in src) and "peak_memory_mb(" in src and "growth_exponent(" in src, "harness rules"


def test_run_all_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(ROOT/"bench"/"run_all.sh")]).returncode == 0


@pytest.mark.parametrize("path", [ROOT/"bench"/n for n in ("peer_eap_reference.py", "peer_exact.py", "peer_faithfulness.py")],
                         ids=lambda p: p.name)
def test_peer_scripts_run_without_circuit_gen(path):
    """The scripts the benchmarks run with a peer's python (bench_eap, bench_exact_schedule, bench_faithfulness), where
    circuit_gen is not installed: no top-level import of it. (peer_dictionaries.py runs with PYTHONPATH=. instead.)"""
    src = path.read_text()
    compile(src, str(path), "exec")
    top = [l for l in src.splitlines() if re.match(r"(from|import) circuit_gen", l)]
    assert not top, f"{path.name} imports circuit_gen at the top: {top}"
