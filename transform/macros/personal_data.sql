{#
  Buyers are identified per platform (ids do not join across platforms) by the
  platform buyer id, else the receiver phone; only a salted hash leaves staging.
  ECOMOPS_BUYER_SALT is required: without it dbt stops rather than hashing with a guessable salt.
#}
{% macro buyer_key(platform, buyer_id, receiver_phone) -%}
    case
        when {{ buyer_id }} is not null
            then {{ sha256_hex("'" ~ buyer_salt() ~ "|" ~ platform ~ "|id|' || " ~ buyer_id) }}
        when {{ receiver_phone }} is not null
            then {{ sha256_hex("'" ~ buyer_salt() ~ "|" ~ platform ~ "|phone|' || " ~ receiver_phone) }}
    end
{%- endmacro %}

{# Taobao and JD give the address as one text starting with province and city
   (municipalities 北京/上海/天津/重庆 are both). #}
{% macro address_region(address, part) -%}
    {%- set compact = "replace(" ~ address ~ ", ' ', '')" -%}
    {%- set municipality = regexp_capture(compact, '^(北京|上海|天津|重庆)') -%}
    case
        when {{ municipality }} is not null then {{ municipality }} || '市'
        {%- if part == 'province' %}
        else {{ regexp_capture(compact, '^(.+?(?:省|自治区|特别行政区))') }}
        {%- else %}
        else {{ regexp_capture(compact, '^.+?(?:省|自治区|特别行政区)(.+?(?:市|自治州|地区|盟))') }}
        {%- endif %}
    end
{%- endmacro %}

{% macro buyer_salt() -%}
    {{ return(env_var('ECOMOPS_BUYER_SALT') | replace("'", "''")) }}
{%- endmacro %}
