{% load static %}/* Sispam's service worker (served at /sw.js so that it controls the field officer's pages).
   Rendered by Django: the shell's addresses below are the static files' real (hashed) names.
   Version {{ version }}: a new build of the shell changes this file, so phones install it anew. */
"use strict";
// Workbox's parts, each one of our own static files, loaded in their order (core first): no
// loader that would fetch them from anywhere else.
{% for url in workbox_urls %}importScripts("{{ url }}");
{% endfor %}importScripts("{% static 'vendor/idb/idb-8.0.4.umd.js' %}");
importScripts("{% static 'js/outbox.js' %}");
workbox.core.setCacheNameDetails({ prefix: "sispam-workbox" });

var VERSION = "{{ version }}";
var PAGES = "sispam-pages-" + VERSION;
var STATIC = "sispam-static-" + VERSION;
var DATA = "sispam-data";
var SHELL_PAGES = {{ pages_json|safe }};
var SHELL_STATIC = {{ static_json|safe }};
var DATA_URLS = {{ data_json|safe }};

self.addEventListener("install", function (event) {
  // The shell in the cache before the worker takes over: pages open offline after one visit.
  event.waitUntil(
    caches.open(STATIC).then(function (cache) { return cache.addAll(SHELL_STATIC); })
      .then(function () { return caches.open(PAGES); })
      .then(function (cache) {
        return Promise.all(SHELL_PAGES.map(function (url) {
          return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
            if (r.ok) { return cache.put(url, r); }
          }).catch(function () {});
        }));
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("sispam-") === 0 && name !== PAGES && name !== STATIC && name !== DATA;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// The officer's pages: the network when it answers within a few seconds (fresh data, the
// current CSRF token), else the copy from his last visit.
workbox.routing.registerRoute(
  function (ctx) { return ctx.request.mode === "navigate" && SHELL_PAGES.indexOf(ctx.url.pathname) >= 0; },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: 4,
    plugins: [{ cacheWillUpdate: function (p) { return p.response.status === 200 && !p.response.redirected ? p.response : null; } }]
  })
);
// What the pages read to show his duty and his reports: the same, kept for offline.
workbox.routing.registerRoute(
  function (ctx) { return ctx.request.method === "GET" && DATA_URLS.indexOf(ctx.url.pathname) >= 0; },
  new workbox.strategies.NetworkFirst({ cacheName: DATA, networkTimeoutSeconds: 4 })
);
// Static files have content-hashed names in production: the cached copy is the right one.
workbox.routing.registerRoute(
  function (ctx) { return ctx.url.origin === self.location.origin && ctx.url.pathname.indexOf("{% get_static_prefix %}") === 0; },
  new workbox.strategies.CacheFirst({ cacheName: STATIC })
);

// Background sync where the browser has it: the outbox goes out even with the app closed.
self.addEventListener("sync", function (event) {
  if (event.tag === "sispam-outbox") { event.waitUntil(SispamOutbox.flush()); }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "flush") { event.waitUntil(SispamOutbox.flush()); }
  if (data.type === "signed-out") {
    // A shared phone: the next user must not open the last one's pages from the cache.
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf("sispam-") === 0; })
        .map(function (n) { return caches.delete(n); }));
    }));
  }
});
