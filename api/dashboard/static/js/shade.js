// Shading the communes on the map: classes of a figure, their colours and the legend (no DOM).

/** Five greens, light to dark (ColorBrewer "Greens"), and grey for "none yet". */
export const COLOURS = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"];
export const NONE = "#d9dedb";

/** Fixed classes of a share (0..1): the campaign's goal is every household within 10 m. */
const SHARE_BREAKS = [0.5, 0.7, 0.85, 0.95];

/**
 * The upper bounds of every class of `values` but the last (which is open), for `metric`: a
 * share has fixed bounds; a count up to five equal classes from 1 to its largest value (as
 * many as there are values to tell apart: 1, 2 and 3 when the largest is 3).
 */
export function breaks(values, metric) {
  if (metric === "gps_10m_share") return SHARE_BREAKS;
  const most = Math.max(0, ...values.filter((v) => v != null));
  if (most <= 0) return null;
  const classes = Math.min(COLOURS.length, most);
  const width = Math.ceil(most / classes);
  return Array.from({ length: classes - 1 }, (_, i) => (i + 1) * width);
}

/** The colours of `count` classes: the darker ones when there are fewer than five. */
function palette(count) {
  return COLOURS.slice(COLOURS.length - count);
}

/** The colour of `value` given the class bounds (none: no value, or a zero count). */
export function colour(value, bounds, metric) {
  const share = metric === "gps_10m_share";
  if (value == null || (!share && (value <= 0 || !bounds))) return NONE;
  const colours = palette(bounds.length + 1);
  const index = bounds.findIndex((upper) => (share ? value < upper : value <= upper));
  return colours[index === -1 ? colours.length - 1 : index];
}

/**
 * The legend: one entry per class, [{colour, from, to}] (to null: and more), with `format`
 * applied to the bounds, then "none yet" (a count of zero, or a share without households).
 */
export function legend(bounds, metric, format) {
  const none = { colour: NONE, from: null, to: null, none: true };
  if (metric !== "gps_10m_share" && bounds == null) return [none];
  const colours = palette(bounds.length + 1);
  const entries = [];
  if (metric === "gps_10m_share") {
    const edges = [0, ...bounds, 1];
    for (let i = 0; i < colours.length; i += 1) {
      entries.push({ colour: colours[i], from: format(edges[i]), to: format(edges[i + 1]) });
    }
  } else {
    let from = 1;
    for (let i = 0; i < colours.length; i += 1) {
      const to = i < bounds.length ? bounds[i] : null;
      entries.push({ colour: colours[i], from: format(from), to: to == null ? null : format(to) });
      from = to == null ? null : to + 1;
    }
  }
  entries.push(none);
  return entries;
}
