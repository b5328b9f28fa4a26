"""Drift check vs. Evidently's DataDriftPreset, measured in one run on this machine.

For each size (default 100k and 1M rows × 20 columns: 14 numerical, 6 categorical,
8 of them shifted) this times

- the peer: ``Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)``;
- ours: building the reference profile (once, at training time) and, separately,
  ``check_drift(profile, cur)`` on the profile read back from its JSON (median of
  ``--repeat`` runs). Target: the check on 1M × 20 in ≤ 3 s and ≥ 35× faster.

and prints both times, the ratio and how the verdicts agree (per column and dataset
level), plus the largest score difference.

Then, end to end through the CLI (``--cli-rows``, default 1M × 20, parquet): two
files written once, then each side in a fresh process, median of ``--cli-repeat``:

- ours: ``mlops drift check --reference ref.parquet --current cur.parquet
  --no-report --json`` — reading both files, comparing every row of both, recording
  the check in the store (one warm-up run first creates the store and the
  experiment; it is reported apart). Target ≤ 3 s. Also once with the default
  Evidently HTML report (on 5000-row samples);
- the peer: a process reading the same two files and running
  ``Report([DataDriftPreset()])`` on the first ``--peer-rows`` rows of each (default
  100k: Evidently needs minutes on 1M rows; ``--peer-rows 0`` = all rows).

Usage::

    python benchmarks/bench_drift.py [--sizes 100000,1000000] [--skip-evidently-1m]
                                     [--repeat 3] [--cli-rows 1000000] [--cli-repeat 3]
                                     [--peer-rows 100000] [--skip-cli] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mlops_jupyter.monitoring.drift import check_drift
from mlops_jupyter.monitoring.profile import ReferenceProfile

SHIFTED = ("n00", "n03", "n06", "n09", "n12", "c0", "c2", "c4")


def make_frame(rows: int, *, shifted: bool, seed: int) -> pd.DataFrame:
    """20 columns: 14 numerical of assorted shapes, 6 categorical; shift some if asked."""
    rng = np.random.default_rng(seed)

    def s(name: str) -> float:
        return 1.0 if shifted and name in SHIFTED else 0.0

    data: dict[str, object] = {}
    for i in range(14):
        name = f"n{i:02d}"
        shape = i % 4
        if shape == 0:
            data[name] = rng.normal(0.3 * s(name), 1.0, rows)
        elif shape == 1:
            data[name] = rng.exponential(1.0 + 0.4 * s(name), rows)
        elif shape == 2:
            data[name] = rng.uniform(0.0, 1.0 + 0.3 * s(name), rows)
        else:
            data[name] = rng.integers(0, 1000, rows) + int(60 * s(name))
    data["c0"] = rng.choice(["a", "b", "c", "d", "e"], rows,
                            p=[0.35, 0.25, 0.2, 0.1, 0.1] if s("c0") else [0.2] * 5)
    data["c1"] = rng.random(rows) < 0.3
    data["c2"] = rng.integers(0, 6, rows) if not s("c2") else rng.integers(0, 4, rows)
    data["c3"] = pd.Categorical(rng.choice(["x", "y", "z"], rows))
    data["c4"] = rng.random(rows) < (0.5 if s("c4") else 0.3)
    data["c5"] = rng.choice(["p", "q", "r", "s", "t", "u", "v"], rows)
    frame = pd.DataFrame(data)
    # Some missing values, as real data has.
    frame.loc[rng.random(rows) < 0.02, "n01"] = np.nan
    frame.loc[rng.random(rows) < 0.02, "c0"] = None
    return frame


def run_evidently(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[float, dict]:
    """Time Evidently's preset; return the time and its verdicts."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        snapshot = Report([DataDriftPreset()], include_tests=True).run(
            current_data=cur, reference_data=ref)
        elapsed = time.perf_counter() - started
    data = snapshot.dict()
    scores, share = {}, None
    for metric in data["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            scores[config["column"]] = (config["method"], float(metric["value"]))
        elif config["type"].endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
    drifted = {t["metric_config"]["params"]["column"]: t["status"] == "FAIL"
               for t in data["tests"] if t["id"] == "drift"}
    return elapsed, {"scores": scores, "drifted": drifted, "share": share,
                     "dataset_drift": share is not None and share >= 0.5}


def run_ours(ref: pd.DataFrame, cur: pd.DataFrame, repeat: int) -> dict:
    """Time profile building and the check (on the profile read back from JSON)."""
    started = time.perf_counter()
    profile = ReferenceProfile.from_frame(ref)
    build = time.perf_counter() - started
    text = profile.to_json()
    loaded = ReferenceProfile.from_json(text)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = check_drift(loaded, cur)
        times.append(time.perf_counter() - started)
    return {"build_s": build, "check_s": statistics.median(times), "profile_bytes": len(text),
            "result": result}


def compare(ours, peer: dict) -> dict:
    """Per-column and dataset-level agreement, and the largest score difference."""
    agree, disagree, max_diff, bound_ok = 0, [], 0.0, True
    for col in ours.columns:
        method, score = peer["scores"][col.column]
        same = col.drifted == peer["drifted"][col.column] and col.method_display == method
        if same:
            agree += 1
        else:
            disagree.append(col.column)
        diff = abs(col.score - score)
        max_diff = max(max_diff, diff)
        bound_ok &= diff <= col.score_error_bound + 1e-9 * max(1.0, abs(score))
    return {"columns_agree": agree, "columns": len(ours.columns), "disagree": disagree,
            "dataset_agree": ours.dataset_drift == peer["dataset_drift"],
            "max_score_diff": max_diff, "diff_within_bound": bound_ok}


PEER_SCRIPT = """
import sys, time, warnings
started = time.perf_counter()
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
rows = int(sys.argv[3])
ref = pd.read_parquet(sys.argv[1])
cur = pd.read_parquet(sys.argv[2])
if rows:
    ref, cur = ref.head(rows), cur.head(rows)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref).dict()
print(time.perf_counter() - started)
"""


CPU_TIMES: list[float] = []  # user + sys seconds of each process _timed ran


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_TIMES.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command[:4])} ... failed: "
                         f"{(done.stderr or done.stdout).strip()[-500:]}")
    return elapsed, done.stdout


