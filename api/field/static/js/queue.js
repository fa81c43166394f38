// The queue of operations made offline, and what the service answered to each.
// Pure functions (no IndexedDB, no fetch): main.js stores the items, tests run these alone.

import { alleyParts } from "./suggest.js";

/** A random UUID (version 4): household ids and operation ids are made on the phone. */
export function uuid() {
  return crypto.randomUUID();
}

/** The body of POST /v1/households for a registration form, a GPS position and a commune. */
export function registration({ form, position, commune, confirmLowAccuracy = false, id = uuid() }) {
  const head = { full_name: form.full_name.trim() };
  if (form.citizen_id?.trim()) head.citizen_id = form.citizen_id.trim();
  if (form.phone?.trim()) head.phone = form.phone.trim();
  const body = { id, ...dwelling(form, position, commune), head, members: Number.parseInt(form.members, 10) };
  if (confirmLowAccuracy) body.confirm_low_accuracy = true;
  return body;
}

/** The body of POST /v1/households/{id}/move to a new point (a new address, a new code). */
export function move({ form, position, commune, confirmLowAccuracy = false }) {
  const body = dwelling(form, position, commune);
  if (confirmLowAccuracy) body.confirm_low_accuracy = true;
  return body;
}

/** The point and structured address of a form: empty fields left out, the alley in parts. */
function dwelling(form, position, commune) {
  const address = { commune_code: commune };
  for (const name of ["house_number", "street", "hamlet"]) {
    if (form[name]?.trim()) address[name] = form[name].trim();
  }
  const alley = alleyParts(form.alley);
  if (alley.length) address.alley = alley;
  const location = {
    lat: round(position.lat, 7),
    lon: round(position.lon, 7),
    accuracy_m: round(position.accuracy, 1),
    source: position.source ?? "gps",
  };
  return { location, address };
}

/** A queued create of `body`, with its operation id; `seq` orders the queue. */
export function createOperation(body, seq, opId = uuid()) {
  return { op_id: opId, seq, op: "create", id: body.id, commune: body.address.commune_code, data: body };
}

/** The commune of a household as the feed gives it. */
export function communeOf(household) {
  return household.address?.address?.commune?.code ?? null;
}

/**
 * A queued change of a household the phone has, based on the version it has: an update of its
 * own fields (`data` as PATCH /v1/households/{id} takes it), a move (`data` as its move
 * takes it) or a dissolution (`data`: reason).
 */
export function changeOperation(op, household, data, seq, opId = uuid()) {
  const label = household.head?.full_name ?? ""; // shown in the queue; never sent
  return { op_id: opId, seq, op, id: household.id, commune: communeOf(household), label, base_version: household.version, data };
}

/**
 * What a correction form changes of `household`, as PATCH takes it (only the changed fields, so
 * that two officials correcting different fields merge), or null when nothing changed.
 */
export function corrections(household, form) {
  const head = {};
  for (const name of ["full_name", "citizen_id", "phone"]) {
    const value = form[name]?.trim() ?? "";
    const was = household.head?.[name] ?? "";
    if (value !== was) head[name] = value === "" && name !== "full_name" ? null : value;
  }
  const changes = {};
  if (Object.keys(head).length) changes.head = head;
  const members = Number.parseInt(form.members, 10);
  if (members !== household.members) changes.members = members;
  return Object.keys(changes).length ? changes : null;
}

/**
 * A second correction while the first is still queued joins it: both are based on the same
 * version, so two updates would conflict with each other on the service.
 */
export function amend(item, changes) {
  const head = { ...item.data.head, ...changes.head };
  const data = { ...item.data, ...changes };
  if (Object.keys(head).length) data.head = head;
  return withoutOutcome({ ...item, data });
}

/** "Keep mine": the same change again, forced, as a new operation (a new op_id). */
export function keepMine(item, opId = uuid()) {
  return withoutOutcome({ ...item, op_id: opId, force: true });
}

