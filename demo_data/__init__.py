"""Demo landing generator: the export files a multi-platform seller would download.

``generate(out, shops=5, days=30, start=None, seed=7)`` writes a complete
landing folder as the landing-formats contract describes it::

    shops.yaml
    <platform>/<shop_code>/<kind>/<name>.csv|.xlsx   kinds: orders, refunds, traffic_shop,
                                                       traffic_sku, ads, settlement
    erp/<kind>/<name>.csv|.xlsx                       kinds: products, inventory_snapshot,
                                                       inventory_receipts, cogs, expenses, budgets

Shops go round-robin over taobao, tmall, jd, pdd, douyin (tb01, tm01, jd01,
pdd01, dy01, tb02, ...), so five or more shops cover every platform.

Modules: ``vocab`` (Chinese word lists), ``platforms`` (status strings, fees,
sources, ad tools), ``layouts`` (headers and quirks of every file),
``catalog`` (SKUs, shops, buyers), ``orders`` (order life cycle),
``exports`` (rows of orders, refunds, settlement, traffic, ads), ``erp``
(stock, receipts, costs, expenses, budgets), ``writers`` (CSV/XLSX
output), ``generator`` (the day-by-day loop).

Reproducibility
    Same arguments, same bytes (and mtimes).  Every random draw comes from a
    ``random.Random`` seeded with a string naming its purpose, e.g.
    ``"7:tb01:20727"`` (seed, shop, day); nothing depends on the wall clock
    or on set/dict ordering.  ``start`` defaults to 2026-10-01.  XLSX files
    carry a fixed creation date.  Each file's mtime is 23:59:00 of its
    export day (local time read as UTC), 23:59:30 for the 7-day exports, so
    "latest file wins" ordering works.

Volume and scaling
    Shop i (0-based) places ``base_orders(i) = 120 + 10*i`` orders on an
    ordinary day, times a weekday factor (0.93-1.12), holiday/festival
    factors (11-11 x3, 12-12 x1.8, golden week x0.85, ...), growth
    ``1 + 0.0005*day`` and log-normal noise (sigma 0.08); about one shop in
    three has an incident day at x0.4.  Orders have 1-4 lines (PDD: 1),
    about 1.54 lines per order overall.  Default (5 shops x 30 days):
    ~21k orders, ~30k lines.  50 shops x 365 days: mean base 365
    orders, ~560 lines per shop-day, ~10M lines.  Generation streams day by
    day, shop by shop: memory holds only orders that will still change (or
    are in the 7-day export window), buyer pools as counters (a buyer's
    details are a function of its index) and the stock per SKU x warehouse.

Business rules the data obeys
    * Orders: created -> paid (within minutes; 5% never paid, closed 0.5-24h
      later) -> shipped (10-48h) -> completed (3-10 days).  3% are refunded
      in full before shipping (closed after payment, or the request is
      rejected and the order ships late); 7% get a refund on one line after
      shipping (whole line or part; 75% of whole-line refunds return goods;
      80% succeed), which holds completion back, and a single-line order
      refunded in full before completion ends closed after payment.
      Landing-wide, the 50th, 1047th, ... paid order (every 997th) gets a
      refund 21-27 days after creation (late refund); the 137th, 5137th, ...
      (every 5000th) sticks in a status outside the vocabulary (异常订单 /
      暂停 / 风控审核中).
    * The orders export of day d holds every order created on d and every
      order that changed on d (status, shipping, refund), in its end-of-day
      state.  Every 7th day each shop also exports the last 7 days (name
      ``..._YYYYMMDD-YYYYMMDD``).  The first shop of each platform
      downloads the orders of the 3rd day twice (``...(1).csv``, same bytes,
      same mtime).  Refunds export: refunds whose status changed that day.
    * Money is integer fen.  A line amount is price x quantity minus its
      share of the order discount, so per order: sum(line amounts) +
      shipping = order amount and sum(price x quantity) + shipping - discount
      = order amount (PDD: 商品总价 + 邮费 - 店铺优惠 - 平台优惠 = 用户实付).
      JD 结算金额 = 订单金额 - 8% commission; PDD 商家实收 = 用户实付 +
      平台优惠.  Order-level amounts repeat on every line.
    * Buyers: per platform pool; 40% of orders come from earlier buyers
      (loyal ones more often), so ~30% of a month's buyers buy on 2+ days.
    * Settlement (one file per shop-day with entries): 货款 on completion
      (minus refunds already paid out), commission/service/payment fees,
      达人佣金 on creator sales, 运费险 on ~30% of orders, 退款 for refunds
      after completion, weekly 推广费 top-up and 提现, unique entry ids.
    * Traffic: per source, buyers/amount/units split from the day's real
      paid orders (+-3%); impressions >= clicks, visitors <= page views,
      order buyers >= paid buyers.  SKU traffic: every item that sold plus
      about half of the others.  Ads: spend ~9% of paid amount over 3-5
      campaigns, ROAS around 1.2-5.5 with noise.
    * ERP: stock reserved on payment, out on shipping, back on returns, in
      with purchase receipts (opening stock on day 1, launches 2 days
      early, reorder at ~lead+7 days of cover).  Shops cannot sell what is
      not available, so supply-constrained SKUs (long lead time, small
      orders) show available = 0 days; slow and discontinued SKUs sit in
      stock.  Costs change for ~15% of SKUs during the period (cogs
      生效日期).  Expenses: 快递/包材 per shipped order daily, 人工/房租/仓储
      monthly; budgets per month x shop x 科目 near those amounts.

Quirks and where they are (see ``layouts`` for the exact headers)
    =========================  ==========================================================
    GBK                        taobao orders/refunds/traffic/ads/settlement, tmall 直通车 ads,
                               jd refunds, erp inventory_receipts
    GB18030                    tmall traffic_sku, tmall settlement (备注 has "•", not in GBK)
    UTF-8 with BOM             tmall refunds, jd orders/traffic/settlement, pdd 多多推广 ads,
                               douyin orders/traffic_sku/settlement, erp expenses
    UTF-8 without BOM          pdd orders/refunds/traffic_sku/settlement, jd ads,
                               douyin traffic_shop, erp inventory_snapshot
    XLSX                       tmall orders, tmall traffic_shop, tmall 万相台 ads, pdd traffic_shop,
                               douyin refunds, douyin ads, erp products/cogs/budgets
    title rows + blank line    taobao/tmall traffic_shop (tmall in XLSX) and traffic_sku
                               (统计日期：...~...), taobao/tmall settlement (#支付宝账务明细查询 ...),
                               erp budgets XLSX
    null tokens                "" everywhere; "-" taobao/tmall 发货时间/确认收货时间/物流单号;
                               "--" jd 出库时间/订单完成时间, douyin 售后状态; "无" jd 订单备注,
                               pdd 售后状态; "无退款申请" taobao/tmall 退款状态; "/" douyin
                               发货时间/订单完成时间/达人昵称
    1,234.50 (quoted)          jd orders amounts, jd traffic counts and amounts, jd settlement
    ¥ / ￥                     ¥: pdd settlement and ads, douyin traffic_shop 支付金额;
                               ￥: jd refunds, tmall 直通车 ads
    12.34%                     跳失率/详情页跳出率/支付转化率 in traffic files, 点击率 in ads
    (分)                       douyin settlement 收入金额(分)/支出金额(分)
    ="123..." ids              taobao orders and refunds, tmall refunds, jd orders
    tab-prefixed ids           pdd orders, refunds, traffic_sku
    apostrophe-prefixed ids    douyin orders, traffic_sku
    plain long ids in CSV      taobao/tmall traffic_sku 商品ID, jd refunds/traffic_sku
    2026/11/24 9:30            jd orders (下单时间, 付款确认时间, 出库时间, 订单完成时间)
    00:00:12 stay time         douyin traffic files (others: 12.5 seconds)
    extra columns              orders: 买家留言, 物流公司/快递公司, 物流单号/运单号/快递单号, 备注
    column order               jd orders start with 商品名称 (not the contract's order)
    status spelling            taobao/tmall paid status with "，" or "," (one order in three)
    ad tool from file name     taobao 直通车_/万相台_, tmall 直通车_, pdd 多多推广_ (no 推广工具
                               column); tmall 万相台, jd, douyin files have the column
    =========================  ==========================================================
"""

from .generator import DEFAULT_START, GenerationSummary, ShopOrders, generate, order_history

__all__ = ["DEFAULT_START", "GenerationSummary", "ShopOrders", "generate", "order_history"]
