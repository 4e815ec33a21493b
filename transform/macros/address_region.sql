{# Province or city (part) from an address given as one text starting with them, as Taobao and JD give it
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
