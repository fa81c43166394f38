// A household's page: what the phone knows of it, its code with QR and plate once synced,
// corrections, a move and dissolution (queued with the version they are based on) and its history.

import * as api from "./api.js";
import { validCitizenId } from "./checks.js";
import { h, show } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { amend, changeOperation, corrections } from "./queue.js";
import { attentionPanel } from "./resolve.js";
import * as store from "./store.js";

/** Draw the page of household `id` into `root`: the stored copy, or a registration queued. */
export async function householdScreen(app, root, id) {
  const { state } = app;
  const pending = state.queue.filter((item) => item.id === id);
  const created = pending.find((item) => item.op === "create");
  const household = (await store.household(id)) ?? (created && app.pendingHousehold(created));
  if (!household) return show(root, h("p", { class: "error" }, t("none")));
  const synced = !household.pending;
  show(
    root,
    h("div", { class: "row" }, h("button", { type: "button", onclick: app.back }, t("back")), h("h2", {}, household.head?.full_name ?? "")),
    attentionPanel(app, (item) => item.id === id),
    facts(household, pending.length),
    synced ? codeCard(household) : h("p", { class: "warn", "data-testid": "not-synced" }, t("notSynced")),
    synced && household.status === "active" ? correctionForm(app, household, root) : null,
    synced && household.status === "active" ? h("button", { type: "button", class: "wide", "data-testid": "move", onclick: () => moveTo(app) }, t("move")) : null,
    synced && household.status === "active" ? h("button", { type: "button", class: "danger wide", "data-testid": "dissolve", onclick: () => dissolve(app, household) }, t("dissolve")) : null,
    synced ? historyCard(app, household) : null,
    state.notice ? h("p", { class: "error", role: "alert" }, state.notice) : null,
  );
}

function facts(household, queued) {
  const a = household.address?.address ?? {};
  const line = household.address?.formatted ?? [a.house_number, a.street, a.hamlet].filter(Boolean).join(", ");
  const rows = [
    [t("status"), t(`status:${household.status ?? "active"}`)],
    [t("full_name"), household.head?.full_name],
    [t("citizen_id"), household.head?.citizen_id],
    [t("phone"), household.head?.phone],
    [t("members"), household.members],
  ].filter(([, value]) => value != null && value !== "");
  return h(
    "section",
    { class: "card", "data-testid": "household" },
    h("p", {}, line),
    h("dl", { class: "facts" }, rows.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, String(value))])),
    household.version ? h("p", { class: "muted" }, t("version", { v: household.version })) : null,
    queued ? h("p", { class: "warn", "data-testid": "pending-changes" }, t("pendingChanges", { n: queued })) : null,
  );
}

/** After sync: the code in display form, its QR, the plate to print and the link to share. */
function codeCard(household) {
  const links = household.address?.links ?? {};
  return h(
    "section",
    { class: "card code-card" },
    h("h3", {}, t("code")),
    h("p", { class: "big-code", "data-testid": "display-code" }, household.display_code ?? ""),
    links.qr_png ? h("img", { class: "qr", src: api.local(links.qr_png), alt: t("qr"), width: "160", height: "160", "data-testid": "qr" }) : null,
    links.plate_pdf ? h("p", {}, h("a", { href: api.local(links.plate_pdf), target: "_blank", rel: "noopener", "data-testid": "plate" }, t("plate"))) : null,
    links.scan ? h("p", { class: "muted" }, t("scan"), ": ", h("a", { href: links.scan, "data-testid": "scan-link" }, links.scan)) : null,
  );
}

function correctionForm(app, household, root) {
  const head = household.head ?? {};
  const input = (name, attributes) => h("label", {}, h("span", {}, t(name)), h("input", { name, autocomplete: "off", ...attributes }));
  return h(
    "form",
    { class: "card", "data-testid": "correct", onsubmit: (event) => correct(event, app, household, root) },
    h("h3", {}, t("correct")),
    input("full_name", { value: head.full_name ?? "", required: true }),
    input("citizen_id", { value: head.citizen_id ?? "", inputmode: "numeric", maxlength: "12" }),
    input("phone", { value: head.phone ?? "", type: "tel" }),
    input("members", { value: String(household.members ?? 1), type: "number", min: "1", max: "99", required: true }),
    h("button", { type: "submit", class: "primary wide", "data-testid": "save-correction" }, t("saveCorrection")),
  );
}

async function correct(event, app, household, root) {
  event.preventDefault();
  const elements = event.target.elements;
  const form = Object.fromEntries(["full_name", "citizen_id", "phone", "members"].map((name) => [name, elements[name].value]));
  if (form.citizen_id.trim() && !validCitizenId(form.citizen_id.trim())) return app.say(t("badCitizenId"));
  const changes = corrections(household, form);
  if (!changes) return app.say(t("nothingChanged"));
  const queuedUpdate = app.state.queue.find((item) => item.id === household.id && item.op === "update" && !item.last);
  const item = queuedUpdate ? amend(queuedUpdate, changes) : changeOperation("update", household, changes, app.nextSeq());
  await app.enqueue(item);
  await householdScreen(app, root, household.id);
  root.querySelector("[data-testid=attention]")?.scrollIntoView(); // a conflict to decide on
}

/** The move screen: the phone's position and a new address (queued as a `move`). */
function moveTo(app) {
  app.state.screen = "move";
  app.state.notice = "";
  app.render();
}

async function dissolve(app, household) {
  if (!window.confirm(t("dissolveConfirm", { name: household.head?.full_name ?? "" }))) return;
  await app.enqueue(changeOperation("dissolve", household, {}, app.nextSeq()));
}

function historyCard(app, household) {
  const list = h("ol", { class: "history", "data-testid": "history" });
  const load = async () => {
    try {
      const page = await api.history(app.state.session.token, app.state.device, household.id);
      show(list, page.items.length ? page.items.map(event) : h("li", { class: "muted" }, t("none")));
    } catch (error) {
      show(list, h("li", { class: "error" }, error.status ? error.message : t("needsSignal")));
    }
  };
  return h("section", { class: "card" }, h("h3", {}, t("history")), h("button", { type: "button", "data-testid": "show-history", onclick: load }, t("showHistory")), list);
}

function event(item) {
  const key = `action:${item.action}`;
  const word = t(key) === key ? item.action : t(key);
  const changed = Object.keys(item.after ?? {}).map((name) => `${label(name)}: ${show1(item.before?.[name])} → ${show1(item.after[name])}`);
  return h(
    "li",
    { "data-action": item.action },
    h("strong", {}, word), " ", h("span", { class: "muted" }, `${formatTime(item.at)} · ${item.actor} · ${t("version", { v: item.version ?? "" })}`),
    item.action === "household.register" ? null : changed.map((line) => h("div", { class: "change" }, line)),
  );
}

/** A field of the audit trail in the official's words (the trail names the name head_name). */
function label(name) {
  const key = name === "head_name" ? "full_name" : name;
  return t(key) === key ? name : t(key);
}

function show1(value) {
  if (value == null) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
