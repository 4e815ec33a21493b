{{ stage_orders('taobao') }}
