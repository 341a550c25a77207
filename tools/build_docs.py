"""Offline docs: execute the notebooks (cached) and render them with MkDocs + Material + mkdocs-jupyter into _docs/.

The site users get is the nbdev/Quarto one (`nbdev_docs`, `.github/workflows/deploy.yaml`). Quarto cannot
be installed everywhere, so this builds the same pages, in the same sidebar (read from `nbs/_quarto.yml`),
with maintained tools instead of hand-written HTML:

- **MkDocs + Material for MkDocs** (theme, navigation, client-side search whose index the `offline`
  plugin inlines so it works from `file://`), **mkdocs-jupyter** (nbconvert's notebook rendering: rich
  outputs, figures as embedded PNGs, math left for MathJax, a render cache keyed by content). Chosen over
  jupyter-book 2 (a Node.js program that downloads its own runtime and theme: fails offline) and
  Sphinx + myst-nb (would work, but it re-executes through jupyter-cache, which cannot skip nbdev's
  `#| slow`/`#| cuda`/`#| hub` cells, and its API pages come from autodoc, which ignores docments).
  A bare nbconvert template would mean writing the navigation and the search ourselves again.
- Material's `offline` plugin fetches the small `iframe-worker` shim (search from `file://`) from a CDN;
  a copy of it from its npm package is in `tools/vendor/` and goes into the site instead.
- **MathJax 2.7** is vendored from the PyPI package `jupyter-server-mathjax` (the version nbconvert's
  templates are written for), copied into the site: no CDN.
- **API docs** are nbdev's own `show_doc`: a `show_doc(name)` cell is added after every export cell, as
  nbdev's `add_show_docs` does, and runs with the notebook. nbdev 2.4 / fastcore 1.14 put docments
  comments (`def f(x:int, # what x is)`) into the signature; this build adds fastcore's `DocmentTbl`
  below it, a table with one row per documented parameter (Type, Default, Details).
- **Execution**: every notebook runs in its own Python process with execnb, the way `nbdev_test` runs
  it (cells flagged `#| slow`, `#| cuda`, `#| hub` shown but not run). Figures a cell closes to save
  memory are shown before they are closed. The executed notebook is cached under `.cache/docs/exec/`,
  keyed by the SHA-256 of the notebook and of every file of the library, so a rebuild with nothing
  changed executes nothing and takes seconds.

    pip install -e ".[docs]"                  # mkdocs-material, mkdocs-jupyter, jupyter-server-mathjax
    python tools/build_docs.py                # execute (cached) and render into _docs/
    python tools/build_docs.py --only 00_core 19_plots   # just these pages (quick iteration)
    python tools/build_docs.py --no-exec      # render without executing (no outputs)
    python tools/build_docs.py --execute-in-place        # CI before `nbdev_docs`: write outputs into nbs/
"""
from __future__ import annotations
import argparse, ast, hashlib, html, json, os, re, shutil, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# jsonschema (under nbformat) imports the optional rfc3987_syntax, which compiles a Lark grammar on import:
# 15-20 s in every process. Its IRI format checks are never used here, so it is left out.
sys.modules.setdefault("rfc3987_syntax", None)
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NBS, OUT, LIB = ROOT/"nbs", ROOT/"_docs", ROOT/"circuit_gen"
CACHE = ROOT/".cache"/"docs"
VENDOR = ROOT/"tools"/"vendor"   # iframe-worker: Material's search shim for file://, vendored from its npm package
SKIP_FLAGS = {"slow", "cuda", "hub"}
DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(.*)$")
EXEC_VERSION = "5"   # bump when the way notebooks are executed changes: invalidates the cache
SHOWDOC_TAG = "docs-show-doc"   # metadata key of the show_doc cells this tool adds
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"

# ---------------------------------------------------------------- notebook directives and transforms

def directives(src: str) -> dict[str, list[str]]:
    "nbdev `#| name args` directives at the top of a cell."
    out = {}
    for line in src.splitlines():
        m = DIRECTIVE.match(line)
        if not m:
            if line.strip(): break
            continue
        parts = m.group(1).split()
        if parts: out[parts[0].rstrip(":")] = parts[1:]
    return out

