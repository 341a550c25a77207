"""Write a notebook from a percent-format script: a dev aid for authoring nbs/ notebooks.

Cells start at lines `# %%` (code) or `# %% [markdown]` (markdown; its lines are written
verbatim, no comment prefix). A code cell whose first line is `# %% parameters` gets the
papermill `parameters` tag. The notebook in nbs/ is the source of truth: this converter
only creates or overwrites it, it is never run by tests or CI.

    python tools/nb_from_percent.py draft.py nbs/00_core.ipynb
"""
import json, sys
from pathlib import Path

KERNELSPEC = {"display_name": "python3", "language": "python", "name": "python3"}


def parse(text):
    "Split percent-format `text` into (kind, source, tags) cells."
    cells, kind, tags, lines = [], None, [], []
    def flush():
        if kind is None: return
        src = "\n".join(lines).strip("\n")
        cells.append((kind, src, tags))
    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            rest = line[4:].strip()
            kind = "markdown" if rest.startswith("[markdown]") else "code"
            tags = ["parameters"] if rest == "parameters" else []
            lines = []
        else:
            lines.append(line)
    flush()
    return cells


def to_notebook(cells):
    "Build an nbformat-4.5 notebook dict from parsed cells."
    nb_cells = []
    for i, (kind, src, tags) in enumerate(cells):
        source = [l + "\n" for l in src.split("\n")]
        if source: source[-1] = source[-1].rstrip("\n")
        cell = {"cell_type": kind, "id": f"c{i:04d}", "metadata": ({"tags": tags} if tags else {}), "source": source}
        if kind == "code": cell.update(execution_count=None, outputs=[])
        nb_cells.append(cell)
    return {"cells": nb_cells, "metadata": {"kernelspec": KERNELSPEC}, "nbformat": 4, "nbformat_minor": 5}


if __name__ == "__main__":
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    nb = to_notebook(parse(src.read_text()))
    dst.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    import subprocess
    subprocess.run(["nbdev_clean", "--fname", str(dst)], check=True)  # write exactly what nbdev_clean would
    print(f"wrote {dst} ({len(nb['cells'])} cells)")
