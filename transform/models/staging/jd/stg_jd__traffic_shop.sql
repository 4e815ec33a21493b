{{ stage_platform_export('jd', 'traffic_shop') }}
