// Leaflet, loaded when a screen first shows a map: the login and the lists do not wait for the
// map library on a slow link. The service worker keeps it for offline use like the rest.

let loading = null;

/** Leaflet's `L`, once its script and style are in; null when they cannot be had (offline). */
export function leaflet() {
  loading ??= new Promise((resolve) => {
    if (window.L) return resolve(window.L);
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = "/field/vendor/leaflet.css";
    // Before the app's own style, so that the app's rules win where both set something.
    document.head.insertBefore(style, document.querySelector('link[href$="/app.css"]'));
    const script = document.createElement("script");
    script.src = "/field/vendor/leaflet.js";
    script.onload = () => resolve(window.L ?? null);
    script.onerror = () => {
      script.remove();
      loading = null; // try again on the next map
      resolve(null);
    };
    document.head.append(script);
  });
  return loading;
}

// Styled here, not in app.css: the same whether Leaflet draws in SVG or on a canvas.
const BOUNDARY = { className: "boundary", color: "#0b5d3b", weight: 3, dashArray: "6 4", fill: true, fillColor: "#0b5d3b", fillOpacity: 0.04 };
const ADDRESS = { className: "address", radius: 6, color: "#ffffff", weight: 2, fillColor: "#c2410c", fillOpacity: 0.9 };

/**
 * Draw a commune on `map`: its boundary (`unit.geometry`, GeoJSON; null when the service has
 * none loaded) and a dot for each of `households`' addresses (`onTap(household)` on a tap).
 * Nothing here needs tiles. The view is the boundary's, else the addresses', else a small box
 * around the commune's reference point. Returns how many shapes were drawn (boundary and
 * dots), or null when there was no view to set at all.
 */
export function communeLayers(L, map, unit, households, onTap = null) {
  const outline = unit?.geometry ? L.geoJSON(unit.geometry, { interactive: false, style: BOUNDARY }) : null;
  const dots = [];
  for (const household of households) {
    const at = household.address?.location;
    if (household.status !== "active" || at?.lat == null) continue;
    const dot = L.circleMarker([at.lat, at.lon], { ...ADDRESS, interactive: Boolean(onTap) });
    if (onTap) dot.on("click", () => onTap(household));
    dots.push(dot);
  }
  const ref = unit?.ref_point;
  const bounds = outline?.getBounds()
    ?? (dots.length ? L.featureGroup(dots).getBounds().pad(0.2) : null)
    ?? (ref?.lat != null ? L.latLng(ref.lat, ref.lon).toBounds(2000) : null);
  if (!bounds) return null;
  // The view first: Leaflet clips a polygon to the view as it is added.
  map.fitBounds(bounds, { animate: false, maxZoom: 18 });
  outline?.addTo(map);
  for (const dot of dots) dot.addTo(map);
  return (outline ? 1 : 0) + dots.length;
}
