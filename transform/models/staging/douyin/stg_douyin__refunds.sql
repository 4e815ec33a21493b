{{ stage_refunds('douyin') }}
