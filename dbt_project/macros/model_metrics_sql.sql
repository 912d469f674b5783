{#- Operational and quality metrics of each partition (one model, one day) of the range being built, grouped by
    `grain`: 'day' (one row per day) or 'hour' (one row per UTC hour with traffic). Every grouping and join is
    per partition_date, so a range of days computes exactly what each day alone would. Shared by the hourly and daily models so
    both grains are computed by the same definitions.

    Conventions (documented in docs/aggregation.md):
    - requests/errors/latency count every logged request; prediction statistics use status = 'ok' only.
    - a label joins its prediction by prediction_id within the partition; the latest label wins; labels whose
      prediction_id is not in the partition are counted (unknown_label_count, daily) and otherwise ignored.
    - quality metrics depend on the task in model_registry; a metric that does not apply, or has no labels, is null.
-#}
{% macro model_metrics_sql(grain) %}
{%- set f = infranaut.double() -%}
{%- if grain == 'hour' -%}
  {%- set bucket = "date_trunc('hour', " ~ infranaut.to_utc('i."timestamp"') ~ ")" -%}
{%- else -%}
  {%- set bucket = "cast(0 as integer)" -%}
{%- endif %}
with registry as (
    -- Aggregated so that the partition always sees exactly one (possibly all-null) registry row.
    select
        max(task) as task,
        max(prediction_threshold) as prediction_threshold,
        max(sla_latency_p95_ms) as sla_latency_p95_ms,
        max(sla_error_rate) as sla_error_rate
    from {{ source('warehouse', 'model_registry') }}
    where model_id = '{{ infranaut.partition_model_id() }}'
),

inferences as (
    select
        i.partition_date,
        {{ bucket }} as bucket,
        i.prediction_id,
        i.latency_ms,
        i.status,
        i.prediction_value,
        i.prediction_class
    from {{ source('warehouse', 'inference_log') }} as i
    where {{ infranaut.partition_filter('i') }}
),

labels_ranked as (
    select
        l.partition_date,
        l.prediction_id,
        l.label_value,
        l.label_class,
        row_number() over (
            partition by l.partition_date, l.prediction_id order by l.label_timestamp desc nulls last
        ) as label_rank
    from {{ source('warehouse', 'label_log') }} as l
    where {{ infranaut.partition_filter('l') }}
),

labels as (
    select partition_date, prediction_id, label_value, label_class
    from labels_ranked
    where label_rank = 1
),

-- Every label with its prediction, if any: one join serves the quality metrics, the AUC and the count of
-- labels for unknown prediction ids. Materialized because it is read three times and is the costly part.
labelled as materialized (
    select
        l.partition_date,
        i.bucket,
        i.status,
        i.prediction_value,
        i.prediction_class,
        l.label_value,
        l.label_class,
        i.prediction_id is null as is_unknown
    from labels as l
    left join inferences as i on i.partition_date = l.partition_date and i.prediction_id = l.prediction_id
),

traffic as (
    select
        partition_date,
        bucket,
        count(*) as request_count,
        sum(case when status = 'error' then 1 else 0 end) as error_count,
        {{ infranaut.percentile_cont('latency_ms', 0.5) }} as latency_p50_ms,
        {{ infranaut.percentile_cont('latency_ms', 0.95) }} as latency_p95_ms,
        {{ infranaut.percentile_cont('latency_ms', 0.99) }} as latency_p99_ms,
        avg(case when status = 'ok' then prediction_value end) as prediction_mean,
        stddev_samp(case when status = 'ok' then prediction_value end) as prediction_std,
        avg(case when status = 'ok' and prediction_class is not null
                 then case when prediction_class = '1' then 1.0 else 0.0 end end) as positive_share
    from inferences
    group by partition_date, bucket
),

scored as (
    select
        partition_date,
        bucket,
        prediction_value,
        prediction_class,
        label_value,
        label_class,
        case
            when label_class is not null then case when label_class = '1' then 1 else 0 end
            when label_value is not null then case when label_value = 1 then 1 else 0 end
        end as label_positive,
        case when prediction_class = '1' then 1 else 0 end as predicted_positive
    from labelled
    where not is_unknown and status = 'ok'
),

quality as (
    select
        partition_date,
        bucket,
        count(*) as labelled_count,
        avg(case when prediction_class = label_class then 1.0 else 0.0 end) as class_accuracy,
        sum(case when predicted_positive = 1 and label_positive = 1 then 1 else 0 end) as true_positives,
        sum(predicted_positive) as predicted_positives,
        sum(label_positive) as actual_positives,
        avg(case when predicted_positive = label_positive then 1.0 else 0.0 end) as binary_accuracy,
        avg(abs(prediction_value - label_value)) as mae,
        sqrt(avg((prediction_value - label_value) * (prediction_value - label_value))) as rmse
    from scored
    group by partition_date, bucket
),

-- AUC by the rank (Mann-Whitney) formula, (sum of positive ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg),
-- tied scores at their average rank. Ranks are computed per distinct score (rows below + (ties + 1) / 2)
-- rather than per row, which sorts far fewer rows when scores repeat.
score_groups as (
    select
        partition_date,
        bucket,
        prediction_value,
        count(*) as n_scores,
        sum(label_positive) as n_positive
    from scored
    where prediction_value is not null and label_positive is not null
    group by partition_date, bucket, prediction_value
),

score_ranks as (
    select
        partition_date,
        bucket,
        n_scores,
        n_positive,
        coalesce(sum(n_scores) over (
            partition by partition_date, bucket order by prediction_value rows between unbounded preceding and 1 preceding
        ), 0) as n_below
    from score_groups
),

auc as (
    select
        partition_date,
        bucket,
        cast(sum(n_positive) as {{ f }}) as n_pos,
        cast(sum(n_scores) - sum(n_positive) as {{ f }}) as n_neg,
        cast(sum(n_positive * (n_below + (n_scores + 1) / 2.0)) as {{ f }}) as positive_rank_sum
    from score_ranks
    group by partition_date, bucket
)

{%- if grain == 'day' %},

unknown_labels as (
    select partition_date, count(*) as unknown_label_count
    from labelled
    where is_unknown
    group by partition_date
)
{%- endif %}

select
    cast('{{ infranaut.partition_model_id() }}' as text) as model_id,
    cast(t.partition_date as date) as partition_date,
    {%- if grain == 'hour' %}
    cast(t.bucket as timestamp) as hour_start,
    {%- endif %}
    r.task,
    cast(t.request_count as bigint) as request_count,
    cast(t.error_count as bigint) as error_count,
    cast(t.error_count as {{ f }}) / t.request_count as error_rate,
    cast(t.latency_p50_ms as {{ f }}) as latency_p50_ms,
    cast(t.latency_p95_ms as {{ f }}) as latency_p95_ms,
    cast(t.latency_p99_ms as {{ f }}) as latency_p99_ms,
    cast(t.prediction_mean as {{ f }}) as prediction_mean,
    cast(t.prediction_std as {{ f }}) as prediction_std,
    cast(case when r.task = 'binary_classification' then t.positive_share end as {{ f }}) as positive_rate,
    cast(coalesce(q.labelled_count, 0) as bigint) as labelled_count,
    {%- if grain == 'day' %}
    cast(coalesce(u.unknown_label_count, 0) as bigint) as unknown_label_count,
    {%- endif %}
    cast(case
        when r.task = 'binary_classification' then q.binary_accuracy
        when r.task = 'multiclass_classification' then q.class_accuracy
    end as {{ f }}) as accuracy,
    cast(case when r.task = 'binary_classification' and q.predicted_positives > 0
        then cast(q.true_positives as {{ f }}) / q.predicted_positives end as {{ f }}) as precision,
    cast(case when r.task = 'binary_classification' and q.actual_positives > 0
        then cast(q.true_positives as {{ f }}) / q.actual_positives end as {{ f }}) as recall,
    cast(case when r.task = 'binary_classification' and a.n_pos > 0 and a.n_neg > 0
        then (a.positive_rank_sum - a.n_pos * (a.n_pos + 1) / 2.0) / (a.n_pos * a.n_neg) end as {{ f }}) as auc,
    cast(case when r.task = 'regression' then q.mae end as {{ f }}) as mae,
    cast(case when r.task = 'regression' then q.rmse end as {{ f }}) as rmse,
    cast(r.sla_latency_p95_ms as {{ f }}) as sla_latency_p95_ms,
    cast(r.sla_error_rate as {{ f }}) as sla_error_rate,
    -- An unknown SLA (model missing from the registry) is not a breach.
    coalesce(t.latency_p95_ms > r.sla_latency_p95_ms, false) as latency_sla_breached,
    coalesce(cast(t.error_count as {{ f }}) / t.request_count > r.sla_error_rate, false) as error_rate_sla_breached
from traffic as t
cross join registry as r
left join quality as q on q.partition_date = t.partition_date and q.bucket = t.bucket
left join auc as a on a.partition_date = t.partition_date and a.bucket = t.bucket
{%- if grain == 'day' %}
left join unknown_labels as u on u.partition_date = t.partition_date
{%- endif %}
{% endmacro %}