def strip_directives(src: str) -> str:
    return "\n".join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip("\n")

def _is_export(d: dict) -> bool: return bool({"export", "exports"} & d.keys())

def _skipped(cell) -> bool:
    "Cells `nbdev_test` would not run."
    if cell.cell_type != "code": return True
    if "nbdev_export(" in cell.source: return True
    d = directives(cell.source)
    return bool(SKIP_FLAGS & d.keys()) or d.get("eval", [""])[0].lower() == "false"

def doc_names(src: str) -> list[str]:
    "Names nbdev's `add_show_docs` documents for an export cell: public defs and classes, `@patch` methods as `Cls.meth`."
    try: tree = ast.parse(strip_directives(src))
    except SyntaxError: return []
    def name(n):   # nbdev's showdoc_nm, imported only for `@patch` (importing nbdev costs seconds, once per build)
        if not any("patch" in ast.unparse(d) for d in getattr(n, "decorator_list", [])): return n.name
        from nbdev.showdoc import showdoc_nm
        return showdoc_nm(n)
    return [name(n) for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and (not n.name.startswith("_") or n.name.startswith("__"))]

def add_show_docs(nb) -> None:
    "Insert a `show_doc(name)` cell after each export cell (unless the notebook shows it already), as nbdev does."
    shown = set(re.findall(r"^show_doc\(\s*([\w.]+)", "\n".join(c.source for c in nb.cells if c.cell_type == "code"), re.M))
    cells = []
    for c in nb.cells:
        cells.append(c)
        if c.cell_type != "code": continue
        d = directives(c.source)
        if not _is_export(d) or "hide" in d: continue
        for nm in doc_names(c.source):
            if nm in shown: continue
            cells.append(nbformat.v4.new_code_cell(f"show_doc({nm})", metadata={SHOWDOC_TAG: True}))
    nb.cells = cells

def api_doc(src: str) -> str:
    "Fallback API docs (signature + docstring) for the public defs in `src`, used when show_doc did not run."
    try: tree = ast.parse(src)
    except SyntaxError: return ""
    parts = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if isinstance(node, ast.ClassDef):
                sig = f"class {node.name}"
                init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                if init: sig += "(" + ast.unparse(init.args).replace("self, ", "").replace("self", "") + ")"
            else:
                sig = f"{node.name}({ast.unparse(node.args)})" + (f" -> {ast.unparse(node.returns)}" if node.returns else "")
            doc = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(ast.get_docstring(node) or ""))
            parts.append(f"<div class='api'><code class='sig'>{html.escape(sig)}</code><p>{doc}</p></div>")
    return "\n".join(parts)

def title_of(nb) -> tuple[str, str]:
    for c in nb.cells:
        if c.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", c.source, re.M)
            if m:
                d = re.search(r"^>\s*(.+)$", c.source, re.M)
                return m.group(1).strip(), (d.group(1).strip() if d else "")
    return "", ""

_SRC_LINK = re.compile(r"\[source\]\(([^)]*)\)\{([^}]*)\}")

def showdoc_markdown(md: str) -> str:
    "nbdev's show_doc markdown without Quarto-only syntax (`[source](url){target=...}` becomes an HTML link)."
    def link(m):
        url = re.sub(r"#LNone$", "", m.group(1))
        return f'<a class="showdoc-source" href="{html.escape(url)}" target="_blank">source</a>'
    return _SRC_LINK.sub(link, md).replace("---\n\n", "", 1)

def _markdown_output(cell) -> str | None:
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if "text/markdown" in data:
            t = data["text/markdown"]
            return "".join(t) if isinstance(t, list) else t
    return None

_PROGRESS = re.compile(r"^(?P<desc>[^|\n]*?)\s*\d+%\|")

def squash_progress(text: str) -> str:
    "Keep only the last state of each tqdm bar (a log of every update is noise on a page)."
    out = []
    for line in re.split(r"[\r\n]", text):
        m, prev = _PROGRESS.match(line), _PROGRESS.match(out[-1]) if out else None
        if m and prev and prev.group("desc") == m.group("desc"): out[-1] = line
        elif line.strip(): out.append(line)
    return "\n".join(out) + ("\n" if out else "")

