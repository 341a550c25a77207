#!/usr/bin/env bash
# Set up the environment (idempotent), then run the whole default test suite:
# every notebook's cells except those flagged slow/cuda/hub, then pytest for code outside notebooks.
# Extra flags: `bash tools/test.sh slow` also runs #| slow cells.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
. "${CIRCUIT_GEN_VENV:-.venv}/bin/activate"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" MPLBACKEND=Agg
echo "[test] nbdev_test (flags: ${*:-none})"
nbdev_test --n_workers "${N_WORKERS:-2}" --timing --flags "${*:-}"
echo "[test] pytest"
set +e
python -m pytest -q tests
rc=$?
set -e
if [ $rc -eq 5 ]; then echo "[test] pytest collected no tests"; rc=0; fi
exit $rc
