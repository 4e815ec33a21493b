// 大屏: one dark 1920×1080 layout for a wall screen, refreshed every `?refresh=` seconds (default 60).
import { t } from "./i18n.js";
import { api, chart, element, format } from "./ui.js";

const BIG_NUMBERS = [["paid_amount", "money"], ["paid_orders", "count"], ["visitors", "count"],
  ["payment_conversion", "percent"], ["arpu", "money"]];
// Orders name provinces in full (广东省, 广西壮族自治区); the map's regions by their short names (广东, 广西).
const PROVINCE_SUFFIX = /(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$/;
const hasMap = () => Boolean(window.echarts && echarts.getMap("china"));

function bigNumbers(data) {
  return element("div", { class: "big-numbers" }, ...BIG_NUMBERS.map(([name, kind]) =>
    element("div", { class: "big", dataset: { metric: name } },
      element("div", { class: "label" }, t(name)),
      element("div", { class: "today" }, format(data.today[name], kind)),
      element("div", { class: "yesterday" }, `${t("yesterday")} ${format(data.yesterday[name], kind)}`))));
}

function options(data, days, platforms) {
  const provinces = data.provinces.map((p) => ({ name: p.province.replace(PROVINCE_SUFFIX, ""), value: p.paid_amount }));
  const maximum = Math.max(1, ...provinces.map((p) => p.value));
  return {
    trend: { tooltip: { trigger: "axis" }, xAxis: { type: "category", data: days.map((d) => d.date.slice(5)) },
      yAxis: { type: "value", splitLine: { lineStyle: { color: "#223" } } },
      series: [{ name: t("paid_amount"), type: "line", smooth: true, areaStyle: {}, data: days.map((d) => d.paid_amount) }] },
    platforms: { tooltip: { trigger: "item" }, series: [{ type: "pie", radius: ["45%", "75%"],
      data: platforms.map((p) => ({ name: t(p.platform), value: p.paid_amount })) }] },
    ranking: { grid: { left: 90 }, xAxis: { type: "value", splitLine: { show: false } },
      yAxis: { type: "category", inverse: true, data: provinces.slice(0, 10).map((p) => p.name) },
      series: [{ type: "bar", data: provinces.slice(0, 10).map((p) => p.value) }] },
    map: { tooltip: { trigger: "item" }, visualMap: { min: 0, max: maximum, left: 10, bottom: 10,
      textStyle: { color: "#ccd" }, inRange: { color: ["#1b2a4a", "#2f7ed8", "#7cf"] } },
      series: [{ type: "map", map: "china", roam: false, data: provinces }] },
    skus: { grid: { left: 220 }, xAxis: { type: "value", splitLine: { show: false } },
      yAxis: { type: "category", inverse: true, data: data.top_skus.map((s) => `${s.product_name ?? ""} ${s.sku_code}`) },
      series: [{ type: "bar", data: data.top_skus.map((s) => s.paid_amount) }] },
  };
}

async function load() {
  const [data, days, platforms] = await Promise.all([api("screen"), api("breakdown", { by: "date" }),
    api("breakdown", { by: "platform" })]);
  return { data, days, platforms, built: options(data, days, platforms) };
}

function ticker(data) {
  const items = data.alerts.map((a) => `【${t(a.severity)}】${a.date} ${a.shop_code} ${a.message}`);
  return element("div", { class: "ticker", id: "alert-ticker" }, element("span", {}, items.join("　　") || t("no_alerts")));
}

export async function renderScreen(main) {
  const refresh = Number(new URLSearchParams(location.search).get("refresh") || 60);
  let { data, days, platforms, built } = await load();
  const panel = (id, title) => element("section", { class: "panel", id }, element("h2", {}, t(title)));
  const panels = { trend: panel("screen-trend", "trend"), platforms: panel("screen-platforms", "by_platform"),
    ranking: panel("screen-provinces", "provinces"), map: panel("screen-map", "province_map"),
    skus: panel("screen-skus", "top_skus") };
  let numbers = bigNumbers(data), alertTicker = ticker(data);
  const title = element("h1", {}, `${t("screen")} · ${data.today.date}`);
  main.append(element("div", { class: "screen" }, title, numbers, panels.trend, panels.platforms, panels.map,
    panels.ranking, panels.skus, alertTicker));
  if (!hasMap()) panels.map.remove();
  const counts = { trend: days.length, platforms: platforms.length, ranking: Math.min(10, data.provinces.length),
    map: data.provinces.length, skus: data.top_skus.length };
  const charts = Object.fromEntries(Object.keys(panels).filter((k) => k !== "map" || hasMap()).map((key) =>
    [key, chart(panels[key], { backgroundColor: "transparent", ...built[key] }, counts[key], { theme: "dark" })]));
  setInterval(async () => {
    ({ data, days, platforms, built } = await load());
    for (const [key, instance] of Object.entries(charts)) instance.setOption(built[key]);
    const [freshNumbers, freshTicker] = [bigNumbers(data), ticker(data)];
    numbers.replaceWith(freshNumbers);
    alertTicker.replaceWith(freshTicker);
    [numbers, alertTicker] = [freshNumbers, freshTicker];
    title.textContent = `${t("screen")} · ${data.today.date}`;
    document.body.dataset.refreshed = new Date().toISOString();
  }, refresh * 1000);
}
