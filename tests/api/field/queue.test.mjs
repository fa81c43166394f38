// Unit tests of the field app's queue (api/field/static/js/queue.js), run by `node --test`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  amend,
  batches,
  changeOperation,
  comparison,
  corrections,
  createOperation,
  differentHouse,
  keepMine,
  move,
  ordered,
  outcome,
  registration,
  settle,
  unsent,
  wire,
} from "../../../api/field/static/js/queue.js";

const FORM = { house_number: " 27 ", street: "Lê Lợi", hamlet: "", full_name: " Trần Văn Minh ", citizen_id: "", phone: "0912000111", members: "4" };
const POSITION = { lat: 21.28712345678, lon: 106.21834, accuracy: 4.26, count: 5 };

test("a registration is the body of POST /v1/households, trimmed, with empty fields left out", () => {
  const body = registration({ form: FORM, position: POSITION, commune: "07210", id: "hid" });
  assert.deepEqual(body, {
    id: "hid",
    location: { lat: 21.2871235, lon: 106.21834, accuracy_m: 4.3, source: "gps" },
    address: { commune_code: "07210", house_number: "27", street: "Lê Lợi" },
    head: { full_name: "Trần Văn Minh", phone: "0912000111" },
    members: 4,
  });
});

test("a low accuracy is sent only with the official's confirmation", () => {
  const body = registration({ form: FORM, position: POSITION, commune: "07210", confirmLowAccuracy: true });
  assert.equal(body.confirm_low_accuracy, true);
  assert.match(body.id, /^[0-9a-f-]{36}$/);
});

test("every operation has its own op_id, and the household id is made on the phone", () => {
  const body = registration({ form: FORM, position: POSITION, commune: "07210" });
  const one = createOperation(body, 1);
  const two = createOperation(body, 2);
  assert.notEqual(one.op_id, two.op_id);
  assert.equal(one.id, body.id);
  assert.deepEqual(wire(one), { op: "create", op_id: one.op_id, id: body.id, data: body });
});

test("updates carry base_version and force on the wire, not the queue's bookkeeping", () => {
  const item = { op_id: "o", seq: 3, op: "update", id: "h", base_version: 2, force: true, data: { members: 5 }, commune: "07210", last: {} };
  assert.deepEqual(wire(item), { op: "update", op_id: "o", id: "h", data: { members: 5 }, base_version: 2, force: true });
});

test("the queue keeps the order it was made in", () => {
  assert.deepEqual(ordered([{ seq: 3 }, { seq: 1 }, { seq: 2 }]).map((i) => i.seq), [1, 2, 3]);
});

test("each result is classified: done ones leave the queue, failed ones stay", () => {
  const sent = ["a", "b", "c", "d", "e"].map((op_id, seq) => ({ op_id, seq, op: "update", id: "h" }));
  const results = [
    { index: 0, status: 201, household: { id: "h", display_code: "7PH876P9+R8-25" } },
    { index: 1, status: 200, resolution: "merged", household: { id: "h" } },
    { index: 2, status: 412, problem: { title: "Precondition Failed", conflicting_fields: ["members"], current: { members: 5 } } },
    { index: 3, status: 409, problem: { title: "Conflict", candidate: { code: "7PH876P9R825" } } },
    { index: 4, status: 422, problem: { title: "Unprocessable", detail: "bad", errors: { members: ["x"] } } },
  ];
  const { done, kept } = settle(sent, results);
  assert.deepEqual(done.map((i) => [i.op_id, i.last.kind]), [["a", "applied"], ["b", "merged"]]);
  assert.deepEqual(kept.map((i) => [i.op_id, i.last.kind]), [["c", "conflict"], ["d", "duplicate"], ["e", "problem"]]);
  assert.deepEqual(kept[0].last.fields, ["members"]);
  assert.deepEqual(kept[0].last.current, { members: 5 });
  assert.equal(kept[1].last.candidate.code, "7PH876P9R825");
  assert.equal(kept[2].last.detail, "bad");
});

test("an operation without a result stays queued", () => {
  const { done, kept } = settle([{ op_id: "a", seq: 1 }], []);
  assert.equal(done.length, 0);
  assert.equal(kept[0].last.kind, "problem");
});

test("a 409 without a candidate (e.g. still in progress) is a problem, not a duplicate", () => {
  assert.equal(outcome({ status: 409, problem: { title: "idempotency-in-progress" } }).kind, "problem");
});

test("a request that failed keeps every item with the reason", () => {
  const kept = unsent([{ op_id: "a" }, { op_id: "b" }], "offline");
  assert.deepEqual(kept.map((i) => [i.op_id, i.last.done, i.last.title]), [["a", false, "offline"], ["b", false, "offline"]]);
});

test("the queue is sent in batches of at most 500", () => {
  const items = Array.from({ length: 1201 }, (_, seq) => ({ seq }));
  assert.deepEqual(batches(items).map((b) => b.length), [500, 500, 201]);
  assert.deepEqual(batches([]), []);
});

