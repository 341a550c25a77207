"""Offline docs: execute the notebooks and render a static HTML site with navigation into _docs/.

Quarto (which `nbdev_docs` needs) cannot be installed everywhere. This builds the same pages
without it: each notebook in nbs/ is executed the way `nbdev_test` runs it (cells flagged
slow/cuda/hub are shown but not run), `#| hide` cells are dropped, directive lines removed,
exported code is shown as API docs (signature + docstring, source folded), and every page
gets a sidebar of all notebooks.

    python tools/build_docs.py            # execute and render into _docs/
    python tools/build_docs.py --no-exec  # render saved outputs only (fast)
    python tools/build_docs.py --only 00_core
"""
from __future__ import annotations
import argparse, ast, html, os, re, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NBS, OUT = ROOT/"nbs", ROOT/"_docs"
SKIP_FLAGS = {"slow", "cuda", "hub"}
DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(.*)$")

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

def execute(path: Path) -> tuple[nbformat.NotebookNode, float, str | None]:
    "Run `path` like nbdev_test (flagged cells skipped), keeping outputs; return (nb, seconds, error)."
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    nb = read_nb(path)
    def skip(cell):
        if cell.cell_type != "code": return True
        if "nbdev_export(" in cell.source: return True
        d = directives(cell.source)
        return bool(SKIP_FLAGS & d.keys()) or d.get("eval", [""])[0].lower() == "false"
    t0, err = time.time(), None
    shell = CaptureShell(path)
    cwd = os.getcwd(); os.chdir(path.parent)
    try: shell.run_all(nb, exc_stop=True, preproc=skip)
    except Exception as e: err = f"{type(e).__name__}: {e}"
    finally: os.chdir(cwd)
    return _to_nbformat(nb), time.time() - t0, err

def _to_nbformat(nb) -> nbformat.NotebookNode:
    "execnb's notebook, without its private `*_` cell attributes, as a validated nbformat node."
    d = {k: v for k, v in dict(nb).items() if not k.endswith("_")}
    d["cells"] = [{k: v for k, v in dict(c).items() if not k.endswith("_")} for c in nb.cells]
    return nbformat.from_dict(d)

def api_doc(src: str) -> str:
    "Markdown API docs for the top-level functions and classes defined in exported `src`."
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

def for_docs(nb) -> nbformat.NotebookNode:
    "Drop hidden cells, strip directives, turn export cells into API docs with folded source."
    cells = []
    for c in nb.cells:
        if c.cell_type != "code": cells.append(c); continue
        d = directives(c.source)
        if "hide" in d or "default_exp" in d or "nbdev_export(" in c.source: continue
        src = strip_directives(c.source)
        if "export" in d or "exports" in d:
            doc = api_doc(src)
            if doc: cells.append(nbformat.v4.new_markdown_cell(doc))
            cells.append(nbformat.v4.new_markdown_cell(
                "<details><summary>source</summary>\n\n```python\n" + src + "\n```\n</details>"))
            continue
        flagged = sorted(SKIP_FLAGS & d.keys())
        if flagged:
            cells.append(nbformat.v4.new_markdown_cell(f"<p class='flag'>Not run in this build: needs <b>{', '.join(flagged)}</b>.</p>"))
        c = nbformat.v4.new_code_cell(src, outputs=c.get("outputs", []))
        cells.append(c)
    nb2 = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    return nb2

CSS = """
body{margin:0}
#cg-nav{position:fixed;top:0;left:0;bottom:0;width:260px;overflow-y:auto;background:#f6f7f9;border-right:1px solid #ddd;padding:12px 10px;font:14px/1.4 system-ui,sans-serif}
#cg-nav h2{font-size:16px;margin:4px 0 10px} #cg-nav h3{font-size:12px;text-transform:uppercase;color:#667;margin:14px 0 4px}
#cg-nav a{display:block;padding:2px 6px;color:#234;text-decoration:none;border-radius:4px} #cg-nav a.cur{background:#dde6f3;font-weight:600}
#cg-main{margin-left:290px;max-width:1050px}
.api{border-left:3px solid #4a78b5;padding:4px 10px;margin:10px 0;background:#f8fafd} .api code.sig{font-weight:600}
.flag{color:#8a5a00;font-style:italic}
.cg-err{background:#fee;border:1px solid #c66;padding:8px;margin:10px 0}
"""

