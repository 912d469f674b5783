{#- One test per model for all value ranges (instead of one per column): fewer nodes to parse on every
    partition run and fewer near-identical asset checks in the UI. ``ranges`` maps a column to [min, max],
    either bound null; a failing row names its column. -#}
{% test accepted_ranges(model, ranges) %}
{%- for column, bounds in ranges.items() %}
select '{{ column }}' as column_name, cast({{ column }} as double precision) as value
from {{ model }}
where {{ column }} is not null and (
    false
    {%- if bounds[0] is not none %} or {{ column }} < {{ bounds[0] }}{% endif %}
    {%- if bounds[1] is not none %} or {{ column }} > {{ bounds[1] }}{% endif %}
)
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
