{#
  A 1-5 quintile score by rank within `partition_by`: rows level on `order_by` share a score (ntile would
  split them by whatever breaks the tie, e.g. a hashed customer key).
#}
{% macro tied_quintile(partition_by, order_by) -%}
    cast(1 + floor(5.0 * (rank() over (partition by {{ partition_by }} order by {{ order_by }}) - 1)
        / count(*) over (partition by {{ partition_by }})) as integer)
{%- endmacro %}
