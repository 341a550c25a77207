#!/usr/bin/env bash
# Set up the environment (idempotent), then run the main job: `circuit-gen tour`, which executes the
# experiment notebooks of all five research lines at their tour settings (circuit_gen/experiments/) into runs/tour/<run_id>/
# and writes report.html there (it opens with one verdict row per experiment). While it runs it prints a progress bar
# over notebooks with the elapsed time, an ETA from each notebook's seconds in earlier tours (runs/tour/durations.json)
# and the cell each running notebook is in. Extra arguments go to `circuit-gen tour` (see `circuit-gen tour --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
. "${CIRCUIT_GEN_VENV:-.venv}/bin/activate"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" MPLBACKEND=Agg
exec circuit-gen tour "$@"
