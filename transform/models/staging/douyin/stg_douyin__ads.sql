{{ stage_platform_export('douyin', 'ads') }}
