"""The ``infranaut`` command: ``check``, ``run``, ``baseline``, ``demo``, ``drift`` and ``reports``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _ensure_dagster_home() -> None:
    if not os.environ.get("DAGSTER_HOME"):
        home = Path.cwd() if (Path.cwd() / "dagster.yaml").exists() else Path.cwd() / ".dagster_home"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME was not set; using {home} (export DAGSTER_HOME={home} before `dagster dev`)")


USAGE = """usage: infranaut {check,run,baseline,demo,drift,reports} ...
  check     validate the registry, the alert rules and the settings in effect (exit 1 listing every problem)
  run       process days of one model by hand: infranaut run MODEL DATE..DATE
  baseline  build or rebuild a model's drift baseline: infranaut baseline MODEL [--window DATE..DATE]
  demo      write demo drops and materialize every asset
  drift     compare two parquet/CSV files and print the drift table (exit 0 no dataset drift, 1 drift, 2 error)
  reports   serve the local lake's reports read-only on 127.0.0.1: infranaut reports serve [--port PORT]"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    # Imports are local so each command pays only for what it uses (`drift` needs no Dagster).
    if command == "check":
        from infranaut_pipelines.commands.check import main as check_main

        return check_main(rest)
    if command in ("run", "baseline"):
        _ensure_dagster_home()
        from infranaut_pipelines.commands.process import baseline_main, run_main

        return (run_main if command == "run" else baseline_main)(rest)
    if command == "demo":
        from infranaut_pipelines.commands.demo import main as demo_main

        return demo_main(rest, ensure_home=_ensure_dagster_home)
    if command == "drift":
        from infranaut_pipelines.drift.cli import main as drift_main

        return drift_main(rest)
    if command == "reports":
        from infranaut_pipelines.commands.reports import main as reports_main

        return reports_main(rest)
    print(f"unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
