{# Hex SHA-256 of a text expression: spelt differently in DuckDB, Postgres and ClickHouse, so dispatched. #}
{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'ecomops')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro duckdb__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{# ClickHouse's SHA256 gives the 32 bytes; hex() spells them in upper case. #}
{% macro clickhouse__sha256_hex(expression) -%}
    lower(hex(SHA256({{ expression }})))
{%- endmacro %}
