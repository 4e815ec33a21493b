{{ stage_platform_export('jd', 'settlement') }}
