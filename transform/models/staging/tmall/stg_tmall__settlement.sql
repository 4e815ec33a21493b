{{ stage_platform_export('tmall', 'settlement') }}
