{#
  1-5 quintile scores by rank within `partition_by`, one row per partition and value of `value` in `relation`
  (columns quintile_partition, quintile_value, quintile): rows level on `value` share a score (ntile would split
  them by whatever breaks the tie, e.g. a hashed customer key). A row's rank is 1 + the rows before its value,
  so the scores come from counts per value: a window over the distinct values, not over every row (at 50 shops
  x 365 days three rank() windows over 6M customers took most of customer_rfm's 14 s).
#}
{% macro tied_quintiles(relation, partition_by, value, descending=false) -%}
    select
        {{ partition_by }} as quintile_partition,
        {{ value }} as quintile_value,
        cast(1 + floor(5.0 * (
            sum(count(*)) over (partition by {{ partition_by }} order by {{ value }}{{ ' desc' if descending }}) - count(*)
        ) / sum(count(*)) over (partition by {{ partition_by }})) as integer) as quintile
    from {{ relation }}
    group by {{ partition_by }}, {{ value }}
{%- endmacro %}
