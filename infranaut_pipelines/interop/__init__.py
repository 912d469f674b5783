"""Results in other monitors' formats, so existing alarms and dashboards keep reading them. Pure, no Dagster."""
