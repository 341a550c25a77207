"""Write README.md from nbs/index.ipynb (what `nbdev_readme` does, without needing Quarto).

Markdown cells are copied; visible code cells become fenced Python blocks; `#| hide` cells
and directive lines are dropped. `--check` exits 1 when README.md differs.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "<!-- Generated from nbs/index.ipynb by tools/build_readme.py: edit the notebook, not this file. -->\n\n"

def readme_text(nb_path=ROOT/"nbs"/"index.ipynb") -> str:
    cells = json.loads(Path(nb_path).read_text())["cells"]
    parts = []
    for c in cells:
        src = "".join(c["source"]).strip("\n")
        if c["cell_type"] == "markdown": parts.append(src)
        elif c["cell_type"] == "code":
            if re.search(r"^\s*#\s*\|\s*hide\b", src, re.M): continue
            code = "\n".join(l for l in src.splitlines() if not re.match(r"^\s*#\s*\|", l)).strip("\n")
            if code: parts.append("```python\n" + code + "\n```")
    return HEADER + "\n\n".join(parts) + "\n"

if __name__ == "__main__":
    text, out = readme_text(), ROOT/"README.md"
    if "--check" in sys.argv:
        ok = out.exists() and out.read_text() == text
        print("README.md is up to date" if ok else "README.md differs from nbs/index.ipynb: run python tools/build_readme.py")
        sys.exit(0 if ok else 1)
    out.write_text(text); print(f"wrote {out}")
