"""The offline docs build (tools/build_docs.py) on two tiny notebooks, and the Quarto site's configuration.

Builds into a temp dir and checks what a reader needs: equations left for the vendored MathJax, figures as
images, nbdev parameter tables, a search index, flagged cells not run, and a second build that executes
nothing. Needs the docs extra (`pip install -e ".[docs]"`); skipped without it.
"""
import re, sys, time
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)   # a 15 s import under nbformat, not needed (see tools/build_docs.py)
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/"tools"))
import build_docs  # noqa: E402

QUARTO = """
website:
  sidebar:
    contents:
      - index.ipynb
      - section: Library
        contents:
          - 00_mini.ipynb
      - section: Experiments
        contents:
          - lines/22_exp.ipynb
"""

MODULE_CELLS = [
    ("markdown", "# mini\n\n> A tiny module.\n\nThe energy is $E = mc^2$, and in display:\n\n$$\\sum_i x_i^2$$"),
    ("code", "#| export\ndef scale(x:float, # the value to scale\n          k:float=2.0, # the factor\n"
             "          offset:float|None=None, # added if given (|offset| unbounded)\n"
             "         )->float: # the scaled value\n    \"Multiply `x` by `k`.\"\n    return x * k + (offset or 0)"),
    ("code", "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\nax.plot([1, 3, 2])\n"
             "plt.close(fig)   # closed, as the experiment notebooks do after saving: the page still shows it"),
    ("code", "#| slow\nraise RuntimeError('a slow cell must not run in the docs build')"),
    ("code", "#| hide\nhidden_value = 41"),
    ("code", "scale(3.0) + hidden_value - 41"),
]


def _write_nb(path, cells):
    mk = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb = nbformat.v4.new_notebook(cells=[mk[t](s) for t, s in cells],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "python3", "language": "python"}})
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    pytest.importorskip("mkdocs_jupyter", reason="needs the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("material", reason="needs the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("jupyter_server_mathjax", reason="needs the docs extra: pip install -e '.[docs]'")
    tmp = tmp_path_factory.mktemp("docs")
    nbs, lib = tmp/"nbs", tmp/"lib"/"minilib"
    nbs.mkdir(); lib.mkdir(parents=True)
    (lib/"__init__.py").write_text("VERSION = 1\n")
    (nbs/"_quarto.yml").write_text(QUARTO)
    (nbs/"styles.css").write_text((ROOT/"nbs"/"styles.css").read_text())
    _write_nb(nbs/"index.ipynb", [("markdown", "# minidocs\n\n> The home page.")])
    _write_nb(nbs/"00_mini.ipynb", MODULE_CELLS)
    # an experiment in a subfolder, as nbs/collapse/22_p1_entropy_grokking.ipynb: links and figures relative to its folder
    (nbs/"lines"/"images").mkdir(parents=True)
    (nbs/"lines"/"images"/"fig.png").write_bytes((ROOT/"nbs"/"images"/"graph_viewer.png").read_bytes())
    _write_nb(nbs/"lines"/"22_exp.ipynb", [
        ("markdown", "# An experiment\n\n> In a folder.\n\nUses [scale](../00_mini.ipynb#scale); "
                     "$$\\int_0^1 x\\,dx$$\n\n![a figure](images/fig.png)"),
        ("code", "from pathlib import Path\nPath.cwd().name")])
    for skipped in ("_proc", ".ipynb_checkpoints", "images"):   # never pages
        (nbs/skipped).mkdir(exist_ok=True); _write_nb(nbs/skipped/"not_a_page.ipynb", [("markdown", "# no")])
    args = ["--nbs", str(nbs), "--out", str(tmp/"site"), "--cache", str(tmp/"cache"), "--lib", str(lib), "--workers", "2"]
    return tmp, args


def _build(args, capsys):
    t0 = time.time()
    rc = build_docs.main(args)
    return rc, capsys.readouterr().out, time.time() - t0


def test_first_build_renders_math_figures_tables_and_search(built, capsys):
    tmp, args = built
    rc, out, _ = _build(args, capsys)
    assert rc == 0, out
    page = (tmp/"site"/"00_mini.html").read_text()
    # math: left as TeX for MathJax, which is loaded from the site itself (no CDN)
    assert "$E = mc^2$" in page and "\\sum_i x_i^2" in page
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any(s.startswith("assets/mathjax/MathJax.js") for s in srcs), srcs
    assert not [s for s in srcs if s.startswith(("http:", "https:", "//"))], srcs
    assert (tmp/"site"/"assets"/"mathjax"/"MathJax.js").exists()
    # the figure the cell closed is on the page as an image
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page)
    # nbdev show_doc with docments: a parameter table
    table = re.search(r"<table>.*?</table>", page, re.S)
    assert table and "the value to scale" in table.group(0) and "the factor" in table.group(0), page[:2000]
    assert "the scaled value" in table.group(0)
    assert "added if given" in table.group(0) and "float | None" in table.group(0)   # a `|` in a cell keeps the table
    # flagged cell shown, not run; hidden cell not shown; the cell after it ran (6.0)
    assert "Not run in this build" in page and "cg-err" not in page and "Traceback" not in page
    assert "hidden_value = 41" not in page and "6.0" in page
    # search: an index that the offline plugin inlines for file:// use, holding the API name
    index = (tmp/"site"/"search"/"search_index.js").read_text()
    assert "scale" in index and "minidocs" in index
    # navigation from the _quarto.yml sidebar
    home = (tmp/"site"/"index.html").read_text()
    assert "Library" in home and "00_mini.html" in home and "lines/22_exp.html" in home
    assert not list((tmp/"site").rglob("not_a_page.html"))


