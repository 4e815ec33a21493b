{{ stage_platform_export('tmall', 'ads') }}
