{{ stage_platform_export('taobao', 'settlement') }}
