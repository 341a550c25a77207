"""Fail when notebooks are not clean or the library is not what the notebooks export.

Runs `nbdev_clean` and `nbdev_export` in place and asks git whether anything changed or
appeared; also refuses committed cell outputs (docs are built by executing the notebooks).
Used by .ci/run on a fresh clone; run it locally before committing.
"""
import json, os, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
# the nbdev commands installed next to the interpreter running this check (works without activating the venv)
env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
def sh(*cmd): return subprocess.run(cmd, cwd=root, check=True, capture_output=True, text=True, env=env).stdout

sh("nbdev_clean")
sh("nbdev_export")
changed = sh("git", "status", "--porcelain", "--untracked-files=all", "--", "nbs", "circuit_gen", "README.md")
problems = []
if changed.strip():
    problems.append("nbdev_clean/nbdev_export changed these files (commit the cleaned notebooks and the exported library):\n" + changed)
from circuit_gen.parameters import notebook_files   # the one rule for which notebooks count
for nb in notebook_files(root/"nbs"):
    cells = json.loads(nb.read_text())["cells"]
    n = sum(bool(c.get("outputs")) for c in cells if c["cell_type"] == "code")
    if n: problems.append(f"{nb.relative_to(root)} has {n} cells with outputs: clear them (Jupyter: Clear All Outputs) before committing")
readme = subprocess.run([sys.executable, "tools/build_readme.py", "--check"], cwd=root, capture_output=True, text=True)
if readme.returncode: problems.append(readme.stdout.strip())
if problems:
    print("\n".join(problems)); sys.exit(1)
print("notebooks clean, library in sync")