/** "This is a different house": the registration again, confirmed distinct from the candidate. */
export function differentHouse(item, opId = uuid()) {
  return withoutOutcome({ ...item, op_id: opId, data: { ...item.data, confirm_distinct: true } });
}

function withoutOutcome(item) {
  const { last: _last, ...rest } = item;
  return rest;
}

// The fields of a household a change may touch: name on the form, name in conflicting_fields.
const COMPARED = [
  ["full_name", "head_name", (h) => h?.head?.full_name],
  ["citizen_id", "citizen_id", (h) => h?.head?.citizen_id],
  ["phone", "phone", (h) => h?.head?.phone],
  ["members", "members", (h) => h?.members],
];

/**
 * The merge display of a conflict: for each field the official's change touches, their value
 * beside the server's current one, and whether both changed it since the base version.
 */
export function comparison(item) {
  const current = item.last?.current ?? null;
  const conflicting = new Set(item.last?.fields ?? []);
  if (item.op === "dissolve") {
    return [{ field: "status", mine: "dissolved", server: current?.status ?? null, conflicting: true }];
  }
  if (item.op === "move") {
    const mine = [item.data.address?.house_number, ...(item.data.address?.alley ?? []), item.data.address?.street, item.data.address?.hamlet];
    return [{ field: "address", mine: mine.filter(Boolean).join(", "), server: current?.address?.formatted ?? null, conflicting: true }];
  }
  const rows = [];
  for (const [field, touched, pick] of COMPARED) {
    const mine = pick(item.data);
    if (mine === undefined) continue;
    rows.push({ field, mine, server: pick(current) ?? null, conflicting: conflicting.has(touched) });
  }
  return rows;
}

/** The operation as POST /v1/sync takes it (the queue's own bookkeeping left out). */
export function wire(item) {
  const operation = { op: item.op, op_id: item.op_id, id: item.id, data: item.data };
  if (item.base_version != null) operation.base_version = item.base_version;
  if (item.force) operation.force = true;
  return operation;
}

/** The queue in the order it was made. */
export function ordered(items) {
  return [...items].sort((a, b) => a.seq - b.seq);
}

/**
 * What one sync result means for its operation.
 * kind: applied | merged | forced | unchanged (done: leaves the queue), conflict (412: the
 * record changed), duplicate (409 with a candidate), problem (anything else: stays queued).
 */
export function outcome(result) {
  if (result.status >= 200 && result.status < 300) {
    return { kind: result.resolution ?? "applied", done: true, household: result.household ?? null };
  }
  const problem = result.problem ?? {};
  const base = { done: false, status: result.status, title: problem.title ?? "", detail: problem.detail ?? "" };
  if (result.status === 412) {
    return { ...base, kind: "conflict", fields: problem.conflicting_fields ?? [], current: problem.current ?? null };
  }
  if (result.status === 409 && problem.candidate) {
    return { ...base, kind: "duplicate", candidate: problem.candidate };
  }
  return { ...base, kind: "problem", errors: problem.errors ?? null };
}

/**
 * Pair the sent items with the results (one per operation, same order) and split them into
 * those done and those that stay queued, each stamped with its last outcome.
 */
export function settle(sent, results) {
  const byIndex = new Map(results.map((result) => [result.index, result]));
  const done = [];
  const kept = [];
  sent.forEach((item, index) => {
    const result = byIndex.get(index);
    const last = result ? outcome(result) : { kind: "problem", done: false, status: 0, title: "no result", detail: "" };
    (last.done ? done : kept).push({ ...item, last });
  });
  return { done, kept };
}

/** A failed or cut-off request: every item stays queued with the reason. */
export function unsent(items, reason) {
  return items.map((item) => ({ ...item, last: { kind: "problem", done: false, status: 0, title: reason, detail: "" } }));
}

/** The queue's batches for POST /v1/sync (the service takes up to 500 operations). */
export function batches(items, size = 500) {
  const out = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
