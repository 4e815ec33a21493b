"""Per-platform business vocabulary: status strings, fees, traffic sources, ad tools.

All raw strings are copied from the landing-formats contract so that the
generated files speak exactly the platforms' language.  File layouts
(headers, encodings, quirks) live in ``layouts.py``.
"""

PLATFORMS = ("taobao", "tmall", "jd", "pdd", "douyin")
SHOP_CODE_PREFIX = {"taobao": "tb", "tmall": "tm", "jd": "jd", "pdd": "pdd", "douyin": "dy"}
SHOP_NAME_TEMPLATE = {"taobao": "{brand}的小店", "tmall": "{brand}官方旗舰店", "jd": "{brand}京东旗舰店",
                      "pdd": "{brand}百货专营店", "douyin": "{brand}官方小店"}

# canonical order state -> raw 订单状态.  "closed" is closed after payment (fully refunded).
ORDER_STATUS = {
    "taobao": {"pending": "等待买家付款", "paid": "买家已付款，等待卖家发货", "shipped": "卖家已发货，等待买家确认",
               "completed": "交易成功", "cancelled": "交易关闭", "closed": "交易关闭"},
    "jd": {"pending": "等待付款", "paid": "等待出库", "shipped": "等待确认收货", "completed": "完成",
           "cancelled": "已取消", "closed": "已取消"},
    "pdd": {"pending": "待支付", "paid": "待发货", "shipped": "已发货，待签收", "completed": "已签收",
            "cancelled": "已取消", "closed": "已取消"},
    "douyin": {"pending": "待支付", "paid": "待发货", "shipped": "已发货", "completed": "已完成",
               "cancelled": "已关闭", "closed": "已关闭"},
}
ORDER_STATUS["tmall"] = ORDER_STATUS["taobao"]
# Taobao/Tmall exports spell the paid status with an ASCII comma about a third of the time.
PAID_STATUS_VARIANT = {"taobao": "买家已付款,等待卖家发货", "tmall": "买家已付款,等待卖家发货"}
PAID_STATUS_VARIANT_SHARE = 0.33
# Statuses outside the contract's vocabulary, for the unknown-status quality check.
UNKNOWN_STATUS = {"taobao": "异常订单", "tmall": "异常订单", "jd": "暂停", "pdd": "风控审核中", "douyin": "异常订单"}

# refund state -> raw refund / after-sales status (used in refunds files and order lines)
REFUND_STATUS = {
    "taobao": {"pending": "买家已经申请退款，等待卖家同意", "returning": "卖家已经同意退款，等待买家退货",
               "success": "退款成功", "closed": "退款关闭"},
    "jd": {"pending": "待审核", "returning": "待收货", "success": "完成", "closed": "审核关闭"},
    "pdd": {"pending": "待商家处理", "returning": "待买家退货", "success": "退款成功", "closed": "售后关闭"},
    "douyin": {"pending": "待商家处理", "returning": "待买家退货", "success": "退款成功", "closed": "售后关闭"},
}
REFUND_STATUS["tmall"] = REFUND_STATUS["taobao"]
# refund type by whether goods go back
REFUND_TYPE = {
    "taobao": {False: "仅退款", True: "退货退款"},
    "jd": {False: "仅退款", True: "退货"},
    "pdd": {False: "仅退款", True: "退货退款"},
    "douyin": {False: "仅退款", True: "退货退款"},
}
REFUND_TYPE["tmall"] = REFUND_TYPE["taobao"]

# how a SKU's spec pairs are printed: (pair template, separator)
SPEC_STYLE = {"taobao": ("{k}:{v}", ";"), "tmall": ("{k}:{v}", ";"), "jd": ("{v}", " "),
              "pdd": ("{v}", ","), "douyin": ("{v}", ";")}

# lines per order (1..4) weights; PDD sells one SKU per order
LINE_COUNT_WEIGHTS = {"taobao": (55, 28, 12, 5), "tmall": (55, 28, 12, 5), "jd": (60, 25, 10, 5),
                      "pdd": (1, 0, 0, 0), "douyin": (65, 23, 9, 3)}
# selling price as a share of the tag price
PRICE_FACTOR = {"taobao": 0.85, "tmall": 0.92, "jd": 0.9, "pdd": 0.7, "douyin": 0.8}
# digits of platform item ids (all beyond float precision) and their leading digits
ITEM_ID_FORMAT = {"taobao": ("97", 16), "tmall": ("98", 16), "jd": ("1", 17), "pdd": ("5", 18), "douyin": ("3", 19)}

