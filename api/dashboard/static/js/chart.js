// The registrations-per-day chart as geometry: bars, gridlines and labels (no DOM here).

/** "Nice" gridline steps: 1, 2 or 5 times a power of ten. */
export function niceStep(max, lines = 4) {
  if (max <= 0) return 1;
  const raw = max / lines;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return Math.max(1, step);
}

/**
 * The bars of `days` ([{day, registrations}], oldest first) in a `width` x `height` box with
 * room for the axis labels. Every day gets a bar slot (an empty day a zero-height bar), the
 * y axis runs from 0 to a whole number of gridline steps, and at most about eight day labels
 * are placed (always the last day).
 */
export function barChart(days, { width = 640, height = 220, left = 40, bottom = 24, top = 8, right = 8 } = {}) {
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const most = Math.max(0, ...days.map((d) => d.registrations));
  const step = niceStep(most);
  const max = Math.max(step, Math.ceil(most / step) * step);
  const slot = days.length ? plotWidth / days.length : plotWidth;
  const gap = slot > 6 ? Math.min(4, slot * 0.2) : 0;
  const y = (count) => top + plotHeight - (count / max) * plotHeight;
  const bars = days.map((d, i) => ({
    day: d.day,
    count: d.registrations,
    x: left + i * slot + gap / 2,
    y: y(d.registrations),
    width: Math.max(1, slot - gap),
    height: top + plotHeight - y(d.registrations),
  }));
  const grid = [];
  for (let value = 0; value <= max; value += step) grid.push({ value, y: y(value) });
  const every = Math.max(1, Math.ceil(days.length / 8));
  const labels = bars
    .map((bar, i) => ({ day: bar.day, x: bar.x + bar.width / 2, i }))
    .filter(({ i }) => (days.length - 1 - i) % every === 0)
    .map(({ day, x }) => ({ day, x, y: height - 6 }));
  const total = days.reduce((sum, d) => sum + d.registrations, 0);
  return { width, height, left, bars, grid, labels, max, total };
}
