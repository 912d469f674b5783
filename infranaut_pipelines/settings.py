"""Every environment setting of Infranaut, declared once and read in one place.

A setting is one ``Setting`` record (name, meaning, documented default, example, secret or not). ``load()``
reads them all from an environment into a typed ``Settings`` object, checking each value and naming the
variable when one is wrong; modules receive that object (or call ``current()``) instead of reading
``os.environ`` themselves. The README's configuration table and ``infranaut check`` are printed from
``SETTINGS``, and a test fails when the README and this table disagree.

Not here on purpose: the variables the project *sets* for dbt's subprocess (``INFRANAUT_PG_*``,
``INFRANAUT_DUCKDB_PATH``, ``INFRANAUT_DBT_TARGET``, ``INFRANAUT_PARTITION_*``: resources/dbt.py and
assets/aggregation.py), and libraries' own variables (``AWS_*``, ``DAGSTER_HOME``), which those libraries read.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """A variable holds a value that cannot be used; the message names it (never its value if secret)."""


@dataclass(frozen=True)
class Setting:
    name: str
    meaning: str
    default: str  # as documented; "" = unset
    example: str = ""
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("INFRANAUT_DATA_DIR", "base folder of the embedded default", "./data", "—"),
    Setting("INFRANAUT_LANDING_URL", "where teams drop files", "file://$INFRANAUT_DATA_DIR/landing", "s3://acme-ml-drops"),
    Setting("INFRANAUT_LAKE_URL", "asset data (parquet) and reports", "file://$INFRANAUT_DATA_DIR/lake",
            "s3://acme-ml-lake/infranaut"),
    Setting("INFRANAUT_WAREHOUSE_URL", "SQLAlchemy URL of the warehouse (also picks the dbt target)",
            "duckdb:///$INFRANAUT_DATA_DIR/warehouse.duckdb", "postgresql://infranaut@db:5432/warehouse"),
    Setting("INFRANAUT_REGISTRY", "model registry YAML", "shipped in the package", "/etc/infranaut/models.yaml"),
    Setting("INFRANAUT_ALERT_RULES", "alert rules YAML", "shipped in the package (names no model)",
            "/etc/infranaut/alert_rules.yaml"),
    Setting("INFRANAUT_UI_BASE_URL", "Dagster UI address used in Slack links and reports", "http://127.0.0.1:3000",
            "https://dagster.acme.internal"),
    Setting("INFRANAUT_EXECUTOR", "`in_process`, `multiprocess` or `celery`", "in_process", "celery"),
    Setting("INFRANAUT_MULTIPROCESS_START_METHOD", "how the multiprocess executor starts step processes "
            "(`forkserver` preloads the project, `spawn` is Dagster's default)", "forkserver", "spawn"),
    Setting("INFRANAUT_CELERY_BROKER", "Celery broker (with `celery`)", "pyamqp://guest@localhost:5672//",
            "amqp://user:pw@rabbit:5672//"),
    Setting("INFRANAUT_CELERY_BACKEND", "Celery result backend (with `celery`)", "rpc://", "rpc://"),
    Setting("INFRANAUT_CELERY_QUEUE", "Celery queue steps go to (workers listen with `-q`)", "dagster", "ml-monitoring"),
    Setting("INFRANAUT_PARTITIONS_START", "first day partitions exist (earlier days can be neither ingested nor "
            "backfilled); same value in every process", "2025-01-01", "2023-06-01"),
    Setting("INFRANAUT_NIGHTLY_CRON", "when the nightly drift reports run (UTC)", "0 2 * * *", "30 3 * * *"),
    Setting("INFRANAUT_LANDING_INTERVAL_S", "how often the landing sensor looks for new drops", "30", "60"),
    Setting("INFRANAUT_LANDING_LOOKBACK_S", "how far back the landing sensor re-lists objects it may have missed "
            "(seconds before its cursor)", "3600", "86400"),
    Setting("INFRANAUT_MAX_FUTURE_DAYS", "drops dated more than this many days ahead are rejected", "1", "0"),
    Setting("INFRANAUT_BASELINE_INTERVAL_S", "how often the baseline sensor looks for models whose first baseline "
            "window is complete", "60", ""),
    Setting("INFRANAUT_FRESHNESS_INTERVAL_S", "how often the freshness sensor checks for late drops", "1800", "600"),
    Setting("INFRANAUT_GX_FULL_MAX_ROWS", "up to this many rows Great Expectations checks every row; above, "
            "a sample (the polars rules still see every row)", "100000", "1000000"),
    Setting("INFRANAUT_DBT_STATE_DIR", "writable folder for dbt's target/ and logs/ (a wheel install is read-only)",
            "`$DAGSTER_HOME/dbt`", "/var/lib/infranaut/dbt"),
    Setting("SLACK_BOT_TOKEN", "Slack bot token (chat.postMessage); unset = log only", "unset", "set as a secret",
            secret=True),
    Setting("SLACK_WEBHOOK_URL", "Slack incoming webhook (instead of a token)", "unset", "set as a secret", secret=True),
    Setting("SLACK_API_BASE_URL", "Slack Web API base URL (tests point it at a local server)", "Slack's", ""),
    # --- alert channels ---
    Setting("INFRANAUT_PAGERDUTY_ROUTING_KEY", "PagerDuty Events API v2 integration key, for routes to `pagerduty`",
            "unset", "set as a secret", secret=True),
    Setting("INFRANAUT_PAGERDUTY_EVENTS_URL", "PagerDuty Events API v2 endpoint (tests point it at a local server)",
            "https://events.pagerduty.com/v2/enqueue", ""),
    Setting("INFRANAUT_SMTP_HOST", "SMTP server for routes to `email` (STARTTLS required)", "unset", "smtp.acme.internal"),
    Setting("INFRANAUT_SMTP_PORT", "SMTP port (submission, STARTTLS)", "587", "587"),
    Setting("INFRANAUT_SMTP_USER", "SMTP login (unset = no login)", "unset", "infranaut-alerts"),
    Setting("INFRANAUT_SMTP_PASSWORD", "SMTP password", "unset", "set as a secret", secret=True),
    Setting("INFRANAUT_SMTP_CA_FILE", "CA bundle that signs the SMTP server's certificate", "system CA store",
            "/etc/ssl/certs/acme-ca.pem"),
    Setting("INFRANAUT_ALERT_EMAIL_FROM", "From address of alert mail", "unset", "infranaut@acme.com"),
    Setting("INFRANAUT_ALERT_EMAIL_TO", "recipients (comma-separated) of routes to plain `email`", "unset",
            "ml-oncall@acme.com"),
    Setting("INFRANAUT_ALERT_WEBHOOK_URL", "generic JSON webhook for routes to `webhook`", "unset", "set as a secret",
            secret=True),
    Setting("INFRANAUT_ALERT_WEBHOOK_SECRET", "HMAC-SHA256 key signing webhook requests (unset = unsigned)", "unset",
            "set as a secret", secret=True),
    # --- reports ---
    Setting("INFRANAUT_REPORTS_BASE_URL", "public URL of the lake's `reports/` folder (a static site or CDN in "
            "front of it); when set, report links point there", "unset", "https://reports.acme.internal/infranaut"),
    Setting("INFRANAUT_REPORT_LINK_TTL_S", "lifetime of presigned report links on an S3 lake (Slack and UI links "
            "open for that long; at most 604800, 7 days)", "604800", "86400"),
    Setting("INFRANAUT_REPORTS_PORT", "port of `infranaut reports serve` (127.0.0.1); report links of a local "
            "lake point at it", "8040", "8040"),
    Setting("INFRANAUT_TREND_DAYS", "days shown on each model's trend page", "30", "90"),
    # --- scale: bounded landing ticks and retention ---
    Setting("INFRANAUT_LANDING_QUEUE_URL", "SQS queue receiving the landing bucket's `s3:ObjectCreated:*` events "
            "(docs/deployment.md); unset = the landing sensor lists recent days instead", "unset",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/infranaut-landing"),
    Setting("INFRANAUT_LANDING_DAYS_BACK", "how many `dt=` days before today a landing-sensor tick lists (older "
            "drops come through the queue or the reconciliation sweep)", "7", "14"),
    Setting("INFRANAUT_LANDING_RECONCILE_S", "how often the landing sensor starts a sweep of the whole landing "
            "zone, which finds what the recent days and the queue did not show", "21600", "86400"),
    Setting("INFRANAUT_LANDING_SWEEP_KEYS", "keys one tick of that sweep lists at most (it resumes on the next tick)",
            "10000", "50000"),
    Setting("INFRANAUT_RETENTION", "retention YAML: how long each warehouse table and lake asset is kept "
            "(docs/deployment.md)", "shipped in the package", "/etc/infranaut/retention.yaml"),
    Setting("INFRANAUT_RETENTION_CRON", "when the retention job deletes what is past retention (UTC)", "30 4 * * *",
            "0 5 * * 0"),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _int(env: Mapping[str, str], name: str, minimum: int = 0) -> int:
    raw = env.get(name, "").strip() or BY_NAME[name].default
    try:
        value = int(float(raw))
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, "").strip() or BY_NAME[name].default
    if value not in allowed:
        raise SettingsError(f"{name}={value!r}: expected {' or '.join(allowed)}")
    return value


def _addresses(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    from infranaut_pipelines.notify.targets import parse_target

    raw = env.get(name, "").strip()
    try:
        return parse_target(f"email:{raw}").addresses if raw else ()
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None
def _int_at_most(env: Mapping[str, str], name: str, minimum: int, maximum: int) -> int:
    value = _int(env, name, minimum)
    if value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, got {value}")
    return value


def _http_url(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if value and not value.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


@dataclass(frozen=True)
class Settings:
    """The settings in effect. ``explicit`` holds the names set in the environment: resources pass those as
    ``dg.EnvVar`` so their values (secrets included) are resolved at run time and never shown in the UI."""

    data_dir: Path
    landing_url: str
    lake_url: str
    warehouse_url: str
    registry_file: str  # "" = the packaged registry
    alert_rules_file: str  # "" = the packaged rules
    ui_base_url: str
    executor: str
    multiprocess_start_method: str
    celery_broker: str
    celery_backend: str
    celery_queue: str
    partitions_start: dt.date
    nightly_cron: str
    landing_interval_s: int
    landing_lookback_s: int
    max_future_days: int
    baseline_interval_s: int
    freshness_interval_s: int
    gx_full_max_rows: int
    dbt_state_dir: str  # "" = $DAGSTER_HOME/dbt, else a folder beside the checkout
    explicit: frozenset[str]
    # --- reports ---
    reports_base_url: str  # "" = presigned links (S3 lake) or `infranaut reports serve` (local lake)
    report_link_ttl_s: int
    reports_port: int
    trend_days: int
    # --- scale ---
    landing_queue_url: str  # "" = no queue: the sensor lists
    landing_days_back: int
    landing_reconcile_s: int
    landing_sweep_keys: int
    retention_file: str  # "" = the packaged retention.yaml
    retention_cron: str
    # --- alert channels (secrets are not here: resources pass them as dg.EnvVar, see ``explicit``) ---
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_ca_file: str = ""
    alert_email_from: str = ""
    alert_email_to: tuple[str, ...] = ()

    def is_set(self, name: str) -> bool:
        return name in self.explicit


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from ``env`` (default: this process's environment), failing on the first bad one."""
    env = os.environ if env is None else env
    base = Path(env.get("INFRANAUT_DATA_DIR", "").strip() or "data").expanduser().resolve()
    raw_start = env.get("INFRANAUT_PARTITIONS_START", "").strip() or BY_NAME["INFRANAUT_PARTITIONS_START"].default
    try:
        start = dt.date.fromisoformat(raw_start)
    except ValueError:
        raise SettingsError(f"INFRANAUT_PARTITIONS_START must be a date like 2026-11-01, got {raw_start!r}") from None

    def text(name: str, fallback: str) -> str:
        return env.get(name, "").strip() or fallback

    return Settings(
        data_dir=base,
        landing_url=text("INFRANAUT_LANDING_URL", (base / "landing").as_uri()),
        lake_url=text("INFRANAUT_LAKE_URL", (base / "lake").as_uri()),
        warehouse_url=text("INFRANAUT_WAREHOUSE_URL", f"duckdb:///{base / 'warehouse.duckdb'}"),
        registry_file=text("INFRANAUT_REGISTRY", ""),
        alert_rules_file=text("INFRANAUT_ALERT_RULES", ""),
        ui_base_url=text("INFRANAUT_UI_BASE_URL", BY_NAME["INFRANAUT_UI_BASE_URL"].default),
        executor=_choice(env, "INFRANAUT_EXECUTOR", ("in_process", "multiprocess", "celery")),
        multiprocess_start_method=_choice(env, "INFRANAUT_MULTIPROCESS_START_METHOD", ("forkserver", "spawn")),
        celery_broker=text("INFRANAUT_CELERY_BROKER", BY_NAME["INFRANAUT_CELERY_BROKER"].default),
        celery_backend=text("INFRANAUT_CELERY_BACKEND", BY_NAME["INFRANAUT_CELERY_BACKEND"].default),
        celery_queue=text("INFRANAUT_CELERY_QUEUE", BY_NAME["INFRANAUT_CELERY_QUEUE"].default),
        partitions_start=start,
        nightly_cron=text("INFRANAUT_NIGHTLY_CRON", BY_NAME["INFRANAUT_NIGHTLY_CRON"].default),
        landing_interval_s=_int(env, "INFRANAUT_LANDING_INTERVAL_S", 1),
        landing_lookback_s=_int(env, "INFRANAUT_LANDING_LOOKBACK_S"),
        max_future_days=_int(env, "INFRANAUT_MAX_FUTURE_DAYS"),
        baseline_interval_s=_int(env, "INFRANAUT_BASELINE_INTERVAL_S", 1),
        freshness_interval_s=_int(env, "INFRANAUT_FRESHNESS_INTERVAL_S", 1),
        gx_full_max_rows=_int(env, "INFRANAUT_GX_FULL_MAX_ROWS", 1),
        dbt_state_dir=text("INFRANAUT_DBT_STATE_DIR", ""),
        explicit=frozenset(s.name for s in SETTINGS if env.get(s.name, "").strip()),
        pagerduty_events_url=text("INFRANAUT_PAGERDUTY_EVENTS_URL", BY_NAME["INFRANAUT_PAGERDUTY_EVENTS_URL"].default),
        smtp_host=text("INFRANAUT_SMTP_HOST", ""),
        smtp_port=_int_at_most(env, "INFRANAUT_SMTP_PORT", 1, 65535),
        smtp_user=text("INFRANAUT_SMTP_USER", ""),
        smtp_ca_file=text("INFRANAUT_SMTP_CA_FILE", ""),
        alert_email_from=text("INFRANAUT_ALERT_EMAIL_FROM", ""),
        alert_email_to=_addresses(env, "INFRANAUT_ALERT_EMAIL_TO"),
        reports_base_url=_http_url(env, "INFRANAUT_REPORTS_BASE_URL"),
        # SigV4 presigned URLs are refused by S3 beyond 7 days, so a longer lifetime would be a silent lie.
        report_link_ttl_s=_int_at_most(env, "INFRANAUT_REPORT_LINK_TTL_S", 1, 604800),
        reports_port=_int_at_most(env, "INFRANAUT_REPORTS_PORT", 1, 65535),
        trend_days=_int_at_most(env, "INFRANAUT_TREND_DAYS", 1, 366),
        landing_queue_url=text("INFRANAUT_LANDING_QUEUE_URL", ""),
        landing_days_back=_int(env, "INFRANAUT_LANDING_DAYS_BACK"),
        landing_reconcile_s=_int(env, "INFRANAUT_LANDING_RECONCILE_S", 1),
        landing_sweep_keys=_int(env, "INFRANAUT_LANDING_SWEEP_KEYS", 1),
        retention_file=text("INFRANAUT_RETENTION", ""),
        retention_cron=text("INFRANAUT_RETENTION_CRON", BY_NAME["INFRANAUT_RETENTION_CRON"].default),
    )


def current() -> Settings:
    """This process's settings, read now. Cheap (no I/O), so callers read it when they load, not at import."""
    return load()


def markdown_table() -> str:
    """The README's configuration table, generated: ``python -m infranaut_pipelines.settings``."""
    rows = ["| variable | meaning | embedded default | production example |", "|---|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `{s.name}` | {s.meaning} | {_cell(s.default)} | {_cell(s.example)} |")
    return "\n".join(rows)


def _cell(value: str) -> str:
    if not value or value in ("—", "unset", "Slack's", "set as a secret", "shipped in the package",
                              "shipped in the package (names no model)") or value.startswith("`"):
        return value
    return f"`{value}`"


if __name__ == "__main__":
    print(markdown_table())