# settlement charges booked when an order completes: (entry type, rate of the settled amount, share of orders)
ORDER_FEES = {
    "taobao": (("淘宝客佣金", 0.08, 0.15), ("支付手续费", 0.006, 1.0)),
    "tmall": (("技术服务费", 0.05, 1.0), ("淘宝客佣金", 0.06, 0.1), ("支付手续费", 0.006, 1.0)),
    "jd": (("佣金", 0.08, 1.0), ("支付手续费", 0.006, 1.0)),
    "pdd": (("技术服务费", 0.006, 1.0),),
    "douyin": (("平台服务费", 0.05, 1.0),),
}
CREATOR_COMMISSION = ("达人佣金", 0.2)  # douyin orders sold by a creator
ALIPAY_COUNTERPARTY = "淘宝(中国)软件有限公司"  # 对方账号 of order entries in the taobao/tmall bill
# prefix of the bill's 备注; "•" is outside GBK, which is why the Tmall bill is GB18030
SETTLEMENT_MEMO_PREFIX = {"tmall": "天猫 • "}
JD_COMMISSION_RATE = 0.08  # also deducted in the orders export's 结算金额
FREIGHT_INSURANCE_SHARE = 0.3  # share of orders carrying 运费险

# traffic sources: (name, share of visitors, conversion factor)
TRAFFIC_SOURCES = {
    "taobao": (("手淘搜索", 35, 1.0), ("手淘推荐", 25, 0.6), ("直通车", 12, 1.1), ("万相台", 8, 1.0),
               ("淘宝直播", 6, 1.4), ("购物车", 6, 2.5), ("我的淘宝", 4, 1.8), ("淘内免费其他", 4, 0.7)),
    "tmall": (("手淘搜索", 33, 1.0), ("手淘推荐", 24, 0.6), ("直通车", 12, 1.1), ("万相台", 10, 1.0),
              ("淘宝直播", 7, 1.4), ("购物车", 7, 2.5), ("品销宝", 3, 1.2), ("淘内免费其他", 4, 0.7)),
    "jd": (("京东搜索", 38, 1.0), ("京东推荐", 22, 0.6), ("京准通", 18, 1.1), ("京东直播", 6, 1.3),
           ("购物车", 8, 2.4), ("其他", 8, 0.8)),
    "pdd": (("搜索", 35, 1.0), ("推荐", 30, 0.7), ("多多推广", 20, 1.1), ("多多视频", 8, 0.8), ("其他", 7, 0.8)),
    "douyin": (("直播", 40, 1.2), ("短视频", 22, 0.8), ("商品卡", 20, 1.0), ("搜索", 12, 1.1), ("橱窗", 6, 0.9)),
}
# where a Douyin order came from (order export column 流量来源)
DOUYIN_ORDER_SOURCES = (("直播", 40), ("短视频", 20), ("商品卡", 25), ("搜索", 10), ("橱窗", 5))

# ad tools per platform; each campaign belongs to one tool.  cpc in fen.
AD_TOOLS = {"taobao": ("直通车", "万相台"), "tmall": ("直通车", "万相台"), "jd": ("京准通",),
            "pdd": ("多多推广",), "douyin": ("巨量千川",)}
AD_CPC_FEN = {"taobao": 120, "tmall": 180, "jd": 150, "pdd": 60, "douyin": 90}
AD_SPEND_SHARE = 0.09  # ad spend as a share of the shop's paid amount

# identifiers: (leading digits, scrambled digits after them)
ORDER_ID_FORMAT = {"taobao": ("3", 18), "tmall": ("3", 18), "jd": ("3", 12), "pdd": ("yymmdd-", 15),
                   "douyin": ("6", 18)}
# sub-order ids, from the same key space as order ids (odd keys, orders use even ones)
LINE_ID_FORMAT = {"taobao": ("3", 18), "tmall": ("3", 18), "douyin": ("6", 18)}
REFUND_ID_FORMAT = {"taobao": ("1", 17), "tmall": ("1", 17), "jd": ("2", 11), "pdd": ("1", 11), "douyin": ("7", 18)}
# receiver address in one column: parts joined with this separator (PDD/Douyin use separate columns)
ADDRESS_SEPARATOR = {"taobao": " ", "tmall": " ", "jd": "", "pdd": "", "douyin": ""}
