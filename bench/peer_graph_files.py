"""Do circuit-tracer's own reader and local server accept our graph files? (a peer check, not a unit test)

1. `write --dir D` (the project's venv): two attribution graphs of a tiny random model and CLT, on two prompts,
   written into one folder with `create_graph_files`: the first in circuit-tracer's error spelling
   (`0_{layer}_{pos}`; the CLT's seed is chosen so that no layer-0 feature below n_layers is kept, which that
   spelling cannot tell from an error node), the second with `error_ids="unique"`. Next to them,
   `sources.json` lists what every written node is (layer, position, feature index, token, probability...)
   read from the AttributionGraph itself, not from our writer.
2. `check --dir D` (circuit-tracer's venv): with circuit-tracer's own code,
   - every `<slug>.json` validates as its `frontend.graph_models.Model` (pydantic);
   - every node equals the one its `Node.feature_node` / `error_node` / `token_node` / `logit_node` builds
     from `sources.json`, field for field (error `node_id`s of the "unique" graph excepted);
   - `graph-metadata.json` lists both graphs, each entry its `Metadata`; its own `add_graph_metadata`
     adds a third graph to our index without losing ours;
   - its `frontend.local_server.serve` on a free port serves `/data/graph-metadata.json`,
     `/graph_data/<slug>.json` (byte for byte) and its `index.html`.
   Its frontend's JavaScript loads d3 and its helpers from transformer-circuits.pub and unpkg.com, so the
   page's own loader cannot run offline; what that loader needs from the files is what is checked above.

    python3 -m venv /tmp/ctvenv
    /tmp/ctvenv/bin/pip install torch==2.13.0        # the local CPU wheel first
    /tmp/ctvenv/bin/pip install circuit-tracer
    .venv/bin/python bench/peer_graph_files.py write --dir /tmp/ctgraphs
    /tmp/ctvenv/bin/python bench/peer_graph_files.py check --dir /tmp/ctgraphs

`check` prints one JSON line of results and exits 1 when a check fails.
"""
import argparse, json, socket, sys, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = {"mary-john": "When Mary and John went to the store, John gave a drink to",
           "cat-mat": "The cat sat on the mat and the dog sat on the"}


def write(folder: Path) -> None:
    sys.path.insert(0, str(ROOT))  # the project's circuit_gen, without installing it
    import torch
    from circuit_gen.activations import tiny_mlp_model, model_fingerprint
    from circuit_gen.clt import CLTConfig, CrossLayerTranscoder
    from circuit_gen.attribution_graph import build_attribution_graph
    from circuit_gen.graph_files import create_graph_files
    m = tiny_mlp_model(n_layers=3, d_model=16, d_mlp=32, n_ctx=64, dtype=torch.float64, device="cpu")
    folder.mkdir(parents=True, exist_ok=True)
    sources = {}
    for k, (slug, prompt) in enumerate(PROMPTS.items()):
        error_ids = "circuit-tracer" if k == 0 else "unique"
        for seed in range(50):
            clt = CrossLayerTranscoder(CLTConfig(d_model=16, layers=[0, 1, 2], d_features=64, threshold_init=0.3,
                                                 model=model_fingerprint(m)), seed=seed, device="cpu").double()
            g = build_attribution_graph(m, clt, prompt, progress=False, clt_name="tiny-clt")
            try: path = create_graph_files(g, slug, folder, scan="tiny-mlp", error_ids=error_ids); break
            except ValueError as e:
                if "error_ids='unique'" not in str(e): raise
        else: raise RuntimeError(f"no seed of 50 keeps {slug} free of id clashes")
        written = {n["node_id"] for n in json.loads(path.read_text())["nodes"]}
        from circuit_gen.graph_pruning import prune_graph
        pruned = prune_graph(g)
        ids, recs = g.node_ids(error_ids), []
        for i in pruned.node_mask.nonzero().flatten().tolist():
            if ids[i] not in written: continue
            infl = float(pruned.cumulative[i])
            if i < g.n_features:
                l, p, f = g.features[i].tolist()
                recs.append({"kind": "feature", "layer": l, "pos": p, "feat_idx": f, "influence": infl, "activation": float(g.activations[i])})
            elif i < g.token_slice.start:
                l, p = divmod(i - g.n_features, g.n_pos)
                recs.append({"kind": "error", "layer": l, "pos": p, "influence": infl})
            elif i < g.logit_slice.start:
                p = i - g.token_slice.start
                recs.append({"kind": "token", "pos": p, "vocab_idx": int(g.tokens[p]), "influence": infl})
            else:
                j = i - g.logit_slice.start
                recs.append({"kind": "logit", "pos": g.n_pos - 1, "vocab_idx": int(g.logit_tokens[j]), "token": g.logit_strings[j],
                             "target_logit": j == 0, "token_prob": float(g.logit_probabilities[j]), "num_layers": g.n_layers})
        sources[slug] = {"error_ids": error_ids, "seed": seed, "nodes": recs}
    (folder / "sources.json").write_text(json.dumps(sources, indent=1))
    print(f"wrote {', '.join(PROMPTS)} into {folder} (seeds {[s['seed'] for s in sources.values()]})")


