"""Checkpoints that do not fit a model: every mismatch is named with the file (issue 18, items 7 and 8)."""
import pytest, torch

from circuit_gen.core import save_state
from circuit_gen.models import load_model


@pytest.fixture(scope="module")
def weights():
    return {k: v.clone() for k, v in load_model("toy-ioi", device="cpu").state_dict().items()}


def test_a_fitting_checkpoint_loads(tmp_path, weights):
    w = {k: torch.zeros_like(v) if k.endswith("b_U") else v for k, v in weights.items()}
    save_state({"model": w}, tmp_path/"ok.safetensors")
    assert load_model("toy-ioi", checkpoint=tmp_path/"ok.safetensors", device="cpu").b_U.abs().sum() == 0


def test_unexpected_keys_are_refused(tmp_path, weights):
    "A checkpoint of a bigger model holds every key of this one, and more: refused, not half-loaded."
    f = tmp_path/"bigger.safetensors"
    save_state({"model": {**weights, "blocks.9.attn.W_Q": torch.zeros(2, 2)}}, f)
    with pytest.raises(ValueError, match=r"(?s)bigger\.safetensors.*unexpected.*blocks\.9\.attn\.W_Q"):
        load_model("toy-ioi", checkpoint=f, device="cpu")


def test_size_mismatch_names_the_file_and_the_tensor(tmp_path, weights):
    f = tmp_path/"wider.safetensors"
    save_state({"model": {**weights, "unembed.b_U": torch.zeros(weights["unembed.b_U"].shape[0] + 1)}}, f)
    with pytest.raises(ValueError, match=r"(?s)wider\.safetensors.*shape.*unembed\.b_U \(1025,\) vs \(1024,\)"):
        load_model("toy-ioi", checkpoint=f, device="cpu")
