{{ stage_order_lines('pdd') }}
