// The dashboard: log in, pick a province, read its totals, map, chart and communes table.
// The token lives in this tab's sessionStorage (gone when the tab closes); nothing else is kept.

import * as api from "./api.js";
import { barChart } from "./chart.js";
import { h, s, show } from "./dom.js";
import { formatDay, formatNumber, formatShare, language, setLanguage, shortDay, t } from "./i18n.js";
import { drawMap } from "./map.js";
import { breaks, legend } from "./shade.js";
import { COLUMNS, nextSort, sortRows, value } from "./table.js";

const bar = document.getElementById("bar");
const view = document.getElementById("view");
const SESSION = "dashboard-session";
const LANGUAGE = "dashboard-lang";
const METRICS = ["households", "gps_10m_share", "registered_7d", "flagged"];
const DAY_CHOICES = [14, 30, 90];

const state = {
  session: JSON.parse(sessionStorage.getItem(SESSION) || "null"),
  provinces: [],
  code: null,
  detail: null,
  features: null,
  sort: { column: "households", direction: "desc" },
  metric: "households",
  days: 30,
  notice: "",
};

setLanguage(localStorage.getItem(LANGUAGE) || "vi");

function format(column, figure) {
  return column === "gps_10m_share" ? formatShare(figure) : formatNumber(figure);
}

function renderBar() {
  show(
    bar,
    h("h1", {}, t("app")),
    state.session ? h("span", { class: "who", "data-testid": "who" }, t("signedIn", { user: state.session.username })) : null,
    h("button", { type: "button", class: "link", onclick: switchLanguage }, t("switch")),
    state.session ? h("button", { type: "button", class: "link", "data-testid": "logout", onclick: logOut }, t("logout")) : null,
  );
}

function render() {
  renderBar();
  if (!state.session) return loginScreen();
  if (!state.detail) {
    return show(view, state.notice ? h("p", { class: "error", role: "alert" }, state.notice) : h("p", { class: "muted" }, t("loading")));
  }
  dashboard();
}

function field(name, label, attributes = {}) {
  return h("label", {}, h("span", {}, label), h("input", { name, ...attributes }));
}

function loginScreen() {
  const form = h(
    "form",
    { class: "card login", onsubmit: logIn },
    h("h2", {}, t("login")),
    field("username", t("username"), { autocomplete: "username", required: true }),
    field("password", t("password"), { type: "password", autocomplete: "current-password", required: true }),
    field("totp", t("totp"), { inputmode: "numeric", autocomplete: "one-time-code" }),
    h("button", { type: "submit", class: "primary" }, t("login")),
    state.notice ? h("p", { class: "error", role: "alert" }, state.notice) : null,
  );
  show(view, form);
}

async function logIn(event) {
  event.preventDefault();
  const form = event.target;
  const username = form.elements.username.value.trim();
  try {
    const token = await api.logIn(username, form.elements.password.value, form.elements.totp.value.trim());
    state.session = { token: token.access_token, expires_at: token.expires_at, username };
    sessionStorage.setItem(SESSION, JSON.stringify(state.session));
    state.notice = "";
  } catch (error) {
    state.notice = `${t("loginFailed")}: ${error.message}`;
    form.elements.password.value = "";
    return render();
  }
  form.elements.password.value = "";
  await start();
}

async function logOut() {
  const token = state.session?.token;
  forget("");
  if (token) {
    try {
      await api.revoke(token);
    } catch {
      // already expired or revoked: nothing more to do
    }
  }
}

function forget(notice) {
  sessionStorage.removeItem(SESSION);
  Object.assign(state, { session: null, provinces: [], code: null, detail: null, features: null, notice });
  render();
}

/** A failed call: an expired token asks for a login, anything else is shown. */
function failed(error) {
  if (error.status === 401) return forget(t("expired"));
  state.notice = error.status === 403 && !state.detail ? t("notForYou") : t("failed", { reason: error.message });
  render();
}

async function start() {
  state.detail = null;
  render();
  try {
    const listed = await api.provinces(state.session.token);
    state.provinces = listed.items;
    if (!state.provinces.length) throw new api.ApiError(403, { detail: t("notForYou") });
    const wanted = state.provinces.some((p) => p.code === state.code) ? state.code : state.provinces[0].code;
    await load(wanted);
  } catch (error) {
    failed(error);
  }
}

async function load(code) {
  try {
    const token = state.session.token;
    const [detail, features] = await Promise.all([api.province(token, code, state.days), api.map(token, code)]);
    Object.assign(state, { code, detail, features: features.features, notice: "" });
    render();
  } catch (error) {
    failed(error);
  }
}

async function switchLanguage() {
  setLanguage(language() === "vi" ? "en" : "vi");
  localStorage.setItem(LANGUAGE, language());
  render();
}

async function download(kind) {
  const path = api.csvPath(kind, { code: state.code, days: state.days, lang: language() });
  try {
    const { blob, name } = await api.csvFile(state.session.token, path);
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    failed(error);
  }
}

function csvButton(kind, label = t("csv")) {
  return h("button", { type: "button", class: "small", "data-testid": `csv-${kind}`, onclick: () => download(kind) }, label);
}

