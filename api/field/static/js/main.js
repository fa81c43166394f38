// The field app: screens, the GPS watch and sync, on the stores of store.js.

import * as api from "./api.js";
import { h, show } from "./dom.js";
import { fold, matches } from "./fold.js";
import { householdScreen } from "./household.js";
import { formatTime, language, setLanguage, t } from "./i18n.js";
import { communeLayers, leaflet } from "./map.js";
import { batches, ordered, settle, unsent, uuid, wire } from "./queue.js";
import { registerScreen, stopGps } from "./register.js";
import { attentionPanel } from "./resolve.js";
import * as store from "./store.js";

const state = {
  session: null,
  device: null,
  communes: [],
  queue: [],
  results: [],
  config: { accuracy_limit_m: 30, tile_url: "", tile_attribution: "" },
  screen: "home",
  commune: null,
  household: null,
  query: "",
  notice: "",
  syncing: false,
};
let communeMap = null;

const header = document.getElementById("bar");
const view = document.getElementById("view");

// --- start ------------------------------------------------------------------------------

async function start() {
  setLanguage((await store.getMeta("lang")) ?? "vi");
  state.device = (await store.getMeta("device")) ?? uuid();
  await store.setMeta("device", state.device);
  state.session = (await store.getMeta("session")) ?? null;
  state.communes = (await store.getMeta("communes")) ?? [];
  state.queue = ordered(await store.queued());
  state.results = (await store.getMeta("results")) ?? [];
  window.addEventListener("online", () => { render(); if (state.queue.length) syncNow(); });
  window.addEventListener("offline", render);
  render();
  // Neither holds the first screen up on a slow link: the settings matter from the register
  // screen on, and the service worker's download of the app for offline use comes after.
  loadConfig().then((config) => { if (config) state.config = config; });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" });
}

async function loadConfig() {
  try {
    const response = await fetch("/field/config.json");
    return response.ok ? await response.json() : null;
  } catch {
    return null; // offline: the service worker normally answers; the defaults do otherwise
  }
}

function sessionValid() {
  return state.session && new Date(state.session.expires_at) > new Date();
}

// --- rendering --------------------------------------------------------------------------

function render() {
  renderBar();
  communeMap?.remove();
  communeMap = null;
  if (!state.session || state.screen === "login") return loginScreen();
  if (state.screen === "register" && state.commune) return registerScreen(app, view);
  if (state.screen === "move" && state.household) return moveScreen();
  stopGps();
  if (state.screen === "household" && state.household) return householdScreen(app, view, state.household);
  if (state.screen === "commune" && state.commune) return communeScreen();
  return homeScreen();
}

/** What the other screens' modules may use of this one. */
const app = {
  state,
  back: () => { state.screen = state.commune ? "commune" : "home"; state.notice = ""; render(); },
  say: (notice) => { state.notice = notice; render(); },
  nextSeq: () => nextSeq(),
  pendingHousehold: (item) => pendingHousehold(item),
  enqueue: (item) => enqueue(item),
  replace: (item, next) => replace(item, next),
  render: () => render(),
};

async function moveScreen() {
  const household = await store.household(state.household);
  if (!household) { state.screen = "household"; return render(); }
  return registerScreen(app, view, household);
}

function openHousehold(id, commune) {
  Object.assign(state, { screen: "household", household: id, commune: commune ?? state.commune, notice: "" });
  render();
}

/** Queue `item` (or replace the queued item of its op_id), then send it if there is signal. */
async function enqueue(item) {
  await store.putQueued([item]);
  state.queue = ordered([...state.queue.filter((queued) => queued.op_id !== item.op_id), item]);
  state.notice = "";
  render();
  if (navigator.onLine && sessionValid()) await syncNow();
}

/** The official's decision on a queued item: `next` replaces it (null: it leaves the queue). */
async function replace(item, next) {
  await store.removeQueued([item.op_id]);
  state.queue = state.queue.filter((queued) => queued.op_id !== item.op_id);
  state.results = state.results.filter((result) => result.op_id !== item.op_id);
  await store.setMeta("results", state.results);
  if (next) return enqueue(next);
  return render();
}

function renderBar() {
  const online = navigator.onLine;
  show(
    header,
    h("h1", {}, t("app")),
    h("span", { class: online ? "status on" : "status off", "data-testid": "network" }, online ? t("online") : t("offline")),
    h("span", { class: "queue" }, t("queue"), " ", h("strong", { "data-testid": "queue-count" }, String(state.queue.length))),
    h("button", { type: "button", "data-testid": "sync", disabled: state.syncing || !state.session, onclick: syncNow }, state.syncing ? t("syncing") : t("sync")),
    h("button", { type: "button", class: "link", "data-testid": "language", onclick: switchLanguage }, t("switch")),
    state.session && !sessionValid() && state.screen !== "login"
      ? h("p", { class: "expired", role: "alert", "data-testid": "session-expired" }, t("expired"), " ", h("button", { type: "button", "data-testid": "relogin", onclick: askLogin }, t("relogin")))
      : null,
  );
}

