{#-
  Tmall (千牛 exports, same format as Taobao) order lines: one row per line in its latest exported state (ranked like its
  order), line-level fields only.
-#}
{{ config(materialized='incremental', unique_key='line_key') }}

with latest as (
    {{ latest_order_versions('tmall', 'line_id') }}
)

select
    platform || ':' || line_id as line_key,
    platform || ':' || order_id as order_key,
    platform,
    shop_code,
    order_id,
    line_id,
    platform_item_id,
    sku_code,
    item_title,
    sku_spec,
    quantity,
    unit_price,
    line_paid_amount,
    refund_status as raw_refund_status,
    line_refund_state as refund_status,
    refund_amount,
    _source_file,
    _file_mtime,
    _last_load_id
from latest