function dashboard() {
  const detail = state.detail;
  const picker = h(
    "select",
    { name: "province", "data-testid": "province", onchange: (event) => load(event.target.value) },
    state.provinces.map((p) => h("option", { value: p.code, selected: p.code === state.code }, `${p.name} (${p.code})`)),
  );
  const days = h(
    "select",
    { name: "days", "data-testid": "days", onchange: (event) => { state.days = Number(event.target.value); load(state.code); } },
    DAY_CHOICES.map((n) => h("option", { value: n, selected: n === state.days }, t("days", { n }))),
  );
  const mapBox = h("div", { class: "map", "data-testid": "map" });
  show(
    view,
    h(
      "section",
      { class: "toolbar card" },
      h("label", {}, h("span", {}, t("province")), picker),
      h("p", { class: "muted", "data-testid": "as-of" }, t("today", { day: formatDay(detail.today) })),
      csvButton("provinces", t("csvProvinces")),
    ),
    totals(detail),
    h(
      "div",
      { class: "panels" },
      h(
        "section",
        { class: "card" },
        h("div", { class: "row" }, h("h2", {}, t("map")), metricPicker()),
        mapBox,
        h("ul", { class: "legend", "data-testid": "legend" }, legendItems()),
        state.features.some((f) => f.properties.boundary) ? null : h("p", { class: "muted" }, t("noBoundaries")),
      ),
      h(
        "section",
        { class: "card" },
        h("div", { class: "row" }, h("h2", {}, t("chart")), days),
        chart(detail.days),
        h("div", { class: "row end" }, csvButton("days")),
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("div", { class: "row" }, h("h2", {}, `${t("table")} (${detail.communes.length})`), csvButton("communes")),
      h("div", { class: "scroll", "data-testid": "table-box" }, table()),
      h("p", { class: "muted" }, t("reviewHelp")),
    ),
  );
  const label = (row) => `${row.name}: ${format(state.metric, value(row, state.metric))}`;
  drawMap(mapBox, state.features, detail.communes, state.metric, label).then((drawn) => {
    if (drawn) mapBox.dataset.drawn = String(drawn.drawn);
  });
}

function totals(detail) {
  const figures = detail.totals;
  const card = (key, text) => h("div", { class: "total", "data-testid": `total-${key}` }, h("span", { class: "figure" }, text), h("span", { class: "label" }, t(key)));
  return h(
    "section",
    { class: "totals" },
    card("communes", formatNumber(detail.communes.length)),
    COLUMNS.map((column) => card(column, format(column, figures[column]))),
  );
}

function metricPicker() {
  return h(
    "label",
    { class: "inline-label" },
    h("span", {}, t("shadeBy")),
    h(
      "select",
      { name: "metric", "data-testid": "metric", onchange: (event) => { state.metric = event.target.value; render(); } },
      METRICS.map((m) => h("option", { value: m, selected: m === state.metric }, t(m))),
    ),
  );
}

function legendItems() {
  const rows = state.detail.communes;
  const bounds = breaks(rows.map((row) => value(row, state.metric)), state.metric);
  const formatBound = (figure) => format(state.metric, figure);
  return legend(bounds, state.metric, formatBound).map((entry) => {
    let text = `${entry.from} – ${entry.to}`;
    if (entry.none) text = t("noData");
    else if (entry.to == null) text = `≥ ${entry.from}`;
    else if (entry.from === entry.to) text = entry.from;
    return h("li", {}, h("span", { class: `swatch swatch-${entry.colour.slice(1)}` }), text);
  });
}

function chart(days) {
  // Drawn at the width it is shown at (a phone's labels stay readable), at most 640 units.
  const width = Math.round(Math.min(640, Math.max(300, window.innerWidth - 56)));
  const geometry = barChart(days, { width, height: width < 640 ? 220 : 300 });
  const svg = s(
    "svg",
    { viewBox: `0 0 ${geometry.width} ${geometry.height}`, class: "chart", role: "img", "data-testid": "chart", "aria-label": t("total", { n: formatNumber(geometry.total), days: days.length }) },
    geometry.grid.map((line) => [
      s("line", { x1: geometry.left, x2: geometry.width - 8, y1: line.y, y2: line.y, class: "grid" }),
      s("text", { x: geometry.left - 6, y: line.y + 4, class: "axis", "text-anchor": "end" }, formatNumber(line.value)),
    ]),
    geometry.bars.map((b) =>
      s("rect", { x: b.x, y: b.y, width: b.width, height: b.height, class: "bar", "data-day": b.day, "data-count": b.count }, s("title", {}, `${formatDay(b.day)}: ${formatNumber(b.count)}`)),
    ),
    geometry.labels.map((label) => s("text", { x: label.x, y: label.y, class: "axis", "text-anchor": "middle" }, shortDay(label.day))),
  );
  return h("figure", { class: "chart-box" }, svg, h("figcaption", { class: "muted" }, t("total", { n: formatNumber(geometry.total), days: days.length })));
}

function table() {
  const rows = sortRows(state.detail.communes, state.sort.column, state.sort.direction);
  const header = (column, text) => {
    const sorted = state.sort.column === column;
    const direction = sorted ? (state.sort.direction === "asc" ? "ascending" : "descending") : "none";
    return h(
      "th",
      { scope: "col", "aria-sort": direction, class: column === "name" ? "name" : "number" },
      h("button", { type: "button", "data-sort": column, title: t("sortBy", { column: text }), onclick: () => sortBy(column) }, text, sorted ? (state.sort.direction === "asc" ? " ▲" : " ▼") : ""),
    );
  };
  return h(
    "table",
    { class: "communes", "data-testid": "communes" },
    h("thead", {}, h("tr", {}, header("name", t("commune")), COLUMNS.map((column) => header(column, t(column))))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          { "data-commune": row.code },
          h("th", { scope: "row", class: "name" }, row.name, h("span", { class: "code" }, row.code)),
          COLUMNS.map((column) => h("td", { class: "number" }, format(column, row.counts[column]))),
        ),
      ),
    ),
  );
}

function sortBy(column) {
  state.sort = nextSort(state.sort, column);
  const box = view.querySelector("[data-testid=table-box]");
  if (box) show(box, table());
}

render();
if (state.session) start();
