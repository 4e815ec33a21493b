{{ stage_platform_export('jd', 'ads') }}
