// Sispam field report form: keeps a draft on the phone, sends through the API with an
// Idempotency-Key and retries until the network answers, so a report is never lost and never
// sent twice. Without this script the form still posts to the server the classic way.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.fetch || !window.localStorage) { return; }
  var DRAFT = "sispam-report-draft";
  var statusEl = document.getElementById("send-status");
  var keyEl = document.getElementById("id_idempotency_key");
  var fields = ["type", "occurred_at", "tps", "post", "kelurahan", "lat", "lon",
                "description", "crowd_size", "casualties"];
  var retryDelay = 2000;
  var retryTimer = null;
  var sending = false;

  function msg(name) { return form.dataset["msg" + name] || ""; }
  function say(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "send-status " + (kind || "");
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "k-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }
  function colour() {
    var checked = form.querySelector("input[name=colour]:checked");
    return checked ? checked.value : "hijau";
  }
  function collect() {
    var data = { colour: colour() };
    fields.forEach(function (name) {
      var el = form.elements[name];
      if (el && el.value !== "") { data[name] = el.value; }
    });
    return data;
  }
  function saveDraft(pending) {
    var draft = { key: keyEl.value, data: collect(), pending: !!pending, saved: Date.now() };
    localStorage.setItem(DRAFT, JSON.stringify(draft));
  }
  function loadDraft() {
    try { return JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { return null; }
  }
  function restore(draft) {
    keyEl.value = draft.key;
    Object.keys(draft.data).forEach(function (name) {
      if (name === "colour") {
        var radio = form.querySelector("input[name=colour][value=" + draft.data.colour + "]");
        if (radio) { radio.checked = true; }
      } else if (form.elements[name]) {
        form.elements[name].value = draft.data[name];
      }
    });
  }
  function showErrors(body) {
    form.querySelectorAll(".field-error").forEach(function (p) { p.textContent = ""; });
    Object.keys(body || {}).forEach(function (field) {
      var target = form.querySelector(".field-error[data-for=" + field + "]") ||
        form.querySelector(".field-error[data-for=location]");
      var value = body[field];
      if (target && field !== "code") { target.textContent = [].concat(value).join(" "); }
    });
  }
  function payload(data) {
    var body = {};
    Object.keys(data).forEach(function (k) { body[k] = data[k]; });
    if (body.occurred_at && body.occurred_at.length === 16) {
      body.occurred_at = body.occurred_at + ":00+07:00";  // the form's local time is WIB
    }
    ["lat", "lon"].forEach(function (k) {
      if (body[k] !== undefined) { body[k] = parseFloat(String(body[k]).replace(",", ".")); }
    });
    return JSON.stringify(body);
  }
  function scheduleRetry() {
    clearTimeout(retryTimer);
    if (navigator.onLine === false) {
      // No network at all: look again every few seconds (and at once on the "online" event)
      // rather than backing off, so the report leaves as soon as a signal is back.
      retryTimer = setTimeout(send, 5000);
      return;
    }
    retryTimer = setTimeout(send, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }
  function uploadPhotos(incidentId, files, index) {
    if (index >= files.length) { return Promise.resolve(); }
    var data = new FormData();
    data.append("photo", files[index]);
    return fetch(form.dataset.api + incidentId + "/photos/", {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": Sispam.csrf(form) }
    }).then(function (r) {
      if (r.status >= 500) { throw new Error("photo " + r.status); }
      return uploadPhotos(incidentId, files, index + 1);
    }, function () {
      say(msg("Photo"), "pending");
      return new Promise(function (resolve) { setTimeout(resolve, 3000); })
        .then(function () { return uploadPhotos(incidentId, files, index); });
    });
  }
  function done(body) {
    var files = form.elements.photos ? Array.prototype.slice.call(form.elements.photos.files) : [];
    return uploadPhotos(body.id, files, 0).then(function () {
      localStorage.removeItem(DRAFT);
      say(msg("Sent") + " #" + body.id, "sent");
      form.reset();
      keyEl.value = newKey();
      sending = false;
    });
  }
  function send() {
    var draft = loadDraft();
    if (!draft || !draft.pending) { sending = false; return; }
    sending = true;
    say(msg("Sending"), "sending");
    fetch(form.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": draft.key,
        "X-CSRFToken": Sispam.csrf(form)
      },
      body: payload(draft.data)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (r.status === 200 || r.status === 201) {
          retryDelay = 2000;
          return done(body);
        }
        if (r.status === 400 || r.status === 422) {
          // The report itself is wrong: keep the draft, stop retrying, show why.
          saveDraft(false);
          sending = false;
          showErrors(body);
          say(msg("Invalid"), "invalid");
          return;
        }
        if (r.status === 401 || r.status === 403) {
          saveDraft(true);
          sending = false;
          say(msg("Pending"), "pending");
          return;
        }
        throw new Error("HTTP " + r.status);  // 429, 5xx: try again later
      });
    }).catch(function () {
      say(msg("Pending"), "pending");
      scheduleRetry();
    });
  }

  var existing = loadDraft();
  if (existing && existing.data) {
    restore(existing);
    say(msg("Restored"), "pending");
    if (existing.pending) { send(); }
  }
  form.addEventListener("input", function () { if (!sending) { saveDraft(false); } });
  form.addEventListener("change", function () { if (!sending) { saveDraft(false); } });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }
    saveDraft(true);
    retryDelay = 2000;
    send();
  });
  window.addEventListener("online", function () {
    var draft = loadDraft();
    if (draft && draft.pending) { clearTimeout(retryTimer); retryDelay = 2000; send(); }
  });
  var locate = document.getElementById("use-location");
  if (locate) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) { say(msg("Noloc"), "invalid"); return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lon.value = pos.coords.longitude.toFixed(6);
        saveDraft(false);
      }, function () { say(msg("Noloc"), "invalid"); }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
})();
