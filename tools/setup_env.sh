#!/usr/bin/env bash
# Create or refresh the project environment (.venv), idempotently.
# - Reuses .venv when settings.ini/setup.py are unchanged since the last install.
# - Leaves an importable torch alone (a GPU user's CUDA build stays); otherwise installs the
#   CUDA build from PyPI when `nvidia-smi` sees a GPU, and the CPU wheel torch==2.13.0 when not.
# Override the interpreter with PYTHON=..., the folder with CIRCUIT_GEN_VENV=...
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV="${CIRCUIT_GEN_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV with $($PY --version 2>&1)"
  # system site packages stay visible so that an existing (GPU) torch is reused, not replaced
  "$PY" -m venv --system-site-packages "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
stamp="$VENV/.circuit_gen_install"
want="$(cat settings.ini setup.py pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && python -c "import circuit_gen, torch, transformer_lens, nbdev" 2>/dev/null; then
  echo "[setup] $VENV is up to date"
  exit 0
fi
if python -c "import torch" 2>/dev/null; then
  echo "[setup] keeping installed torch $(python -c 'import torch; print(torch.__version__)')"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "[setup] GPU found: installing torch from PyPI (CUDA build)"
  python -m pip install "torch>=2.4"
else
  echo "[setup] no GPU: installing the CPU build torch==2.13.0"
  python -m pip install "torch==2.13.0"
fi
python -m pip install -e ".[dev,docs]"
python -m ipykernel install --sys-prefix --name python3 >/dev/null
echo "$want" > "$stamp"
echo "[setup] done"