const HOUSEHOLD = {
  id: "h1",
  version: 3,
  members: 4,
  head: { full_name: "Trần Văn Minh", citizen_id: null, phone: "0912000111" },
  address: { address: { commune: { code: "07210" } } },
};

test("a correction sends only what changed, and an emptied optional field as null", () => {
  const form = { full_name: "Trần Văn Minh", citizen_id: "", phone: " ", members: "5" };
  assert.deepEqual(corrections(HOUSEHOLD, form), { head: { phone: null }, members: 5 });
  assert.equal(corrections(HOUSEHOLD, { full_name: "Trần Văn Minh ", citizen_id: "", phone: "0912000111", members: "4" }), null);
});

test("a change is queued with the version it is based on, and its label is not sent", () => {
  const item = changeOperation("update", HOUSEHOLD, { members: 5 }, 7, "op");
  assert.deepEqual(item, { op_id: "op", seq: 7, op: "update", id: "h1", commune: "07210", label: "Trần Văn Minh", base_version: 3, data: { members: 5 } });
  assert.deepEqual(wire(item), { op: "update", op_id: "op", id: "h1", data: { members: 5 }, base_version: 3 });
});

test("a second correction joins the one still queued (same base version)", () => {
  const first = changeOperation("update", HOUSEHOLD, { head: { phone: null } }, 1, "op");
  const joined = amend(first, { head: { full_name: "Trần Văn Minh Hải" }, members: 6 });
  assert.equal(joined.op_id, "op");
  assert.deepEqual(joined.data, { head: { phone: null, full_name: "Trần Văn Minh Hải" }, members: 6 });
  assert.deepEqual(amend(first, { members: 2 }).data, { head: { phone: null }, members: 2 });
});

test("keep mine is the same change, forced, as a new operation without the old outcome", () => {
  const item = { ...changeOperation("update", HOUSEHOLD, { members: 5 }, 1, "op"), last: { kind: "conflict" } };
  const again = keepMine(item, "op2");
  assert.equal(again.last, undefined);
  assert.deepEqual(wire(again), { op: "update", op_id: "op2", id: "h1", data: { members: 5 }, base_version: 3, force: true });
});

test("a different house is the registration again with confirm_distinct", () => {
  const body = registration({ form: FORM, position: POSITION, commune: "07210", id: "hid" });
  const item = { ...createOperation(body, 1, "op"), last: { kind: "duplicate" } };
  const again = differentHouse(item, "op2");
  assert.equal(again.last, undefined);
  assert.equal(again.data.confirm_distinct, true);
  assert.equal(again.id, "hid");
  assert.equal(item.data.confirm_distinct, undefined); // the queued item itself is left as it was
});

test("the merge display puts the official's values beside the server's, conflicting ones marked", () => {
  const item = {
    ...changeOperation("update", HOUSEHOLD, { head: { full_name: "Trần Minh" }, members: 5 }, 1),
    last: { kind: "conflict", fields: ["members"], current: { ...HOUSEHOLD, version: 4, members: 6 } },
  };
  assert.deepEqual(comparison(item), [
    { field: "full_name", mine: "Trần Minh", server: "Trần Văn Minh", conflicting: false },
    { field: "members", mine: 5, server: 6, conflicting: true },
  ]);
  const dissolve = { ...changeOperation("dissolve", HOUSEHOLD, {}, 2), last: { kind: "conflict", fields: ["status"], current: { status: "moved" } } };
  assert.deepEqual(comparison(dissolve), [{ field: "status", mine: "dissolved", server: "moved", conflicting: true }]);
});

test("a move to a new point is the body of the move endpoint, the alley in its parts", () => {
  const form = { house_number: "8", alley: "ngõ 34, ngách 5", street: "Lê Lợi", hamlet: " " };
  const body = move({ form, position: POSITION, commune: "07210", confirmLowAccuracy: true });
  assert.deepEqual(body, {
    location: { lat: 21.2871235, lon: 106.21834, accuracy_m: 4.3, source: "gps" },
    address: { commune_code: "07210", house_number: "8", street: "Lê Lợi", alley: ["ngõ 34", "ngách 5"] },
    confirm_low_accuracy: true,
  });
  const household = { id: "h", version: 3, head: { full_name: "An" }, address: { address: { commune: { code: "07210" } } } };
  const item = changeOperation("move", household, body, 4);
  assert.deepEqual(wire(item), { op: "move", op_id: item.op_id, id: "h", data: body, base_version: 3 });
  const stale = { ...item, last: { kind: "conflict", fields: [], current: { address: { formatted: "5 Lê Lợi" } } } };
  assert.deepEqual(comparison(stale), [{ field: "address", mine: "8, ngõ 34, ngách 5, Lê Lợi", server: "5 Lê Lợi", conflicting: true }]);
});
