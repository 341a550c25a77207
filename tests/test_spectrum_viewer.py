"""The spectrum viewer in a real browser: headless Chromium loads the page from disk and the DOM it leaves is checked.

Chromium is optional (CI installs from scratch without it): every test here skips, saying why, when
`web_pages.find_chromium` finds none. The page replays its controls from the URL (`?ckpt=`, `?step=`, `&log=1`),
which dispatches the same input events a reader's slider moves would, so `--dump-dom` shows the page at any
checkpoint without a browser-automation package.
"""
import math, re

import pytest

web_pages = pytest.importorskip("circuit_gen.web_pages")   # circuit_gen itself needs torch
find_chromium, headless_dom = web_pages.find_chromium, web_pages.headless_dom

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="needs a headless Chromium on PATH (apt-get install chromium)")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    "A tiny dense run (LeNet-tiny on three digit classes, 3 checkpoints) and a Lanczos run, with their pages and data."
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    from circuit_gen.runs import Run
    from circuit_gen.hessian import HessianOperator, checkpoint_spectrum, spectra_over_checkpoints
    from circuit_gen.digits import LeNetTiny, load_digits_28, train_classifier
    from circuit_gen.training import checkpoint_steps
    from circuit_gen.spectrum_viewer import spectrum_viewer_data, spectrum_viewer_html
    from circuit_gen.web_pages import write_page
    root = tmp_path_factory.mktemp("spectra")
    run = Run("hessian_digits", "tiny", root=root, params=dict(cluster_top=12, resolution=0.25, min_size=16, max_depth=3))
    x, y = load_digits_28(size=16, classes=[0, 1, 2], device="cpu")
    mk = lambda: LeNetTiny((2, 2), n_classes=3, image_size=16)
    torch.manual_seed(0)
    train_classifier(mk(), x, y, epochs=2, lr=0.05, ckpt_steps=checkpoint_steps(2 * math.ceil(len(x) / 64), 3),
                     folder=run.path / "checkpoints", device="cpu", progress=False)
    spectra_over_checkpoints(run, mk, run.path / "checkpoints", F.cross_entropy, (x[:64], y[:64]), mode="dense", device="cpu")
    data = spectrum_viewer_data(run.path, progress=False)
    lz = Run("hessian_grokking", "lz", root=root)
    checkpoint_spectrum(lz, "hessian_0000000", HessianOperator(mk(), F.cross_entropy, (x[:32], y[:32]), device="cpu"),
                        mode="lanczos", k=5)
    lz_data = spectrum_viewer_data(lz.path, progress=False)
    return {"dense": (write_page(spectrum_viewer_html(data), run.path / "page.html"), data),
            "lanczos": (write_page(spectrum_viewer_html(lz_data), lz.path / "page.html"), lz_data)}


def load(html, query: str = "") -> tuple[str, dict]:
    "The DOM after the page's scripts ran, and the body's data-* attributes; fails on a script error."
    dom, attrs = headless_dom(html, query)
    assert attrs.get("ready") == "1", "the viewer script did not finish"
    return dom, attrs


def tree_size(t) -> int:
    return 1 + sum(tree_size(c) for c in t["children"])


def expected(data, k) -> dict:
    "What the page must draw at checkpoint `k`, from the embedded data."
    c, bc = data["checkpoints"][k], data["barcode"]
    return {"step": str(c["step"]), "spectrum-points": str(len(c["top"]) + len(c["bottom"])),
            "dendrogram-leaves": str(len(c["dendrogram"]["leaves"])),
            "barcode-bars": str(sum(v is not None for row in bc["lower"] for v in row)),
            "barcode-current": str(sum(v is not None for v in bc["lower"][k])),
            "fiedler-nodes": str(tree_size(c["fiedler"]["tree"]) if c["fiedler"] else 0)}


def test_four_panels_render(runs):
    html, data = runs["dense"]
    dom, attrs = load(html)
    last = len(data["steps"]) - 1
    assert attrs["panels"] == "4" and attrs["checkpoint"] == str(last)        # the slider starts at the last checkpoint
    assert {k: attrs[k] for k in expected(data, last)} == expected(data, last)
    assert len(re.findall(r'<circle class="eig (?:pos|neg)"', dom)) == int(attrs["spectrum-points"])
    assert len(re.findall(r'<path class="dlink"', dom)) == len(data["checkpoints"][last]["dendrogram"]["icoord"])
    assert len(re.findall(r'<g class="tnode"', dom)) == int(attrs["fiedler-nodes"]) > 1


def test_slider_changes_checkpoint(runs):
    html, data = runs["dense"]
    for k in range(len(data["steps"])):
        dom, attrs = load(html, f"?ckpt={k}")
        assert attrs["checkpoint"] == str(k) and attrs["panels"] == "4"
        assert {key: attrs[key] for key in expected(data, k)} == expected(data, k)
        assert f"step {data['steps'][k]} ({k + 1} of {len(data['steps'])})" in dom
        assert len(re.findall(r'<line class="bar now"', dom)) == int(attrs["barcode-current"])
    assert len({tree_size(c["fiedler"]["tree"]) for c in data["checkpoints"]}) > 1, "the trees should differ between checkpoints"
    _, attrs = load(html, f"?step={data['steps'][1]}")                         # by step as well as by index
    assert attrs["checkpoint"] == "1"


def test_log_scale(runs):
    html, _ = runs["dense"]
    dom, attrs = load(html, "?ckpt=0&log=1")
    assert attrs["log"] == "1" and attrs["checkpoint"] == "0"
    assert "|eigenvalue| (log)" in dom and 'id="log-scale" type="checkbox"' in dom


def test_lanczos_run_says_why_no_tree(runs):
    html, data = runs["lanczos"]
    dom, attrs = load(html)
    assert attrs["panels"] == "3" and attrs["fiedler-nodes"] == "0"
    assert attrs["spectrum-points"] == str(len(data["checkpoints"][0]["top"]) + len(data["checkpoints"][0]["bottom"])) == "10"
    assert "needs the dense Hessian" in dom
