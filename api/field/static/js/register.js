// Registering a household, or moving one to a new point: the GPS with averaging and the pin on
// the map, the structured address with suggestions from the commune's addresses, the queue.

import { validCitizenId } from "./checks.js";
import { h, show } from "./dom.js";
import { average } from "./gps.js";
import { t } from "./i18n.js";
import { communeLayers, leaflet } from "./map.js";
import { changeOperation, createOperation, move, registration } from "./queue.js";
import * as store from "./store.js";
import { suggest } from "./suggest.js";

const ADDRESS_FIELDS = ["house_number", "alley", "street", "hamlet"];
const HEAD_FIELDS = ["full_name", "citizen_id", "phone", "members"];
const SUGGESTED = new Set(["alley", "street", "hamlet"]);
const gps = { watch: null, fixes: [], error: "", picked: null, map: null, marker: null, circle: null, onFix: null };

/**
 * Draw the register screen into `root`; with `moving` (a stored household) the screen moves
 * it to the phone's position and a new address instead (the head and members stay).
 */
export async function registerScreen(app, root, moving = null) {
  const { state } = app;
  const limit = state.config.accuracy_limit_m;
  const neighbours = await store.households(state.commune);
  const gpsText = h("p", { class: "gps", "data-testid": "gps-accuracy", "aria-live": "polite" }, t("gpsWaiting"));
  const gpsCount = h("p", { class: "muted", "data-testid": "gps-count" }, "");
  const mapBox = h("div", { class: "map", id: "map" });
  const input = (name, attributes = {}) => field(name, attributes, SUGGESTED.has(name) ? neighbours : null);
  const form = h(
    "form",
    { class: "card", onsubmit: (event) => save(event, app, gpsText, moving) },
    input("house_number", { autocomplete: "off" }),
    input("alley", { autocomplete: "off", placeholder: t("alleyExample") }),
    input("street", { autocomplete: "off" }),
    input("hamlet", { autocomplete: "off" }),
    moving ? null : [
      input("full_name", { required: true, autocomplete: "off" }),
      input("citizen_id", { inputmode: "numeric", maxlength: "12", autocomplete: "off" }),
      input("phone", { type: "tel", autocomplete: "off" }),
      input("members", { type: "number", min: "1", max: "99", value: "1", required: true }),
    ],
    h("button", { type: "submit", class: "primary wide", "data-testid": "save" }, moving ? t("moveHere") : t("save")),
    state.notice ? h("p", { class: "error", role: "alert" }, state.notice) : null,
  );
  const title = moving ? t("moveTitle", { name: moving.head?.full_name ?? "" }) : t("register");
  show(
    root,
    h("div", { class: "row" }, h("button", { type: "button", onclick: () => leave(app, moving) }, t("back")), h("h2", {}, title)),
    moving ? h("p", { class: "muted" }, t("moveHelp")) : null,
    h("section", { class: "card" }, h("h3", {}, t("gps")), gpsText, gpsCount, mapBox, h("button", { type: "button", onclick: restartGps }, t("restart"))),
    form,
  );
  startMap(app, mapBox, neighbours);
  startGps(() => showFix(gpsText, gpsCount, limit));
  showFix(gpsText, gpsCount, limit);
}

/** Stop watching the GPS and drop the map (any other screen). */
export function stopGps() {
  if (gps.watch != null) navigator.geolocation.clearWatch(gps.watch);
  gps.map?.remove();
  Object.assign(gps, { watch: null, fixes: [], error: "", picked: null, map: null, marker: null, circle: null, onFix: null });
}

function leave(app, moving) {
  app.state.screen = moving ? "household" : "commune";
  app.state.notice = "";
  app.render();
}

/** A labelled input; with `households`, the values of the commune's addresses to tap. */
function field(name, attributes, households) {
  const box = h("input", { name, ...attributes });
  if (!households) return h("label", {}, h("span", {}, t(name)), box);
  const chips = h("div", { class: "suggestions", "data-testid": `suggest-${name}` });
  const fill = () => {
    show(chips, suggest(households, name, box.value).map((value) =>
      h("button", { type: "button", class: "chip", onclick: () => { box.value = value; fill(); } }, value)));
  };
  box.addEventListener("input", fill);
  fill();
  return h("label", {}, h("span", {}, t(name)), box, chips);
}

