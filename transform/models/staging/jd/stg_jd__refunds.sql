{{ stage_refunds('jd') }}
