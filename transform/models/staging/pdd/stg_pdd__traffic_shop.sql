{{ stage_platform_export('pdd', 'traffic_shop') }}
