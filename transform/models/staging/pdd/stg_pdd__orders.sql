{{ stage_orders('pdd') }}
