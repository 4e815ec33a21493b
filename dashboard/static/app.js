// The shell of every page: navigation, the filter (kept in the URL), the language switch, then the page itself.
import { t, lang } from "./i18n.js";
import { api, element, notice } from "./ui.js";
import { PAGES } from "./pages.js";
import { renderScreen } from "./screen.js";
import { renderLogin } from "./login.js";

const NAV = ["overview", "traffic", "products", "inventory", "members", "finance", "alerts", "explorer", "screen"];
const page = document.body.dataset.page;

function withQuery(path, changes = {}) {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) value ? params.set(key, value) : params.delete(key);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

function renderNav() {
  const nav = document.getElementById("nav");
  for (const name of NAV) {
    nav.append(element("a", { href: withQuery(`/${name}`), class: name === page ? "active" : "" }, t(name)));
  }
  const switcher = document.getElementById("lang");
  switcher.textContent = lang ? "中文" : "English";
  switcher.href = withQuery(location.pathname, { lang: lang ? null : "en" });
}

function select(name, options, chosen) {
  const node = element("select", { name, id: `filter-${name}` }, element("option", { value: "" }, t("all")));
  for (const [value, label] of options) {
    const option = element("option", { value }, label);
    if (value === chosen) option.selected = true;
    node.append(option);
  }
  return node;
}

function renderFilters(meta, range) {
  const url = new URLSearchParams(location.search);
  const form = document.getElementById("filters");
  const date = (name, value) => element("input", { type: "date", name, id: `filter-${name}`, value,
    min: meta.first_date || "", max: meta.last_date || "" });
  form.append(
    element("label", {}, t("start"), date("start", url.get("start") || range.start)),
    element("label", {}, t("end"), date("end", url.get("end") || range.end)),
    element("label", {}, t("platform"), select("platform", meta.platforms.map((p) => [p, t(p)]), url.get("platform"))),
    element("label", {}, t("shop"), select("shop", meta.shops.map((s) => [s.shop_code, `${s.shop_name} (${s.shop_code})`]),
      url.get("shop"))));
  // A changed filter is a new URL: bookmarkable, and the back button goes to the previous filter.
  form.addEventListener("change", () => {
    const changes = {};
    for (const key of ["start", "end", "platform", "shop"]) changes[key] = form.elements[key].value;
    location.href = withQuery(location.pathname, changes);
  });
}

async function main() {
  if (page === "login") return renderLogin(document.getElementById("main"));
  renderNav();
  const main = document.getElementById("main");
  try {
    // The summary's range is the API's default when the URL gives none.
    const [meta, summary] = await Promise.all([api("meta"), api("summary")]);
    renderFilters(meta, summary);
    if (page === "screen") await renderScreen(main, summary);
    else await PAGES[page](main, summary);
  } catch (error) {
    main.append(notice(`${error.status || ""} ${error.message}`));
  }
  document.body.dataset.ready = "true";
}

main();
