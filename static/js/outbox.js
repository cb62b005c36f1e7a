// The field officer's outbox: everything he submits (reports with photos, dispatch taps, his
// status, check-ins, TPS returns) is written to IndexedDB first, each item with the
// Idempotency-Key made here on the phone, and sent in order when the network answers. Loaded
// by the pages and by the service worker (sw.js), so it uses no DOM. Needs idb (vendored).
//
// An item: {key, owner, kind, label, url, body, photos: [{blob, name, sent, error}], photos_url,
// created, state: "waiting" | "sending" | "sent" | "refused", attempts, server_id, reason,
// sent_at}. Nothing leaves the outbox but by the officer's own "remove" of a refused or sent item.
(function (root) {
  "use strict";
  var DB_NAME = "sispam-field";
  var CHANNEL = "sispam-outbox";
  var REFUSED = [400, 403, 404, 409, 413, 422];
  var dbPromise = null;
  var busy = false;

  function db() {
    if (!dbPromise) {
      dbPromise = root.idb.openDB(DB_NAME, 1, {
        upgrade: function (d) {
          var store = d.createObjectStore("outbox", { keyPath: "key" });
          store.createIndex("created", "created");
          d.createObjectStore("meta");
        }
      });
    }
    return dbPromise;
  }

  function announce(detail) {
    if (typeof BroadcastChannel === "undefined") { return; }
    var channel = new BroadcastChannel(CHANNEL);
    channel.postMessage(detail || { type: "changed" });
    channel.close();
  }

  function newKey() {
    if (root.crypto && root.crypto.randomUUID) { return root.crypto.randomUUID(); }
    return "k-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  function meta(name, value) {
    return db().then(function (d) {
      if (value === undefined) { return d.get("meta", name); }
      return d.put("meta", value, name);
    });
  }

  function put(item) {
    return db().then(function (d) { return d.put("outbox", item); }).then(function () {
      announce();
      return item;
    });
  }

  function add(item) {
    item.key = item.key || newKey();
    item.created = item.created || Date.now();
    item.state = "waiting";
    item.attempts = 0;
    item.photos = item.photos || [];
    return put(item);
  }

  function list(owner) {
    return db().then(function (d) { return d.getAllFromIndex("outbox", "created"); })
      .then(function (items) {
        return items.filter(function (item) { return !owner || item.owner === owner; });
      });
  }

  function remove(key) {
    return db().then(function (d) { return d.delete("outbox", key); }).then(function () {
      announce();
    });
  }

  // What the server said, in one line: its `detail`, or each field's first message.
  function reasonOf(status, body) {
    if (body && typeof body === "object") {
      if (body.detail) { return String(body.detail); }
      var parts = [];
      Object.keys(body).forEach(function (field) {
        if (field === "code") { return; }
        var value = body[field];
        parts.push(field + ": " + [].concat(value).join(" "));
      });
      if (parts.length) { return parts.join("; "); }
    }
    return "HTTP " + status;
  }

  function Offline(reason) { this.reason = reason; }

  function answer(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      return { status: response.status, body: body };
    });
  }

  function post(url, init) {
    return fetch(url, init).then(answer, function () { throw new Offline("network"); });
  }

  function sendPhotos(item, csrf) {
    var chain = Promise.resolve();
    item.photos.forEach(function (photo, index) {
      chain = chain.then(function () {
        if (photo.sent || photo.error) { return; }
        var data = new FormData();
        data.append("photo", photo.blob, photo.name || "foto-" + (index + 1) + ".jpg");
        return post(item.photos_url.replace("{id}", item.server_id), {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf || "", "Accept": "application/json",
                     "Idempotency-Key": item.key + "-foto-" + index }
        }).then(function (r) {
          if (r.status >= 200 && r.status < 300) { photo.sent = true; return put(item); }
          if (REFUSED.indexOf(r.status) >= 0) {
            photo.error = reasonOf(r.status, r.body);
            return put(item);
          }
          throw new Offline("HTTP " + r.status);
        });
      });
    });
    return chain;
  }

  function send(item, csrf) {
    item.state = "sending";
    item.attempts = (item.attempts || 0) + 1;
    return put(item).then(function () {
      if (item.server_id) { return null; }
      return post(item.url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "Idempotency-Key": item.key,
          "X-CSRFToken": csrf || ""
        },
        body: JSON.stringify(item.body)
      });
    }).then(function (r) {
      if (r === null) { return; }
      if (r.status >= 200 && r.status < 300) {
        item.server_id = (r.body && r.body.id) || true;
        item.answer = r.body;
        return put(item);
      }
      if (r.status === 401) { throw new Offline("signed-out"); }
      if (REFUSED.indexOf(r.status) >= 0) {
        item.state = "refused";
        item.reason = reasonOf(r.status, r.body);
        return put(item).then(function () { throw "refused"; });
      }
      throw new Offline("HTTP " + r.status);  // 429, 5xx, 503 in an outage: later
    }).then(function () {
      return item.photos.length ? sendPhotos(item, csrf) : null;
    }).then(function () {
      item.state = "sent";
      item.sent_at = Date.now();
      return put(item);
    }).catch(function (error) {
      if (error === "refused") { return; }
      item.state = "waiting";
      item.reason = error instanceof Offline ? error.reason : String(error);
      return put(item).then(function () { throw error; });
    });
  }

  // Send every waiting item of the signed-in officer, oldest first; stop at the first that
  // cannot leave (no network, server away), so the order holds. Page and worker share a lock.
  function flushNow() {
    return Promise.all([meta("user"), meta("csrf")]).then(function (values) {
      var user = values[0];
      var csrf = values[1];
      if (!user) { return { sent: 0, stopped: "no-user" }; }
      return list(user).then(function (items) {
        var pending = items.filter(function (i) { return i.state === "waiting" || i.state === "sending"; });
        var sent = 0;
        var chain = Promise.resolve();
        pending.forEach(function (item) {
          chain = chain.then(function () {
            return send(item, csrf).then(function () { sent += 1; });
          });
        });
        return chain.then(function () { return { sent: sent, stopped: null }; }, function (error) {
          return { sent: sent, stopped: error instanceof Offline ? error.reason : String(error) };
        });
      });
    });
  }

  function flush() {
    if (root.navigator && root.navigator.locks) {
      return root.navigator.locks.request("sispam-outbox", flushNow);
    }
    if (busy) { return Promise.resolve({ sent: 0, stopped: "busy" }); }
    busy = true;
    return flushNow().then(function (r) { busy = false; return r; }, function (e) {
      busy = false;
      throw e;
    });
  }

  root.SispamOutbox = {
    add: add,
    list: list,
    remove: remove,
    flush: flush,
    meta: meta,
    newKey: newKey,
    CHANNEL: CHANNEL
  };
})(typeof self !== "undefined" ? self : window);
