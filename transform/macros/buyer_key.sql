{#
  Buyers are identified per platform (ids do not join across platforms) by the
  platform buyer id, else the receiver phone; only this salted hash leaves staging:
  sha256('<salt>|<platform>|id|' || buyer_id), else the same with `phone`.
  ECOMOPS_BUYER_SALT is required: without it dbt stops rather than hashing with a guessable salt.
#}
{% macro buyer_key(platform, buyer_id, receiver_phone) -%}
    {%- set salt = env_var('ECOMOPS_BUYER_SALT') | replace("'", "''") -%}
    case
        when {{ buyer_id }} is not null
            then {{ sha256_hex("'" ~ salt ~ "|" ~ platform ~ "|id|' || " ~ buyer_id) }}
        when {{ receiver_phone }} is not null
            then {{ sha256_hex("'" ~ salt ~ "|" ~ platform ~ "|phone|' || " ~ receiver_phone) }}
    end
{%- endmacro %}
