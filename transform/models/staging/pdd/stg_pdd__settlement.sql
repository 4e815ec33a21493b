{{ stage_platform_export('pdd', 'settlement') }}