def run_cli(rows: int, repeat: int, peer_rows: int) -> dict:
    """Ours through the CLI and Evidently, each in fresh processes, on two parquet files."""
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as folder:
        root = Path(folder)
        make_frame(rows, shifted=False, seed=1).to_parquet(root / "ref.parquet")
        make_frame(rows, shifted=True, seed=2).to_parquet(root / "cur.parquet")
        env = dict(os.environ, MLOPS_JUPYTER_HOME=str(root / "home"))
        env.pop("MLFLOW_TRACKING_URI", None)
        repo = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "mlops_jupyter.cli", "drift", "check",
                   "--reference", str(root / "ref.parquet"),
                   "--current", str(root / "cur.parquet")]
        warmup, _ = _timed([*command, "--no-report", "--json"], env)
        times, cpu, result = [], [], None
        for _ in range(repeat):
            elapsed, out = _timed([*command, "--no-report", "--json"], env)
            times.append(elapsed)
            cpu.append(CPU_TIMES[-1])
            result = json.loads(out)["result"]
        with_report, _ = _timed(command, env)
        peer_times, peer_cpu = [], []
        for _ in range(max(1, min(repeat, 3))):
            wall, _ = _timed([sys.executable, "-c", PEER_SCRIPT, str(root / "ref.parquet"),
                              str(root / "cur.parquet"), str(peer_rows)], env)
            peer_times.append(wall)
            peer_cpu.append(CPU_TIMES[-1])
    return {"rows": rows, "columns": 20, "cli_s": statistics.median(times),
            "cli_runs_s": times, "cli_cpu_s": statistics.median(cpu),
            "peer_cpu_s": statistics.median(peer_cpu), "cli_first_s": warmup, "cli_with_report_s": with_report,
            "peer_rows": peer_rows or rows, "peer_s": statistics.median(peer_times),
            "dataset_drift": result["dataset_drift"],
            "drifted_columns": sorted(c for c, v in result["columns"].items()
                                      if v["drifted"]),
            "load_average": os.getloadavg()[0]}


