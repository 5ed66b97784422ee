/* The service worker of /m/ (served from /m/sw.js so that it controls /m/). Workbox from the npm
 * registry, served from this site (static/vendor/workbox, `make static`):
 * - the page's own scripts, styles and icons: stale-while-revalidate (repeat visits load from here);
 * - the page /m/ and the case API's reads: network first, the last answer when offline;
 * - map tiles: cache first, at most 300 for a week.
 * Writes are never cached or replayed here: the page's outbox (IndexedDB) sends them, once each. */
/* global importScripts, workbox */
importScripts("/static/vendor/workbox/workbox-sw.js");

workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox/", debug: false });
workbox.core.setCacheNameDetails({ prefix: "dcc-m" });
workbox.core.clientsClaim();
self.skipWaiting();

const { registerRoute } = workbox.routing;
const { NetworkFirst, StaleWhileRevalidate, CacheFirst } = workbox.strategies;
const { ExpirationPlugin } = workbox.expiration;

registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.pathname.startsWith("/m/"),
  new NetworkFirst({ cacheName: "dcc-m-pages", networkTimeoutSeconds: 4 })
);
registerRoute(
  ({ url, request }) => url.origin === self.location.origin && url.pathname.startsWith("/static/") &&
    ["script", "style", "image", "font"].includes(request.destination),
  new StaleWhileRevalidate({ cacheName: "dcc-m-static" })
);
registerRoute(
  ({ url, request }) => request.method === "GET" && url.origin === self.location.origin &&
    (url.pathname.startsWith("/api/v1/cases/") || url.pathname.startsWith("/api/v1/mobile/")),
  new NetworkFirst({
    cacheName: "dcc-m-api", networkTimeoutSeconds: 5,
    plugins: [new ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 7 * 24 * 3600 })],
  })
);
registerRoute(
  ({ request, url }) => request.destination === "image" && url.origin !== self.location.origin,
  new CacheFirst({
    cacheName: "dcc-m-tiles", plugins: [new ExpirationPlugin({ maxEntries: 300, maxAgeSeconds: 7 * 24 * 3600 })],
  })
);
