// The field app's service worker (scope /field/): the app shell and its libraries come from
// the cache, so the app opens with no signal. API answers (/v1) are never cached: they carry
// personal data and say no-store; the app keeps its own copy in IndexedDB.

const CACHE = "field-shell-v3";
const SHELL = [
  "/field/",
  "/field/manifest.webmanifest",
  "/field/config.json",
  "/field/app/app.css",
  "/field/app/icon.svg",
  "/field/app/js/api.js",
  "/field/app/js/checks.js",
  "/field/app/js/dom.js",
  "/field/app/js/fold.js",
  "/field/app/js/gps.js",
  "/field/app/js/household.js",
  "/field/app/js/i18n.js",
  "/field/app/js/main.js",
  "/field/app/js/map.js",
  "/field/app/js/queue.js",
  "/field/app/js/register.js",
  "/field/app/js/resolve.js",
  "/field/app/js/store.js",
  "/field/app/js/suggest.js",
  "/field/vendor/leaflet.js",
  "/field/vendor/leaflet.css",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

// Stale while revalidate: the cached copy answers at once (a slow 3G link or none at all does
// not hold the app up) and the network's answer refreshes the cache for the next start.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/field/")) {
    return;
  }
  const fresh = fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      event.waitUntil(caches.open(CACHE).then((cache) => cache.put(event.request, copy)));
    }
    return response;
  });
  event.respondWith(
    caches.match(event.request, { ignoreSearch: true }).then((hit) => {
      if (hit) {
        fresh.catch(() => undefined); // offline: the cached copy is all there is
        return hit;
      }
      return fresh;
    }),
  );
});
