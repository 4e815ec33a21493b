{{ stage_order_lines('douyin') }}
