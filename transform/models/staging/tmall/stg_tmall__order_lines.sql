{{ stage_order_lines('tmall') }}
