"""``infranaut check``: the registry, the alert rules and the settings in effect, every problem at once.

Meant for a team's own CI before they deploy a registry change: exit 0 when the code location would load,
1 with every problem listed (file, model, field or rule), never a traceback. Secrets are never printed:
variables that hold them show as "set (hidden)", passwords inside URLs as ``***``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path

_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|WEBHOOK|KEY", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@/\s]+@")


def shown(name: str, value: str) -> str:
    """A setting as it may be printed: secrets hidden, URL passwords masked."""
    if _SECRET_NAME.search(name):
        return "set (hidden)"
    return _URL_PASSWORD.sub(r"\1:***@", value)


def settings_in_effect() -> list[tuple[str, str]]:
    """Every declared setting (settings.py) with its value or documented default, then any INFRANAUT_*
    variable that is set but declared nowhere (a typo the user should see)."""
    from infranaut_pipelines.settings import BY_NAME, SETTINGS

    rows = []
    for s in SETTINGS:
        raw = os.environ.get(s.name, "").strip()
        if raw:
            rows.append((s.name, "set (hidden)" if s.secret else shown(s.name, raw)))
        else:
            rows.append((s.name, f"(default) {s.default}"))
    for name in sorted(k for k in os.environ if k.startswith("INFRANAUT_") and k not in BY_NAME):
        rows.append((name, f"{shown(name, os.environ[name])} (not a setting Infranaut reads)"))
    if "DAGSTER_HOME" in os.environ:
        rows.append(("DAGSTER_HOME", os.environ["DAGSTER_HOME"]))
    return rows


def problems(registry_file: str | None = None, rules_file: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """(problems, warnings, model ids) for the registry/rules in effect (or the given files)."""
    from infranaut_pipelines.alerting import load_rules
    from infranaut_pipelines.notify.slack import validate_token, validate_webhook_url
    from infranaut_pipelines.registry import RegistryError, load_registry
    from infranaut_pipelines.registry.checks import window_problems, window_warnings
    from infranaut_pipelines.registry.loader import registry_path
    from infranaut_pipelines.settings import SettingsError, load

    out: list[str] = []
    warn: list[str] = []
    first_day: dt.date | None = None
    try:
        first_day = load().partitions_start
    except SettingsError as exc:  # names the variable; a secret's value is never echoed
        out.append(str(exc))
    registry = None
    source = str(Path(registry_file) if registry_file else registry_path())
    try:
        registry = load_registry(registry_file)
    except RegistryError as exc:
        out.append(str(exc))
    if registry is not None:
        if first_day is not None:
            out += window_problems(registry, source, first_day, dt.datetime.now(dt.timezone.utc).date())
            warn += window_warnings(registry, source, first_day)
        try:
            rules = load_rules(rules_file, registry, registry_source=source)
            from infranaut_pipelines.alerting.channels import channel_problems
            from infranaut_pipelines.settings import current

            out += channel_problems(rules, current())  # a route to a channel whose settings are missing
        except ValueError as exc:
            out.append(str(exc))
        try:
            from infranaut_pipelines.validation import check_rules

            check_rules(registry)
        except ValueError as exc:
            out.append(f"{source}: {exc}")
    for name, validate in (("SLACK_WEBHOOK_URL", validate_webhook_url), ("SLACK_BOT_TOKEN", validate_token)):
        if os.environ.get(name) is not None:
            try:
                validate(os.environ[name])
            except ValueError as exc:  # the messages never echo the value
                out.append(f"{name}: {exc}")
    return out, warn, (registry.model_ids if registry is not None else [])


def main(argv: list[str], say: Callable[[str], None] = print) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="infranaut check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", help="registry YAML (default: $INFRANAUT_REGISTRY or the packaged one)")
    parser.add_argument("--rules", help="alert rules YAML (default: $INFRANAUT_ALERT_RULES or the packaged one)")
    args = parser.parse_args(argv)
    if args.registry:
        os.environ["INFRANAUT_REGISTRY"] = args.registry
    if args.rules:
        os.environ["INFRANAUT_ALERT_RULES"] = args.rules
    found, warnings, models = problems()
    say("settings in effect:")
    for name, value in settings_in_effect():
        say(f"  {name} = {value}")
    say(f"models: {', '.join(models) or 'none'}")
    for w in warnings:
        say(f"warning: {w}")
    if found:
        say(f"{len(found)} problem(s):")
        for p in found:
            say("  - " + p.replace("\n", "\n    "))
        return 1
    say("ok: the registry, the alert rules and the settings load")
    return 0