def nav_html(pages: list[tuple[str, str, str]], current: str) -> str:
    groups = {"Start": [], "Modules": [], "Experiments": [], "Toy models": []}
    for stem, title, group in pages: groups[group].append((stem, title))
    out = ["<nav id='cg-nav'><h2>circuit_gen</h2>"]
    for g, items in groups.items():
        if not items: continue
        out.append(f"<h3>{g}</h3>")
        for stem, title in items:
            cls = " class='cur'" if stem == current else ""
            out.append(f"<a href='{stem}.html'{cls}>{html.escape(title)}</a>")
    return "\n".join(out) + "</nav>"

def group_of(stem: str, nb) -> str:
    if stem == "index": return "Start"
    if any("default_exp" in directives(c.source) for c in nb.cells if c.cell_type == "code"): return "Modules"
    m = re.match(r"(\d+)_", stem)
    return "Toy models" if m and int(m.group(1)) >= 40 else "Experiments"

def render(nb, stem, pages, err=None) -> str:
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(for_docs(nb))
    body = re.sub(r"<script[^>]*(mathjax|MathJax|require\.js)[^>]*>\s*</script>", "", body)  # offline: no CDN scripts
    banner = f"<div class='cg-err'>This notebook stopped with an error in the docs build: {html.escape(err)}</div>" if err else ""
    body = body.replace("</head>", f"<style>{CSS}</style></head>", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav_html(pages, stem) + "<div id='cg-main'>" + banner, body, count=1)
    return body.replace("</body>", "</div></body>", 1)

def _work(args):
    "Execute one notebook in its own Python process (a crash or a kill there costs only that page)."
    import json, subprocess, tempfile
    path, do_exec = args
    if not do_exec: return path, nbformat.read(path, as_version=4), 0.0, None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)/"executed.ipynb"
        t0 = time.time()
        r = subprocess.run([sys.executable, __file__, "--exec-one", str(path), str(out)], capture_output=True, text=True)
        secs = time.time() - t0
        if not out.exists():
            tail = (r.stderr or r.stdout or "").strip().splitlines()[-3:]
            return path, nbformat.read(path, as_version=4), secs, f"the executing process died (exit {r.returncode}): {' | '.join(tail)}"
        meta = json.loads((Path(tmp)/"executed.json").read_text())
        return path, nbformat.read(out, as_version=4), secs, meta["error"]

def _exec_one(src, dst):
    nb, secs, err = execute(Path(src))
    nbformat.write(nb, dst)
    Path(dst).with_suffix(".json").write_text(__import__("json").dumps({"error": err, "seconds": secs}))

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-exec", action="store_true", help="render saved outputs without executing")
    ap.add_argument("--only", nargs="*", help="notebook stems to build (default: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    paths = sorted(p for p in NBS.glob("*.ipynb") if not p.name.startswith("_"))
    paths.sort(key=lambda p: (p.stem != "index", p.stem))
    pages = []
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        pages.append((p.stem, title_of(nb)[0] or p.stem, group_of(p.stem, nb)))
    todo = [p for p in paths if not a.only or p.stem in a.only]
    failed = []
    with ThreadPoolExecutor(a.workers) as ex:
        for path, nb, secs, err in ex.map(_work, [(p, not a.no_exec) for p in todo]):
            (out/f"{path.stem}.html").write_text(render(nb, path.stem, pages, err))
            print(f"[docs] {path.stem:32s} {secs:6.1f}s {'ERROR ' + err if err else 'ok'}", flush=True)
            if err: failed.append(path.stem)
    print(f"[docs] wrote {len(todo)} pages to {out}" + (f"; {len(failed)} with errors: {failed}" if failed else ""))
    return 1 if failed else 0

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--exec-one": _exec_one(sys.argv[2], sys.argv[3]); sys.exit(0)
    sys.exit(main())
