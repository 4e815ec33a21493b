{#
  Stack one staging entity across every platform (var platforms); the staging macros give them one column list.
  `columns`: only these (a narrow stack: a CTE read more than once is materialized by DuckDB and Postgres, so a
  model reads keys and measures narrow and the wide rows once).
#}
{% macro union_platforms(entity, columns=none) -%}
{%- for platform in var('platforms') %}
select {{ columns | join(', ') if columns else '*' }} from {{ ref('stg_' ~ platform ~ '__' ~ entity) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- endmacro %}
