{# Stack one staging entity across every platform (var platforms); the staging macros give them one column list. #}
{% macro union_platforms(entity) -%}
{%- for platform in var('platforms') %}
select * from {{ ref('stg_' ~ platform ~ '__' ~ entity) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- endmacro %}
