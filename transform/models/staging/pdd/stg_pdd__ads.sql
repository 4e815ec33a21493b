{{ stage_platform_export('pdd', 'ads') }}
