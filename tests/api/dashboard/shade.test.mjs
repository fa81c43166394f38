// Unit tests of the map's shading and legend (api/dashboard/static/js/shade.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { COLOURS, NONE, breaks, colour, legend } from "../../../api/dashboard/static/js/shade.js";

test("counts: five equal classes from 1 to the largest, none yet in grey", () => {
  const bounds = breaks([0, 10, 50, 100, null], "households");
  assert.deepEqual(bounds, [20, 40, 60, 80]);
  assert.equal(colour(0, bounds, "households"), NONE);
  assert.equal(colour(null, bounds, "households"), NONE);
  assert.equal(colour(1, bounds, "households"), COLOURS[0]);
  assert.equal(colour(20, bounds, "households"), COLOURS[0]);
  assert.equal(colour(21, bounds, "households"), COLOURS[1]);
  assert.equal(colour(100, bounds, "households"), COLOURS[4]);
});

test("a province without registrations is all grey, with one legend entry", () => {
  const bounds = breaks([0, 0], "households");
  assert.equal(bounds, null);
  assert.equal(colour(0, bounds, "households"), NONE);
  assert.equal(colour(3, bounds, "households"), NONE);
  assert.deepEqual(legend(bounds, "households", String), [{ colour: NONE, from: null, to: null, none: true }]);
});

test("few households: as many classes as values, in the darker greens", () => {
  const bounds = breaks([0, 1, 3], "households");
  assert.deepEqual(bounds, [1, 2]);
  assert.deepEqual(legend(bounds, "households", String).map((e) => [e.from, e.to]), [["1", "1"], ["2", "2"], ["3", null], [null, null]]);
  assert.equal(colour(1, bounds, "households"), COLOURS[2]);
  assert.equal(colour(3, bounds, "households"), COLOURS[4]);
  assert.deepEqual(breaks([1], "households"), []);
  assert.equal(colour(1, [], "households"), COLOURS[4]);
});

test("shares: fixed classes towards every household within 10 m", () => {
  const bounds = breaks([0.2, 0.99], "gps_10m_share");
  assert.deepEqual(bounds, [0.5, 0.7, 0.85, 0.95]);
  assert.equal(colour(0, bounds, "gps_10m_share"), COLOURS[0]);
  assert.equal(colour(0.5, bounds, "gps_10m_share"), COLOURS[1]);
  assert.equal(colour(0.96, bounds, "gps_10m_share"), COLOURS[4]);
  assert.equal(colour(null, bounds, "gps_10m_share"), NONE);
});

test("the legend names each class's range, the last one open", () => {
  const entries = legend([20, 40, 60, 80], "households", String);
  assert.deepEqual(entries.map((e) => [e.from, e.to]), [["1", "20"], ["21", "40"], ["41", "60"], ["61", "80"], ["81", null], [null, null]]);
  assert.deepEqual(entries.map((e) => e.colour), [...COLOURS, NONE]);
  const shares = legend([0.5, 0.7, 0.85, 0.95], "gps_10m_share", (v) => `${v * 100}%`);
  assert.deepEqual(shares[0], { colour: COLOURS[0], from: "0%", to: "50%" });
  assert.equal(shares[4].to, "100%");
});
