{{ stage_order_lines('taobao') }}
