// The pages of the 经营看板: each fetches its endpoint with the URL's filter and draws charts, cards and tables.
import { t } from "./i18n.js";
import { api, cards, chart, element, filterParams, format, notice, section, table } from "./ui.js";

export const OVERVIEW_CARDS = [["gmv", "money"], ["paid_amount", "money"], ["paid_orders", "count"],
  ["arpu", "money"], ["refund_rate", "percent"], ["payment_conversion", "percent"], ["gross_profit", "money"],
  ["contribution_profit", "money"], ["roas", "ratio"]];

const axisMoney = { type: "value", axisLabel: { formatter: (v) => (v >= 10000 ? `${v / 10000}万` : v) } };
const percentAxis = { type: "value", axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } };
const tooltip = { trigger: "axis" };

function grid(...panels) {
  return element("div", { class: "grid" }, ...panels);
}

async function overview(main, summary) {
  const [days, platforms, shops] = await Promise.all(
    [api("breakdown", { by: "date" }), api("breakdown", { by: "platform" }), api("breakdown", { by: "shop" })]);
  const trend = section("trend"), byPlatform = section("by_platform"), byShop = section("by_shop");
  main.append(cards(summary, OVERVIEW_CARDS), trend, grid(byPlatform, byShop));
  chart(trend, {
    tooltip, legend: { data: [t("gmv"), t("paid_amount"), t("gross_profit")] },
    xAxis: { type: "category", data: days.map((d) => d.date) }, yAxis: axisMoney,
    series: ["gmv", "paid_amount", "gross_profit"].map((m) => ({ name: t(m), type: "line", data: days.map((d) => d[m]) })),
  }, days.length);
  chart(byPlatform, {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["40%", "70%"], data: platforms.map((p) => ({ name: t(p.platform), value: p.paid_amount })) }],
  }, platforms.length);
  chart(byShop, {
    tooltip, grid: { left: 160 }, xAxis: axisMoney,
    yAxis: { type: "category", inverse: true, data: shops.map((s) => s.shop_name) },
    series: [{ name: t("paid_amount"), type: "bar", data: shops.map((s) => s.paid_amount) }],
  }, shops.length);
}

async function traffic(main, summary) {
  const data = await api("traffic");
  const funnel = section("funnel"), sources = section("sources");
  main.append(cards(summary, [["visitors", "count"], ["add_to_cart_rate", "percent"], ["order_conversion", "percent"],
    ["payment_conversion", "percent"]]), grid(funnel, sources));
  const steps = ["visitors", "add_to_cart_buyers", "order_buyers", "paid_buyers"];
  chart(funnel, {
    tooltip: { trigger: "item" },
    series: [{ type: "funnel", sort: "none", label: { formatter: "{b}: {c}" },
      data: steps.map((s) => ({ name: t(s), value: data.funnel[s] })) }],
  }, steps.filter((s) => data.funnel[s]).length);
  chart(sources, {
    tooltip, grid: { left: 110 }, xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.sources.map((s) => s.traffic_source) },
    series: [{ name: t("visitors"), type: "bar", data: data.sources.map((s) => s.visitors) }],
  }, data.sources.length);
}

const SKU_COLUMNS = [["sku_code", "sku_code"], ["product_name", "product_name"], ["category", "category"],
  ["units_sold", "units_sold", "count"], ["paid_orders", "paid_orders", "count"], ["paid_amount", "paid_amount", "money"]];

async function products(main) {
  const data = await api("products");
  const top = section("top_skus"), months = section("assortment");
  const search = element("input", { type: "search", id: "sku-search", placeholder: t("search") });
  const skuPanel = section("sku_table", search);
  main.append(grid(top, months), skuPanel);
  chart(top, {
    tooltip, grid: { left: 200 }, xAxis: axisMoney,
    yAxis: { type: "category", inverse: true, data: data.top_skus.map((s) => `${s.product_name ?? ""} ${s.sku_code}`) },
    series: [{ name: t("paid_amount"), type: "bar", data: data.top_skus.map((s) => s.paid_amount) }],
  }, data.top_skus.length);
  const shares = ["sell_through_breadth", "sell_out_rate", "hit_product_share", "new_sku_share"];
  chart(months, {
    tooltip, legend: { data: shares.map(t) }, yAxis: percentAxis,
    xAxis: { type: "category", data: data.months.map((m) => m.period_start.slice(0, 7)) },
    series: shares.map((s) => ({ name: t(s), type: "bar", data: data.months.map((m) => m[s]) })),
  }, data.months.length);
  const show = async () => {
    const rows = await api("products/skus", { q: search.value.trim() });
    skuPanel.querySelector(".scroll")?.remove();
    skuPanel.append(element("div", { class: "scroll" }, table(rows, SKU_COLUMNS, { id: "sku-table" })));
  };
  search.addEventListener("input", show);
  await show();
}

