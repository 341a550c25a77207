"""Sweeps on a real SLURM cluster: Debian's slurm-wlm started on localhost by `tools/slurm_local.sh`.

A sweep of three array tasks is submitted with `circuit-gen sweep --submit`, waited for and
collected; hostile parameter values reach the notebooks unchanged. Then a running task is
killed with SIGKILL and the sweep re-submitted: the finished rows stay, the killed row reruns,
and no file is left half-written. The daemons are stopped by PID afterwards.

Needs `apt-get install -y slurm-wlm` and root (slurmd launches the jobs); otherwise skipped.
"""
import csv, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path

import nbformat, pytest, yaml

from circuit_gen.cli import main
from circuit_gen.sweeps import sweep_status

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helpers live in test_cli.py, next to this file
from test_cli import EVIL, assert_no_shell_effects, cli, write_notebook

ROOT = Path(__file__).resolve().parents[1]
SLURM_LOCAL = ROOT/"tools"/"slurm_local.sh"

pytestmark = [
    pytest.mark.skipif(shutil.which("slurmctld") is None,
                       reason="SLURM is not installed: `sudo apt-get install -y slurm-wlm` (Debian/Ubuntu) to run the SLURM tests"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the local SLURM test cluster needs root (slurmd launches the jobs)"),
]

SLEEPY_PARAMS = ('x: str = "a"  # any text\nseed: int = 0  # random seed\n'
                 'gate: str = ""  # row 2 waits while this file exists\nout_dir: str = ""  # runs root\nrun_id: str = ""  # run name')
SLEEPY_BODY = ('run = Run("sleepy", run_id or None, params=dict(x=x, seed=seed), root=out_dir or None)\n'
               'print("task", os.environ.get("SLURM_ARRAY_TASK_ID"), "x =", repr(x), flush=True)\n'
               't0 = time.time()\n'
               'while seed == 2 and gate and Path(gate).exists() and time.time() - t0 < 120: time.sleep(0.1)\n'
               'run.log_metrics(x=x, seed=seed, value=10 * seed, task=os.environ.get("SLURM_ARRAY_TASK_ID"))')


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    "A single-node SLURM cluster on localhost for this module; yields its SLURM_CONF."
    d = tmp_path_factory.mktemp("slurm")
    res = subprocess.run([str(SLURM_LOCAL), "start", str(d)], capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        subprocess.run([str(SLURM_LOCAL), "stop", str(d)], timeout=60)
        pytest.fail(f"could not start the SLURM test cluster:\n{res.stdout}\n{res.stderr}")
    try: yield str(d/"slurm.conf")
    finally:
        subprocess.run([str(SLURM_LOCAL), "stop", str(d)], timeout=60)
        assert not (d/"slurmctld.pid").exists() and not (d/"slurmd.pid").exists()


@pytest.fixture
def senv(tmp_path, cluster, monkeypatch):
    "Environment for CLI calls and the jobs they submit (sbatch exports it): cluster, fake HOME, runs root."
    home = tmp_path/"home"; home.mkdir(); (home/"canary").write_text("still here")
    e = {"SLURM_CONF": cluster, "HOME": str(home), "CIRCUIT_GEN_RUNS": str(tmp_path/"runs"), "OMP_NUM_THREADS": "1"}
    for k, v in e.items(): monkeypatch.setenv(k, v)  # in-process polls ask the same squeue
    return {**os.environ, **e}


def status(sdir, env=None) -> list[dict]:
    "The sweep's rows, read in this process (what `circuit-gen status --json` prints)."
    return sweep_status(sdir)


def cg(args, capsys) -> str:
    "`circuit-gen ARGS` in this process (no torch import per call); returns stdout."
    capsys.readouterr()
    assert main([str(a) for a in args]) == 0
    return capsys.readouterr().out


def wait_for(cond, what, timeout=90, every=0.5):
    deadline = time.time() + timeout
    while True:
        got = cond()
        if got: return got
        if time.time() > deadline: raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def queue(env) -> str:
    return subprocess.run(["squeue", "-h", "-r", "-o", "%i %T"], env=env, capture_output=True, text=True).stdout


def all_files_whole(folder: Path):
    "Every JSON, YAML and notebook under `folder` parses, and no temp file of an atomic write is left."
    for f in folder.rglob("*"):
        if f.suffix == ".json": json.loads(f.read_text())
        elif f.suffix == ".yaml": yaml.safe_load(f.read_text())
        elif f.suffix == ".ipynb" and not f.name.endswith(".partial.ipynb"): nbformat.read(str(f), as_version=4)
    assert not [f for f in folder.rglob("*.tmp")]


SLURM_OPTS = ["--gpus", "0", "--cpus", "1", "--mem", "200M", "--time", "00:05:00"]


def test_sweep_submit_wait_collect(tmp_path, senv, capsys):
    nb = write_notebook(tmp_path/"09_sleepy.ipynb", SLEEPY_PARAMS, SLEEPY_BODY)
    res = cli(["sweep", nb, "--grid", "x=" + ",".join(EVIL), "--name", "evil", *SLURM_OPTS, "--submit"], senv)
    assert "3 rows" in res.stdout and "submitted job" in res.stdout
    sdir = tmp_path/"runs/sweeps/evil"
    wait_for(lambda: all(r["state"] == "completed" for r in status(sdir, senv)), "3 completed rows")
    assert "evil: 3 completed (of 3)" in cg(["status", sdir], capsys)
    recs = list(csv.DictReader(Path(cg(["collect", sdir], capsys).strip()).open()))
    assert [r["metric.x"] for r in recs] == EVIL and [r["param.x"] for r in recs] == EVIL
    assert [r["metric.task"] for r in recs] == ["0", "1", "2"]  # task i ran row i
    for i, r in enumerate(recs):
        rd = tmp_path/"runs/sleepy"/f"evil-{i:04d}"
        assert f"task {i} x = {EVIL[i]!r}" in (rd/"log.txt").read_text()  # each task's log in its own run folder
        assert json.loads((rd/"status.json").read_text())["slurm_array_task_id"] == str(i)
    assert len(list((sdir/"logs").glob("*.out"))) == 3
    assert "nothing to submit" in cg(["submit", sdir], capsys)
    all_files_whole(tmp_path/"runs")
    assert_no_shell_effects(tmp_path, senv)


def test_sigkill_a_task_and_resubmit(tmp_path, senv, capsys, monkeypatch):
    monkeypatch.chdir(Path.cwd())  # restored after the test
    nb = write_notebook(tmp_path/"09_sleepy.ipynb", SLEEPY_PARAMS, SLEEPY_BODY)
    gate = tmp_path/"gate"; gate.touch()
    args = ["sweep", nb, "--grid", "seed=0,1,2", "-p", "gate", gate, "--name", "kill", *SLURM_OPTS, "--submit"]
    cli(args, senv)
    sdir, runs = tmp_path/"runs/sweeps/kill", tmp_path/"runs/sleepy"
    wait_for(lambda: [r["state"] for r in status(sdir, senv)][:2] == ["completed", "completed"]
             and (runs/"kill-0002/log.txt").exists() and "task 2" in (runs/"kill-0002/log.txt").read_text(),
             "rows 0 and 1 completed while row 2 waits")
    assert status(sdir, senv)[2]["state"] == "running"
    before = {i: (runs/f"kill-{i:04d}/metrics.json").stat().st_mtime_ns for i in (0, 1)}
    st2 = json.loads((runs/"kill-0002/status.json").read_text())
    job = f"{st2['slurm_array_job_id']}_2"
    assert job in queue(senv)
    os.kill(st2["pid"], signal.SIGKILL)  # the task's `circuit-gen run` process, mid-notebook
    wait_for(lambda: job not in queue(senv), "the killed task to leave the queue")
    rows = status(sdir, senv)
    assert [r["state"] for r in rows] == ["completed", "completed", "failed"] and rows[2]["error"].startswith("killed")
    assert "2 completed, 1 failed (of 3)" in cg(["status", sdir], capsys)
    assert not (runs/"kill-0002/metrics.json").exists() and not (runs/"kill-0002/09_sleepy.ipynb").exists()
    all_files_whole(tmp_path/"runs")
    gate.unlink()
    os.chdir(tmp_path)  # a relative sweep path: sbatch runs in the sweep folder, not here (issue 18, item 5)
    assert "submitted job" in cg(["submit", "runs/sweeps/kill"], capsys)  # re-submits what is not done
    assert json.loads((sdir/"submissions.json").read_text())[-1]["rows"] == [2]
    wait_for(lambda: all(r["state"] == "completed" for r in status(sdir, senv)), "the killed row to rerun")
    rows = status(sdir, senv)
    assert [r["attempts"] for r in rows] == [1, 1, 2]
    assert {i: (runs/f"kill-{i:04d}/metrics.json").stat().st_mtime_ns for i in (0, 1)} == before  # finished rows untouched
    assert json.loads((runs/"kill-0002/metrics.json").read_text())["value"] == 20
    assert "attempt 1 failed: killed" in (runs/"kill-0002/log.txt").read_text()
    assert not list(runs.rglob(".*.partial.ipynb"))
    all_files_whole(tmp_path/"runs")
