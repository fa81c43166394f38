// Position averaging: a first fix is often tens of metres off, so fixes are gathered for a
// while and those within the accuracy threshold are averaged (as surveyors do).

const EARTH_RADIUS_M = 6371008.8;

/**
 * The averaged position of `fixes` ({lat, lon, accuracy}) that are within `thresholdM`.
 * Returns {lat, lon, accuracy, count, total}; with no fix within the threshold, the best
 * single fix (count 1, `within` false); null without any fix. The accuracy is the mean of
 * the averaged fixes' accuracies divided by the square root of their count, but never better
 * than the best fix's own: averaging does not beat the receiver.
 */
export function average(fixes, thresholdM) {
  if (fixes.length === 0) return null;
  const good = fixes.filter((fix) => fix.accuracy <= thresholdM);
  if (good.length === 0) {
    const best = fixes.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
    return { lat: best.lat, lon: best.lon, accuracy: best.accuracy, count: 1, total: fixes.length, within: false };
  }
  const lat = mean(good.map((fix) => fix.lat));
  const lon = mean(good.map((fix) => fix.lon));
  const best = Math.min(...good.map((fix) => fix.accuracy));
  const accuracy = Math.max(best, mean(good.map((fix) => fix.accuracy)) / Math.sqrt(good.length));
  return { lat, lon, accuracy, count: good.length, total: fixes.length, within: true };
}

/** Distance in metres between two {lat, lon} points (haversine). */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

function mean(values) {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
