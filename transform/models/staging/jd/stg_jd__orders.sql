{{ stage_orders('jd') }}