function position(limit) {
  if (gps.picked) return { ...gps.picked, source: "map" };
  const fix = average(gps.fixes, limit);
  return fix && { ...fix, source: "gps" };
}

function startGps(onFix) {
  gps.onFix = onFix;
  if (gps.watch != null || !("geolocation" in navigator)) return;
  gps.watch = navigator.geolocation.watchPosition(
    (p) => {
      gps.fixes.push({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy });
      gps.error = "";
      gps.onFix?.();
    },
    (error) => { gps.error = error.message || String(error.code); gps.onFix?.(); },
    { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 },
  );
}

function restartGps() {
  gps.fixes = [];
  gps.picked = null;
  gps.onFix?.();
}

function showFix(text, count, limit) {
  const p = position(limit);
  if (!p) {
    text.textContent = gps.error ? t("gpsDenied", { reason: gps.error }) : t("gpsWaiting");
    return;
  }
  text.textContent = t("accuracy", { m: p.accuracy.toFixed(1) });
  text.className = p.accuracy <= limit ? "gps good" : "gps poor";
  count.textContent = p.source === "map" ? "" : t("averaged", { count: p.count, total: p.total });
  drawFix(p, limit);
}

async function startMap(app, box, neighbours) {
  gps.map?.remove(); // a re-render (language, network) draws the screen anew
  Object.assign(gps, { map: null, marker: null, circle: null });
  const { config, commune } = app.state;
  const [L, unit] = await Promise.all([leaflet(), store.getMeta(`unit:${commune}`)]);
  if (!box.isConnected) return; // the official left the screen while Leaflet loaded
  if (!L) { box.textContent = t("noMap"); return; }
  // No zoom animation: a screen left mid-animation would leave Leaflet moving a removed map.
  gps.map = L.map(box, { zoomControl: false, zoomAnimation: false, attributionControl: Boolean(config.tile_url) });
  if (config.tile_url && navigator.onLine) {
    L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.tile_attribution }).addTo(gps.map);
  }
  // The commune first, then the fix (if one came meanwhile): the view ends on the pin.
  if (communeLayers(L, gps.map, unit, neighbours) == null) gps.map.setView([21.28, 106.2], 14);
  gps.onFix?.();
}

function drawFix(p, limit) {
  const L = window.L;
  if (!gps.map || !L) return;
  const point = [p.lat, p.lon];
  if (!gps.marker) {
    gps.marker = L.marker(point, { draggable: true, keyboard: false, icon: L.divIcon({ className: "pin", iconSize: [18, 18] }) }).addTo(gps.map);
    gps.marker.on("dragend", () => {
      const at = gps.marker.getLatLng();
      gps.picked = { lat: at.lat, lon: at.lng, accuracy: position(limit)?.accuracy ?? limit, count: 1, total: 1 };
      gps.onFix?.();
    });
    gps.circle = L.circle(point, { radius: p.accuracy, className: "accuracy" }).addTo(gps.map);
    gps.map.setView(point, 18, { animate: false });
  } else {
    gps.marker.setLatLng(point);
    gps.circle.setLatLng(point).setRadius(p.accuracy);
  }
}

async function save(event, app, gpsText, moving) {
  event.preventDefault();
  const { state } = app;
  const elements = event.target.elements;
  const names = moving ? ADDRESS_FIELDS : [...ADDRESS_FIELDS, ...HEAD_FIELDS];
  const form = Object.fromEntries(names.map((name) => [name, elements[name].value]));
  const limit = state.config.accuracy_limit_m;
  const p = position(limit);
  if (!p) { gpsText.focus(); return app.say(t("gpsWaiting")); }
  if (form.citizen_id?.trim() && !validCitizenId(form.citizen_id.trim())) return app.say(t("badCitizenId"));
  const low = p.accuracy > limit;
  if (low && !window.confirm(t("lowAccuracy", { limit }))) return;
  const made = { form, position: p, commune: state.commune, confirmLowAccuracy: low };
  if (moving) {
    state.screen = "household";
    return app.enqueue(changeOperation("move", moving, move(made), app.nextSeq()));
  }
  state.screen = "commune";
  return app.enqueue(createOperation(registration(made), app.nextSeq()));
}
