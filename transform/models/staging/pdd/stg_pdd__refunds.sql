{{ stage_refunds('pdd') }}
