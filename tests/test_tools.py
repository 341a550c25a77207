"""Tests for the project tooling outside notebooks: the CI sync check and the offline docs builder."""
import json, shutil, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/"tools"))
import build_docs  # noqa: E402


def _clone(tmp_path):
    "A fresh clone of the committed HEAD, as CI sees it."
    if not (ROOT/".git").exists(): pytest.skip("not a git checkout")
    dst = tmp_path/"clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dst)], check=True)
    for cmd in (["git", "config", "user.email", "t@t"], ["git", "config", "user.name", "t"]):
        subprocess.run(cmd, cwd=dst, check=True)
    return dst


def _check(clone):
    return subprocess.run([sys.executable, "tools/check_sync.py"], cwd=clone, capture_output=True, text=True)


def test_check_sync_passes_on_clean_clone(tmp_path):
    r = _check(_clone(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr


def test_check_sync_fails_on_unclean_notebook(tmp_path):
    clone = _clone(tmp_path)
    nb_path = clone/"nbs"/"00_core.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][0]["metadata"]["collapsed"] = True      # metadata nbdev_clean strips
    nb["cells"][1]["execution_count"] = 3 if nb["cells"][1]["cell_type"] == "code" else None
    nb_path.write_text(json.dumps(nb, indent=1))
    subprocess.run(["git", "commit", "-qam", "unclean"], cwd=clone, check=True)
    r = _check(clone)
    assert r.returncode == 1 and "00_core.ipynb" in r.stdout, r.stdout + r.stderr


def test_check_sync_fails_on_unexported_change(tmp_path):
    clone = _clone(tmp_path)
    lib = clone/"circuit_gen"/"core.py"
    lib.write_text(lib.read_text() + "\n# hand edit that no notebook has\n")
    subprocess.run(["git", "commit", "-qam", "edit the generated library by hand"], cwd=clone, check=True)
    r = _check(clone)
    assert r.returncode == 1 and "circuit_gen/core.py" in r.stdout, r.stdout + r.stderr


def test_check_sync_fails_on_committed_outputs(tmp_path):
    clone = _clone(tmp_path)
    nb_path = clone/"nbs"/"00_core.ipynb"
    nb = json.loads(nb_path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["hi\n"]}]
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    subprocess.run([str(Path(sys.executable).parent/"nbdev_clean"), "--fname", str(nb_path)], cwd=clone, check=True)
    subprocess.run(["git", "commit", "-qam", "outputs"], cwd=clone, check=True)
    r = _check(clone)
    assert r.returncode == 1 and "with outputs" in r.stdout, r.stdout + r.stderr


def test_directives_and_docs_transform():
    src = "#| export\n#| slow\ndef f(x: int) -> int:\n    \"Add one to `x`.\"\n    return x + 1\n"
    assert set(build_docs.directives(src)) == {"export", "slow"}
    assert build_docs.strip_directives(src).startswith("def f")
    doc = build_docs.api_doc(build_docs.strip_directives(src))
    assert "f(x: int) -&gt; int" in doc and "<code>x</code>" in doc
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# T\n\n> d"),
        nbformat.v4.new_code_cell("#| hide\nsecret = 1"),
        nbformat.v4.new_code_cell(src),
        nbformat.v4.new_code_cell("#| hub\nload('gpt2')"),
        nbformat.v4.new_code_cell("f(1)"),
    ])
    out = build_docs.for_docs(nb)
    text = json.dumps(out)
    assert "secret" not in text and "#|" not in text
    assert "Not run in this build" in text and "hub" in text
    assert build_docs.title_of(nb) == ("T", "d")