def _page_outputs(outputs):
    res = []
    for o in outputs:
        if o.get("output_type") == "stream":
            t = o.get("text", "")
            o = nbformat.from_dict({**o, "text": squash_progress("".join(t) if isinstance(t, list) else t)})
        res.append(o)
    return res

def _md_cell(src: str) -> nbformat.NotebookNode:
    "A markdown cell, without nbformat's per-cell schema validation and its random id (`for_docs` numbers the cells)."
    return nbformat.from_dict({"cell_type": "markdown", "metadata": {}, "source": src})

def for_docs(nb) -> nbformat.NotebookNode:
    "The page: hidden cells dropped, directives stripped, export cells as show_doc tables then their folded source."
    cells, src_cells = [], list(nb.cells)
    for i, c in enumerate(src_cells):
        if c.cell_type == "markdown": c = nbformat.from_dict({**c, "source": ipynb_links(c.source)})
        if c.cell_type != "code": cells.append(c); continue
        d = directives(c.source)
        if "hide" in d or "default_exp" in d or "nbdev_export(" in c.source: continue
        if d.get("include", [""])[0].lower() == "false" or c.metadata.get(SHOWDOC_TAG): continue
        src = strip_directives(c.source)
        if _is_export(d):
            docs = []
            for x in src_cells[i+1:]:   # the show_doc cells added right after this export cell
                if not x.metadata.get(SHOWDOC_TAG): break
                md = _markdown_output(x)
                if md: docs.append(_md_cell(
                    f"<div class='showdoc' markdown>\n\n{showdoc_markdown(md)}\n\n</div>"))
            if not docs and doc_names(c.source):
                doc = api_doc(src)
                if doc: docs.append(_md_cell(doc))
            cells += docs
            if docs or "exports" in d:   # nbdev hides the source of `#| export` cells; keep it one click away
                cells.append(_md_cell(
                    "<details class='source'><summary>source</summary>\n\n```python\n" + src + "\n```\n</details>"))
            continue
        flagged = sorted(SKIP_FLAGS & d.keys())
        if flagged:
            cells.append(_md_cell(
                f"<p class='flag'>Not run in this build: needs <b>{', '.join(flagged)}</b>.</p>"))
        outputs = [] if d.get("output", [""])[0].lower() == "false" else _page_outputs(c.get("outputs", []))
        new = nbformat.from_dict({"cell_type": "code", "metadata": {}, "source": src, "outputs": outputs,
                                  "execution_count": None})
        if d.get("echo", [""])[0].lower() == "false": new.metadata["tags"] = ["hide-input"]
        cells.append(new)
    for i, c in enumerate(cells):   # stable ids: the same notebook gives the same page file, which MkDocs' cache then reuses
        c["id"] = f"docs-{i}"
    return nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": nb.metadata, "cells": cells})

# ---------------------------------------------------------------- execution, one process per notebook, cached

# Run in the notebook's shell before its cells. A figure a cell closes (to free memory, as the experiment
# notebooks do after saving it) is displayed first, so the page shows every figure the notebook drew.
_PREAMBLE = r'''
import matplotlib.pyplot as _docs_plt
from matplotlib.figure import Figure as _DocsFigure
from IPython.display import display as _docs_display
_docs_close = _docs_plt.close
def _docs_close_and_show(fig=None):
    figs = [_docs_plt.figure(n) for n in _docs_plt.get_fignums()] if fig == "all" else \
        [fig] if isinstance(fig, _DocsFigure) else \
        ([_docs_plt.gcf()] if _docs_plt.get_fignums() else []) if fig is None else \
        [_docs_plt.figure(fig)] if fig in _docs_plt.get_fignums() or fig in _docs_plt.get_figlabels() else []
    for f in figs:
        if f.axes and not getattr(f, "_docs_shown", False):
            f._docs_shown = True
            _docs_display(f)
    return _docs_close(fig)
_docs_plt.close = _docs_close_and_show

# nbdev's show_doc (fastcore >= 1.8) writes docments as comments in the signature; add fastcore's
# DocmentTbl below it, so every documented parameter gets a row (Type, Default, Details) as nbdev sites had
import re as _docs_re, nbdev.showdoc as _docs_sd, fastcore.docments as _docs_dm
from fastcore.docments import DocmentTbl as _DocsTbl
# a `|` in a cell (`int | None`, `|score|`) would end the cell and break the whole table: escape it
_docs_dm._list2row = lambda l: "| " + " | ".join(_docs_dm._maybe_nm(o).replace("|", "\\|") for o in l) + " |"
class _DocsRenderer(_docs_sd.BasicMarkdownRenderer):
    def _repr_markdown_(self):
        md = super()._repr_markdown_()
        try: tbl = _DocsTbl(self.sym)._repr_markdown_()
        except Exception: tbl = ""
        if not tbl: return md
        md = _docs_re.sub(r"```python\n.*?```", lambda m: _docs_re.sub(r"[ \t]+# [^\n]*", "", m.group(0)), md, count=1, flags=_docs_re.S)
        return md + "\n\n" + tbl
_docs_sd.BasicMarkdownRenderer = _DocsRenderer
from nbdev.showdoc import show_doc
'''

