"""The `circuit-gen` command line end to end, without SLURM: run, sweep tables, status, collect, list, tour.

Commands run through `circuit_gen.cli.main(argv)` (what the console script calls) or, where
the process boundary matters (shell safety, SIGKILL), a real subprocess `python -m
circuit_gen.cli ...` with an argument list, never a shell. The notebooks are tiny ones
written into a temp folder, so these tests do not depend on the project's experiment notebooks.
"""
import csv, json, os, re, signal, subprocess, sys, time
from importlib.metadata import entry_points
from pathlib import Path

import nbformat, pytest, yaml

from circuit_gen.cli import main
from circuit_gen.parameters import write_notebook
from circuit_gen.runs import run_state
from circuit_gen.experiment_config import experiment_config, list_experiments

# Values a shell would mangle or execute; they must reach the notebook byte for byte.
EVIL = ["x; rm -rf ~", "it's \"quoted\" and  spaced", "$(touch PWNED) `touch PWNED2` | cat > PWNED3"]


ECHO_PARAMS = ('x: str = "a"  # any text\nn: int = 2  # a count\nseed: int = 0  # random seed\nlr: float = 0.001  # learning rate\n'
               'gate: str = ""  # wait while this file exists\nout_dir: str = ""  # runs root\nrun_id: str = ""  # run name')
ECHO_BODY = ('run = Run("echo", run_id or None, params=dict(x=x, n=n, lr=lr), root=out_dir or None)\n'
             'print("echo says", repr(x))\n'
             't0 = time.time()\n'
             'while gate and Path(gate).exists() and time.time() - t0 < 120: time.sleep(0.1)\n'
             'assert n >= 0, "n must be non-negative"\n'
             'import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt\n'
             'fig, ax = plt.subplots(); ax.plot(range(n + 1)); run.save_fig(fig, "line")\n'
             'run.log_metrics(x=x, n=n, double=2 * n, lr=lr, nested={"a": 1.5})')


def echo_notebook(folder) -> Path:
    return write_notebook(Path(folder)/"05_echo.ipynb", ECHO_PARAMS, ECHO_BODY)


@pytest.fixture
def env(tmp_path, monkeypatch):
    "Environment for the CLI (this process and subprocesses): a fake HOME holding a canary, runs under tmp."
    home = tmp_path/"home"; home.mkdir()
    (home/"canary").write_text("still here")
    e = {"HOME": str(home), "CIRCUIT_GEN_RUNS": str(tmp_path/"runs"), "OMP_NUM_THREADS": "1"}
    for k, v in e.items(): monkeypatch.setenv(k, v)
    return {**os.environ, **e}


class Result:
    def __init__(self, returncode, stdout, stderr): self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cg(capsys):
    "Call `main(argv)` in this process; returns returncode, stdout and stderr like subprocess.run."
    def call(args, check=True):
        capsys.readouterr()
        rc = main([str(a) for a in args])
        out, err = capsys.readouterr()
        if check and rc != 0: raise AssertionError(f"circuit-gen {args} returned {rc}\n{out}\n{err}")
        return Result(rc, out, err)
    return call


def cli(args, env, check=True, cwd=None, timeout=300):
    "Run `python -m circuit_gen.cli ARGS` (argument list, no shell)."
    res = subprocess.run([sys.executable, "-m", "circuit_gen.cli", *map(str, args)], env=env, cwd=cwd,
                         capture_output=True, text=True, timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"circuit-gen {args} exited {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")
    return res


def assert_no_shell_effects(tmp_path, env):
    "The evil values did not run: HOME's canary is intact and no PWNED file appeared anywhere under tmp."
    assert (Path(env["HOME"])/"canary").read_text() == "still here"
    assert not list(tmp_path.rglob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))


def test_console_script_is_registered():
    eps = [e for e in entry_points(group="console_scripts") if e.name == "circuit-gen"]
    assert eps and eps[0].value == "circuit_gen.cli:main"


