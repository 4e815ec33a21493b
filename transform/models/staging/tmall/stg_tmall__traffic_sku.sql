{{ stage_platform_export('tmall', 'traffic_sku') }}
