"""Faults a new user runs into (issue 18): each one a test that failed before the fix.

Nothing lost: a completed run folder is never overwritten by a failed attempt, a rerun with
other parameters is refused naming the keys, concurrent writers of one run keep every key.
Nothing silently wrong: config files are checked with messages naming file, line and key;
closed-set parameters and impossible requests are refused before the first cell.
"""
import json, os, stat, subprocess, sys, textwrap
from pathlib import Path

import nbformat, pytest, yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_cli import Result, cli, write_notebook  # noqa: E402

from circuit_gen.cli import main  # noqa: E402
from circuit_gen.core import read_json, read_yaml  # noqa: E402
from circuit_gen.runs import Run, run_state  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

PARAMS = ('steps: int = 3  # training steps\n'
          'method: "Literal[\'EAP\', \'EAP-IG-inputs\']" = "EAP"  # a closed set of values\n'
          'boom: str = ""  # fail while this file exists\n'
          'out_dir: str = ""  # runs root\nrun_id: str = ""  # run name')
BODY = ('run = Run("toy", run_id or None, params=dict(steps=steps, method=method), root=out_dir or None)\n'
        'assert not (boom and Path(boom).exists()), "boom file present"\n'
        'run.log_metrics(steps=steps, method=method)')


@pytest.fixture
def env(tmp_path, monkeypatch):
    e = {"CIRCUIT_GEN_RUNS": str(tmp_path/"runs"), "OMP_NUM_THREADS": "1"}
    for k, v in e.items(): monkeypatch.setenv(k, v)
    return {**os.environ, **e}


@pytest.fixture
def cg(capsys):
    def call(*args):
        capsys.readouterr()
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(rc, out, err)
    return call


@pytest.fixture
def toy(tmp_path):
    return write_notebook(tmp_path/"05_toy.ipynb", PARAMS, BODY)


def snapshot(folder: Path) -> dict:
    "Every file under `folder` (hidden lock files aside) -> its bytes."
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock")}


def one_clear_line(res, *needles):
    "A refused command: exit 2, no traceback, and an error line naming every needle."
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    first = next(l for l in res.stderr.splitlines() if l.startswith("circuit-gen"))  # the message, whose first line says it all
    for n in needles: assert str(n) in first, (n, first)
    return first


# 1 and 2: a completed run with other parameters
def test_rerun_with_other_params_is_refused_and_keeps_the_result(tmp_path, env, cg, toy):
    rd = tmp_path/"runs/toy/x"
    assert cg("run", toy, "--run-id", "x", "-p", "steps", "3").returncode == 0
    before = snapshot(rd)
    for extra in ([], ["--force"]):  # item 2 without --force, item 1 with it
        res = cg("run", toy, "--run-id", "x", "-p", "steps", "5", *extra)
        one_clear_line(res, "steps", "3", "5")
        assert snapshot(rd) == before and run_state(rd)["state"] == "completed"
    # the default of a parameter counts as given: `-p steps 3` and no `-p` are the same run
    assert "already completed" in cg("run", toy, "--run-id", "x").stdout


def test_forced_rerun_that_fails_keeps_the_completed_result(tmp_path, env, cg, toy):
    rd, boom = tmp_path/"runs/toy/y", tmp_path/"boom"
    assert cg("run", toy, "--run-id", "y", "-p", "boom", boom).returncode == 0
    before = snapshot(rd)
    boom.touch()
    res = cg("run", toy, "--run-id", "y", "-p", "boom", boom, "--force")
    assert res.returncode == 1 and "unchanged" in res.stdout
    assert snapshot(rd) == before and run_state(rd)["state"] == "completed"
    boom.unlink()
    assert cg("run", toy, "--run-id", "y", "-p", "boom", boom, "--force").returncode == 0
    st = run_state(rd)
    assert st["state"] == "completed" and st["attempts"] == 3 and read_json(rd/"metrics.json")["steps"] == 3
    assert "attempt 2 failed" in (rd/"log.txt").read_text()  # the log keeps the history
    assert sorted(p.name for p in rd.parent.iterdir()) == ["y"]  # no attempt folder left beside it


