"""Benchmark: the fixed cost of one small partition, this checkout side by side with an older commit.

Two figures, each measured for both codebases in the same run, alternating old and new so that a busy
machine slows both alike:

- **import**: a fresh interpreter importing ``infranaut_pipelines.definitions`` (what every code server, run
  worker and step process pays), and the same plus building the Definitions (the whole code-location load);
- **run**: one (day, model) ``inference_pipeline_job`` run in process on the embedded default (DuckDB,
  local folders), ingest -> alerts, for days of ``--rows`` rows of a model of the benchmark's own (the
  tests' ``subscription_churn``, not the demo's). Each codebase gets its own data folder and instance;
  the baseline days are processed first, untimed, so every timed run has a baseline to compare against.
  After the timed runs the outputs of both are compared: dbt metrics, drift verdicts and alert events must
  be equal row for row (run ids and wall-clock columns aside).

    .venv/bin/python benchmarks/partition_run.py                 # old = merge-base with main, 2,000-row days
    .venv/bin/python benchmarks/partition_run.py --base <commit> --runs 7 --imports 7 --what import,run

The old codebase is checked out with ``git worktree`` into a temporary folder and imported from there
(``PYTHONPATH``), with this checkout's virtualenv; nothing of the checkout is changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = "subscription_churn"
FIRST_DAY = dt.date(2026, 11, 1)
BASELINE_DAYS = 3  # the model's rolling window (tests/support/own_model.py)


# ----------------------------------------------------------------------------- the child: one codebase
def _child(rows: int, runs: int, work: Path) -> None:
    """Set up a data folder, then run one timed partition per "run" line on stdin; answer JSON lines."""
    sys.path.append(str(ROOT))  # tests.support.own_model: the model and drops of the benchmark's own
    from tests.support import own_model as om

    os.environ.update({
        "DAGSTER_HOME": str(work), "INFRANAUT_DATA_DIR": str(work / "data"),
        "INFRANAUT_REGISTRY": str(om.write_registry(work)), "INFRANAUT_EXECUTOR": "in_process",
    })  # fmt: skip
    for name in ("INFRANAUT_ALERT_RULES", "SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "INFRANAUT_WAREHOUSE_URL",
                 "INFRANAUT_LANDING_URL", "INFRANAUT_LAKE_URL"):
        os.environ.pop(name, None)
    (work / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range(BASELINE_DAYS + runs)]
    landing = work / "data" / "landing"
    for i, day in enumerate(days):
        frame = om.inference_frame(day, rows=rows, seed=i, spend_shift=0.8 if i >= BASELINE_DAYS + 1 else 0.0)
        for key, data in ((om.drop_key(day), frame), (om.label_key(day), om.label_frame(frame, seed=i))):
            (landing / key).parent.mkdir(parents=True, exist_ok=True)
            (landing / key).write_bytes(om.parquet_bytes(data))

    from infranaut_pipelines.commands.process import Runner
    from infranaut_pipelines.partitions import partition_key

    runner = Runner(say=lambda _line: None)
    spec = runner.model(MODEL)
    for day in days[:BASELINE_DAYS]:  # untimed: the baseline window, then the baseline and its reports
        runner.run("inference_pipeline_job", str(partition_key(day, MODEL)), "setup")
    runner.catch_up(spec)
    _answer({"ready": True, "failed": runner.failed})
    for day in days[BASELINE_DAYS:]:
        if sys.stdin.readline().strip() != "run":
            return
        started = time.perf_counter()
        # As Runner.run does it, keeping the result for the per-step durations.
        result = runner.defs.resolve_job_def("inference_pipeline_job").execute_in_process(
            instance=runner.instance, partition_key=str(partition_key(day, MODEL)), raise_on_error=False,
            run_config=runner._log,
        )  # fmt: skip
        _answer({"day": day.isoformat(), "seconds": time.perf_counter() - started, "ok": result.success,
                 "steps": _step_seconds(runner.instance, result.run_id)})
    sys.stdin.readline()
    _answer({"outputs": _outputs(runner, [d.isoformat() for d in days[BASELINE_DAYS:]])})


def _step_seconds(instance: object, run_id: str) -> dict[str, float]:
    """Wall time of each step, from its start event to its success or failure event."""
    started: dict[str, float] = {}
    spans: dict[str, float] = {}
    for record in instance.get_records_for_run(run_id, limit=100_000).records:  # type: ignore[attr-defined]
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.event_log_entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            spans[event.step_key] = record.event_log_entry.timestamp - started[event.step_key]
    return spans


def _outputs(runner: object, days: list[str]) -> dict[str, list[dict]]:
    """What a partition produces downstream of validation, minus run ids and wall-clock columns."""
    wh = runner.defs.resources["warehouse"].get_warehouse()  # type: ignore[attr-defined]
    volatile = {"run_id", "computed_at", "created_at", "updated_at", "evaluated_at", "first_seen", "last_seen",
                "sent_at", "recorded_at", "report_url", "report_html", "validated_at", "built_at", "fired_at",
                "resolved_at", "id", "event_id", "last_attempt_at", "next_attempt_at"}
    out: dict[str, list[dict]] = {}
    for table in ("daily_model_metrics", "hourly_model_metrics", "model_metrics", "drift_summaries",
                  "drift_results", "alert_events"):
        if not wh.table_exists(table):
            continue
        frame = wh.query(f"select * from {table} where model_id = :m", {"m": MODEL})
        date_col = next((c for c in ("partition_date", "date", "day") if c in frame.columns), None)
        keep = [c for c in frame.columns if c not in volatile and "url" not in c and "html" not in c]
        frame = frame.select(keep)
        here = str(Path(os.environ["INFRANAUT_DATA_DIR"]).resolve())
        records = [json.loads(json.dumps(r, default=str).replace(here, "$DATA")) for r in frame.to_dicts()]
        if date_col:
            records = [r for r in records if str(r[date_col])[:10] in days]
        out[table] = sorted(records, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def _answer(payload: dict) -> None:
    print("@@" + json.dumps(payload, default=str), flush=True)


# ----------------------------------------------------------------------------- the parent
def _checkout(base: str, into: Path) -> Path:
    tree = into / "base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), base], check=True)
    return tree


def _remove(tree: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def _env(tree: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFRANAUT_", "DAGSTER_"))}
    return env | {"PYTHONPATH": str(tree), "DAGSTER_HOME": str(home), "INFRANAUT_DATA_DIR": str(home / "data")}


IMPORT_PROBE = """
import time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
import infranaut_pipelines.definitions as d
t1 = time.perf_counter()
d.build_definitions()
t2 = time.perf_counter()
import infranaut_pipelines, json, sys
assert infranaut_pipelines.__file__.startswith(sys.argv[1]), infranaut_pipelines.__file__
print(json.dumps({"import": t1 - t0, "load": t2 - t0}))
"""


def measure_imports(trees: dict[str, Path], n: int, work: Path) -> dict[str, dict[str, list[float]]]:
    times: dict[str, dict[str, list[float]]] = {name: {"import": [], "load": []} for name in trees}
    for i in range(n + 1):  # the first round warms the file cache and lets dbt parse each project once
        for name, tree in trees.items():
            home = work / name
            home.mkdir(exist_ok=True)
            # cwd: `python -c` puts the working directory first on sys.path, ahead of PYTHONPATH.
            out = subprocess.run([sys.executable, "-c", IMPORT_PROBE, str(tree)], env=_env(tree, home), cwd=home,
                                 capture_output=True, text=True, timeout=900)
            if out.returncode != 0:
                raise RuntimeError(f"{name}: import failed\n{out.stderr[-3000:]}")
            if i:
                for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items():
                    times[name][k].append(v)
    return times


class Child:
    def __init__(self, name: str, tree: Path, work: Path, rows: int, runs: int) -> None:
        work.mkdir(parents=True)
        self.name = name
        self.log = work / "stderr.log"
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", "--rows", str(rows), "--runs", str(runs),
             "--work", str(work)],
            env=_env(tree, work), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(self.log, "w"),
            text=True, cwd=work,
        )

    def read(self) -> dict:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@"):
                return json.loads(line[2:])
        self.proc.wait(timeout=60)
        raise RuntimeError(f"{self.name}: the benchmark process ended early:\n{self.log.read_text()[-3000:]}")

    def send(self, line: str) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.read()


def measure_runs(trees: dict[str, Path], rows: int, runs: int, work: Path) -> tuple[dict[str, list[float]], dict]:
    children = {name: Child(name, tree, work / f"run-{name}", rows, runs) for name, tree in trees.items()}
    for child in children.values():  # the setups run concurrently: they are not timed
        ready = child.read()
        if ready.get("failed"):
            raise RuntimeError(f"{child.name}: {ready['failed']} setup run(s) failed")
    seconds: dict[str, list[float]] = {name: [] for name in trees}
    steps: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    for _ in range(runs):
        for name, child in children.items():
            answer = child.send("run")
            if not answer["ok"]:
                raise RuntimeError(f"{name}: the run of {answer['day']} failed (see {work}/run-{name})")
            seconds[name].append(answer["seconds"])
            for step, spent in answer["steps"].items():
                steps[name].setdefault(step, []).append(spent)
    outputs = {name: child.send("outputs")["outputs"] for name, child in children.items()}
    for child in children.values():
        child.proc.wait(timeout=60)
    return seconds, steps, outputs


def _compare(outputs: dict[str, dict]) -> list[str]:
    old, new = outputs["old"], outputs["new"]
    problems = []
    for table in sorted(set(old) | set(new)):
        a, b = old.get(table) or [], new.get(table) or []
        if a != b:
            columns = sorted({k for x, y in zip(a, b) for k in x if x.get(k) != y.get(k)})
            problems.append(f"{table}: {len(a)} old rows vs {len(b)} new rows, differing in {columns}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="the old codebase: a commit or branch (default: where this branch left main)")
    parser.add_argument("--what", default="import,run")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5, help="timed partition runs per codebase")
    parser.add_argument("--imports", type=int, default=5, help="timed fresh-interpreter imports per codebase")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.rows, args.runs, args.work)
        return 0
    what = set(args.what.split(","))
    with tempfile.TemporaryDirectory(prefix="infranaut-bench-") as tmp:
        work = Path(tmp)
        if not args.base:
            args.base = subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True,
                                       text=True, check=True).stdout.strip()
        base = _checkout(args.base, work)
        trees = {"old": base, "new": ROOT}
        commit = subprocess.run(["git", "-C", str(base), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        print(f"old = {args.base} ({commit}), new = this checkout; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}")
        ok = True
        try:
            if "import" in what:
                imports = measure_imports(trees, args.imports, work)
                for key, label in (("import", "import definitions"), ("load", "import + build Definitions")):
                    old, new = (statistics.median(imports[n][key]) for n in ("old", "new"))
                    print(f"{label:<28} median of {args.imports}: old {old:6.2f} s   new {new:6.2f} s   "
                          f"old/new {old / new:5.2f}x")
            if "run" in what:
                seconds, steps, outputs = measure_runs(trees, args.rows, args.runs, work)
                old, new = (statistics.median(seconds[n]) for n in ("old", "new"))
                print(f"{args.rows:,}-row partition run, median of {args.runs}: old {old:6.2f} s   new {new:6.2f} s   "
                      f"old/new {old / new:5.2f}x")
                print("  old runs: " + " ".join(f"{s:.2f}" for s in seconds["old"]))
                print("  new runs: " + " ".join(f"{s:.2f}" for s in seconds["new"]))
                for step in sorted(steps["new"], key=lambda k: -statistics.median(steps["new"][k])):
                    old_s, new_s = (statistics.median(steps[n].get(step, [float("nan")])) for n in ("old", "new"))
                    print(f"  step {step:<32} median old {old_s:6.2f} s   new {new_s:6.2f} s")
                problems = _compare(outputs)
                counts = ", ".join(f"{t} {len(r)}" for t, r in sorted(outputs["new"].items()))
                print(f"  outputs ({counts} rows): " + ("equal" if not problems else "DIFFER: " + "; ".join(problems)))
                ok = not problems
        finally:
            _remove(base)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
