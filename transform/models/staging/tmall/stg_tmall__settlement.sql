{#- Tmall (千牛 exports, same format as Taobao) bill: one row per entry (money movement) in its latest export, with the shop-local booked date. -#}
{{ config(materialized='incremental', unique_key=['shop_code', 'entry_id']) }}

with export_rows as (
    {#- an incremental run re-ranks all versions of every entry_id with a row loaded since the model's last build #}
    select * from {{ source('raw', 'tmall_settlement') }}
    {%- if is_incremental() %}
    where entry_id in (
        select entry_id from {{ source('raw', 'tmall_settlement') }} where {{ loaded_after_last_build('_dlt_load_id') }}
    )
    {%- endif %}
),

latest as (
    {{ latest_version('export_rows', ['shop_code', 'entry_id']) }}
),

shops as (
    select shop_code, timezone from {{ ref('stg_landing__shops') }}
)

select
    latest.platform,
    latest.shop_code,
    latest.entry_id,
    latest.booked_at,
    latest.order_id,
    latest.entry_type,
    latest.income,
    latest.expense,
    {{ local_date('latest.booked_at', 'shops.timezone') }} as booked_date,
    latest._source_file,
    latest._file_mtime,
    latest._last_load_id
from latest
left join shops on shops.shop_code = latest.shop_code