def test_pages_in_subfolders_keep_their_folder(built):
    "A notebook in nbs/lines/ is the page lines/22_exp.html: it runs in its folder, its links and figures resolve from there."
    tmp, args = built
    if not (tmp/"site"/"lines"/"22_exp.html").exists(): assert build_docs.main(args) == 0   # run on its own
    page = (tmp/"site"/"lines"/"22_exp.html").read_text()
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any(s.startswith("../assets/mathjax/MathJax.js") for s in srcs), srcs
    assert "\\int_0^1" in page and 'href="../00_mini.html#scale"' in page
    assert 'src="images/fig.png"' in page and (tmp/"site"/"lines"/"images"/"fig.png").exists()
    assert "&#39;lines&#39;" in page or "'lines'" in page   # Path.cwd().name: executed in nbs/lines/


def test_second_build_reuses_the_cache(built, capsys):
    tmp, args = built
    rc, out, secs = _build(args, capsys)
    assert rc == 0, out
    runs = [l for l in out.splitlines() if l.startswith("[docs] ") and ("00_mini" in l or "index" in l)]
    assert len(runs) == 2 and all(" cached " in l for l in runs), out
    assert secs < 60, secs   # "a rebuild with nothing changed takes under a minute" (seconds on an idle machine)
    # a changed library invalidates the cache: the notebook runs again
    (Path(args[args.index("--lib") + 1])/"__init__.py").write_text("VERSION = 2\n")
    rc, out, _ = _build(args + ["--only", "00_mini"], capsys)
    assert rc == 0 and "00_mini" in out and " cached " not in out, out


def test_sidebar_lists_every_notebook():
    groups = build_docs.sidebar(ROOT/"nbs")
    listed = [f for _, fs in groups for f in fs]
    assert "Other" not in [g for g, _ in groups], f"add these notebooks to nbs/_quarto.yml: {dict(groups).get('Other')}"
    assert len(listed) == len(set(listed)), "a notebook is listed twice in nbs/_quarto.yml"
    assert "formats.ipynb" in listed and listed[0] == "index.ipynb"
    assert len([g for g, _ in groups if g]) >= 5   # grouped by research line


def test_deploy_workflow_executes_then_renders_with_quarto():
    wf = yaml.safe_load((ROOT/".github"/"workflows"/"deploy.yaml").read_text())
    steps = wf["jobs"]["deploy"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    uses = " ".join(s.get("uses", "") for s in steps)
    assert "build_docs.py --execute-in-place" in runs and "nbdev_docs" in runs
    assert runs.index("--execute-in-place") < runs.index("nbdev_docs")
    assert "quarto" in uses and "actions-gh-pages" in uses
    cfg = yaml.safe_load((ROOT/"nbs"/"_quarto.yml").read_text())
    assert cfg["website"]["navbar"]["search"] is True
