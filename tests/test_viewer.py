"""The graph viewer in a real browser: headless Chromium loads the page from disk and the DOM it leaves is checked.

Chromium is optional (CI installs from scratch without it): every test here skips, saying why, when
`web_pages.find_chromium` finds no `chromium`/`chromium-browser`/`google-chrome` on PATH. The page replays
its controls from the URL (`?threshold=&edge=&merge=&click=`), which dispatches the same input and click events
a reader's would, so `--dump-dom` shows the state after a click or a slider move without a browser-automation
package.
"""
import json, re
from pathlib import Path

import pytest

web_pages = pytest.importorskip("circuit_gen.web_pages")   # circuit_gen itself needs torch
find_chromium, headless_dom = web_pages.find_chromium, web_pages.headless_dom

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs a headless Chromium on PATH (apt-get install chromium)")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    "A tiny attribution graph with a supernode, written with create_graph_files, and its viewer page."
    torch = pytest.importorskip("torch")
    from circuit_gen.activations import tiny_mlp_model, model_fingerprint
    from circuit_gen.clt import CLTConfig, CrossLayerTranscoder
    from circuit_gen.attribution_graph import build_attribution_graph
    from circuit_gen.graph_files import create_graph_files
    from circuit_gen.graph_viewer import write_viewer
    m = tiny_mlp_model(n_layers=3, d_model=16, d_mlp=32, n_ctx=64, dtype=torch.float64, device="cpu")
    clt = CrossLayerTranscoder(CLTConfig(d_model=16, layers=[0, 1, 2], d_features=12, threshold_init=0.3,
                                         model=model_fingerprint(m)), device="cpu").double()
    g = build_attribution_graph(m, clt, "Mary and John: John gave a drink to", progress=False)
    ids = g.node_ids("unique")
    last = [ids[i] for i in range(g.n_features) if g.features[i, 1] == g.n_pos - 1 and g.features[i, 0] == 1]
    folder = tmp_path_factory.mktemp("viewer")
    graph_file = create_graph_files(g, "tiny", folder, supernodes={"layer 1, last token": last}, error_ids="unique")
    graph = json.loads(graph_file.read_text())
    members = [i for i in last if i in {n["node_id"] for n in graph["nodes"]}]
    assert len(members) >= 2, "the supernode test needs two kept members"
    return write_viewer(graph_file), graph, members


def load(html: Path, query: str = "") -> tuple[str, dict]:
    "The DOM after the page's scripts ran, and the body's data-* attributes; fails on a script error."
    dom, attrs = headless_dom(html, query)
    assert attrs.get("ready") == "1", "the viewer script did not finish"
    return dom, attrs


def drawn_nodes(dom: str) -> list[str]:
    return re.findall(r'<g class="node [^"]*" data-id="([^"]+)"', dom)


def test_nodes_and_edges_render(page):
    html, graph, _ = page
    dom, attrs = load(html)
    assert sorted(drawn_nodes(dom)) == sorted(n["node_id"] for n in graph["nodes"])
    assert int(attrs["visible-edges"]) == len(graph["links"]) == len(re.findall(r'<path class="edge ', dom))


def test_click_fills_side_panel(page):
    html, graph, _ = page
    incoming = {}
    for e in graph["links"]: incoming.setdefault(e["target"], []).append(e)
    target = max((n for n in graph["nodes"] if n["feature_type"] == "cross layer transcoder"), key=lambda n: len(incoming.get(n["node_id"], [])))
    ins = sorted(incoming[target["node_id"]], key=lambda e: -abs(e["weight"]))
    dom, attrs = load(html, f"?click={target['node_id']}")
    assert attrs["clicked-id"] == target["node_id"]
    panel = re.search(r'<aside id="panel">(.*?)</aside>', dom, re.S).group(1)
    assert target["node_id"] in panel and "Strongest inputs" in panel and "Strongest outputs" in panel
    rows = re.findall(r'<table class="inputs">(.*?)</table>', panel, re.S)[0]
    sources = re.findall(r'<tr data-id="([^"]+)">', rows)
    assert len(sources) == min(10, len(ins))
    assert sources[0] == ins[0]["source"]                      # the strongest input first


def test_threshold_slider_hides_edges(page):
    html, graph, _ = page
    infl = sorted(n["influence"] for n in graph["nodes"] if n["feature_type"] not in ("embedding", "logit"))
    t = round(infl[len(infl) // 2], 2)
    # circuit-tracer's rule: tokens, logits and nodes with cumulative influence <= t stay; edges need both ends
    keep = {n["node_id"] for n in graph["nodes"] if n["feature_type"] in ("embedding", "logit") or n["influence"] <= t + 1e-12}
    expected = sum(e["source"] in keep and e["target"] in keep for e in graph["links"])
    dom, attrs = load(html, f"?threshold={t}")
    assert int(attrs["visible-edges"]) == expected < len(graph["links"])
    assert int(attrs["visible-nodes"]) == len(keep) == len(drawn_nodes(dom))
    _, attrs = load(html, "?edge=50")                          # the edge slider: |weight| >= half the largest
    big = max(abs(e["weight"]) for e in graph["links"])
    assert int(attrs["visible-edges"]) == sum(abs(e["weight"]) >= 0.5 * big for e in graph["links"])


def test_supernodes_framed_and_merged(page):
    html, graph, members = page
    dom, _ = load(html)
    assert 'class="hull"' in dom and "layer 1, last token" in dom
    dom, _ = load(html, "?merge=1")
    drawn = drawn_nodes(dom)
    assert "supernode-0" in drawn and not set(members) & set(drawn)
