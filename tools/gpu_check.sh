#!/usr/bin/env bash
# The GPU check, prepared for the `device` tool's short lease (one command of at most 10 minutes): run it on the GPU
# machine from the repository root, with .whl carried (made here by tools/gpu_wheels.sh):
#   1. install the wheels into /tmp/site (that machine has PyTorch but not this project's other dependencies);
#   2. `nbdev_test --flags cuda`: every notebook, with the cells flagged `cuda` (the benchmark scripts' quick GPU check);
#   3. one experiment at its GPU settings: P1, grokking at p = 113 with the entropy monitor, 50,000 steps, one seed.
# With the device tool: run(command="bash tools/gpu_check.sh", carry=[".whl"], timeout_s=600).
# Each step has its own time limit (NBDEV_S, P1_S seconds) so that the whole fits the lease; logs and results go to
# $OUT (the device tool's folder; ./gpu_check elsewhere). Exit status: 0 only if every step passed. FLAGS, P1_PRESET and
# NBDEV_PATH change the test flags, the preset and the notebooks tested (a dry run on a CPU, with a Python 3.12 that
# holds what that machine holds: FLAGS= P1_PRESET=cpu NBDEV_PATH=nbs/18a_notebook_runs.ipynb bash tools/gpu_check.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-gpu_check}"; mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  # (--target puts data files, such as nbconvert's templates, under /tmp/site/share: Jupyter must look there)
  export PYTHONPATH="/tmp/site:$PWD" PATH="/tmp/site/bin:$PATH" JUPYTER_PATH="/tmp/site/share/jupyter"
fi
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" CIRCUIT_GEN_RUNS=/tmp/gpu_check_runs
python3 -c "import torch; print('torch', torch.__version__, 'GPU', torch.cuda.is_available() and torch.cuda.get_device_name())"
rc=0
step() {   # step NAME SECONDS COMMAND...: run with a time limit, log to $OUT/NAME.log, report
  local name=$1 secs=$2; shift 2
  local t0=$(date +%s)
  timeout "$secs" "$@" > "$OUT/$name.log" 2>&1; local r=$?
  echo "[gpu_check] $name: exit $r in $(( $(date +%s) - t0 )) s (log: $name.log)"
  tail -n 5 "$OUT/$name.log"
  [ $r -eq 0 ] || rc=1
}
step nbdev_test_cuda "${NBDEV_S:-300}" nbdev_test --flags "${FLAGS-cuda}" --n_workers "${N_WORKERS:-8}" --timing ${NBDEV_PATH:+--path "$NBDEV_PATH"}
step p1_gpu "${P1_S:-240}" python3 -m circuit_gen.cli run nbs/collapse/22_p1_entropy_grokking.ipynb --preset "${P1_PRESET:-gpu}" -p seeds '[0]' \
  --run-id gpu_check --force
# the run's summary and figures (at most 8 files come back, two folders down)
find "$CIRCUIT_GEN_RUNS" -path '*gpu_check*' \( -name '*.json' -o -name '*.png' \) -size -16M 2>/dev/null | head -n 6 \
  | while read -r f; do cp "$f" "$OUT/p1_$(basename "$f")"; done
exit $rc
