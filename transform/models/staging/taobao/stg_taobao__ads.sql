{{ stage_platform_export('taobao', 'ads') }}