def check(folder: Path) -> int:
    import circuit_tracer
    from importlib.metadata import version
    from circuit_tracer.frontend.graph_models import Metadata, Model, Node
    from circuit_tracer.frontend.utils import add_graph_metadata
    from circuit_tracer.frontend.local_server import serve
    sources = json.loads((folder / "sources.json").read_text())
    results, failures = {"circuit_tracer": version("circuit-tracer")}, []
    def require(ok, what):
        if not ok: failures.append(what)
    for slug, src in sources.items():
        raw = json.loads((folder / f"{slug}.json").read_text())
        model = Model.model_validate(raw)                                 # its reader's schema
        require(len(model.nodes) == len(src["nodes"]), f"{slug}: {len(model.nodes)} nodes, sources list {len(src['nodes'])}")
        n_same = 0
        for ours, s in zip(raw["nodes"], src["nodes"]):
            if s["kind"] == "feature": theirs = Node.feature_node(s["layer"], s["pos"], s["feat_idx"], influence=s["influence"], activation=s["activation"])
            elif s["kind"] == "error": theirs = Node.error_node(s["layer"], s["pos"], influence=s["influence"])
            elif s["kind"] == "token": theirs = Node.token_node(s["pos"], s["vocab_idx"], influence=s["influence"])
            else: theirs = Node.logit_node(pos=s["pos"], vocab_idx=s["vocab_idx"], token=s["token"], num_layers=s["num_layers"],
                                           target_logit=s["target_logit"], token_prob=s["token_prob"])
            theirs = theirs.model_dump()
            if s["kind"] == "error" and src["error_ids"] == "unique":
                require(ours["node_id"] == f"{s['layer']}_-1_{s['pos']}", f"{slug}: unique error id {ours['node_id']}")
                theirs["node_id"] = ours["node_id"]
            if ours == theirs: n_same += 1
            else: failures.append(f"{slug}: {ours} != circuit-tracer's {theirs}")
        results[f"{slug}_nodes_equal_to_circuit_tracer"] = f"{n_same}/{len(src['nodes'])}"
        results[f"{slug}_links"] = len(raw["links"])
    index = json.loads((folder / "graph-metadata.json").read_text())
    require([g["slug"] for g in index["graphs"]] == list(sources), f"index lists {[g['slug'] for g in index['graphs']]}")
    for g in index["graphs"]:
        require(Metadata(**g).model_dump() == g, f"index entry {g['slug']} is not circuit-tracer's Metadata")
    # its own add_graph_metadata on a copy of our index keeps our entries
    copy_dir = folder / "ct-merge"; copy_dir.mkdir(exist_ok=True)
    (copy_dir / "graph-metadata.json").write_text(json.dumps(index))
    add_graph_metadata({**index["graphs"][0], "slug": "third"}, str(copy_dir))
    merged = [g["slug"] for g in json.loads((copy_dir / "graph-metadata.json").read_text())["graphs"]]
    require(merged == list(sources) + ["third"], f"circuit-tracer's add_graph_metadata left {merged}")
    # its local server
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    server = serve(str(folder), port=port)
    try:
        def get(path):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as r: return r.status, r.read()
        status, body = get("/data/graph-metadata.json")
        require(status == 200 and json.loads(body) == index, f"/data/graph-metadata.json: {status}")
        served = {}
        for slug in sources:
            status, body = get(f"/graph_data/{slug}.json")
            served[slug] = status
            require(status == 200 and body == (folder / f"{slug}.json").read_bytes(), f"/graph_data/{slug}.json: {status}")
        status, body = get("/index.html")
        require(status == 200 and b"graph-metadata.json" in body, f"/index.html: {status}")
        results["server"] = {"graph-metadata.json": 200, **{f"{k}.json": v for k, v in served.items()}, "index.html": status}
    finally: server.stop()
    results["failures"] = failures
    print(json.dumps(results))
    return 1 if failures else 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=["write", "check"])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/ctgraphs"))
    a = ap.parse_args()
    sys.exit(write(a.dir) if a.step == "write" else check(a.dir))
