// The escort commander's steps (departed, position, stopped, resumed, arrived, handover) into
// the phone's outbox (static/js/outbox.js via field.js), sent when the network answers, each
// with its Idempotency-Key made here; the server checks he is on the leg's escort and compares
// the handover with the manifest (logistics/services.py).
(function () {
  "use strict";
  var Field = window.SispamField;
  if (!Field || !window.SispamOutbox) { return; }
  var position = null;
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (p) {
      position = { lat: Number(p.coords.latitude.toFixed(6)), lon: Number(p.coords.longitude.toFixed(6)) };
    }, function () {}, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  function seals(text) {
    return String(text || "").split(/[\s,;]+/).filter(Boolean).map(function (s) { return s.toUpperCase(); });
  }
  document.querySelectorAll("form.escort-step").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submitter = event.submitter;
      var kind = (submitter && submitter.value) || form.elements.kind.value;
      var body = { kind: kind };
      if (position) { body.lat = position.lat; body.lon = position.lon; }
      if (form.elements.note) { body.note = form.elements.note.value.trim(); }
      if (kind === "serah_terima") {
        body.receiver_name = form.elements.receiver_name.value.trim();
        body.receiver_role = form.elements.receiver_role.value;
        body.seals = seals(form.elements.seals.value);
        body.counts = {};
        form.querySelectorAll("input[data-item]").forEach(function (input) {
          if (input.value.trim() !== "") { body.counts[input.dataset.item] = Number(input.value); }
        });
      }
      var files = form.elements.photo ? Array.prototype.slice.call(form.elements.photo.files, 0, 3) : [];
      var label = form.dataset.leg + " · " + (submitter ? submitter.textContent.trim() : kind);
      var key = form.elements.idempotency_key.value || window.SispamOutbox.newKey();
      Promise.all(files.map(Field.resize)).then(function (photos) {
        return Field.queue({
          key: key, kind: "custody", label: label, url: form.dataset.api,
          photos_url: form.dataset.photos.replace("/0/", "/{id}/"), photos: photos, body: body
        });
      }).then(function () {
        form.elements.idempotency_key.value = window.SispamOutbox.newKey();
        if (form.elements.note) { form.elements.note.value = ""; }
      });
    });
  });
})();
