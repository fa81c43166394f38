// Unit tests of the registrations-per-day chart's geometry (api/dashboard/static/js/chart.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { barChart, niceStep } from "../../../api/dashboard/static/js/chart.js";

const days = (counts) => counts.map((registrations, i) => ({ day: `2026-11-${String(i + 1).padStart(2, "0")}`, registrations }));

test("gridline steps are 1, 2 or 5 times a power of ten", () => {
  assert.equal(niceStep(0), 1);
  assert.equal(niceStep(3), 1);
  assert.equal(niceStep(7), 2);
  assert.equal(niceStep(18), 5);
  assert.equal(niceStep(1234), 500);
});

test("every day gets a bar, an empty day a zero-height one, the tallest reaches the top", () => {
  const chart = barChart(days([0, 5, 10, 2]), { width: 440, height: 200, left: 40, bottom: 20, top: 10, right: 0 });
  assert.equal(chart.bars.length, 4);
  assert.equal(chart.bars[0].height, 0);
  assert.equal(chart.max, 10);
  assert.equal(chart.bars[2].y, 10);
  assert.equal(chart.bars[2].height, 170);
  assert.equal(chart.bars[1].height, 85);
  assert.equal(chart.total, 17);
  // Bars stay inside the plot, left to right.
  for (const [i, bar] of chart.bars.entries()) {
    assert.ok(bar.x >= 40 && bar.x + bar.width <= 440, `bar ${i}`);
    if (i) assert.ok(bar.x > chart.bars[i - 1].x);
  }
  assert.deepEqual(chart.grid.map((g) => g.value), [0, 5, 10]);
});

test("a long series gets at most about eight labels, always the last day's", () => {
  const chart = barChart(days(Array.from({ length: 30 }, (_, i) => i % 7)));
  assert.ok(chart.labels.length <= 8 && chart.labels.length >= 6);
  assert.equal(chart.labels.at(-1).day, "2026-11-30");
});

test("no registrations at all: an axis from 0 to 1 and flat bars", () => {
  const chart = barChart(days([0, 0, 0]));
  assert.equal(chart.max, 1);
  assert.ok(chart.bars.every((bar) => bar.height === 0));
  assert.equal(barChart([]).bars.length, 0);
});
