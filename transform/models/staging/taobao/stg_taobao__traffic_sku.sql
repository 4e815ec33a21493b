{{ stage_platform_export('taobao', 'traffic_sku') }}
