// The province's map: commune polygons (or dots where no boundary is loaded) shaded by a
// figure, on a plain background: Leaflet draws them, and no tile server is needed.

import { breaks, colour } from "./shade.js";
import { value } from "./table.js";

let loading = null;

const area = (fillColor) => ({ className: "commune", color: "#ffffff", weight: 1, fillColor, fillOpacity: 0.9 });
const dot = (fillColor) => ({ className: "commune-dot", radius: 7, color: "#1b1f1d", weight: 1, fillColor, fillOpacity: 0.95 });

/** Leaflet's `L`, once its script and style are in (null when they cannot be had). */
export function leaflet() {
  loading ??= new Promise((resolve) => {
    if (window.L) return resolve(window.L);
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = "/dashboard/vendor/leaflet.css";
    document.head.insertBefore(style, document.querySelector('link[href$="/app.css"]'));
    const script = document.createElement("script");
    script.src = "/dashboard/vendor/leaflet.js";
    script.onload = () => resolve(window.L ?? null);
    script.onerror = () => {
      script.remove();
      loading = null;
      resolve(null);
    };
    document.head.append(script);
  });
  return loading;
}

/**
 * Draw `features` (the province's GeoJSON) in `element`, each commune shaded by `metric` of
 * its row in `rows`; `label(row)` is its tooltip. Returns {map, drawn, boundaries}, or null
 * without Leaflet.
 */
export async function drawMap(element, features, rows, metric, label) {
  const L = await leaflet();
  if (!L) return null;
  const byCode = new Map(rows.map((row) => [row.code, row]));
  const bounds = breaks(rows.map((row) => value(row, metric)), metric);
  const fillOf = (code) => colour(byCode.has(code) ? value(byCode.get(code), metric) : null, bounds, metric);
  const map = L.map(element, { attributionControl: false, zoomSnap: 0.25, preferCanvas: false });
  let drawn = 0;
  let boundaries = 0;
  const layer = L.geoJSON(
    { type: "FeatureCollection", features: features.filter((f) => f.geometry) },
    {
      // Leaflet applies `style` to every layer, dots included, before they are drawn.
      style: (feature) => (feature.geometry.type === "Point" ? dot : area)(fillOf(feature.properties.code)),
      pointToLayer: (feature, at) => L.circleMarker(at, dot(fillOf(feature.properties.code))),
      onEachFeature: (feature, shape) => {
        drawn += 1;
        if (feature.properties.boundary) boundaries += 1;
        const row = byCode.get(feature.properties.code);
        shape.bindTooltip(row ? label(row) : feature.properties.name, { sticky: true });
        shape.getElement?.()?.setAttribute("data-commune", feature.properties.code);
      },
    },
  );
  layer.addTo(map);
  for (const shape of layer.getLayers()) {
    shape.getElement?.()?.setAttribute("data-commune", shape.feature.properties.code);
  }
  const box = layer.getBounds();
  if (box.isValid()) map.fitBounds(box, { animate: false, padding: [8, 8] });
  else map.setView([16, 106], 5);
  return { map, drawn, boundaries };
}
