// Labels, Chinese first; `?lang=en` switches to English.
export const LABELS = {
  overview: ["经营总览", "Overview"], traffic: ["流量转化", "Traffic"], products: ["商品", "Products"],
  inventory: ["库存", "Inventory"], members: ["会员", "Members"], finance: ["财务", "Finance"],
  alerts: ["预警", "Alerts"], screen: ["大屏", "Wall screen"], login: ["登录", "Sign in"],
  start: ["开始", "From"], end: ["结束", "To"], platform: ["平台", "Platform"], shop: ["店铺", "Shop"],
  all: ["全部", "All"], username: ["用户名", "User"], password: ["密码", "Password"],
  gmv: ["GMV", "GMV"], paid_amount: ["支付金额", "Paid amount"], paid_orders: ["支付订单数", "Paid orders"],
  arpu: ["客单价", "Per buyer"], refund_rate: ["退款率", "Refund rate"],
  payment_conversion: ["支付转化率", "Payment conversion"], gross_profit: ["毛利", "Gross profit"],
  contribution_profit: ["贡献利润", "Contribution profit"], roas: ["ROAS", "ROAS"],
  visitors: ["访客数", "Visitors"], add_to_cart_rate: ["加购率", "Add-to-cart rate"],
  order_conversion: ["下单转化率", "Order conversion"], add_to_cart_buyers: ["加购人数", "Added to cart"],
  order_buyers: ["下单人数", "Ordered"], paid_buyers: ["支付人数", "Paid"],
  vs_previous: ["较上期", "vs previous"], trend: ["每日趋势", "Daily trend"],
  by_platform: ["平台占比", "By platform"], by_shop: ["店铺排行", "By shop"], funnel: ["转化漏斗", "Funnel"],
  sources: ["流量来源", "Traffic sources"], top_skus: ["热销SKU", "Top SKUs"],
  assortment: ["动销率 / 售罄率 / 爆品占比 / 新品占比", "Sell-through / sell-out / hit / new-SKU share"],
  sell_through_breadth: ["动销率", "Sell-through"], sell_out_rate: ["售罄率", "Sell-out"],
  hit_product_share: ["爆品占比", "Hit share"], new_sku_share: ["新品占比", "New-SKU share"],
  sku_table: ["SKU 明细", "SKUs"], search: ["搜索 SKU 编码或名称", "Search SKU code or name"],
  sku_code: ["SKU", "SKU"], product_name: ["商品", "Product"], category: ["类目", "Category"],
  units_sold: ["支付件数", "Units"], health: ["库存健康度", "Stock health"],
  days_of_inventory: ["库存周转天数", "Days of inventory"], at_risk: ["缺货风险热销品", "Top sellers at risk"],
  slow_movers: ["滞销品", "Slow movers"], available_qty: ["可用库存", "Available"],
  units_sold_trailing_30d: ["近30天销量", "Units 30d"], inventory_health: ["健康度", "Health"],
  rfm: ["RFM 八类客户", "RFM segments"], cohorts: ["首购月留存", "Cohort retention"],
  buyer_rates: ["新客占比 / 复购率", "New-buyer and repurchase rates"], new_buyer_rate: ["新客占比", "New-buyer rate"],
  repurchase_rate: ["复购率", "Repurchase rate"], waterfall: ["贡献利润瀑布", "Contribution waterfall"],
  net_sales: ["净销售额", "Net sales"], cogs: ["销售成本", "COGS"], platform_fees: ["平台费用", "Platform fees"],
  ad_spend: ["推广费用", "Ads"], expenses: ["运营费用", "Expenses"], budget: ["预算执行率", "Budget attainment"],
  date: ["日期", "Date"], severity: ["级别", "Severity"], metric: ["指标", "Metric"], observed: ["观测值", "Observed"],
  expected: ["预期范围", "Expected"], message: ["说明", "Message"], no_alerts: ["区间内无预警", "No alerts in range"],
  seller_wide_only: ["库存为全店共享数据，仅限不限店铺的用户查看", "Stock is seller-wide: for users not limited to shops"],
  today: ["今日", "Today"], yesterday: ["昨日", "Yesterday"], provinces: ["省份排行", "Provinces"],
  province_map: ["全国分布", "Map"], healthy: ["健康", "Healthy"], stockout: ["缺货", "Stockout"],
  at_risk_stock: ["缺货风险", "At risk"], slow_moving: ["滞销", "Slow moving"], overstock: ["积压", "Overstock"], login_failed: ["登录失败", "Sign-in failed"],
  explorer: ["报表", "Explorer"], metrics: ["指标", "Metrics"], group_by: ["分组", "Group by"],
  taobao: ["淘宝", "Taobao"], tmall: ["天猫", "Tmall"], jd: ["京东", "JD"], pdd: ["拼多多", "Pinduoduo"],
  douyin: ["抖音", "Douyin"], critical: ["严重", "critical"], warning: ["警告", "warning"], info: ["提示", "info"],
  result: ["查询结果", "Result"], download_csv: ["下载 CSV", "Download CSV"], download_xlsx: ["下载 Excel", "Download XLSX"],
};

export const lang = new URLSearchParams(location.search).get("lang") === "en" ? 1 : 0;

export function t(key) {
  return LABELS[key] ? LABELS[key][lang] : key;
}