/** The login screen for the same official, the queue and the phone's copy kept. */
function askLogin() {
  if (state.screen !== "login") state.resume = state.screen;
  state.screen = "login";
  state.notice = "";
  render();
}

/** Ask for a login now, unless the official is typing a registration (the bar asks then). */
function promptLogin() {
  if (["register", "move"].includes(state.screen)) return renderBar();
  return askLogin();
}

/** The service refused the token (401: expired or revoked): keep everything, ask for a login. */
async function expireSession() {
  state.session = { ...state.session, expires_at: new Date(0).toISOString() };
  await store.setMeta("session", state.session);
  promptLogin();
}

async function switchLanguage() {
  setLanguage(language() === "vi" ? "en" : "vi");
  await store.setMeta("lang", language());
  render();
}

function loginScreen() {
  const again = state.session; // a new login of the same official: nothing is wiped
  const form = h(
    "form",
    { class: "card", onsubmit: logIn },
    h("h2", {}, again ? t("relogin") : t("login")),
    again ? h("p", { class: "warn", "data-testid": "relogin-help" }, t("reloginHelp", { n: state.queue.length })) : null,
    field("username", t("username"), { autocomplete: "username", required: true, value: again?.username, readonly: Boolean(again) }),
    field("password", t("password"), { type: "password", autocomplete: "current-password", required: true }),
    field("totp", t("totp"), { inputmode: "numeric", autocomplete: "one-time-code" }),
    h("button", { type: "submit", class: "primary" }, t("login")),
    again ? h("button", { type: "button", class: "link-dark", onclick: resume }, t("later")) : null,
    state.notice ? h("p", { class: "error", role: "alert" }, state.notice) : null,
  );
  show(view, form);
}

function field(name, label, attributes = {}) {
  return h("label", {}, h("span", {}, label), h("input", { name, ...attributes }));
}

function resume() {
  state.screen = state.resume ?? "home";
  state.notice = "";
  render();
}

async function logIn(event) {
  event.preventDefault();
  const form = event.target;
  const username = state.session?.username ?? form.elements.username.value.trim();
  let ok = false;
  try {
    const token = await api.logIn(username, form.elements.password.value, form.elements.totp.value.trim());
    state.session = { token: token.access_token, expires_at: token.expires_at, username };
    await store.setMeta("session", state.session);
    state.notice = "";
    ok = true;
  } catch (error) {
    state.notice = `${t("loginFailed")}: ${error.message}`;
  }
  form.elements.password.value = ""; // never kept, not even in the page
  if (!ok) return render();
  await listAssignedCommunes();
  resume();
  if (state.queue.length && navigator.onLine) await syncNow(); // what waited for the login
}

/** Offer the communes assigned to this official (downloaded when the official chooses). */
async function listAssignedCommunes() {
  try {
    const me = await api.me(state.session.token);
    for (const unit of me.communes) {
      if (!state.communes.some((c) => c.code === unit.code)) {
        state.communes.push({ code: unit.code, name: unit.name, cursor: null });
      }
    }
    await store.setMeta("communes", state.communes);
  } catch {
    // Offline or refused: the communes already on the phone stay; one can be added by code.
  }
}

async function logOut() {
  if (state.queue.length && !window.confirm(t("logoutLoses", { n: state.queue.length }))) return;
  const token = state.session?.token;
  if (token && navigator.onLine) {
    try {
      await api.revoke(token);
    } catch {
      // An expired token is already useless; the local wipe below matters most.
    }
  }
  await store.wipe();
  await store.setMeta("device", state.device);
  Object.assign(state, { session: null, communes: [], queue: [], results: [], screen: "home", commune: null, resume: null });
  render();
}

function homeScreen() {
  const session = state.session;
  const expired = !sessionValid();
  show(
    view,
    h(
      "section",
      { class: "card" },
      h("p", {}, t("signedIn", { user: session.username })),
      h("p", { class: expired ? "warn" : "muted", "data-testid": "expiry" }, expired ? t("expired") : t("expires", { time: formatTime(session.expires_at) })),
      h("button", { type: "button", "data-testid": "logout", onclick: logOut }, t("logout")),
    ),
    attentionPanel(app),
    resultsPanel(),
    h("h2", {}, t("communes")),
    h("ul", { class: "communes" }, state.communes.map(communeRow)),
    h(
      "form",
      { class: "inline", onsubmit: addCommune },
      h("input", { name: "commune_code", inputmode: "numeric", pattern: "\\d{5}", maxlength: "5", placeholder: t("addCommune"), "aria-label": t("addCommune"), required: true }),
      h("button", { type: "submit" }, t("add")),
    ),
    state.notice ? h("p", { class: "error", role: "alert" }, state.notice) : null,
  );
}

