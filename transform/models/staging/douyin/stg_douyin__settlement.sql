{{ stage_platform_export('douyin', 'settlement') }}