const STOCK_COLUMNS = [["sku_code", "sku_code"], ["product_name", "product_name"],
  ["available_qty", "available_qty", "count"], ["units_sold_trailing_30d", "units_sold_trailing_30d", "count"],
  ["days_of_inventory", "days_of_inventory", "ratio"]];

// The mart's health codes; `at_risk` is also the name of the at-risk panel, so its label has its own key.
const healthLabel = (code) => t(code === "at_risk" ? "at_risk_stock" : code);

async function inventory(main) {
  let data;
  try {
    data = await api("inventory");
  } catch (error) {
    if (error.status === 403) return main.append(notice(t("seller_wide_only")));
    throw error;
  }
  const health = section("health"), days = section("days_of_inventory");
  main.append(grid(health, days), grid(
    section("at_risk", table(data.at_risk.map((r) => ({ ...r, inventory_health: healthLabel(r.inventory_health) })),
      [...STOCK_COLUMNS, ["inventory_health", "inventory_health"]])),
    section("slow_movers", table(data.slow_movers, STOCK_COLUMNS))));
  chart(health, {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["40%", "70%"], data: data.health.map((h) => ({ name: healthLabel(h.inventory_health), value: h.skus })) }],
  }, data.health.length);
  chart(days, {
    tooltip, xAxis: { type: "category", data: data.days_of_inventory.map((d) => d.bucket) }, yAxis: { type: "value" },
    series: [{ name: "SKU", type: "bar", data: data.days_of_inventory.map((d) => d.skus) }],
  }, data.days_of_inventory.length);
}

async function members(main) {
  const data = await api("members");
  const rfm = section("rfm"), cohorts = section("cohorts"), rates = section("buyer_rates");
  main.append(grid(rfm, rates), cohorts);
  chart(rfm, {
    tooltip, grid: { left: 80 }, xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.rfm.map((r) => r.rfm_segment) },
    series: [{ name: "customers", type: "bar", data: data.rfm.map((r) => r.customers) }],
  }, data.rfm.length);
  chart(rates, {
    tooltip, legend: { data: [t("new_buyer_rate"), t("repurchase_rate")] }, yAxis: percentAxis,
    xAxis: { type: "category", data: data.months.map((m) => m.period_start.slice(0, 7)) },
    series: ["new_buyer_rate", "repurchase_rate"].map((s) => ({ name: t(s), type: "line", data: data.months.map((m) => m[s]) })),
  }, data.months.length);
  const cohortMonths = [...new Set(data.cohorts.map((c) => c.cohort_month.slice(0, 7)))];
  const offsets = [...new Set(data.cohorts.map((c) => c.months_since_first_purchase))].sort((a, b) => a - b);
  chart(cohorts, {
    tooltip: { formatter: (p) => `${p.value[1]} +${p.value[0]}: ${format(p.value[2], "percent")}` },
    xAxis: { type: "category", data: offsets.map(String) }, yAxis: { type: "category", data: cohortMonths },
    visualMap: { min: 0, max: 1, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
    series: [{ type: "heatmap", label: { show: true, formatter: (p) => format(p.value[2], "percent") },
      data: data.cohorts.map((c) => [String(c.months_since_first_purchase), c.cohort_month.slice(0, 7), c.retention_rate]) }],
  }, data.cohorts.length);
}

async function finance(main) {
  const data = await api("finance");
  const waterfall = section("waterfall"), budget = section("budget");
  main.append(grid(waterfall, budget));
  // A waterfall: each step floats on an invisible bar at the running total.
  let running = 0;
  const base = [], bars = [];
  for (const [index, step] of data.waterfall.entries()) {
    const last = index === data.waterfall.length - 1;
    if (index === 0 || last) { base.push(0); bars.push(step.amount); running = step.amount; continue; }
    running += step.amount;
    base.push(running); bars.push(-step.amount);
  }
  chart(waterfall, {
    tooltip, xAxis: { type: "category", data: data.waterfall.map((s) => t(s.step)) }, yAxis: axisMoney,
    series: [{ type: "bar", stack: "w", itemStyle: { color: "transparent" }, data: base, tooltip: { show: false } },
      { type: "bar", stack: "w", name: t("waterfall"), data: bars, label: { show: true, position: "top",
        formatter: (p) => `${(data.waterfall[p.dataIndex].amount / 10000).toFixed(1)}万` } }],
  }, data.waterfall.length);
  const months = [...new Set(data.budget.map((b) => b.month_start.slice(0, 7)))];
  const accounts = [...new Set(data.budget.map((b) => b.account))];
  chart(budget, {
    tooltip, legend: { data: accounts }, yAxis: percentAxis, xAxis: { type: "category", data: months },
    series: accounts.map((account) => ({ name: account, type: "bar", data: months.map((m) =>
      data.budget.find((b) => b.account === account && b.month_start.startsWith(m))?.budget_attainment ?? null) })),
  }, data.budget.length);
}

