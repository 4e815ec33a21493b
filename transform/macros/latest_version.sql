{#
  Raw keeps every exported version of a record. The latest one wins: by the
  record's own state ordering when it has one (status progression, event times),
  then by the export file's modification time, then file name and row.
#}
{% macro latest_version(relation, key_columns, state_order=none) -%}
select *
from (
    select
        versions.*,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by {% if state_order %}{{ state_order }}, {% endif %}_file_mtime desc, _source_file desc, _source_row desc
        ) as version_rank
    from {{ relation }} as versions
) as ranked
where version_rank = 1
{%- endmacro %}

{# How far an order has progressed: a later export of the same order time-ties only with a further state. #}
{% macro order_status_rank(status) -%}
    case {{ status }}
        when 'pending_payment' then 1
        when 'paid' then 2
        when 'shipped' then 3
        when 'completed' then 4
        when 'cancelled' then 5
        when 'closed_after_payment' then 5
        else 0
    end
{%- endmacro %}

{% macro refund_status_rank(status) -%}
    case {{ status }}
        when 'requested' then 1
        when 'returning' then 2
        when 'succeeded' then 3
        when 'closed' then 3
        else 0
    end
{%- endmacro %}