def library_hash(lib: Path = LIB) -> str:
    "SHA-256 over every file of the library (code, shipped weights, experiment files): any change re-executes every notebook."
    h = hashlib.sha256()
    for p in sorted(p for p in lib.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"):
        h.update(str(p.relative_to(lib)).encode()); h.update(p.read_bytes())
    return h.hexdigest()

def cache_key(path: Path, lib_hash: str, name: str = "") -> str:
    "Content hash of the notebook, the library, the way it runs, and its page path (it runs in its own folder)."
    h = hashlib.sha256(path.read_bytes())
    h.update(lib_hash.encode()); h.update(f"{EXEC_VERSION} {sorted(SKIP_FLAGS)} {name}".encode())
    return h.hexdigest()[:20]

def cache_stem(name: str) -> str:
    "File-name prefix of a page's cache entries: `collapse/22_p1.ipynb` -> `collapse--22_p1`."
    return name[:-len(".ipynb")].replace("/", "--") if name.endswith(".ipynb") else name.replace("/", "--")

def execute(path: Path) -> tuple[nbformat.NotebookNode, float, str | None]:
    "Run `path` like nbdev_test (flagged cells skipped) with show_doc cells added; return (nb, seconds, error)."
    from execnb.nbio import dict2nb
    from execnb.shell import CaptureShell
    nb = nbformat.read(path, as_version=4)
    add_show_docs(nb)
    enb = dict2nb(json.loads(nbformat.writes(nb)))
    enb["path_"] = str(path)
    t0, err = time.time(), None
    shell = CaptureShell(path)
    cwd = os.getcwd(); os.chdir(path.parent)
    try:
        shell.run(_PREAMBLE)
        if shell.exc: raise shell.exc
        shell.run_all(enb, exc_stop=True, preproc=lambda c: _skipped(c) or bool(c.metadata.get(SHOWDOC_TAG) and c.get("outputs")))
    except Exception as e: err = f"{type(e).__name__}: {e}"
    finally:
        if err:   # the notebook stopped: still document its exports from the library module
            for c in enb.cells:
                if c.metadata.get(SHOWDOC_TAG) and not c.get("outputs"): shell.cell(c)
        os.chdir(cwd)
    return _to_nbformat(enb), time.time() - t0, err

def _to_nbformat(nb) -> nbformat.NotebookNode:
    "execnb's notebook, without its private `*_` cell attributes, as a validated nbformat node."
    d = {k: v for k, v in dict(nb).items() if not k.endswith("_")}
    d["cells"] = [{k: v for k, v in dict(c).items() if not k.endswith("_")} for c in nb.cells]
    for c in d["cells"]:
        if c["cell_type"] == "code": c.setdefault("outputs", []); c.setdefault("execution_count", None)
    return nbformat.from_dict(json.loads(json.dumps(d, default=list)))

def _exec_one(src, dst):
    nb, secs, err = execute(Path(src))
    nbformat.write(nb, dst)
    Path(dst).with_suffix(".json").write_text(json.dumps({"error": err, "seconds": secs}))

def _read_nb(path: Path) -> nbformat.NotebookNode:
    "A notebook this tool wrote itself, read without nbformat's schema validation (a second per large notebook)."
    from nbformat.v4.nbjson import JSONReader
    return JSONReader().to_notebook(json.loads(path.read_text()))   # as nbformat.read: multi-line sources joined

def executed(path: Path, cache: Path, lib_hash: str, timeout: float, lib: Path = LIB,
             name: str | None = None, run: bool = True) -> tuple[nbformat.NotebookNode, float, str | None, bool]:
    "The executed notebook from the cache, or (if `run`) run it in its own process and cache it: (nb, seconds, error, cached)."
    name = name or path.name
    stem, key = cache_stem(name), cache_key(path, lib_hash, name)
    nb_file, meta_file = cache/f"{stem}.{key}.ipynb", cache/f"{stem}.{key}.json"
    if nb_file.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        return _read_nb(nb_file), meta["seconds"], meta["error"], True
    if not run: return nbformat.read(path, as_version=4), 0.0, None, False
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache/f"{stem}.{key}.tmp.ipynb"
    t0 = time.time()
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(lib.parent), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        r = subprocess.run([sys.executable, __file__, "--exec-one", str(path), str(tmp)],
                           capture_output=True, text=True, timeout=timeout, env=env)
        rc, tail = r.returncode, (r.stderr or r.stdout or "").strip().splitlines()[-3:]
    except subprocess.TimeoutExpired: rc, tail = "timeout", [f"ran past {timeout:.0f} s"]
    secs = time.time() - t0
    if not tmp.exists():
        return nbformat.read(path, as_version=4), secs, f"the executing process died ({rc}): {' | '.join(tail)}", False
    meta = json.loads(tmp.with_suffix(".json").read_text())
    for old in cache.glob(f"{stem}.*"):   # one cached version per notebook
        if old.name.split(".")[0] == stem and not old.name.startswith(f"{stem}.{key}.tmp"): old.unlink()
    tmp.with_suffix(".json").replace(meta_file)
    tmp.replace(nb_file)
    return _read_nb(nb_file), meta["seconds"], meta["error"], False

def without_added_cells(nb) -> nbformat.NotebookNode:
    "The executed notebook as its author wrote it (the show_doc cells this tool added removed): for `nbdev_docs`."
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.cells = [c for c in nb.cells if not c.metadata.get(SHOWDOC_TAG)]
    return nb

# ---------------------------------------------------------------- sidebar and site

def _skipped_folder(name: str) -> bool: return name.startswith((".", "_")) or name == "images"

def notebooks(nbs: Path) -> list[Path]:
    "Every notebook under `nbs`, subfolders included (not folders starting with `_` or `.`, nor `images`), by page path."
    found = []
    for dirpath, dirnames, filenames in os.walk(nbs):
        dirnames[:] = [d for d in dirnames if not _skipped_folder(d)]   # pruned: never walks into .ipynb_checkpoints, _proc...
        found += [Path(dirpath)/f for f in filenames if f.endswith(".ipynb") and not f.startswith((".", "_"))]
    return sorted(found, key=lambda p: page_name(p, nbs))

def page_name(path: Path, nbs: Path) -> str:
    "The notebook's path under `nbs`, as the sidebar of `_quarto.yml` lists it: `collapse/22_p1_entropy_grokking.ipynb`."
    return path.relative_to(nbs).as_posix()

def sidebar(nbs: Path) -> list[tuple[str | None, list[str]]]:
    "The sidebar of `nbs/_quarto.yml` as [(section or None, [notebook file names])]; unlisted notebooks go last."
    import yaml
    cfg = yaml.safe_load((nbs/"_quarto.yml").read_text()) if (nbs/"_quarto.yml").exists() else {}
    contents = ((cfg or {}).get("website", {}).get("sidebar", {}) or {}).get("contents", []) or []
    groups, seen = [], set()
    def files(items):
        out = []
        for it in items:
            if isinstance(it, str): out.append(it)
            elif isinstance(it, dict) and "href" in it: out.append(it["href"])
            elif isinstance(it, dict) and "contents" in it: out += files(it["contents"])
        return out
    for it in contents:
        if isinstance(it, dict) and "section" in it: groups.append((it["section"], files(it.get("contents", []))))
        else: groups.append((None, files([it])))
    for _, fs in groups: seen.update(fs)
    rest = [page_name(p, nbs) for p in notebooks(nbs) if page_name(p, nbs) not in seen]
    if rest:
        print(f"[docs] not in the sidebar of {nbs/'_quarto.yml'} (listed under 'Other'): {rest}", flush=True)
        groups.append(("Other", rest))
    return groups

# An MkDocs hook: Material's search plugin parses every page's HTML on every build (most of a rebuild's time);
# its index entries are cached here by page content, so an unchanged page is not parsed again.
SEARCH_CACHE_HOOK = r'''
import hashlib, json, os
from material.plugins.search.plugin import SearchIndex
_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "search-cache.json")
try: _cache = json.load(open(_FILE))
except (OSError, ValueError): _cache = {}
_used, _add = {}, SearchIndex.add_entry_from_context

def _key(page):
    h = hashlib.sha256()
    for part in (page.url, str(page.title), json.dumps(page.meta, sort_keys=True, default=str), page.content or ""):
        h.update(part.encode()); h.update(b"\\0")
    return h.hexdigest()

def _add_cached(self, page):
    key = _key(page)
    if key not in _cache:
        n = len(self.entries)
        _add(self, page)
        _cache[key] = self.entries[n:]
    else: self.entries.extend(_cache[key])
    _used[key] = _cache[key]

SearchIndex.add_entry_from_context = _add_cached

def on_post_build(config):
    with open(_FILE + ".tmp", "w") as f: json.dump(_used, f)   # only this build's pages: the cache never grows stale
    os.replace(_FILE + ".tmp", _FILE)
'''

def mathjax_dir() -> Path:
    try: import jupyter_server_mathjax
    except ImportError: sys.exit("MathJax comes from the package jupyter-server-mathjax: pip install -e '.[docs]'")
    return Path(jupyter_server_mathjax.__file__).parent/"static"

def mkdocs_config(nbs: Path, pages: dict[str, str], src: Path, out: Path) -> dict:
    from configparser import ConfigParser
    ini = ConfigParser(delimiters=["="]); ini.read(ROOT/"settings.ini")
    s = ini["DEFAULT"] if "DEFAULT" in ini else {}
    nav = []
    for section, fs in sidebar(nbs):
        items = [{pages[f]: f} for f in fs if f in pages]
        if not items: continue
        if section is None: nav += items
        else: nav.append({section: items})
    return {
        "site_name": s.get("title", "circuit_gen"), "site_description": s.get("description", ""),
        "repo_url": s.get("git_url", ""), "docs_dir": str(src/"docs"), "site_dir": str(out),
        "use_directory_urls": False,   # pages open from file:// without a server
        "theme": {"name": "material", "features": ["navigation.sections", "navigation.top", "search.highlight",
                                                   "search.suggest", "search.share", "toc.follow",
                                                   "content.code.copy"]},
        "plugins": ["search",
                    {"mkdocs-jupyter": {"execute": False, "include_source": True, "ignore_h1_titles": True,   # the nav label is the title above; mkdocs-jupyter's own drops `code` spans
                                        "include_requirejs": False, "toc_depth": 3, "theme": "light",
                                        "remove_tag_config": {"remove_input_tags": ["hide-input"]},
                                        "custom_mathjax_url": f"assets/mathjax/MathJax.js?config={MATHJAX_CONFIG}",
                                        "cache": True, "cache_dir": str(src/"html-cache")}},
                    "offline"],   # inlines the search index so search works from file://
        "markdown_extensions": ["tables", "admonition", "attr_list", "md_in_html", {"toc": {"permalink": True}}],
        "extra_css": ["assets/styles.css"],
        # the offline plugin would load this shim (search from file://) from a CDN unless a copy is named here
        "extra": {"polyfills": ["assets/iframe-worker/shim.js"]},
        "hooks": [str(src/"search_cache_hook.py")],
        "nav": nav,
    }

def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text: path.write_text(text)

def _copy_once(src: Path, dst: Path) -> None:
    "Copy the folder `src` to `dst` unless the copy is there already (a stamp names where it came from)."
    stamp, want = dst/".copied-from", f"{src.resolve()} {sum(1 for _ in src.rglob('*'))}"
    if stamp.exists() and stamp.read_text() == want: return
    if dst.exists(): shutil.rmtree(dst)
    shutil.copytree(src, dst)
    stamp.write_text(want)

def render_site(nbs: Path, docs: dict[str, nbformat.NotebookNode], src: Path, out: Path) -> None:
    "Write the pages and a mkdocs.yml under `src`, then `mkdocs build` into `out`."
    import yaml
    from nbformat.v4.nbjson import writes as nb_json   # nbformat.write without its schema validation (slow on big pages)
    d = src/"docs"   # kept between builds: only changed pages are written, so a rebuild with nothing changed writes nothing
    (d/"assets").mkdir(parents=True, exist_ok=True)
    pages = {}
    for name, nb in docs.items():
        (d/name).parent.mkdir(parents=True, exist_ok=True)
        _write_if_changed(d/name, nb_json(nb) + "\n")
        pages[name] = re.sub(r"`([^`]*)`", r"\1", title_of(nb)[0]) or Path(name).stem   # nav labels are plain text
        for f in linked_files(nb, nbs/name, nbs):   # figures and files the prose links to, where the link expects them
            dst = d/f.relative_to(nbs.resolve())
            if not dst.exists(): dst.parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, dst)
    for old in d.rglob("*.ipynb"):   # pages of notebooks gone, moved, or not in this `--only` build
        if old.relative_to(d).as_posix() not in pages: old.unlink()
    _copy_once(mathjax_dir(), d/"assets"/"mathjax")
    _copy_once(VENDOR/"iframe-worker", d/"assets"/"iframe-worker")
    for dirpath, dirnames, _ in os.walk(nbs):   # every images/ folder (nbs/images, nbs/collapse/images...), in place
        if "images" in dirnames:
            folder = Path(dirpath)/"images"
            shutil.copytree(folder, d/folder.relative_to(nbs), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.ipynb", ".*"))   # a notebook here would become a page
        dirnames[:] = [x for x in dirnames if not _skipped_folder(x)]
    css = (nbs/"styles.css").read_text() if (nbs/"styles.css").exists() else ""
    _write_if_changed(d/"assets"/"styles.css", css)
    _write_if_changed(src/"search_cache_hook.py", SEARCH_CACHE_HOOK)
    cfg = src/"mkdocs.yml"
    _write_if_changed(cfg, yaml.safe_dump(mkdocs_config(nbs, pages, src, out), sort_keys=False))
    run_mkdocs = "import sys; sys.modules['rfc3987_syntax'] = None; from mkdocs.__main__ import cli; cli()"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([sys.executable, "-c", run_mkdocs, "build", "-q", "-f", str(cfg)], capture_output=True, text=True, env=env)
    if r.returncode: raise SystemExit(f"mkdocs build failed:\n{r.stdout}\n{r.stderr}")
    fix_asset_urls(out, [n for n in pages if "/" in n])

_LOCAL = r"(?![a-zA-Z][\w+.-]*:|/|#)"   # a relative URL: no scheme, not absolute, not an anchor
_MD_LINK = re.compile(r"(!?\[[^\]]*\]\()" + _LOCAL + r"([^)\s]+?)(\s+\"[^\"]*\")?\)")
_HTML_LINK = re.compile(r"""((?:src|href)=["'])""" + _LOCAL + r"""([^"'#?]+)""")

def ipynb_links(md: str) -> str:
    "Relative links to notebooks (`07_entropy.ipynb#sec`, `../collapse/22_p1.ipynb`) as links to their pages (`.html`)."
    fix = lambda m: m.group(0).replace(".ipynb", ".html", 1) if re.search(r"\.ipynb(?:#|$)", m.group(2)) else m.group(0)
    return _HTML_LINK.sub(fix, _MD_LINK.sub(fix, md))

def linked_files(nb, path: Path, nbs: Path) -> list[Path]:
    "Files (not notebooks) that markdown cells of the notebook at `path` link to by relative path, and that exist under `nbs`."
    out = []
    for c in nb.cells:
        if c.cell_type != "markdown": continue
        for m in list(_MD_LINK.finditer(c.source)) + list(_HTML_LINK.finditer(c.source)):
            target = m.group(2).split("#")[0].split("?")[0]
            f = (path.parent/target).resolve()
            if target and not target.endswith((".ipynb", ".html")) and f.is_file(): out.append(f)
    return [f for f in out if f.is_relative_to(nbs.resolve())]

def fix_asset_urls(out: Path, names: list[str]) -> None:
    "Point pages in subfolders at the site's assets: mkdocs-jupyter writes the MathJax URL as given, relative to the site root."
    for name in names:
        page = out/(name[:-len(".ipynb")] + ".html")
        if not page.exists(): continue
        up = "../" * name.count("/")
        text = page.read_text()
        new = re.sub(r"""(src=["'])(assets/mathjax/)""", lambda m: m.group(1) + up + m.group(2), text)
        if new != text: page.write_text(new)

def banner(err: str) -> nbformat.NotebookNode:
    return _md_cell(
        f"<div class='cg-err'>This notebook stopped with an error in the docs build: <code>{html.escape(err)}</code></div>")

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="notebooks to build, by stem (`00_core`) or path under nbs/ "
                                              "(`collapse/22_p1_entropy_grokking`); default: all")
    ap.add_argument("--no-exec", action="store_true", help="render without executing (no outputs)")
    ap.add_argument("--cached-only", action="store_true",
                    help="outputs from the cache where it has them, other pages without outputs (a quick look; runs nothing)")
    ap.add_argument("--execute-in-place", action="store_true",
                    help="execute (cached) and write the outputs into the notebooks themselves, for `nbdev_docs` in CI")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds one notebook may run")
    ap.add_argument("--nbs", default=str(NBS), help="notebook folder (with _quarto.yml and styles.css)")
    ap.add_argument("--out", default=str(OUT), help="site folder")
    ap.add_argument("--cache", default=str(CACHE), help="cache folder (executed notebooks, page sources)")
    ap.add_argument("--lib", default=str(LIB), help="the library package the notebooks import (its files are in the cache key)")
    a = ap.parse_args(argv)
    nbs, out, cache = Path(a.nbs).resolve(), Path(a.out).resolve(), Path(a.cache).resolve()
    def aliases(p):
        name = page_name(p, nbs)
        return {p.stem, name, name[:-len(".ipynb")]}
    todo = [p for p in notebooks(nbs) if not a.only or aliases(p) & set(a.only)]
    unknown = sorted(set(a.only or []) - set().union(*map(aliases, todo)))
    if unknown: sys.exit(f"no such notebooks: {unknown}")
    lib = Path(a.lib).resolve()
    t0, lib_hash = time.time(), library_hash(lib)

    def work(p):
        if a.no_exec: return p, nbformat.read(p, as_version=4), 0.0, None, False
        return (p, *executed(p, cache/"exec", lib_hash, a.timeout, lib, page_name(p, nbs), run=not a.cached_only))
    docs, failed = {}, []
    with ThreadPoolExecutor(max(1, a.workers)) as ex:
        for p, nb, secs, err, hit in ex.map(work, todo):
            name = page_name(p, nbs)
            state = "cached" if hit else "not run" if a.no_exec or a.cached_only else f"{secs:6.1f}s"
            print(f"[docs] {name[:-len('.ipynb')]:40s} {state:>7s} {'ERROR ' + err if err else 'ok'}", flush=True)
            if err: failed.append(name)
            if a.execute_in_place: nbformat.write(without_added_cells(nb), p); continue
            page = for_docs(nb)
            if err: page.cells.insert(1 if page.cells else 0, nbformat.from_dict({**banner(err), "id": "docs-error"}))
            docs[name] = page
    if not a.execute_in_place:
        render_site(nbs, docs, cache/"site-src", out)
        print(f"[docs] wrote {len(docs)} pages to {out} in {time.time() - t0:.1f}s"
              + (f"; {len(failed)} with errors: {failed}" if failed else ""))
    return 1 if failed else 0

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--exec-one": _exec_one(sys.argv[2], sys.argv[3]); sys.exit(0)
    sys.exit(main())
