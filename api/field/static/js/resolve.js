// What the official decides after a sync: a conflict (keep mine / take the server's) and a
// possible duplicate (a different house / discard). Until then the operation stays queued.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { comparison, differentHouse, keepMine } from "./queue.js";
import * as store from "./store.js";

/** The panel of queued operations (those `only` keeps) waiting for a decision, or null. */
export function attentionPanel(app, only = () => true) {
  const waiting = app.state.queue.filter((item) => (item.last?.kind === "conflict" || item.last?.kind === "duplicate") && only(item));
  if (!waiting.length) return null;
  return h(
    "section",
    { class: "card attention", "data-testid": "attention" },
    h("h3", {}, t("attention")),
    waiting.map((item) => (item.last.kind === "conflict" ? conflict(app, item) : duplicate(app, item))),
  );
}

function conflict(app, item) {
  const rows = comparison(item);
  const value = (field, v) => (v == null || v === "" ? "—" : field === "status" ? t(`status:${v}`) : String(v));
  return h(
    "div",
    { class: "decision", "data-op": item.op_id, "data-kind": "conflict" },
    h("p", {}, h("strong", {}, headName(item)), " · ", t("conflictHelp", { v: item.base_version ?? "" })),
    h(
      "table",
      { class: "compare" },
      h("thead", {}, h("tr", {}, h("th", {}, t("field")), h("th", {}, t("mine")), h("th", {}, t("server")))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            { class: row.conflicting ? "clash" : "", "data-field": row.field },
            h("th", {}, t(row.field)),
            h("td", { "data-side": "mine" }, value(row.field, row.mine)),
            h("td", { "data-side": "server" }, value(row.field, row.server)),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", "data-testid": "keep-mine", onclick: () => app.replace(item, keepMine(item)) }, t("keepMine")),
      h("button", { type: "button", "data-testid": "take-server", onclick: () => takeServer(app, item) }, t("takeServer")),
    ),
  );
}

async function takeServer(app, item) {
  const current = item.last.current;
  if (current) await store.putHouseholds([current]);
  await app.replace(item, null);
}

function duplicate(app, item) {
  const candidate = item.last.candidate ?? {};
  const discard = () => {
    if (window.confirm(t("discardConfirm", { name: headName(item) }))) app.replace(item, null);
  };
  return h(
    "div",
    { class: "decision", "data-op": item.op_id, "data-kind": "duplicate" },
    h("p", {}, h("strong", {}, headName(item)), " · ", t("duplicateHelp")),
    h(
      "p",
      { class: "candidate", "data-testid": "candidate" },
      h("span", { class: "code" }, candidate.display_code ?? candidate.code ?? ""),
      h("span", {}, candidate.formatted ?? ""),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", "data-testid": "different-house", onclick: () => app.replace(item, differentHouse(item)) }, t("differentHouse")),
      h("button", { type: "button", "data-testid": "discard", onclick: discard }, t("discard")),
    ),
  );
}

function headName(item) {
  return item.data?.head?.full_name ?? item.label ?? "";
}
