// Unit tests of position averaging (api/field/static/js/gps.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { average, distanceM } from "../../../api/field/static/js/gps.js";

test("fixes within the threshold are averaged, the others left out, and counted", () => {
  const fixes = [
    { lat: 21.0, lon: 106.0, accuracy: 40 },
    { lat: 21.0001, lon: 106.0001, accuracy: 8 },
    { lat: 21.0003, lon: 106.0003, accuracy: 6 },
  ];
  const p = average(fixes, 30);
  assert.equal(p.count, 2);
  assert.equal(p.total, 3);
  assert.ok(Math.abs(p.lat - 21.0002) < 1e-9);
  assert.ok(Math.abs(p.lon - 106.0002) < 1e-9);
  assert.equal(p.accuracy, 6);
  assert.equal(p.within, true);
});

test("with no fix within the threshold the best one is used, flagged", () => {
  const p = average([{ lat: 1, lon: 2, accuracy: 80 }, { lat: 3, lon: 4, accuracy: 50 }], 30);
  assert.deepEqual([p.lat, p.count, p.within], [3, 1, false]);
  assert.equal(average([], 30), null);
});

test("distances are in metres", () => {
  const d = distanceM({ lat: 21, lon: 106 }, { lat: 21.001, lon: 106 });
  assert.ok(Math.abs(d - 111.2) < 0.5, d);
});
