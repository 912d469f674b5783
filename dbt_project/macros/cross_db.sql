{#- Continuous percentile as an aggregate. PostgreSQL only has the ordered-set form; DuckDB has it too, but
    quantile_cont is its native spelling and avoids a sort-per-group rewrite. -#}
{% macro percentile_cont(expr, fraction) %}
  {{- return(adapter.dispatch('percentile_cont', 'infranaut')(expr, fraction)) -}}
{% endmacro %}

{% macro default__percentile_cont(expr, fraction) -%}
  percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expr, fraction) -%}
  quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{#- DuckDB's FLOAT is 4 bytes, so dbt.type_float() would silently lose precision there. -#}
{% macro double() %}double precision{% endmacro %}

{#- A timestamptz as a naive UTC timestamp, independent of the session time zone on both adapters. -#}
{% macro to_utc(expr) %}({{ expr }} at time zone 'UTC'){% endmacro %}
