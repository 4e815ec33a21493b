{{ stage_order_lines('jd') }}
