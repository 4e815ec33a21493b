// Sign-in form: POST /api/v1/login sets the signed session cookie, then back to the page asked for.
import { t } from "./i18n.js";
import { element, notice } from "./ui.js";

export function renderLogin(main) {
  const form = element("form", { id: "login", class: "panel" },
    element("h2", {}, t("login")),
    element("label", {}, t("username"), element("input", { name: "username", autocomplete: "username", required: "" })),
    element("label", {}, t("password"), element("input", { name: "password", type: "password",
      autocomplete: "current-password", required: "" })),
    element("button", { type: "submit" }, t("login")));
  main.append(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/v1/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
      body: JSON.stringify({ username: form.elements.username.value, password: form.elements.password.value }),
    });
    if (response.ok) {
      const next = new URLSearchParams(location.search).get("next") || "/overview";
      location.href = next.startsWith("/") && !next.startsWith("//") ? next : "/overview";
      return;
    }
    form.querySelector(".notice")?.remove();
    form.append(notice(`${t("login_failed")}: ${(await response.json()).detail}`));
  });
  document.body.dataset.ready = "true";
}
