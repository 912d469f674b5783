{#- Overrides dbt's builtin so that tests configured with ``where: __current_partition__`` (all of them, see
    dbt_project.yml) check only the partition this run built: asset check results then describe that
    partition, and a test's cost does not grow with the table's history. -#}
{% macro get_where_subquery(relation) -%}
  {%- set where = config.get('where') -%}
  {%- if where -%}
    {%- if '__current_partition__' in where -%}
      {%- set where = where | replace('__current_partition__', infranaut.partition_filter() | trim) -%}
    {%- endif -%}
    {%- set filtered -%}
      (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {%- do return(filtered) -%}
  {%- else -%}
    {%- do return(relation) -%}
  {%- endif -%}
{%- endmacro %}