function communeRow(commune) {
  const count = h("span", { class: "muted" }, "");
  store.countHouseholds(commune.code).then((n) => { count.textContent = t("stored", { n }); });
  return h(
    "li",
    { "data-commune": commune.code, "data-downloaded": commune.downloadedAt ? "yes" : "no" },
    h("div", {}, h("strong", {}, commune.name ?? commune.code), " ", h("span", { class: "muted" }, commune.code)),
    count,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => download(commune.code) }, commune.cursor ? t("update") : t("download")),
      h("button", { type: "button", class: "primary", onclick: () => openCommune(commune.code) }, t("open")),
    ),
  );
}

async function addCommune(event) {
  event.preventDefault();
  const code = event.target.elements.commune_code.value.trim();
  if (state.communes.some((c) => c.code === code)) return download(code);
  if (!navigator.onLine) { state.notice = t("needsSignal"); return render(); }
  try {
    const unit = await api.commune(code);
    state.communes.push({ code, name: unit.properties?.name ?? code, cursor: null });
    await store.setMeta("communes", state.communes);
    await keepUnit(code, unit);
    state.notice = "";
    await download(code);
  } catch (error) {
    state.notice = error.status === 403 ? t("notAssigned") : error.message;
    render();
  }
}

/** What the maps need of a commune: its boundary (null when none is loaded) and its point. */
function keepUnit(code, unit) {
  return store.setMeta(`unit:${code}`, { geometry: unit.geometry ?? null, ref_point: unit.properties?.ref_point ?? null });
}

/** Read the commune's delta feed from its cursor into IndexedDB, page by page. */
async function download(code) {
  const commune = state.communes.find((c) => c.code === code);
  try {
    for (;;) {
      const page = await api.feed(state.session.token, state.device, code, commune.cursor);
      await store.putHouseholds(page.items);
      const moved = page.next_cursor && page.next_cursor !== commune.cursor;
      commune.cursor = page.next_cursor ?? commune.cursor;
      if (!page.items.length || !moved) break;
    }
    commune.downloadedAt = new Date().toISOString();
    await store.setMeta("communes", state.communes);
    if (!(await store.getMeta(`unit:${code}`))) await keepUnit(code, await api.commune(code));
    state.notice = "";
  } catch (error) {
    if (error.status === 401) {
      await expireSession();
    } else if (error.status === 403) {
      state.communes = state.communes.filter((c) => c.code !== code);
      await store.setMeta("communes", state.communes);
      state.notice = t("notAssigned");
    } else {
      state.notice = error.status ? error.message : t("needsSignal");
    }
  }
  render();
}

function openCommune(code) {
  state.commune = code;
  state.screen = "commune";
  state.query = "";
  render();
}

// --- the commune: list and search, offline ----------------------------------------------

function communeScreen() {
  const commune = state.communes.find((c) => c.code === state.commune);
  const list = h("ul", { class: "households", "data-testid": "households" });
  const search = h("input", { type: "search", name: "q", value: state.query, placeholder: t("search"), "aria-label": t("search") });
  search.addEventListener("input", () => { state.query = search.value; fill(list); });
  show(
    view,
    h("div", { class: "row" }, h("button", { type: "button", onclick: goHome }, t("back")), h("h2", {}, commune?.name ?? state.commune)),
    attentionPanel(app, (item) => item.commune === state.commune),
    h("button", { type: "button", class: "primary wide", "data-testid": "register", onclick: () => { state.screen = "register"; render(); } }, t("register")),
    mapCard(),
    search,
    list,
  );
  fill(list);
}

/** The commune's boundary and its downloaded addresses (a tap opens the household). */
function mapCard() {
  const box = h("div", { class: "map", "data-testid": "commune-map" });
  drawCommune(box);
  return h("section", { class: "card" }, box);
}

async function drawCommune(box) {
  const [L, unit, households] = await Promise.all([leaflet(), store.getMeta(`unit:${state.commune}`), store.households(state.commune)]);
  if (!box.isConnected) return;
  if (!L) { box.textContent = t("noMap"); return; }
  communeMap?.remove();
  const { tile_url: tiles, tile_attribution: attribution } = state.config;
  communeMap = L.map(box, { zoomControl: false, zoomAnimation: false, attributionControl: Boolean(tiles) });
  if (tiles && navigator.onLine) L.tileLayer(tiles, { maxZoom: 19, attribution }).addTo(communeMap);
  if (!communeLayers(L, communeMap, unit, households, (household) => openHousehold(household.id))) {
    communeMap.remove(); // no boundary and no address yet: an empty map is only in the way
    communeMap = null;
    box.closest("section").remove();
    return;
  }
  box.dataset.boundary = unit?.geometry ? "yes" : "no";
}

