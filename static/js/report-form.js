// Sispam field report form: each report goes to the phone's outbox (static/js/outbox.js) with
// its own Idempotency-Key and its photos resized here (longest side 1600 px, JPEG), then
// leaves when the network answers; several reports may wait at once, none is ever dropped.
// The phone's position picks the nearest TPS and its kelurahan. Without this script the form
// still posts to the server the classic way.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var Field = window.SispamField;
  if (!form || !Field || !window.fetch) { return; }
  var keyEl = document.getElementById("id_idempotency_key");
  var statusEl = document.getElementById("send-status");
  var fields = ["type", "occurred_at", "tps", "post", "kelurahan", "lat", "lon",
                "description", "crowd_size", "casualties"];
  var OLD_DRAFT = "sispam-report-draft";  // the single draft of earlier versions
  var TYPING = "sispam-report-typing";  // the report being written, until it is queued

  function msg(name) { return form.dataset["msg" + name] || ""; }
  function say(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "send-status " + (kind || "");
  }
  function colour() {
    var checked = form.querySelector("input[name=colour]:checked");
    return checked ? checked.value : "hijau";
  }
  function payload() {
    var body = { colour: colour() };
    fields.forEach(function (name) {
      var input = form.elements[name];
      if (input && input.value !== "") { body[name] = input.value; }
    });
    if (body.occurred_at && body.occurred_at.length === 16) {
      body.occurred_at = body.occurred_at + ":00+07:00";  // the form's local time is WIB
    }
    ["lat", "lon"].forEach(function (k) {
      if (body[k] !== undefined) { body[k] = parseFloat(String(body[k]).replace(",", ".")); }
    });
    ["tps", "post", "crowd_size", "casualties"].forEach(function (k) {
      if (body[k] !== undefined) { body[k] = parseInt(body[k], 10); }
    });
    return body;
  }
  function restore(body) {
    Object.keys(body || {}).forEach(function (name) {
      if (name === "colour") {
        var radio = form.querySelector("input[name=colour][value=" + body.colour + "]");
        if (radio) { radio.checked = true; }
        return;
      }
      var input = form.elements[name];
      if (!input) { return; }
      var value = body[name];
      if (name === "occurred_at" && typeof value === "string") { value = value.slice(0, 16); }
      input.value = value;
    });
    say(msg("Restored"), "pending");
    form.scrollIntoView();
  }
  window.SispamReportForm = { restore: restore };

  function label() {
    var type = form.elements.type;
    var tps = form.elements.tps;
    var text = type.options[type.selectedIndex].text;
    if (tps && tps.value) { text += " · " + tps.options[tps.selectedIndex].text; }
    return text;
  }

  // Photos go resized (SispamField.resize: at most 1600 px on the longest side, JPEG; a
  // picture the browser cannot decode goes as it is, the server says if it refuses it).
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = form.elements.photos ? Array.prototype.slice.call(form.elements.photos.files, 0, 5) : [];
    var body = payload();
    var item = {
      key: keyEl.value || window.SispamOutbox.newKey(),
      kind: "incident",
      label: label(),
      url: form.dataset.api,
      photos_url: form.dataset.api + "{id}/photos/",
      body: body
    };
    Promise.all(files.map(Field.resize)).then(function (photos) {
      item.photos = photos;
      return Field.queue(item);
    }).then(function () {
      form.reset();
      keyEl.value = window.SispamOutbox.newKey();
      try { localStorage.removeItem(TYPING); } catch (e) { /* no storage */ }
      preselect();
    });
  });

  // What he is typing survives a reload (a phone that locks, a tab the browser kills).
  function keepTyping() {
    try { localStorage.setItem(TYPING, JSON.stringify(payload())); } catch (e) { /* full */ }
  }
  form.addEventListener("input", keepTyping);
  form.addEventListener("change", keepTyping);
  try {
    var typing = JSON.parse(localStorage.getItem(TYPING) || "null");
    if (typing && typing.description) { restore(typing); }
  } catch (e) { /* nothing kept */ }

  // --- Quick to fill ----------------------------------------------------------------------
  var tpsSelect = form.elements.tps;
  function preselect() {
    // The officer's assigned TPS first and chosen (the server marks it data-assigned).
    var mine = tpsSelect && tpsSelect.querySelector("option[data-assigned]");
    if (mine && !tpsSelect.value) { tpsSelect.value = mine.value; }
  }
  function nearest(lat, lon) {
    var best = null;
    var bestD = Infinity;
    Array.prototype.forEach.call(tpsSelect.options, function (opt) {
      if (!opt.dataset.lat) { return; }
      var dy = parseFloat(opt.dataset.lat) - lat;
      var dx = (parseFloat(opt.dataset.lon) - lon) * Math.cos(lat * Math.PI / 180);
      var d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = opt; }
    });
    return best;
  }
  var search = document.getElementById("tps-search");
  if (search && tpsSelect) {
    search.hidden = false;
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(tpsSelect.options, function (opt) {
        var match = !q || !opt.value || opt.text.toLowerCase().indexOf(q) >= 0;
        opt.hidden = !match;
        if (match && opt.value && !first) { first = opt; }
      });
      if (first && q) { tpsSelect.value = first.value; }
    });
  }
  var locate = document.getElementById("use-location");
  if (locate) {
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) { say(msg("Noloc"), "invalid"); return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.lat.value = pos.coords.latitude.toFixed(6);
        form.elements.lon.value = pos.coords.longitude.toFixed(6);
        var opt = tpsSelect && nearest(pos.coords.latitude, pos.coords.longitude);
        if (opt) {
          tpsSelect.value = opt.value;
          if (form.elements.kelurahan && opt.dataset.kelurahan) {
            form.elements.kelurahan.value = opt.dataset.kelurahan;
          }
          say(msg("Nearest") + " " + opt.text, "sent");
        }
      }, function () { say(msg("Noloc"), "invalid"); }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
  preselect();

  // A draft kept by an earlier version of this page: into the outbox, not lost.
  try {
    var old = JSON.parse(localStorage.getItem(OLD_DRAFT) || "null");
    if (old && old.data && old.pending) {
      Field.queue({ key: old.key, kind: "incident", label: msg("Olddraft"), url: form.dataset.api,
                    photos_url: form.dataset.api + "{id}/photos/", body: old.data });
    }
    localStorage.removeItem(OLD_DRAFT);
  } catch (e) { /* no storage: nothing to carry over */ }
})();
