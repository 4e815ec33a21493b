{{ stage_refunds('taobao') }}
