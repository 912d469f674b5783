{#- Long form of daily_model_metrics for consumers that iterate over metrics (alerting, dashboards): one row per
    (model_id, partition_date, metric_name). Metrics that are null (no labels yet, not applicable to the task)
    are left out rather than stored as nulls. -#}
{%- set metrics = [
    ('request_count', none), ('error_count', none), ('error_rate', 'sla_error_rate'),
    ('latency_p50_ms', none), ('latency_p95_ms', 'sla_latency_p95_ms'), ('latency_p99_ms', none),
    ('prediction_mean', none), ('prediction_std', none), ('positive_rate', none),
    ('labelled_count', none), ('unknown_label_count', none),
    ('accuracy', none), ('precision', none), ('recall', none), ('auc', none), ('mae', none), ('rmse', none),
] -%}
{%- set flags = [('latency_sla_breached', 'sla_latency_p95_ms'), ('error_rate_sla_breached', 'sla_error_rate')] -%}
{%- set f = infranaut.double() -%}

with daily as (
    select *
    from {{ ref('daily_model_metrics') }}
    where {{ infranaut.partition_filter() }}
),

unpivoted as (
    {%- for name, threshold in metrics %}
    select
        model_id, partition_date, task,
        cast('{{ name }}' as text) as metric_name,
        cast({{ name }} as {{ f }}) as metric_value,
        {% if threshold %}cast({{ threshold }} as {{ f }}){% else %}cast(null as {{ f }}){% endif %} as threshold
    from daily
    union all
    {%- endfor %}
    {%- for name, threshold in flags %}
    select
        model_id, partition_date, task,
        cast('{{ name }}' as text) as metric_name,
        cast(case when {{ name }} then 1 else 0 end as {{ f }}) as metric_value,
        cast({{ threshold }} as {{ f }}) as threshold
    from daily
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    model_id,
    metric_name,
    metric_value,
    cast(partition_date as timestamp) as metric_timestamp,
    partition_date,
    -- JSON text (not a JSON type) so the column is portable between DuckDB and PostgreSQL.
    '{"grain": "day", "source": "daily_model_metrics", "task": '
        || coalesce('"' || task || '"', 'null')
        || ', "threshold": ' || coalesce(cast(threshold as text), 'null')
        || '}' as metadata
from unpivoted
where metric_value is not null
