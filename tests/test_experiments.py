"""Every shipped experiment file agrees with its notebook: the `cpu` settings are the notebook's defaults, and every
preset names only parameters the notebook declares (the settings live in one place; a drift is a test failure)."""
from pathlib import Path

import pytest

from circuit_gen.experiment_config import RESERVED_KEYS, experiment_config, list_experiments
from circuit_gen.parameters import default_parameters, notebook_parameters

NBS = Path(__file__).resolve().parents[1]/"nbs"


@pytest.mark.parametrize("experiment", list_experiments())
def test_experiment_file_matches_its_notebook(experiment):
    cfg = experiment_config(experiment)
    nb = NBS/f"{cfg['notebook']}.ipynb"
    assert nb.exists(), f"{cfg['path']}: notebook {nb} does not exist"
    declared = notebook_parameters(nb)
    if not declared:   # a module notebook without a parameters cell reads its settings from the file itself
        assert f'experiment_settings("{experiment}"' in nb.read_text().replace('\\"', '"'), \
            f"{nb.name} has no parameters cell and does not read experiment_settings({experiment!r})"
        return
    defaults = default_parameters(declared)
    differ = {k: (v, defaults.get(k, "<not declared>")) for k, v in (cfg["cpu"] or {}).items() if defaults.get(k, object()) != v}
    assert not differ, f"{cfg['path']}: cpu settings differ from {nb.name}'s parameters cell (file, notebook): {differ}"
    for preset, section in cfg.items():
        if preset in RESERVED_KEYS or preset in ("cpu", "name", "path") or not isinstance(section, dict): continue
        variants = section.values() if section and all(isinstance(v, dict) for v in section.values()) else [section]
        for values in variants:
            unknown = sorted(set(values) - set(declared))
            assert not unknown, f"{cfg['path']}: preset {preset!r} sets {unknown}, which {nb.name} does not declare"
    for name in cfg.get("grid") or {}:
        assert name in declared, f"{cfg['path']}: grid varies {name!r}, which {nb.name} does not declare"
