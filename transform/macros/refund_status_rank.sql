{# How far a refund has progressed: a later export of the same case time-ties only with a further state. #}
{% macro refund_status_rank(status) -%}
    case {{ status }}
        when 'requested' then 1
        when 'returning' then 2
        when 'succeeded' then 3
        when 'closed' then 3
        else 0
    end
{%- endmacro %}