function goHome() {
  state.screen = "home";
  render();
}

async function fill(list) {
  const stored = await store.households(state.commune);
  const pending = state.queue.filter((item) => item.op === "create" && item.commune === state.commune).map(pendingHousehold);
  const ids = new Set(stored.map((household) => household.id));
  const rows = [...pending.filter((p) => !ids.has(p.id)), ...stored.filter((x) => x.status === "active")];
  const shown = state.query ? rows.filter((row) => matches(searchKey(row), state.query)) : rows;
  show(list, shown.length ? shown.map(householdRow) : h("li", { class: "muted" }, t("none")));
}

function pendingHousehold(item) {
  const body = item.data;
  return { id: body.id, pending: true, head: body.head, members: body.members, address: { address: body.address } };
}

function searchKey(household) {
  const a = household.address?.address ?? {};
  return fold([household.head?.full_name, a.house_number, a.street, a.hamlet, household.display_code].filter(Boolean).join(" "));
}

function householdRow(household) {
  const a = household.address?.address ?? {};
  const line = [a.house_number, a.street, a.hamlet].filter(Boolean).join(", ");
  return h(
    "li",
    { "data-household": household.id },
    h(
      "button",
      { type: "button", class: "open", onclick: () => openHousehold(household.id) },
      h("strong", {}, household.head?.full_name ?? ""),
      household.pending ? h("span", { class: "badge" }, t("pending")) : h("span", { class: "code" }, household.display_code ?? ""),
      h("span", { class: "muted" }, [line, t("people", { n: household.members ?? "" })].filter(Boolean).join(" · ")),
    ),
  );
}

// --- the queue and sync ---------------------------------------------------------------

function nextSeq() {
  return state.queue.reduce((max, item) => Math.max(max, item.seq), 0) + 1;
}

let running = null;

function syncNow() {
  running ??= sync().finally(() => { running = null; });
  return running;
}

async function sync() {
  if (!state.queue.length) return;
  if (!sessionValid()) return promptLogin();
  state.syncing = true;
  renderBar();
  const results = [];
  for (const batch of batches(ordered(state.queue))) {
    let settled;
    try {
      const answer = await api.sync(state.session.token, state.device, batch.map(wire));
      settled = settle(batch, answer.results);
    } catch (error) {
      if (error.status === 401) await expireSession();
      settled = { done: [], kept: unsent(batch, error.status ? error.message : t("needsSignal")) };
    }
    await store.putHouseholds(settled.done.map((item) => item.last.household).filter(Boolean));
    await store.removeQueued(settled.done.map((item) => item.op_id));
    await store.putQueued(settled.kept);
    const doneIds = new Set(settled.done.map((item) => item.op_id));
    const keptById = new Map(settled.kept.map((item) => [item.op_id, item]));
    state.queue = ordered(state.queue.filter((item) => !doneIds.has(item.op_id)).map((item) => keptById.get(item.op_id) ?? item));
    results.push(...[...settled.done, ...settled.kept].map(summary));
  }
  state.results = results;
  await store.setMeta("results", results);
  if (state.session) await store.setMeta("session", state.session);
  state.syncing = false;
  render();
}

function summary(item) {
  const last = item.last;
  const head = item.data?.head?.full_name ?? item.label ?? item.id;
  return {
    op_id: item.op_id,
    op: item.op,
    id: item.id,
    commune: item.commune,
    head,
    kind: last.kind,
    code: last.household?.display_code ?? null,
    detail: last.kind === "conflict" ? t("fields", { fields: last.fields.join(", ") }) : last.kind === "duplicate" ? t("candidate", { code: last.candidate?.display_code ?? last.candidate?.code ?? "" }) : last.detail || last.title || "",
  };
}

function resultsPanel() {
  if (!state.results.length) return null;
  return h(
    "section",
    { class: "card", "data-testid": "results" },
    h("h3", {}, t("results")),
    h(
      "ul",
      { class: "results" },
      state.results.map((r) =>
        h(
          "li",
          { "data-kind": r.kind, "data-op": r.op_id },
          r.code ? h("button", { type: "button", class: "small", "data-testid": "view", onclick: () => openHousehold(r.id, r.commune) }, t("view")) : null,
          h("span", { class: `kind ${r.kind}` }, t(r.kind)), " ", h("strong", {}, r.head),
          r.code ? h("span", { class: "code" }, r.code) : null,
          r.detail ? h("div", { class: "muted" }, r.detail) : null,
        ),
      ),
    ),
  );
}

start();
