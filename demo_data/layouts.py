"""File layouts: for every platform x kind and ERP kind, the headers and the quirks.

A layout maps real export headers to canonical field names (the rows the
generator builds are dicts keyed by those names) and says how the file is
dressed: CSV or XLSX, encoding, how identifiers are protected from
spreadsheets, how money, counts and timestamps are printed, title lines,
and which null token stands for a missing value.  The header strings are
copied from the landing-formats contract; headers the contract does not
list (物流单号, 买家留言, ...) are the extra columns real exports carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# canonical field -> how its values are printed (fields not listed are text)
FIELD_KINDS = {
    **dict.fromkeys(("order_id", "line_id", "platform_item_id", "refund_id"), "id"),
    **dict.fromkeys(("created_at", "paid_at", "shipped_at", "completed_at", "requested_at", "refunded_at",
                     "booked_at"), "time"),
    **dict.fromkeys(("stat_date", "launch_date", "receipt_date", "effective_date"), "date"),
    **dict.fromkeys(("unit_price", "line_paid_amount", "order_paid_amount", "shipping_fee", "discount_amount",
                     "shop_discount", "platform_discount", "goods_total", "merchant_received", "refund_amount",
                     "income", "expense", "balance", "paid_amount", "spend", "cpc", "attributed_gmv", "tag_price",
                     "unit_cost", "receipt_value", "cost", "amount", "budget"), "money"),
    **dict.fromkeys(("quantity", "impressions", "clicks", "visitors", "page_views", "add_to_cart_buyers",
                     "add_to_cart_units", "favorite_buyers", "order_buyers", "paid_buyers", "paid_units",
                     "attributed_orders", "on_hand", "available", "in_transit"), "count"),
    **dict.fromkeys(("bounce_rate", "ctr", "conversion_rate"), "percent"),
    "roas": "ratio",
    "avg_stay_seconds": "stay",
}


@dataclass(frozen=True, eq=False)
class Layout:
    """How one kind of export file looks."""

    name: str  # file stem; {date} is YYYYMMDD (or a range), {tool}, {month}, {year} where relevant
    columns: tuple[tuple[str, str], ...]  # (header, canonical field)
    fmt: str = "csv"  # csv | xlsx
    encoding: str = "utf-8"  # csv only: utf-8 | utf-8-sig (BOM) | gbk | gb18030
    ids: str = "plain"  # plain | formula (="123") | tab (\t123) | apostrophe ('123); XLSX ids are plain text
    money: str = "plain"  # plain (1234.50) | thousands (1,234.50) | yen (¥1234.50) | fullwidth_yen (￥) | fen
    counts: str = "plain"  # plain | thousands
    times: str = "iso"  # iso (2026-11-24 09:30:00) | slash (2026/11/24 9:30)
    stay: str = "seconds"  # seconds (12.5) | clock (00:00:12)
    title: tuple[str, ...] = ()  # lines above the header (then one blank line); str.format(**context)
    nulls: dict[str, str] = field(default_factory=dict)  # field -> token for a missing value (default empty)

    @property
    def headers(self) -> list[str]:
        return [header for header, _ in self.columns]


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    """Parse 'header=field, header=field' (compact, and keeps the tables below readable)."""
    return tuple(tuple(part.strip().split("=")) for part in spec.split(","))  # type: ignore[misc]


SHENGYICANMOU_TITLE = ("统计日期：{first}~{last}",)
ALIPAY_TITLE = ("#支付宝账务明细查询", "#账号：[{account}]",
                "#起始日期：[{first_cn} 00:00:00]   终止日期：[{next_cn} 00:00:00]")

TAOBAO_ORDER_COLUMNS = _cols(
    "主订单编号=order_id, 子订单编号=line_id, 买家会员名=buyer_id, 订单状态=status, 订单创建时间=created_at,"
    "订单付款时间=paid_at, 发货时间=shipped_at, 确认收货时间=completed_at, 宝贝标题=item_title,"
    "商品ID=platform_item_id, 商家编码=sku_code, 商品属性=sku_spec, 价格=unit_price, 购买数量=quantity,"
    "子订单实付金额=line_paid_amount, 买家实际支付金额=order_paid_amount, 邮费=shipping_fee,"
    "优惠金额=discount_amount, 退款状态=refund_status, 退款金额=refund_amount, 收货人姓名=receiver_name,"
    "联系手机=receiver_phone, 收货地址=receiver_address, 店铺名称=shop_name, 买家留言=buyer_message,"
    "物流公司=carrier, 物流单号=tracking_no, 订单备注=seller_memo")
TAOBAO_ORDER_NULLS = {"shipped_at": "-", "completed_at": "-", "refund_status": "无退款申请", "tracking_no": "-"}
TAOBAO_REFUND_COLUMNS = _cols(
    "退款编号=refund_id, 订单编号=order_id, 子订单编号=line_id, 买家会员名=buyer_id, 宝贝标题=item_title,"
    "商家编码=sku_code, 买家实际支付金额=line_paid_amount, 退款金额=refund_amount, 退款申请时间=requested_at,"
    "退款完结时间=refunded_at, 退款状态=refund_status, 是否要求退货=refund_type, 退款原因=reason")
TAOBAO_TRAFFIC_SHOP_COLUMNS = _cols(
    "统计日期=stat_date, 流量来源=traffic_source, 展现量=impressions, 点击量=clicks, 访客数=visitors,"
    "浏览量=page_views, 跳失率=bounce_rate, 平均停留时长=avg_stay_seconds, 加购人数=add_to_cart_buyers,"
    "加购件数=add_to_cart_units, 收藏人数=favorite_buyers, 下单买家数=order_buyers, 支付买家数=paid_buyers,"
    "支付件数=paid_units, 支付金额=paid_amount, 支付转化率=conversion_rate")
TAOBAO_TRAFFIC_SKU_COLUMNS = _cols(
    "统计日期=stat_date, 商品ID=platform_item_id, 商品名称=item_title, 商家编码=sku_code,"
    "商品访客数=visitors, 商品浏览量=page_views, 商品详情页跳出率=bounce_rate, 平均停留时长=avg_stay_seconds,"
    "商品加购人数=add_to_cart_buyers, 商品加购件数=add_to_cart_units, 商品收藏人数=favorite_buyers,"
    "下单买家数=order_buyers, 支付买家数=paid_buyers, 支付件数=paid_units, 支付金额=paid_amount")
TAOBAO_ADS_COLUMNS = _cols(
    "日期=stat_date, 计划ID=campaign_id, 计划名称=campaign_name, 展现量=impressions, 点击量=clicks, 花费=spend,"
    "点击率=ctr, 平均点击花费=cpc, 总成交笔数=attributed_orders, 总成交金额=attributed_gmv, 投入产出比=roas")
ALIPAY_COLUMNS = _cols(
    "账务流水号=entry_id, 业务流水号=business_ref, 业务订单号=order_id, 商品名称=item_title, 入账时间=booked_at,"
    "对方账号=counterparty, 收入金额(元)=income, 支出金额(元)=expense, 账户余额(元)=balance, 业务类型=entry_type,"
    "备注=memo")

ORDERS = {
    "taobao": Layout("订单导出_{date}", TAOBAO_ORDER_COLUMNS, encoding="gbk", ids="formula",
                     nulls=TAOBAO_ORDER_NULLS),
    "tmall": Layout("订单报表_{date}", TAOBAO_ORDER_COLUMNS, fmt="xlsx", nulls=TAOBAO_ORDER_NULLS),
    "jd": Layout("订单列表_{date}", _cols(  # deliberately not in the contract's column order
        "商品名称=item_title, 订单号=order_id, 商品ID=platform_item_id, 商家SKU=sku_code, 商品规格=sku_spec,"
        "订购数量=quantity, 京东价=unit_price, 应付金额=line_paid_amount, 订单金额=order_paid_amount,"
        "运费金额=shipping_fee, 优惠金额=discount_amount, 结算金额=merchant_received, 订单状态=status,"
        "下单时间=created_at, 付款确认时间=paid_at, 出库时间=shipped_at, 订单完成时间=completed_at,"
        "客户账号=buyer_id, 客户姓名=receiver_name, 联系电话=receiver_phone, 客户地址=receiver_address,"
        "店铺名称=shop_name, 订单备注=seller_memo, 运单号=tracking_no"),
        encoding="utf-8-sig", ids="formula", money="thousands", times="slash",
        nulls={"shipped_at": "--", "completed_at": "--", "seller_memo": "无"}),
    "pdd": Layout("订单列表_{date}", _cols(
        "订单号=order_id, 商品=item_title, 商品id=platform_item_id, 商家编码-规格维度=sku_code, 商品规格=sku_spec,"
        "订单状态=status, 售后状态=refund_status, 商品数量(件)=quantity, 商品总价(元)=goods_total,"
        "店铺优惠折扣(元)=shop_discount, 平台优惠折扣(元)=platform_discount, 邮费(元)=shipping_fee,"
        "用户实付金额(元)=order_paid_amount, 商家实收金额(元)=merchant_received, 订单成交时间=created_at,"
        "发货时间=shipped_at, 确认收货时间=completed_at, 收货人=receiver_name, 手机=receiver_phone, 省=province,"
        "市=city, 区=district, 详细地址=street, 店铺名称=shop_name, 快递公司=carrier, 快递单号=tracking_no,"
        "商家备注=seller_memo"),
        ids="tab", nulls={"refund_status": "无"}),
    "douyin": Layout("订单明细_{date}", _cols(
        "主订单编号=order_id, 子订单编号=line_id, 选购商品=item_title, 商品规格=sku_spec, 商品ID=platform_item_id,"
        "商家编码=sku_code, 商品数量=quantity, 商品金额=line_paid_amount, 订单应付金额=order_paid_amount,"
        "运费=shipping_fee, 优惠总金额=discount_amount, 订单状态=status, 售后状态=refund_status,"
        "订单提交时间=created_at, 支付完成时间=paid_at, 发货时间=shipped_at, 订单完成时间=completed_at,"
        "收件人=receiver_name, 收件人手机号=receiver_phone, 省=province, 市=city, 区=district, 详细地址=street,"
        "店铺名称=shop_name, 流量来源=traffic_source, 达人昵称=creator, 买家留言=buyer_message,"
        "快递单号=tracking_no"),
        encoding="utf-8-sig", ids="apostrophe",
        nulls={"shipped_at": "/", "completed_at": "/", "creator": "/", "refund_status": "--"}),
}

REFUNDS = {
    "taobao": Layout("退款管理_{date}", TAOBAO_REFUND_COLUMNS, encoding="gbk", ids="formula"),
    "tmall": Layout("退款管理_{date}", TAOBAO_REFUND_COLUMNS, encoding="utf-8-sig", ids="formula"),
    "jd": Layout("服务单列表_{date}", _cols(
        "服务单号=refund_id, 订单号=order_id, 商品ID=platform_item_id, 商品名称=item_title, 服务类型=refund_type,"
        "服务单状态=refund_status, 申请原因=reason, 申请时间=requested_at, 退款金额=refund_amount,"
        "退款时间=refunded_at, 客户账号=buyer_id"),
        encoding="gbk", money="fullwidth_yen"),
    "pdd": Layout("售后列表_{date}", _cols(
        "售后编号=refund_id, 订单号=order_id, 商品id=platform_item_id, 商品名称=item_title, 售后类型=refund_type,"
        "售后状态=refund_status, 售后原因=reason, 退款金额(元)=refund_amount, 申请时间=requested_at,"
        "退款成功时间=refunded_at"),
        ids="tab"),
    "douyin": Layout("售后单_{date}", _cols(
        "售后单号=refund_id, 主订单编号=order_id, 子订单编号=line_id, 商品ID=platform_item_id, 商品名称=item_title,"
        "售后类型=refund_type, 售后状态=refund_status, 售后原因=reason, 退款金额=refund_amount,"
        "申请时间=requested_at, 退款时间=refunded_at"),
        fmt="xlsx"),
}

_TRAFFIC_COMMON = ("访客数=visitors, 浏览量=page_views, 跳失率=bounce_rate, 平均停留时长=avg_stay_seconds,"
                   "加购人数=add_to_cart_buyers, 加购件数=add_to_cart_units, 收藏人数=favorite_buyers,"
                   "下单买家数=order_buyers, 支付买家数=paid_buyers, 支付件数=paid_units, 支付金额=paid_amount")
TRAFFIC_SHOP = {
    "taobao": Layout("流量来源_{date}", TAOBAO_TRAFFIC_SHOP_COLUMNS, encoding="gbk", title=SHENGYICANMOU_TITLE),
    "tmall": Layout("流量来源_{date}", TAOBAO_TRAFFIC_SHOP_COLUMNS, fmt="xlsx", title=SHENGYICANMOU_TITLE),
    "jd": Layout("流量来源_{date}", _cols("日期=stat_date, 来源名称=traffic_source, 曝光量=impressions,"
                                          "点击次数=clicks," + _TRAFFIC_COMMON),
                 encoding="utf-8-sig", counts="thousands", money="thousands"),
    "pdd": Layout("流量数据_{date}", _cols("日期=stat_date, 流量来源=traffic_source, 曝光次数=impressions,"
                                           "点击量=clicks," + _TRAFFIC_COMMON), fmt="xlsx"),
    "douyin": Layout("渠道分析_{date}", _cols("日期=stat_date, 渠道=traffic_source, 曝光次数=impressions,"
                                              "点击次数=clicks," + _TRAFFIC_COMMON),
                     stay="clock", money="yen"),
}

_SKU_TRAFFIC_COMMON = ("商品访客数=visitors, 商品浏览量=page_views, 商品详情页跳出率=bounce_rate,"
                       "平均停留时长=avg_stay_seconds, 商品加购人数=add_to_cart_buyers,"
                       "商品加购件数=add_to_cart_units, 商品收藏人数=favorite_buyers, 下单买家数=order_buyers,"
                       "支付买家数=paid_buyers, 支付件数=paid_units, 支付金额=paid_amount")
TRAFFIC_SKU = {
    "taobao": Layout("商品效果_{date}", TAOBAO_TRAFFIC_SKU_COLUMNS, encoding="gbk", title=SHENGYICANMOU_TITLE),
    "tmall": Layout("商品效果_{date}", TAOBAO_TRAFFIC_SKU_COLUMNS, encoding="gb18030", title=SHENGYICANMOU_TITLE),
    "jd": Layout("商品明细_{date}", _cols("日期=stat_date, SKU=platform_item_id, 商品名称=item_title,"
                                          + _SKU_TRAFFIC_COMMON), encoding="utf-8-sig", counts="thousands"),
    "pdd": Layout("商品数据_{date}", _cols("日期=stat_date, 商品id=platform_item_id, 商品名称=item_title,"
                                           + _SKU_TRAFFIC_COMMON), ids="tab"),
    "douyin": Layout("商品分析_{date}", _cols("日期=stat_date, 商品ID=platform_item_id, 商品名称=item_title,"
                                              + _SKU_TRAFFIC_COMMON),
                     encoding="utf-8-sig", ids="apostrophe", stay="clock"),
}

# ads: one layout per (platform, tool).  Without a 推广工具 column the tool is in the file name.
ADS = {
    ("taobao", "直通车"): Layout("直通车_{date}", TAOBAO_ADS_COLUMNS, encoding="gbk"),
    ("taobao", "万相台"): Layout("万相台_{date}", TAOBAO_ADS_COLUMNS, encoding="gbk"),
    ("tmall", "直通车"): Layout("直通车_{date}", TAOBAO_ADS_COLUMNS, encoding="gbk", money="fullwidth_yen"),
    ("tmall", "万相台"): Layout("万相台_{date}", _cols(
        "日期=stat_date, 推广工具=ad_product, 计划ID=campaign_id, 计划名称=campaign_name, 展现量=impressions,"
        "点击量=clicks, 花费=spend, 总成交笔数=attributed_orders, 总成交金额=attributed_gmv"), fmt="xlsx"),
    ("jd", "京准通"): Layout("推广报表_{date}", _cols(
        "日期=stat_date, 推广工具=ad_product, 计划ID=campaign_id, 计划名称=campaign_name, 展现量=impressions,"
        "点击量=clicks, 花费=spend, 成交订单数=attributed_orders, 成交金额=attributed_gmv, 点击率=ctr")),
    ("pdd", "多多推广"): Layout("多多推广_{date}", _cols(
        "日期=stat_date, 计划ID=campaign_id, 计划名称=campaign_name, 曝光量=impressions, 点击量=clicks,"
        "花费=spend, 成交订单数=attributed_orders, 成交金额=attributed_gmv, 投入产出比=roas"),
        encoding="utf-8-sig", money="yen"),
    ("douyin", "巨量千川"): Layout("千川数据_{date}", _cols(
        "日期=stat_date, 推广工具=ad_product, 计划ID=campaign_id, 计划名称=campaign_name, 消耗=spend,"
        "展现量=impressions, 点击量=clicks, 成交订单数=attributed_orders, 成交金额=attributed_gmv"), fmt="xlsx"),
}

SETTLEMENT = {
    "taobao": Layout("支付宝账务明细_{date}", ALIPAY_COLUMNS, encoding="gbk", title=ALIPAY_TITLE),
    "tmall": Layout("支付宝账务明细_{date}", ALIPAY_COLUMNS, encoding="gb18030", title=ALIPAY_TITLE),
    "jd": Layout("结算单_{date}", _cols(
        "流水号=entry_id, 订单号=order_id, 费用类型=entry_type, 发生时间=booked_at, 收入=income, 支出=expense,"
        "结算状态=settle_status, 备注=memo"), encoding="utf-8-sig", money="thousands"),
    "pdd": Layout("货款明细_{date}", _cols(
        "账务流水号=entry_id, 订单号=order_id, 发生时间=booked_at, 业务类型=entry_type, 收入金额(元)=income,"
        "支出金额(元)=expense, 备注=memo"), money="yen"),
    "douyin": Layout("资金流水_{date}", _cols(
        "流水号=entry_id, 订单号=order_id, 入账时间=booked_at, 费用类型=entry_type, 收入金额(分)=income,"
        "支出金额(分)=expense, 备注=memo"), encoding="utf-8-sig", money="fen"),
}

ERP = {
    "products": Layout("商品资料", _cols(
        "商家编码=sku_code, 商品名称=product_name, 规格=sku_spec, 类目=category, 品牌=brand, 上市日期=launch_date,"
        "吊牌价=tag_price, 单位=unit"), fmt="xlsx"),
    "inventory_snapshot": Layout("库存快照_{date}", _cols(
        "日期=stat_date, 仓库=warehouse, 商家编码=sku_code, 商品名称=product_name, 实际库存=on_hand,"
        "可用库存=available, 在途库存=in_transit")),
    "inventory_receipts": Layout("采购入库单_{date}", _cols(
        "入库单号=receipt_id, 入库日期=receipt_date, 仓库=warehouse, 供应商=supplier, 商家编码=sku_code,"
        "商品名称=product_name, 数量=quantity, 采购单价=unit_cost, 金额=receipt_value"), encoding="gbk"),
    "cogs": Layout("成本价_{date}", _cols("商家编码=sku_code, 商品名称=product_name, 成本价=cost,"
                                          "生效日期=effective_date"), fmt="xlsx"),
    "expenses": Layout("费用明细_{month}", _cols("日期=stat_date, 店铺编码=shop_code, 科目=account, 金额=amount,"
                                                  "备注=memo"), encoding="utf-8-sig"),
    "budgets": Layout("费用预算_{year}", _cols("月份=month, 店铺编码=shop_code, 科目=account, 预算金额=budget"),
                      fmt="xlsx", title=("{year}年度费用预算（单位：元）",)),
}
