"""Shared measurement for the benchmark scripts (not tests): the rules a reviewer expects, in one place.

- every timing is the median of `repeats` (>= 3) runs after `warmup` runs, reported as wall time and as
  process CPU time (`time.process_time`, all threads of this process), with every run listed;
- peak memory is the resident high-water mark during the call (Linux `VmHWM`, reset through
  `/proc/self/clear_refs` before it) minus the resident set before it: what the call allocates beyond what the
  process already holds (on a GPU: `torch.cuda.max_memory_allocated` around the call); where a method is compared with
  its floor, of a second call (`warm=True`), so that neither is charged for code the other had paged in already;
- growth over sizes is the least-squares slope of log(time) on log(size) (1 = linear).
Peers run in their own environments; scripts compare outputs (max difference or rank correlation) besides time.
"""
import ctypes, math, os, statistics, subprocess, time

import torch


def _sync():
    if torch.cuda.is_available(): torch.cuda.synchronize()


def measure(fn, repeats: int = 3, warmup: int = 1) -> dict:
    "Median wall and process-CPU seconds of `fn()` over `repeats` runs after `warmup` runs."
    if repeats < 3: raise ValueError(f"repeats={repeats}: a median needs at least 3 runs")
    for _ in range(warmup): fn()
    walls, cpus = [], []
    for _ in range(repeats):
        _sync()
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        _sync()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "wall_runs": walls, "cpu_runs": cpus}


def measure_interleaved(fns: dict, repeats: int = 5, warmup: int = 1) -> dict:
    "`measure` for several functions at once, in rounds (each function once per round, so a changing load hits them alike): {name: its result}."
    if repeats < 3: raise ValueError(f"repeats={repeats}: a median needs at least 3 runs")
    for _ in range(warmup):
        for fn in fns.values(): fn()
    runs = {name: ([], []) for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            _sync()
            c0, w0 = time.process_time(), time.perf_counter()
            fn()
            _sync()
            runs[name][0].append(time.perf_counter() - w0)
            runs[name][1].append(time.process_time() - c0)
    return {name: {"wall_s": statistics.median(w), "cpu_s": statistics.median(c), "wall_runs": w, "cpu_runs": c}
            for name, (w, c) in runs.items()}


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"): return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reproduce_command(script: str, python: str = "python") -> str:
    "The command that reproduces this run's results file: one thread, `python` (a peer's interpreter where it runs ours too), `script` and this run's arguments."
    import shlex, sys
    return " ".join(["OMP_NUM_THREADS=1", python, *map(shlex.quote, [script, *sys.argv[1:]])])


def release_freed_memory():
    "Hand the allocator's freed pages back to the OS (glibc `malloc_trim`), so that work done before a memory measurement cannot hide its peak."
    try: ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError): pass


def peak_memory_mb(fn, warm: bool = False) -> float:
    """Peak memory `fn()` allocates beyond what the process held before (MB): Linux's resident high-water mark, or CUDA's peak.
    `warm`: of a second call, after one warm-up call and `release_freed_memory` (a first call's peak also holds the library
    code it pages in and its one-time caches: on the faithfulness benchmark's small model, 2.4 MB of code and about 2 MB of
    caches against a 9 MB sweep)."""
    if warm: fn(); release_freed_memory()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        _sync()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    with open("/proc/self/clear_refs", "w") as f: f.write("5")     # resets VmHWM to the current resident set
    base = _status_mb("VmRSS")
    fn()
    return max(0.0, _status_mb("VmHWM") - base)


def fresh_processes_mb(argv: list, runs: int = 3) -> float:
    """The median of the figure the command `argv` prints last (a script's `--one` peak-memory reading), over `runs` fresh
    processes of one thread each: within one process the allocator keeps an earlier call's freed pages, which hide a later
    peak, and one process's reading moves by up to 0.9 MB of 5 on the small models."""
    out = [float(subprocess.run(argv, capture_output=True, text=True, check=True,
                                env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout.split()[-1]) for _ in range(runs)]
    return sorted(out)[len(out) // 2]


def timed(fn, repeats: int = 3, warm: bool = False) -> dict:
    """`measure` with the peak memory (`peak_memory_mb`) of a first call, which is also the warm-up: how the peer scripts time
    a tool in its own process. `warm`: the peak of a second call instead (`peak_memory_mb`'s `warm`)."""
    peak = peak_memory_mb(fn, warm=warm)
    return {**measure(fn, repeats=repeats, warmup=0), "peak_mb": peak}


def growth_exponent(sizes, seconds) -> float:
    "Slope of log(seconds) against log(size): 1 is linear growth, 2 quadratic."
    if len(set(sizes)) < 2: return None                      # one size: no slope
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def machine() -> dict:
    "What the numbers were measured on: CPU count, threads, torch version, GPU if any, date."
    import datetime, os, platform
    return {"date": datetime.date.today().isoformat(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
            "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def write_results(area: str, title: str, command: str, rows: list[dict], summary: dict, notes: str = "",
                  path=None) -> "Path":
    """Write one benchmark's results as `bench/results/<area>.json` (or `<area>_cuda.json` on a GPU), the file the
    docs page `benchmarks` renders. `rows`: one dict per measured case, the same keys in each (the table's columns, in
    order); `summary`: the headline figures, e.g. `{"ratio_to_fastest_peer": 2.9, "ratio_to_floor": 1.2,
    "max_abs_diff": 1e-6}` (speed ratios > 1 mean circuit_gen is faster; floor ratios are ours / floor, 1 is the floor);
    `command`: the exact command that reproduces the file. With `path` the file's own name is its area (less `_cuda`):
    a run at other sizes (`--out bench/results/faithfulness_gpt2_shape_cpu.json`) is its own entry on the page."""
    import json
    from pathlib import Path
    if not rows: raise ValueError(f"write_results({area!r}): no rows; measure something first")
    keys = list(rows[0])
    for r in rows:
        if list(r) != keys: raise ValueError(f"write_results({area!r}): row keys {list(r)} differ from {keys}; give every row the same columns")
    gpu = torch.cuda.is_available()
    path = Path(path) if path else Path(__file__).resolve().parent / "results" / f"{area}{'_cuda' if gpu else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.stem not in (area, area + "_cuda"): area = path.stem.removesuffix("_cuda")
    doc = {"area": area, "title": title, "command": command, "machine": machine(), "summary": summary,
           "columns": keys, "rows": rows, "notes": notes}
    path.write_text(json.dumps(doc, indent=1, default=float) + "\n")
    print(f"wrote {path}")
    return path
