// The queue of operations made offline, and what the service answered to each.
// Pure functions (no IndexedDB, no fetch): main.js stores the items, tests run these alone.

/** A random UUID (version 4): household ids and operation ids are made on the phone. */
export function uuid() {
  return crypto.randomUUID();
}

/** The body of POST /v1/households for a registration form, a GPS position and a commune. */
export function registration({ form, position, commune, confirmLowAccuracy = false, id = uuid() }) {
  const head = { full_name: form.full_name.trim() };
  if (form.citizen_id?.trim()) head.citizen_id = form.citizen_id.trim();
  if (form.phone?.trim()) head.phone = form.phone.trim();
  const address = { commune_code: commune };
  for (const name of ["house_number", "street", "hamlet"]) {
    if (form[name]?.trim()) address[name] = form[name].trim();
  }
  const body = {
    id,
    location: {
      lat: round(position.lat, 7),
      lon: round(position.lon, 7),
      accuracy_m: round(position.accuracy, 1),
      source: position.source ?? "gps",
    },
    address,
    head,
    members: Number.parseInt(form.members, 10),
  };
  if (confirmLowAccuracy) body.confirm_low_accuracy = true;
  return body;
}

/** A queued create of `body`, with its operation id; `seq` orders the queue. */
export function createOperation(body, seq, opId = uuid()) {
  return { op_id: opId, seq, op: "create", id: body.id, commune: body.address.commune_code, data: body };
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