def test_run_writes_a_run_folder(tmp_path, env, cg):
    nb = echo_notebook(tmp_path)
    res = cg(["run", nb, "-p", "n", "3", "-p", "lr", "3e-4", "-p", "x", "hello world", "--run-id", "r1"])
    rd = tmp_path/"runs"/"echo"/"r1"
    assert f"completed: {rd}" in res.stdout
    m = json.loads((rd/"metrics.json").read_text())
    assert (m["x"], m["n"], m["double"], m["lr"]) == ("hello world", 3, 6, 3e-4)  # int and float arrive typed
    assert yaml.safe_load((rd/"params.yaml").read_text()) == {"x": "hello world", "n": 3, "lr": 3e-4}
    assert (rd/"figs"/"line.png").stat().st_size > 1000
    assert "echo says 'hello world'" in (rd/"log.txt").read_text()
    st = json.loads((rd/"status.json").read_text())
    assert st["state"] == "completed" and st["attempts"] == 1 and st["parameters"]["out_dir"] == str(tmp_path/"runs")
    executed = nbformat.read(str(rd/"05_echo.ipynb"), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "n = 3" in injected[0].source
    # a completed run is not executed again
    res = cg(["run", nb, "-p", "n", "3", "-p", "lr", "3e-4", "-p", "x", "hello world", "--run-id", "r1"])
    assert "already completed" in res.stdout and json.loads((rd/"status.json").read_text())["attempts"] == 1


def test_parameter_values_are_data_not_shell(tmp_path, env):
    nb = echo_notebook(tmp_path)
    cli(["run", nb, "-p", "x", EVIL[0], "--run-id", "p0"], env)  # a real process: argv straight from the OS
    assert json.loads((tmp_path/"runs/echo/p0/metrics.json").read_text())["x"] == EVIL[0]
    pfile = tmp_path/"evil.yaml"
    pfile.write_text(yaml.safe_dump({"x": EVIL[1] + EVIL[2], "n": 1}))
    cli(["run", nb, "-f", pfile, "--run-id", "f0"], env)
    assert json.loads((tmp_path/"runs/echo/f0/metrics.json").read_text())["x"] == EVIL[1] + EVIL[2]
    assert_no_shell_effects(tmp_path, env)


def test_unknown_parameter_lists_the_notebook_parameters(tmp_path, env, cg):
    nb = echo_notebook(tmp_path)
    res = cg(["run", nb, "-p", "learning_rate", "0.1"], check=False)
    assert res.returncode == 2
    assert "no parameter 'learning_rate'" in res.stderr and "lr: float = 0.001" in res.stderr and "n: int = 2" in res.stderr
    res = cg(["run", nb, "-p", "n", "three"], check=False)
    assert res.returncode == 2 and "declared int" in res.stderr
    assert not (tmp_path/"runs").exists()  # nothing was started


def test_failed_run_keeps_partial_notebook_and_reruns(tmp_path, env, cg):
    nb = echo_notebook(tmp_path)
    res = cg(["run", nb, "-p", "n", "-1", "-p", "x", "before the failure", "--run-id", "bad"], check=False)
    rd = tmp_path/"runs/echo/bad"
    assert res.returncode == 1 and "n must be non-negative" in res.stdout
    st = json.loads((rd/"status.json").read_text())
    assert st["state"] == "failed" and "AssertionError" in st["error"]
    executed = nbformat.read(str(rd/"05_echo.ipynb"), as_version=4)
    assert any("echo says 'before the failure'" in o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert not (rd/"metrics.json").exists() and not list(rd.glob(".*.partial.ipynb"))
    # running a failed run again executes it again (a completed one would be skipped)
    res = cg(["run", nb, "-p", "n", "-1", "-p", "x", "before the failure", "--run-id", "bad"], check=False)
    assert json.loads((rd/"status.json").read_text())["attempts"] == 2 and res.returncode == 1


def test_killed_run_reads_failed_and_reruns(tmp_path, env):
    "SIGKILL a running `circuit-gen run`: no half-written files; status reads failed; rerunning completes it."
    nb = echo_notebook(tmp_path)
    gate = tmp_path/"gate"; gate.touch()
    rd = tmp_path/"runs/echo/k1"
    args = [sys.executable, "-m", "circuit_gen.cli", "run", str(nb), "-p", "gate", str(gate), "--run-id", "k1"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not ((rd/"log.txt").exists() and "echo says" in (rd/"log.txt").read_text()):  # inside the waiting cell
        assert time.time() < deadline and proc.poll() is None, "the run did not reach its waiting cell"
        time.sleep(0.2)
    assert run_state(rd)["state"] == "running"
    os.kill(proc.pid, signal.SIGKILL); proc.wait()
    st = run_state(rd)
    assert st["state"] == "failed" and st["error"].startswith("killed")
    assert not (rd/"05_echo.ipynb").exists()  # only the hidden partial notebook, never a half-written final one
    assert json.loads((rd/"status.json").read_text())["state"] == "running"  # the file itself is whole
    gate.unlink()
    cli(["run", nb, "-p", "gate", str(gate), "--run-id", "k1"], env)
    st = run_state(rd)
    assert st["state"] == "completed" and st["attempts"] == 2
    assert json.loads((rd/"metrics.json").read_text())["double"] == 4
    assert not list(rd.glob(".*.partial.ipynb")) and not list(rd.glob(".*.tmp"))
    assert "attempt 1 failed: killed" in (rd/"log.txt").read_text()


def test_sweep_table_status_collect_without_slurm(tmp_path, env, cg):
    nb = echo_notebook(tmp_path)
    args = ["sweep", nb, "--grid", f"x={EVIL[0]},{EVIL[1]}", "--grid", "n=1,2", "-p", "lr", "0.5",
            "--name", "sw", "--gpus", "0", "--time", "00:10:00", "--mem", "1G", "--partition", "debug"]
    res = cg(args)
    sdir = tmp_path/"runs/sweeps/sw"
    assert "4 rows" in res.stdout and "--array=0-3" in res.stdout
    table = json.loads((sdir/"table.json").read_text())
    assert [(r["parameters"]["x"], r["parameters"]["n"]) for r in table] == [(EVIL[0], 1), (EVIL[0], 2), (EVIL[1], 1), (EVIL[1], 2)]
    assert all(r["parameters"]["lr"] == 0.5 for r in table)
    script = (sdir/"job.sbatch").read_text()
    assert "rm -rf" not in script and "and  spaced" not in script  # values live in the table only
    assert "#SBATCH --partition=debug" in script and "#SBATCH --time=00:10:00" in script and "--gres" not in script
    assert cg(args).returncode == 0  # the same sweep again: fine
    res = cg([*args[:3], "x=other", *args[4:]], check=False)
    assert res.returncode == 2 and "another parameter table" in res.stderr
    # run two rows the way array tasks do, then follow and collect
    for row in (0, 3): cg(["run", "--table", sdir/"table.json", "--row", row])
    res = cg(["status", sdir])
    assert "2 completed, 2 todo (of 4)" in res.stdout
    rows = json.loads(cg(["status", sdir, "--json"]).stdout)
    assert [r["state"] for r in rows] == ["completed", "todo", "todo", "completed"]
    out = Path(cg(["collect", sdir]).stdout.strip())
    recs = list(csv.DictReader(out.open()))
    assert [r["metric.x"] for r in recs] == [EVIL[0], "", "", EVIL[1]]
    assert [r["param.x"] for r in recs] == [EVIL[0], EVIL[0], EVIL[1], EVIL[1]]
    assert recs[3]["metric.double"] == "4" and recs[3]["metric.nested.a"] == "1.5" and recs[1]["state"] == "todo"
    assert "--array=1-2 " in cg(["submit", sdir, "--dry-run"]).stdout  # only the rows not done
    assert_no_shell_effects(tmp_path, env)


def test_sweep_file_with_preset(tmp_path, env, cg):
    nb = echo_notebook(tmp_path)
    hp = tmp_path/"echo.yaml"
    hp.write_text(yaml.safe_dump({"notebook": "07_echo", "cpu": {"n": 1}, "gpu": {"n": 7, "lr": 0.01}, "grid": {"x": ["a", "b"]}}))
    sf = tmp_path/"echo_research.yaml"
    sf.write_text(yaml.safe_dump({"notebook": str(nb), "name": "echo-research", "preset": "gpu", "config": str(hp),
                                  "seeds": 2, "slurm": {"gpus": 1, "time": "02:00:00", "mem": "16G"}}))
    res = cg(["sweep", sf])
    sdir = tmp_path/"runs/sweeps/echo-research"
    table = json.loads((sdir/"table.json").read_text())
    assert "4 rows" in res.stdout
    assert [(r["parameters"]["x"], r["parameters"]["seed"]) for r in table] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert all(r["parameters"]["n"] == 7 and r["parameters"]["lr"] == 0.01 for r in table)
    assert "#SBATCH --gres=gpu:1" in (sdir/"job.sbatch").read_text()


def test_list_shows_runnable_notebooks(tmp_path, env, cg):
    echo_notebook(tmp_path)
    write_notebook(tmp_path/"06_noparams.ipynb", "", "print(1)")
    nbformat.write(nbformat.v4.new_notebook(), str(tmp_path/"07_plain.ipynb"))
    res = cg(["list", "--nbs", tmp_path])
    assert "05_echo.ipynb  (experiment echo)" in res.stdout and "lr: float = 0.001  # learning rate" in res.stdout
    assert "07_plain" not in res.stdout


def test_tour_runs_experiment_notebooks_and_reports(tmp_path, env):
    nbs = tmp_path/"nbs"; nbs.mkdir()
    fig_body = ('import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt\n'
                'run = Run("{name}", run_id or None, params={{}}, root=out_dir or None)\n'
                'fig, ax = plt.subplots(); ax.plot([0, 1], [1, 0]); ax.set_title("{name}"); run.save_fig(fig, "headline")\n'
                'run.log_metrics(accuracy=0.75)')
    p = 'device: str = ""  # device\nout_dir: str = ""  # runs root\nrun_id: str = ""  # run name'
    write_notebook(nbs/"20_alpha.ipynb", p, fig_body.format(name="alpha"))
    write_notebook(nbs/"21_broken.ipynb", p, 'raise RuntimeError("broken on purpose")')
    write_notebook(nbs/"33_gamma.ipynb", p, fig_body.format(name="gamma"))
    write_notebook(nbs/"40_trainer.ipynb", p, 'raise RuntimeError("trainers are not on the tour")')
    write_notebook(nbs/"18_module.ipynb", p, 'raise RuntimeError("modules are not on the tour")')
    res = cli(["tour", "--nbs", nbs, "--out", tmp_path/"runs", "--tour-id", "t1", "--jobs", "2"], env, check=False)
    assert res.returncode == 1  # one notebook failed, the tour went on
    lines = [l for l in res.stdout.splitlines() if l.strip().startswith("[")]
    states = dict(re.search(r"\]\s+(\S+)\s+(\S+)", l).groups() for l in lines)  # "[i/3] name state seconds s", finishing order
    assert states == {"20_alpha": "completed", "21_broken": "failed", "33_gamma": "completed"}
    tdir = tmp_path/"runs/tour/t1"
    page = (tdir/"report.html").read_text()
    assert "2 of 3 notebooks completed" in page and "broken on purpose" in page and "trainer" not in page
    refs = re.findall(r'(?:href|src)="([^"#]+)"', page)
    assert refs and all((tdir/r).exists() for r in refs), [r for r in refs if not (tdir/r).exists()]
    imgs = re.findall(r'src="([^"]+\.png)"', page)
    assert len(set(imgs)) == 2 and all("headline.png" in i for i in imgs)  # each figure: in its run's section and as a thumbnail in the verdict table
    for name in ("20_alpha", "21_broken", "33_gamma"):
        assert f'href="{name}/{name}.html"' in page and (tdir/name/f"{name}.html").stat().st_size > 10000


EXPERIMENTS = [e for e in list_experiments() if experiment_config(e).get("slurm")]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_shipped_experiments_build_their_sweeps(experiment, tmp_path, env, cg):
    "Each shipped experiment with SLURM resources resolves its notebook, preset and grid into a table and a script (no submission)."
    cfg = experiment_config(experiment)
    gpu = cfg.get("gpu") or {}
    variant = next(iter(gpu)) if gpu and all(isinstance(v, dict) for v in gpu.values()) else None   # per-model research settings
    res = cg(["sweep", experiment, "--out", tmp_path/"runs"] + (["--preset", f"gpu:{variant}"] if variant else []))
    sdir = tmp_path/"runs/sweeps"/experiment.replace("_", "-")
    table = json.loads((sdir/"table.json").read_text())
    assert re.search(rf"{len(table)} rows? in", res.stdout) and len(table) >= 1
    script = (sdir/"job.sbatch").read_text()
    assert f"#SBATCH --time={cfg['slurm']['time']}" in script and "--row \"$SLURM_ARRAY_TASK_ID\"" in script
    for key, values in (cfg.get("grid") or {}).items():
        assert sorted({json.dumps(r["parameters"][key]) for r in table}) == sorted(json.dumps(v) for v in values)
