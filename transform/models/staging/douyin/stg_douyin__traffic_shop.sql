{{ stage_platform_export('douyin', 'traffic_shop') }}
