{#- The partitions being built (one model's days from INFRANAUT_PARTITION_DATE to INFRANAUT_PARTITION_DATE_END,
    a range of one when the end is unset) come from environment variables set by Dagster
    (INFRANAUT_PARTITION_MODEL_ID, INFRANAUT_PARTITION_DATE, INFRANAUT_PARTITION_DATE_END), or from dbt vars
    (model_id, partition_date, partition_date_end) when run by hand. They are read only at execution time: dbt
    discards its partial-parse cache whenever --vars change, which made every partition pay a full re-parse
    (~8 s); env vars read after parsing do not. They are validated here (not trusted) because they are
    spliced into SQL; at parse time (execute = false) a placeholder keeps the SQL parseable. -#}

{% macro partition_model_id() %}
  {%- if not execute -%}{{ return('__parse__') }}{%- endif -%}
  {%- set value = env_var('INFRANAUT_PARTITION_MODEL_ID', '') or var('model_id', none) -%}
  {%- if value is none or not modules.re.match('^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$', value | string) -%}
    {{ exceptions.raise_compiler_error(
        "var 'model_id' must be set to a model id (letters, digits, '_' or '-'), got " ~ (value | string)
        ~ ". Run with --vars '{partition_date: YYYY-MM-DD, model_id: <id>}'.") }}
  {%- endif -%}
  {{ return(value | string) }}
{% endmacro %}

{% macro partition_date() %}
  {%- if not execute -%}{{ return('2000-01-01') }}{%- endif -%}
  {%- set value = env_var('INFRANAUT_PARTITION_DATE', '') or var('partition_date', none) -%}
  {%- if value is none or not modules.re.match('^\d{4}-\d{2}-\d{2}$', value | string) -%}
    {{ exceptions.raise_compiler_error(
        "var 'partition_date' must be set to a date YYYY-MM-DD, got " ~ (value | string)
        ~ ". Run with --vars '{partition_date: YYYY-MM-DD, model_id: <id>}'.") }}
  {%- endif -%}
  {{ return(value | string) }}
{% endmacro %}

{#- The last day of the range: the first one unless an end is given (a range of one). -#}
{% macro partition_date_end() %}
  {%- if not execute -%}{{ return('2000-01-01') }}{%- endif -%}
  {%- set value = env_var('INFRANAUT_PARTITION_DATE_END', '') or var('partition_date_end', none)
                  or infranaut.partition_date() -%}
  {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', value | string) or (value | string) < infranaut.partition_date() -%}
    {{ exceptions.raise_compiler_error(
        "var 'partition_date_end' must be a date YYYY-MM-DD on or after partition_date, got " ~ (value | string)) }}
  {%- endif -%}
  {{ return(value | string) }}
{% endmacro %}

{% macro partition_filter(alias=none) %}
  {%- set p = (alias ~ '.') if alias else '' -%}
  {{ p }}model_id = '{{ infranaut.partition_model_id() }}'
  and {{ p }}partition_date between cast('{{ infranaut.partition_date() }}' as date)
      and cast('{{ infranaut.partition_date_end() }}' as date)
{%- endmacro %}

{#- Pre-hook of every aggregation model: drop the range's old rows in the same transaction as the insert,
    so a re-run replaces its slice, including when the re-run yields no rows at all. -#}
{% macro delete_current_partition() %}
  {%- if execute and is_incremental() -%}
    delete from {{ this }} where {{ infranaut.partition_filter() }}
  {%- endif -%}
{% endmacro %}
