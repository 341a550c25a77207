#!/usr/bin/env bash
# Download, into .whl/ (git-ignored), the wheels that a GPU machine of the `device` tool lacks for this project, for its
# Python 3.12 on x86-64 (it has PyTorch, transformers, numpy, scipy, matplotlib, pandas, pytest... but no network).
# The list, tools/gpu_wheels.txt, is this project's `.[dev]` requirements resolved for Python 3.12 (pip install --dry-run
# --report) minus the packages that machine's image holds (the device tool's KINDS.md) and minus what nothing here
# imports (the JupyterLab server stack, wandb, OpenTelemetry): about 84 wheels, 25 MB. Then, there:
# bash tools/gpu_check.sh, with `.whl` carried.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_34_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_26_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl -r tools/gpu_wheels.txt
echo "[gpu_wheels] $(ls .whl/*.whl | wc -l) wheels, $(du -sh .whl | cut -f1) in .whl/"
