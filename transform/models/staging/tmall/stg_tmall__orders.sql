{{ stage_orders('tmall') }}
