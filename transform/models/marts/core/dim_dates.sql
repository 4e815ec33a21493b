{#- Calendar from the first to the last day of any activity or inventory; also MetricFlow's daily time spine. -#}
with bounds as (
    select min(activity_date) as first_date, max(activity_date) as last_date
    from (
        select activity_date from {{ ref('int_shop_activity_days') }}
        union all
        select inventory_date from {{ ref('int_inventory_daily') }}
    ) as activity
),

days as (
    select cast(series.day_start as date) as date_day
    from bounds
    {{ join_days_between('bounds.first_date', 'bounds.last_date') }}
)

select
    date_day,
    cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
    cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
    cast(extract(isodow from date_day) as integer) as iso_day_of_week,
    extract(isodow from date_day) in (6, 7) as is_weekend
from days
