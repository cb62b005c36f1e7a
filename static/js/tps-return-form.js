// The TPS return form: into the phone's outbox (static/js/field.js), sent when the network
// answers; the server checks the TPS is his and the order only moves forward.
(function () {
  "use strict";
  var form = document.getElementById("tps-return-form");
  var Field = window.SispamField;
  if (!form || !Field) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var tps = form.elements.tps;
    var status = form.querySelector("input[name=status]:checked");
    var incidents = form.querySelector("input[name=incidents]:checked");
    var note = form.elements.note.value.trim();
    var prefix = incidents && incidents.value === "ada" ? form.dataset.msgSome : form.dataset.msgNone;
    Field.queue({
      key: form.elements.idempotency_key.value || window.SispamOutbox.newKey(),
      kind: "tps_return",
      label: tps.options[tps.selectedIndex].text + " · " + status.parentNode.textContent.trim(),
      url: form.dataset.api,
      incidents: Boolean(incidents && incidents.value === "ada"),  // for the SMS text
      body: { tps: parseInt(tps.value, 10), status: status.value, note: (prefix + " " + note).trim() }
    }).then(function () {
      form.elements.idempotency_key.value = window.SispamOutbox.newKey();
      form.elements.note.value = "";
    });
  });
})();
