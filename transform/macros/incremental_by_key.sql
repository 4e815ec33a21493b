{# An incremental table replaced by key (loaded_after_last_build.sql says why and how). #}
{% macro incremental_by_key(unique_key) -%}
    {{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=unique_key, on_schema_change='fail') }}
{%- endmacro %}
