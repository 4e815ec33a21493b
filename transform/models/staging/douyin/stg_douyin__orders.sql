{{ stage_orders('douyin') }}