# 3: concurrent writers of one run folder
def test_two_processes_logging_metrics_keep_every_key(tmp_path):
    Run("conc", "r", params={"a": 1}, root=tmp_path)
    code = textwrap.dedent("""
        import sys
        from circuit_gen.runs import Run
        run = Run("conc", "r", params={"a": 1}, root=sys.argv[1])
        for i in range(150): run.log_metrics(**{f"{sys.argv[2]}{i}": i})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), tag], env={**os.environ, "OMP_NUM_THREADS": "1"})
             for tag in "ab"]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert len(read_json(tmp_path/"conc/r/metrics.json")) == 300


# 4: config files: malformed YAML, tabs, wrongly shaped grids
SWEEP_FAULTS = {
    "malformed": ("notebook: NB\ngrid: {seed: [0, 1\n", "line"),
    "tab indent": ("notebook: NB\ngrid:\n\tseed: [0, 1]\n", "tab"),
    "grid is a list": ("notebook: NB\ngrid: [0, 1]\n", "grid"),
    "grid value is a scalar": ("notebook: NB\ngrid: {steps: 3}\n", "grid.steps"),
    "unknown key": ("notebook: NB\ngird: {steps: [1, 2]}\n", "gird"),
    "unknown parameter": ("notebook: NB\nparams: {stpes: 3}\n", "stpes"),
    "wrong type": ("notebook: NB\nparams: {steps: three}\n", "steps"),
}


@pytest.mark.parametrize("case", sorted(SWEEP_FAULTS))
def test_bad_sweep_file_names_file_line_and_key(tmp_path, env, cg, toy, case):
    text, needle = SWEEP_FAULTS[case]
    sf = tmp_path/"bad.yaml"
    sf.write_text(text.replace("NB", str(toy)))
    last = one_clear_line(cg("sweep", sf, "--gpus", "0"), sf.name, needle)
    assert "line" in last
    assert not (tmp_path/"runs/sweeps").exists()


@pytest.mark.parametrize("text,needle", [("steps: [3\n", "line 1"), ("steps: 3\n\tboom: x\n", "tab"),
                                         ("- 3\n- 4\n", "mapping"), ("stpes: 3\n", "stpes"), ("steps: three\n", "steps"),
                                         ("method: EAP-IG\n", "EAP-IG-inputs")])
def test_bad_parameter_file_names_file_and_key(tmp_path, env, cg, toy, text, needle):
    f = tmp_path/"p.yaml"
    f.write_text(text)
    one_clear_line(cg("run", toy, "-f", f, "--run-id", "pf"), "p.yaml", needle)
    assert not (tmp_path/"runs").exists()


# 5: relative sweep paths reach an sbatch that runs in another folder
def test_submit_with_a_relative_sweep_path(tmp_path, env, cg, toy, monkeypatch):
    bindir = tmp_path/"bin"; bindir.mkdir()
    fake = bindir/"sbatch"  # a stand-in that, like sbatch, opens its script from its own working folder
    fake.write_text('#!/bin/bash\nfor a in "$@"; do case "$a" in -*) ;; *) test -f "$a" || '
                    '{ echo "sbatch: error: Unable to open file $a" >&2; exit 1; };; esac; done\necho 4242\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CIRCUIT_GEN_RUNS", "runs")
    monkeypatch.chdir(tmp_path)
    assert cg("sweep", toy, "--grid", "steps=1,2", "--name", "rel", "--gpus", "0", "--template", ROOT/"slurm/sweep.sbatch").returncode == 0
    res = cg("submit", "runs/sweeps/rel")
    assert res.returncode == 0 and "submitted job 4242" in res.stdout, res.stderr


# 7: errors found before the first cell, and files named
def test_closed_set_parameter_is_checked_before_the_notebook_starts(tmp_path, env, cg, toy):
    one_clear_line(cg("run", toy, "-p", "method", "EAP-IG"), "method", "EAP-IG-inputs")
    one_clear_line(cg("sweep", toy, "--grid", "method=EAP,eap"), "method", "'eap'")
    assert not (tmp_path/"runs").exists()


def test_experiment_notebooks_declare_their_closed_sets():
    "Every closed-set parameter of the experiment notebooks is a Literal whose default is one of its values."
    from circuit_gen.parameters import literal_choices, notebook_parameters
    expect = {"21_find_circuit": ["method", "task", "intervention", "selection"], "33_circuits_over_training": ["method", "task", "on_error"],
              "20_circuit_generalisation": ["intervention"], "28_hessian_digits": ["hessian_mode"], "31_train_clt": ["sparsity"],
              "34_head_scores_over_training": ["on_error"]}
    for stem, names in expect.items():
        decl = notebook_parameters(next((ROOT/"nbs").rglob(f"{stem}.ipynb")))
        for n in names:
            choices = literal_choices(decl[n]["type"])
            assert choices and yaml.safe_load(decl[n]["default"]) in choices, (stem, n, decl[n])


def test_too_big_dense_hessian_is_refused_before_the_first_cell(tmp_path, env, cg):
    nb = ROOT/"nbs/hessian/28_hessian_digits.ipynb"
    one_clear_line(cg("run", nb, "-p", "hessian_mode", "dense", "-p", "conv1_channels", "64", "-p", "conv2_channels", "512", "--run-id", "big"),
                   "dense Hessian", "lanczos")
    assert not (tmp_path/"runs").exists()


def test_truncated_json_names_the_file(tmp_path, env, cg, toy):
    cfg = tmp_path/"config.json"
    cfg.write_text('{"circuit_gen": {"format": 1,')
    with pytest.raises(ValueError, match="config.json"): read_json(cfg)
    assert cg("sweep", toy, "--grid", "steps=1,2", "--name", "tr", "--gpus", "0").returncode == 0
    table = tmp_path/"runs/sweeps/tr/table.json"
    table.write_text(table.read_text()[:40])
    one_clear_line(cg("status", table.parent), "table.json")


# 9: one run, one folder
def test_run_dir_holds_the_notebook_results(tmp_path, env, cg, toy):
    d = tmp_path/"somewhere"/"D"
    assert cg("run", toy, "--run-dir", d, "-p", "steps", "4").returncode == 0
    assert read_json(d/"metrics.json") == {"steps": 4, "method": "EAP"}
    assert (d/"05_toy.ipynb").exists() and (d/"status.json").exists() and (d/"params.yaml").exists()
    assert not [p for p in d.iterdir() if p.is_dir() and p.name != "figs"]
    assert run_state(d)["outputs"] == str(d)
