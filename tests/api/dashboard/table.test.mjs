// Unit tests of the communes table's sorting (api/dashboard/static/js/table.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { COLUMNS, nextSort, sortRows, value } from "../../../api/dashboard/static/js/table.js";

const row = (code, name, counts) => ({ code, name, counts: { households: 0, gps_10m_share: null, ...counts } });
const ROWS = [
  row("07210", "Phường Bắc Giang", { households: 30, gps_10m_share: 0.9 }),
  row("07228", "Phường Đa Mai", { households: 120, gps_10m_share: null }),
  row("07203", "Xã Ân Thi", { households: 30, gps_10m_share: 0.5 }),
  row("07240", "Phường Ạch Thượng", { households: 5, gps_10m_share: 1 }),
];

test("the columns are the figures of the CSV file, in its order", () => {
  assert.deepEqual(COLUMNS, ["addresses", "households", "registered_7d", "gps_10m_share", "flagged", "plates_printed", "officials_active_7d"]);
  assert.equal(value(ROWS[0], "name"), "Phường Bắc Giang");
  assert.equal(value(ROWS[0], "households"), 30);
});

test("figures sort biggest first by default, ties in code order", () => {
  const sorted = sortRows(ROWS, "households", "desc").map((r) => r.code);
  assert.deepEqual(sorted, ["07228", "07203", "07210", "07240"]);
  assert.deepEqual(sortRows(ROWS, "households", "asc").map((r) => r.code), ["07240", "07203", "07210", "07228"]);
});

test("a missing share sorts last in both directions", () => {
  assert.deepEqual(sortRows(ROWS, "gps_10m_share", "desc").map((r) => r.code), ["07240", "07210", "07203", "07228"]);
  assert.deepEqual(sortRows(ROWS, "gps_10m_share", "asc").map((r) => r.code), ["07203", "07210", "07240", "07228"]);
});

test("names sort as Vietnamese: Đ after D, Ạ with A, not by code points", () => {
  const names = sortRows(ROWS, "name", "asc").map((r) => r.name);
  assert.deepEqual(names, ["Phường Ạch Thượng", "Phường Bắc Giang", "Phường Đa Mai", "Xã Ân Thi"]);
});

test("sorting leaves the rows it was given alone", () => {
  const copy = structuredClone(ROWS);
  sortRows(ROWS, "households");
  assert.deepEqual(ROWS, copy);
});

test("a click on the sorted column turns it around; another column starts biggest first", () => {
  assert.deepEqual(nextSort({ column: "households", direction: "desc" }, "households"), { column: "households", direction: "asc" });
  assert.deepEqual(nextSort({ column: "households", direction: "asc" }, "flagged"), { column: "flagged", direction: "desc" });
  assert.deepEqual(nextSort({ column: "households", direction: "desc" }, "name"), { column: "name", direction: "asc" });
});
