{{ stage_refunds('tmall') }}
