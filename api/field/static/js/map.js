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
