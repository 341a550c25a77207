#!/usr/bin/env bash
# Run every benchmark one after another and write bench/results/<area>.json (the docs page `benchmarks` renders them).
#
#   bash bench/run_all.sh                    # CPU, the sizes the results in bench/results were measured at
#   bash bench/run_all.sh --research --device cuda   # on a GPU: research sizes, ours and the floor (peers need network)
#
# Extra arguments go to every script. Peers run from their own environments (see each script's docstring for how to
# make them); a peer whose python is missing is left out and the results say so. One thread each, so that the CPU
# figures compare like with like; run it on an otherwise idle machine.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CT=${CT_PYTHON:-/tmp/ctvenv/bin/python}          # circuit-tracer 0.5 (bench_attribution_graph.py)
LAPLACE=${LAPLACE_PYTHON:-/tmp/benchvenv/bin/python}   # laplace-torch 0.3 (bench_entropy.py)
SAE=${SAE_PYTHON:-/tmp/cltbench/bin/python}      # sae-lens (bench_clt.py)
HESS=${HESS_PYTHON:-/tmp/hessbench/bin/python}   # pyhessian, hessian-eigenthings (bench_hessian.py runs in their venv)
export OMP_NUM_THREADS=1
research=0; [[ " $* " == *" --research "* ]] && research=1
peer() { ((research == 0)) && [[ -x "$1" ]] && echo "--peer-python $1"; }   # research: ours and the floor only
small() { ((research == 0)) && echo "$@"; }                                 # the CPU run's own sizes
failed=()
run() { echo "== $*"; "$PY" "$@" || failed+=("$1"); }
# bench_hessian.py runs whole in the peers' venv (circuit_gen from this checkout); without it, in ours (peers left out)
run_in() { local py=$1; shift; [[ -x "$py" ]] || py=$PY; echo "== $py $*"; "$py" "$@" || failed+=("$1"); }
run bench/bench_attribution_graph.py $(peer "$CT") "$@"
((research)) || run bench/bench_eap.py "$@"      # CPU only: ours, the EAP-IG reference and auto-circuit (their venvs)
run bench/bench_eap_schedule.py $(small --batches 4,8,16) "$@"
run bench/bench_exact_schedule.py "$@"
run bench/bench_faithfulness.py "$@"
run bench/bench_entropy.py $(peer "$LAPLACE") "$@"
run bench/bench_clt.py $(peer "$SAE") "$@"
run bench/bench_dense_hessian.py "$@"
((research)) || run_in "$HESS" bench/bench_hessian.py "$@"   # CPU only (no --research)
if ((${#failed[@]})); then echo "failed: ${failed[*]}"; exit 1; fi
