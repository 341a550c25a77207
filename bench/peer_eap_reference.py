"""Cross-check of `edge_attribution.attribute(..., convention="reference")` with the EAP-IG reference's own code.

The reference (github hannamw/EAP-IG, `src/eap`) runs unchanged except for two things it cannot do here:
its hard-coded `device='cuda'` becomes `device=model.cfg.device` (CPU), and its `tokenize_plus` (which needs a
Hugging Face tokenizer) is replaced by one that hands it our token ids with an all-ones attention mask. The metric
is MIB's logit difference with `mean=True, loss=True` (MIB `run_attribution.py`), the model a tiny random
HookedTransformer rebuilt in the peer's environment from our config and weights (safetensors).

Three steps, two environments (the reference is not a dependency of circuit_gen):

    python3 -m venv /tmp/eapref
    /tmp/eapref/bin/pip install torch==2.13.0
    /tmp/eapref/bin/pip install transformer_lens==3.9.0 matplotlib
    OMP_NUM_THREADS=1 python bench/peer_eap_reference.py          # in our venv; runs step 2 with /tmp/eapref/bin/python

(1) our env writes the model and prompts to a work folder; (2) the peer env runs the reference's `attribute`
for each method and writes its scores (`reference_scores.json`) and its `Graph.to_json` circuit
(`importances.json`, MIB's file name); (3) our env compares with reference mode and loads `importances.json`
with `load_graph`. It prints the largest absolute difference per method and exits non-zero if one of EAP,
EAP-IG-inputs, EAP-IG-activations is above 1e-5. Measured (EAP-IG at 2025-07-24, 795f560; 6 prompts in batches
of 3, 5 steps; scores of order 1e-2 to 1):

    EAP 7.5e-08, EAP-IG-inputs 3.0e-08, EAP-IG-activations 4.5e-08, clean-corrupted 3.0e-08, exact 1.5e-07;
    importances.json through load_graph 0.0. The default convention differs from the reference by 0.2-0.4 for the
    gradient methods (mostly the batch-size factor of 3) and not at all for exact (equal batches).
"""
import argparse, json, subprocess, sys, tempfile
from pathlib import Path

TOL = 1e-5
REQUIRED = ("EAP", "EAP-IG-inputs", "EAP-IG-activations")
METHODS = REQUIRED + ("clean-corrupted", "exact")
IG_STEPS, BATCH_SIZE, POSITION = 5, 3, 7
EAP_GIT = "/work/.mirror/hannamw+EAP-IG/repo"      # a bare clone of hannamw/EAP-IG (or give --eap-src, a checkout's src/)


def save_inputs(work: Path, model, clean, corrupted, answers):
    "Our env: write `model`'s config (cfg.json), weights (safetensors) and the prompts for a peer environment."
    from safetensors.torch import save_file
    cfg = {k: v for k, v in model.cfg.to_dict().items() if isinstance(v, (int, float, str, bool, type(None)))}
    (work/"cfg.json").write_text(json.dumps(cfg))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(work/"weights.safetensors"))
    (work/"prompts.json").write_text(json.dumps({"clean": clean.tolist(), "corrupted": corrupted.tolist(),
                                                 "answers": answers.tolist()}))


def load_inputs(work: Path):
    "Any env with torch, transformer_lens and safetensors: the model and prompts `save_inputs` wrote, edge hooks on."
    import torch
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformer, HookedTransformerConfig
    cfg = HookedTransformerConfig(**{k: v for k, v in json.loads((work/"cfg.json").read_text()).items()
                                     if k in HookedTransformerConfig.__dataclass_fields__ and k not in ("n_params",)})
    model = HookedTransformer(cfg)
    model.load_state_dict(load_file(str(work/"weights.safetensors")))
    model.eval()
    for flag in ("use_attn_result", "use_split_qkv_input", "use_hook_mlp_in"): setattr(model.cfg, flag, True)
    p = json.loads((work/"prompts.json").read_text())
    clean, corrupted, answers = (torch.tensor(p[k]) for k in ("clean", "corrupted", "answers"))
    return model, clean, corrupted, answers


def write_inputs(work: Path):
    "Our env: a tiny model (config + safetensors weights) and clean/corrupted prompts, as the notebook tests use them."
    import torch
    from circuit_gen.testing import tiny_model
    model = tiny_model(d_mlp=32, device="cpu")
    gen = torch.Generator().manual_seed(1)
    clean, corrupted = torch.randint(0, 40, (6, 8), generator=gen), torch.randint(0, 40, (6, 8), generator=gen)
    answers = torch.randint(0, 40, (6, 2), generator=gen)
    save_inputs(work, model, clean, corrupted, answers)
    return model, clean, corrupted, answers