async function alerts(main) {
  const rows = await api("alerts");
  const expected = (row) => `${format(row.expected_low, "number")} – ${format(row.expected_high, "number")}`;
  const shopDay = (row) => `/overview?shop=${row.shop_code}&start=${row.date}&end=${row.date}`;
  main.append(section("alerts", rows.length ? table(rows.map((r) => ({ ...r, severity: t(r.severity), expected: expected(r) })),
    [["date", "date"], ["shop_code", "shop"], ["severity", "severity"], ["metric", "metric"],
      ["observed", "observed", "number"], ["expected", "expected"], ["message", "message"]],
    { id: "alerts-table", link: { shop_code: shopDay, date: shopDay } }) : notice(t("no_alerts"))));
}

// 报表: any metrics by any group-bys of the semantic layer; its catalog, not this code, lists them.
const EXPLORER_DEFAULTS = { metrics: "paid_amount,paid_orders", group_by: "metric_time__day" };

function picker(name, options, chosen) {
  const node = element("select", { name, id: `explorer-${name}`, multiple: "multiple", size: "8" });
  for (const option of options) {
    const item = element("option", { value: option.name, title: option.description || "" },
      option.label ? `${option.label} (${option.name})` : option.name);
    if (chosen.includes(option.name)) item.selected = true;
    node.append(item);
  }
  return node;
}

// A time dimension is grouped at a grain: metric_time__day, __week, __month …
function groupings(catalog) {
  return catalog.dimensions.flatMap((d) => (d.type === "time"
    ? catalog.time_grains.map((grain) => ({ ...d, name: `${d.name}__${grain}`, label: d.label && `${d.label} (${grain})` }))
    : [d]));
}

async function explorer(main) {
  const url = new URLSearchParams(location.search);
  const chosen = { metrics: url.get("metrics") || EXPLORER_DEFAULTS.metrics,
    group_by: url.get("group_by") ?? EXPLORER_DEFAULTS.group_by };
  const catalog = await api("explorer/catalog");
  const form = element("form", { id: "explorer-form", class: "explorer" },
    element("label", {}, t("metrics"), picker("metrics", catalog.metrics, chosen.metrics.split(","))),
    element("label", {}, t("group_by"), picker("group_by", groupings(catalog), chosen.group_by.split(","))));
  form.addEventListener("change", () => {
    const params = new URLSearchParams(location.search);
    for (const name of ["metrics", "group_by"]) {
      params.set(name, [...form.elements[name].selectedOptions].map((o) => o.value).join(","));
    }
    location.search = params.toString();
  });
  const data = await api("explorer/query", chosen);
  const download = (kind) => {
    const params = filterParams();
    for (const [key, value] of Object.entries({ ...chosen, format: kind })) params.set(key, value);
    return element("a", { href: `/api/v1/explorer/query?${params}`, id: `explorer-${kind}`, download: "" }, t(`download_${kind}`));
  };
  const metricNames = chosen.metrics.split(",");
  const groups = data.columns.filter((c) => !metricNames.includes(c));
  const result = section("result", element("div", { class: "downloads" }, download("csv"), " · ", download("xlsx")));
  main.append(section("explorer", form), result);
  const label = (row) => groups.map((g) => row[g]).join(" · ") || t("all");
  chart(result, {
    tooltip: { trigger: "axis" }, legend: { data: metricNames },
    xAxis: { type: "category", data: data.rows.map(label) }, yAxis: { type: "value" },
    series: metricNames.map((m) => ({ name: m, type: groups.some((g) => g.startsWith("metric_time")) ? "line" : "bar",
      data: data.rows.map((r) => r[m]) })),
  }, data.rows.length);
  result.append(table(data.rows, data.columns.map((c) => [c, c, metricNames.includes(c) ? "decimal" : null]),
    { id: "explorer-table" }));
}

export const PAGES = { overview, traffic, products, inventory, members, finance, alerts, explorer };
