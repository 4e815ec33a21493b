// Shared pieces of the pages: the API with the URL's filter, number formats, charts, cards and tables.
import { t } from "./i18n.js";

const FILTER_KEYS = ["start", "end", "platform", "shop"];

export function filterParams() {
  const url = new URLSearchParams(location.search);
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (url.get(key)) params.set(key, url.get(key));
  return params;
}

export async function api(path, extra = {}) {
  const params = filterParams();
  for (const [key, value] of Object.entries(extra)) if (value) params.set(key, value);
  const response = await fetch(`/api/v1/${path}?${params}`, { credentials: "same-origin" });
  if (response.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new Error("sign in first");
  }
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.detail || response.statusText), { status: response.status });
  return body;
}

const MONEY = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
export const FORMATS = {
  money: (v) => (v < 0 ? "-¥" : "¥") + Math.abs(v).toLocaleString("en-US", MONEY),
  count: (v) => Math.round(v).toLocaleString("en-US"),
  percent: (v) => (v * 100).toFixed(2) + "%",
  ratio: (v) => v.toFixed(2),
  number: (v) => String(Number(v.toPrecision(4))),
  decimal: (v) => v.toLocaleString("en-US", { maximumFractionDigits: 4 }),
};

export function format(value, kind) {
  return value === null || value === undefined ? "—" : FORMATS[kind](value);
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

export function section(title, ...children) {
  return element("section", { class: "panel" }, element("h2", {}, t(title)), ...children);
}

const charts = [];

// A chart that says when it has drawn: the `finished` handler is registered before setOption.
export function chart(parent, option, points, { theme = null, height = null } = {}) {
  const node = element("div", { class: "chart", dataset: { points: String(points), rendered: "false" } });
  if (height) node.style.height = height;
  parent.append(node);
  const instance = echarts.init(node, theme);
  instance.on("finished", () => { node.dataset.rendered = "true"; });
  instance.setOption({ animationDuration: 300, ...option });
  charts.push(instance);
  return instance;
}

window.addEventListener("resize", () => charts.forEach((instance) => instance.resize()));

export function cards(summary, metrics) {
  const row = element("div", { class: "cards" });
  for (const [name, kind] of metrics) {
    const metric = summary.metrics[name];
    const change = metric.change;
    const arrow = change === null ? "" : change >= 0 ? "▲ " : "▼ ";
    row.append(element("div", { class: "card", dataset: { metric: name, value: String(metric.value) } },
      element("div", { class: "label" }, t(name)),
      element("div", { class: "value" }, format(metric.value, kind)),
      element("div", { class: `change ${change === null ? "" : change >= 0 ? "up" : "down"}` },
        `${t("vs_previous")} ${arrow}${change === null ? "—" : (Math.abs(change) * 100).toFixed(1) + "%"}`)));
  }
  return row;
}

// columns: [field, label key, format kind or null]
export function table(rows, columns, { id = null, link = null } = {}) {
  const head = element("tr", {}, ...columns.map(([, label]) => element("th", {}, t(label))));
  const body = rows.map((row) => element("tr", {}, ...columns.map(([field, , kind]) => {
    const text = kind ? format(row[field], kind) : row[field] ?? "—";
    return element("td", kind ? { class: "number" } : {}, link && link[field] ? element("a", { href: link[field](row) }, text) : text);
  })));
  return element("table", id ? { id } : {}, element("thead", {}, head), element("tbody", {}, ...body));
}

export function notice(text) {
  return element("p", { class: "notice" }, text);
}