def _print_cli(e: dict) -> None:
    print(f"end to end through the CLI, {e['rows']:,} rows × {e['columns']} columns, "
          "parquet, fresh processes")
    print(f"  ours: mlops drift check --reference ref.parquet --current cur.parquet "
          f"--no-report: {e['cli_s']:.2f} s (median of "
          f"{', '.join(f'{t:.2f}' for t in e['cli_runs_s'])}; target ≤ 3 s) → dataset drift "
          f"{e['dataset_drift']}, drifted {', '.join(e['drifted_columns'])}; CPU time "
          f"(user + sys, all threads) {e['cli_cpu_s']:.2f} s")
    print(f"        first run (creates the store and the experiment): {e['cli_first_s']:.2f} s;"
          f" with the Evidently HTML report (default): {e['cli_with_report_s']:.2f} s")
    scope = "all" if e["peer_rows"] == e["rows"] else f"the first {e['peer_rows']:,}"
    print(f"  Evidently DataDriftPreset, reading the same files, on {scope} rows of each: "
          f"{e['peer_s']:.2f} s (CPU time {e['peer_cpu_s']:.2f} s)")
    per_row = e["peer_s"] / e["peer_rows"] * e["rows"]
    ratio = f"{e['peer_s'] / e['cli_s']:.1f}×" if e["peer_rows"] == e["rows"] else (
        f"{e['peer_s'] / e['cli_s']:.1f}× on {e['peer_rows'] / e['rows']:.0%} of the rows")
    print(f"  ratio Evidently / ours: {ratio}"
          + ("" if e["peer_rows"] == e["rows"] else
             f" (≥ {per_row / e['cli_s']:.0f}× if Evidently scaled linearly)")
          + f"; load average {e['load_average']:.1f} on {os.cpu_count()} cores")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time mlops-jupyter's drift check against Evidently's DataDriftPreset.")
    parser.add_argument("--sizes", default="100000,1000000",
                        help="comma-separated row counts (default: 100000,1000000)")
    parser.add_argument("--skip-evidently-1m", action="store_true",
                        help="do not run Evidently on sizes ≥ 1M rows (it takes ~2 min)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of our check per size; the median is reported")
    parser.add_argument("--cli-rows", type=int, default=1_000_000,
                        help="rows of the end-to-end CLI comparison (default 1000000)")
    parser.add_argument("--cli-repeat", type=int, default=3,
                        help="fresh-process runs of the CLI; the median is reported")
    parser.add_argument("--peer-rows", type=int, default=100_000,
                        help="rows Evidently compares in the CLI comparison (0 = all)")
    parser.add_argument("--skip-cli", action="store_true",
                        help="skip the end-to-end CLI comparison")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes must be comma-separated integers")

    report = []
    for rows in sizes:
        ref = make_frame(rows, shifted=False, seed=1)
        cur = make_frame(rows, shifted=True, seed=2)
        ours = run_ours(ref, cur, max(1, args.repeat))
        entry = {"rows": rows, "columns": ref.shape[1], "build_s": ours["build_s"],
                 "check_s": ours["check_s"], "profile_bytes": ours["profile_bytes"],
                 "dataset_drift": ours["result"].dataset_drift,
                 "drifted_columns": ours["result"].drifted_columns}
        if args.skip_evidently_1m and rows >= 1_000_000:
            entry["evidently_s"] = None
        else:
            peer_s, peer = run_evidently(ref, cur)
            entry.update(evidently_s=peer_s, ratio=peer_s / ours["check_s"],
                         **compare(ours["result"], peer))
        report.append(entry)
        if not args.json:
            _print(entry)
    if not args.skip_cli:
        entry = run_cli(args.cli_rows, max(1, args.cli_repeat), max(0, args.peer_rows))
        report.append(entry)
        if not args.json:
            _print_cli(entry)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    return 0


def _print(e: dict) -> None:
    print(f"{e['rows']:>9,} rows × {e['columns']} columns")
    print(f"  ours: profile build {e['build_s']:.2f} s (once; {e['profile_bytes'] / 1e6:.2f} MB "
          f"JSON), check {e['check_s']:.3f} s → dataset drift {e['dataset_drift']}, "
          f"drifted {', '.join(e['drifted_columns']) or '-'}")
    if e.get("evidently_s") is None:
        print("  Evidently: skipped (--skip-evidently-1m)")
        return
    print(f"  Evidently DataDriftPreset: {e['evidently_s']:.2f} s")
    print(f"  ratio Evidently / our check: {e['ratio']:.1f}×")
    print(f"  agreement: {e['columns_agree']}/{e['columns']} columns"
          f"{' (differ: ' + ', '.join(e['disagree']) + ')' if e['disagree'] else ''}, "
          f"dataset level {'same' if e['dataset_agree'] else 'DIFFERENT'}; "
          f"max |score diff| {e['max_score_diff']:.2e} "
          f"({'within' if e['diff_within_bound'] else 'OUTSIDE'} the stated error bounds)")


if __name__ == "__main__":
    sys.exit(main())
