-- One row per (model_id, partition_date, UTC hour with traffic); see macros/model_metrics_sql.sql.
{{ infranaut.model_metrics_sql('hour') }}
