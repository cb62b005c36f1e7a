// The field officer's app on his phone: registers the service worker (offline shell), shows
// the outbox (static/js/outbox.js) with each item's state, and puts what the pages submit
// (the report form, dispatch taps, status, check-ins, TPS returns) into it. The texts come
// from data-msg-* attributes rendered by Django in the officer's language.
(function () {
  "use strict";
  var Outbox = window.SispamOutbox;
  var app = document.getElementById("field-app");
  if (!app || !Outbox || !window.indexedDB) { return; }
  var user = app.dataset.user;
  var smsEl = document.getElementById("sms-codes");
  var SMS = smsEl ? JSON.parse(smsEl.textContent) : null;
  var RETRY_MS = 15000;

  function msg(name) { return app.dataset["msg" + name] || name; }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function phoneTime() {
    // The phone's clock with its offset, as the server keeps it beside its own time.
    var d = new Date();
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    var pad = function (n) { return String(Math.floor(Math.abs(n))).padStart(2, "0"); };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(off / 60) + ":" + pad(off % 60);
  }

  // --- SMS when data fails (incidents/sms.py has the format and the same check digit) -------
  function checkDigit(body) {
    var sum = 0;
    for (var i = 0; i < body.length; i++) { sum += (i + 1) * body.charCodeAt(i); }
    return String(sum % 10);
  }
  function slug(name) {
    return String(name || "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }
  function smsText(item) {
    var b = item.body || {};
    var words = null;
    if (item.kind === "incident") {
      var place = b.tps ? "T" + b.tps
        : (b.lat !== undefined && b.lon !== undefined) ? "P" + Number(b.lat).toFixed(5) + "," + Number(b.lon).toFixed(5)
        : b.kelurahan ? "K" + slug(b.kelurahan) : null;
      var colour = SMS.colours[b.colour], type = SMS.types[b.type];
      if (!place || !colour || !type) { return null; }
      words = [SMS.prefix, "L", place, colour, type, String(b.crowd_size || 0), String(b.casualties || 0), item.key];
    } else if (item.kind === "tps_return") {
      var status = SMS.statuses[b.status];
      if (!b.tps || !status) { return null; }
      words = [SMS.prefix, "T", String(b.tps), status, item.incidents ? "1" : "0", item.key];
    }
    if (!words) { return null; }
    var body = words.join(" ");
    return body + " " + checkDigit(body);
  }
  function smsLink(item) {
    // Offered once an item has waited long enough for data; the same key makes the later data
    // copy the same report, so sending both never doubles it.
    if (!SMS || !SMS.number || item.state !== "waiting") { return null; }
    if (Date.now() - new Date(item.created).getTime() < SMS.after_minutes * 60000) { return null; }
    var text = smsText(item);
    if (!text) { return null; }
    var a = el("a", { "class": "sms-link button", href: "sms:" + SMS.number + "?body=" + encodeURIComponent(text), "data-text": text }, msg("Sms"));
    a.title = msg("Smshint");
    return a;
  }

  // --- The outbox, on every field page ------------------------------------------------------
  var box = document.getElementById("outbox");
  var flushing = false;

  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    return Outbox.flush().then(function (r) {
      flushing = false;
      if (r && r.stopped === "signed-out") { say(msg("Signedout"), "invalid"); }
    }, function () { flushing = false; });
  }

  function stateText(item) {
    if (item.state === "sent") {
      var id = item.server_id && item.server_id !== true ? " #" + item.server_id : "";
      return msg("Sent") + id;
    }
    if (item.state === "refused") { return msg("Refused"); }
    if (item.state === "sending") { return msg("Sending"); }
    return msg("Waiting");
  }

  // The line at the top of the page follows the last item this page queued.
  var lastKey = null;
  function follow(items) {
    var item = items.filter(function (i) { return i.key === lastKey; })[0];
    if (!item) { return; }
    if (item.state === "sent") {
      var id = item.server_id && item.server_id !== true ? " #" + item.server_id : "";
      say(msg("Sent") + id, "sent");
    } else if (item.state === "refused") {
      say(msg("Refused") + ": " + (item.reason || ""), "invalid");
    } else if (item.state === "sending") {
      say(msg("Sending"), "sending");
    } else {
      say(msg("Queued"), "pending");
    }
  }

  function render() {
    return Outbox.list(user).then(function (items) {
      follow(items);
      if (!box) { return; }
      var listEl = box.querySelector("ul");
      listEl.textContent = "";
      box.hidden = items.length === 0;
      items.slice().reverse().forEach(function (item) {
        var li = el("li", { "class": "outbox-item state-" + item.state, "data-key": item.key,
                             "data-kind": item.kind });
        li.appendChild(el("strong", {}, item.label));
        li.appendChild(el("span", { "class": "outbox-state" }, " · " + stateText(item)));
        var when = new Date(item.created);
        li.appendChild(el("time", { datetime: when.toISOString() },
          " " + window.Sispam.when(when)));
        var sms = smsLink(item);
        if (sms) { li.appendChild(document.createTextNode(" ")); li.appendChild(sms); }
        if (item.state === "refused" && item.reason) {
          li.appendChild(el("p", { "class": "error outbox-reason" }, item.reason));
        }
        (item.photos || []).forEach(function (photo) {
          if (photo.error) { li.appendChild(el("p", { "class": "error" }, msg("Photorefused") + ": " + photo.error)); }
        });
        if (item.state === "waiting" && item.reason && item.attempts) {
          li.appendChild(el("p", { "class": "muted" }, msg("Retry")));
        }
        if (item.state === "refused" || item.state === "sent") {
          var actions = el("div", { "class": "outbox-actions" });
          if (item.state === "refused" && item.kind === "incident" && window.SispamReportForm) {
            var fix = el("button", { type: "button", "class": "secondary outbox-fix" }, msg("Fix"));
            fix.addEventListener("click", function () {
              window.SispamReportForm.restore(item.body);
              Outbox.remove(item.key);
            });
            actions.appendChild(fix);
          }
          var drop = el("button", { type: "button", "class": "secondary outbox-remove" }, msg("Remove"));
          drop.addEventListener("click", function () { Outbox.remove(item.key); });
          actions.appendChild(drop);
          li.appendChild(actions);
        }
        listEl.appendChild(li);
      });
    });
  }

  var statusEl = document.getElementById("send-status");
  function say(text, kind) {
    if (!statusEl) { return; }
    statusEl.textContent = text;
    statusEl.className = "send-status " + (kind || "");
  }

  var MAX_SIDE = 1600;
  // A photo resized on the phone (longest side MAX_SIDE px, JPEG) before it waits in the outbox.
  function resize(file) {
    if (!window.createImageBitmap) { return Promise.resolve({ blob: file, name: file.name }); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve({ blob: blob || file, name: (file.name || "foto").replace(/\.\w+$/, "") + ".jpg" });
        }, "image/jpeg", 0.85);
      });
    }, function () { return { blob: file, name: file.name }; });
  }


  // Queue an item and try to send it at once; the officer sees it waiting meanwhile.
  function queue(item) {
    item.owner = user;
    return Outbox.add(item).then(function () {
      lastKey = item.key;
      say(msg("Queued"), "pending");
      if ("serviceWorker" in navigator && navigator.serviceWorker.ready) {
        navigator.serviceWorker.ready.then(function (reg) {
          if (reg.sync) { return reg.sync.register("sispam-outbox").catch(function () {}); }
        });
      }
      return flush();
    });
  }
  window.SispamField = { queue: queue, resize: resize, phoneTime: phoneTime, msg: msg, el: el, render: render };

  Promise.all([Outbox.meta("user", user), Outbox.meta("csrf", Sispam.csrf(app))]).then(function () {
    render();
    flush();
  });
  if (typeof BroadcastChannel !== "undefined") {
    new BroadcastChannel(Outbox.CHANNEL).onmessage = function () { render(); };
  }
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { flush(); }
  });
  setInterval(flush, RETRY_MS);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.sw, { scope: "/" }).catch(function () {});
  }
  // Signing out of a shared phone: the worker empties its caches; the outbox keeps the items
  // (they carry their owner and leave only under his session).
  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function () {
      Outbox.meta("user", null);
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "signed-out" });
      }
    });
  });
})();