def reference_source(eap_src: str | None, eap_git: str, dest: Path) -> Path:
    "Copy the reference's `eap` package into `dest`, with its hard-coded CUDA device replaced by the model's."
    pkg = dest/"eap"
    pkg.mkdir(parents=True)
    if eap_src: files = {p.name: p.read_text() for p in (Path(eap_src)/"eap").glob("*.py")}
    else:
        names = subprocess.run(["git", "--git-dir", eap_git, "ls-tree", "--name-only", "HEAD", "src/eap/"], check=True,
                               capture_output=True, text=True).stdout.split()
        files = {Path(n).name: subprocess.run(["git", "--git-dir", eap_git, "show", f"HEAD:{n}"], check=True,
                                              capture_output=True, text=True).stdout for n in names if n.endswith(".py")}
    for name, text in files.items(): (pkg/name).write_text(text.replace("device='cuda'", "device=model.cfg.device"))
    return dest


def use_token_ids():
    "Peer env: let the reference's `attribute`/`evaluate` take our token ids (its `tokenize_plus` wants a tokenizer)."
    import torch
    import eap.attribute as ref_attribute, eap.evaluate as ref_evaluate

    def tokenize_plus(model, tokens, max_length=None):
        # the reference's signature; our prompts are token ids of one length, so the mask is all ones
        tokens = torch.as_tensor(tokens)
        mask = torch.ones_like(tokens)
        return tokens, mask, mask.sum(1), tokens.shape[1]
    ref_attribute.tokenize_plus = tokenize_plus
    ref_evaluate.tokenize_plus = tokenize_plus


def logit_diff_loss(logits, clean_logits, input_lengths, labels):
    "MIB's logit_diff with mean=True, loss=True, in the reference's metric signature."
    import torch
    rows = logits[torch.arange(len(logits)), input_lengths - 1]
    diff = rows.gather(-1, labels[:, :1])[:, 0] - rows.gather(-1, labels[:, 1:2])[:, 0]
    return -diff.mean()


def run_reference(work: Path):
    "Peer env: the reference's own `attribute` on our model and prompts; writes its scores and `importances.json`."
    import eap.attribute as ref_attribute
    from eap.graph import Graph
    model, clean, corrupted, answers = load_inputs(work)
    use_token_ids()
    batches = [(clean[i:i + BATCH_SIZE], corrupted[i:i + BATCH_SIZE], answers[i:i + BATCH_SIZE])
               for i in range(0, len(clean), BATCH_SIZE)]
    out = {}
    for method in METHODS:
        graph = Graph.from_model(model)
        ref_attribute.attribute(model, graph, batches, logit_diff_loss, method, ig_steps=IG_STEPS, quiet=True)
        out[method] = graph.scores.tolist()
        if method == "EAP-IG-inputs": graph.to_json(str(work/"importances.json"))
    (work/"reference_scores.json").write_text(json.dumps(out))


def compare(work: Path, model, clean, corrupted, answers) -> bool:
    "Our env: reference mode against the reference's scores, and the reference's circuit file through `load_graph`."
    import torch
    from circuit_gen.circuit_graph import load_graph
    from circuit_gen.edge_attribution import answer_logit_metric, attribute
    ref = json.loads((work/"reference_scores.json").read_text())
    metric = answer_logit_metric(answers, torch.full((len(clean),), POSITION))
    ok = True
    for method in METHODS:
        ours = attribute(model, clean, corrupted, metric, method=method, ig_steps=IG_STEPS, batch_size=BATCH_SIZE,
                         convention="reference", progress=False).scores
        theirs = torch.tensor(ref[method])
        default = attribute(model, clean, corrupted, metric, method=method, ig_steps=IG_STEPS, progress=False).scores
        diff, scale = (ours - theirs).abs().max().item(), theirs.abs().max().item()
        bad = method in REQUIRED and not diff <= TOL
        ok &= not bad
        print(f"{method:20s} max |reference mode - reference| {diff:.1e}  (max |score| {scale:.2e}; "
              f"circuit_gen convention differs by {(default - theirs).abs().max().item():.1e}){'  FAIL' if bad else ''}")
        if method == "EAP-IG-inputs":
            loaded = load_graph(work/"importances.json", model)
            file_diff = (loaded.scores - theirs).abs().max().item()
            ok &= file_diff <= TOL
            print(f"{'importances.json':20s} max |load_graph scores - reference| {file_diff:.1e}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref-python", default="/tmp/eapref/bin/python", help="python of the environment with transformer_lens")
    ap.add_argument("--eap-src", default=None, help="a checkout's src/ folder holding eap/ (default: read --eap-git)")
    ap.add_argument("--eap-git", default=EAP_GIT, help="a bare git clone of hannamw/EAP-IG")
    ap.add_argument("--work", default=None, help="folder for the exchanged files (default: a temporary one)")
    ap.add_argument("--run-reference", action="store_true", help="(internal) step 2, in the peer environment")
    args = ap.parse_args()
    if args.run_reference:
        sys.path.insert(0, str(Path(args.work)/"src"))
        return run_reference(Path(args.work))
    work = Path(args.work or tempfile.mkdtemp(prefix="eapref_"))
    work.mkdir(parents=True, exist_ok=True)
    model, clean, corrupted, answers = write_inputs(work)
    reference_source(args.eap_src, args.eap_git, work/"src")
    subprocess.run([args.ref_python, __file__, "--run-reference", "--work", str(work)], check=True)
    sys.exit(0 if compare(work, model, clean, corrupted, answers) else 1)


if __name__ == "__main__":
    main()
