-- One row per (model_id, partition_date); empty when the partition has no valid inferences.
{{ infranaut.model_metrics_sql('day') }}
