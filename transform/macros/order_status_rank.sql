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
