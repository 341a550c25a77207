"""Assemble nbs/19_plots.ipynb from per-research-line sections (a dev aid, not run by CI).

All plotting lives in one module, `circuit_gen.plots`, exported by `nbs/19_plots.ipynb`. While
several people write plots at once, each keeps a percent-format section in
`/work/drafts/plots/NN_line.py`; this script concatenates header + sections (sorted by
name) + footer into the notebook. Once the notebook is committed it is the source.
"""
import json, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from nb_from_percent import parse, to_notebook

HEADER = '''# %%
#| default_exp plots

# %% [markdown]
# plots

> Every figure the toolkit draws: functions take results and return a matplotlib figure, never show it.

# %% [markdown]
One module holds all plotting so that experiment notebooks, the tour report and users'
scripts draw the same figures the same way. Each function returns a `matplotlib.figure.Figure`;
saving is the caller's business (`Run.save_fig`).

# %%
#| export
from __future__ import annotations
import math
import numpy as np
import torch
import matplotlib
import matplotlib.pyplot as plt
import networkx as nx

# %%
#| hide
from fastcore.test import test_eq, test_fail, test_close
matplotlib.use("Agg")
'''
FOOTER = '''
# %%
#| hide
import nbdev; nbdev.nbdev_export()
'''

def main(parts_dir="/work/drafts/plots", out="nbs/19_plots.ipynb"):
    parts = sorted(Path(parts_dir).glob("*.py"))
    text = HEADER + "\n".join(p.read_text() for p in parts) + FOOTER
    nb = to_notebook(parse(text))
    Path(out).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    import subprocess
    subprocess.run(["nbdev_clean", "--fname", str(out)], check=True)  # write exactly what nbdev_clean would
    print(f"wrote {out} from {[p.name for p in parts]}")

if __name__ == "__main__":
    main(*sys.argv[1:])
