// Tugas saya: the dispatches sent to the officer with one tap for each step (berangkat, tiba,
// selesai), his own status, and the check-in (apel) at each post he is assigned to. The duty
// comes from GET /api/v1/me/duty/ (the service worker keeps the last answer for offline);
// every tap is an outbox item (static/js/field.js) with the phone's time, sent in order.
(function () {
  "use strict";
  var root = document.getElementById("duty");
  var Field = window.SispamField;
  if (!root || !Field) { return; }
  var STEPS = ["berangkat", "tiba", "selesai"];
  var STATUSES = ["bertugas", "istirahat", "lepas_dinas", "butuh_bantuan"];
  var el = Field.el;
  function msg(name) { return root.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || name; }

  function pendingSteps() {
    // Steps tapped but not yet at the server: shown as done-but-waiting, not offered again.
    return window.SispamOutbox.list(root.closest("body").querySelector("#field-app").dataset.user)
      .then(function (items) {
        var out = {};
        items.forEach(function (item) {
          if (item.kind === "dispatch" && item.state !== "refused") {
            out[item.body.dispatch_id] = out[item.body.dispatch_id] || [];
            out[item.body.dispatch_id].push(item.body.step);
          }
        });
        return out;
      });
  }

  function doneSteps(d) {
    var done = [];
    if (d.en_route_at) { done.push("berangkat"); }
    if (d.on_scene_at) { done.push("tiba"); }
    if (d.completed_at) { done.push("selesai"); }
    return done;
  }

  function tap(d, step) {
    var body = { step: step, phone_time: Field.phoneTime(), dispatch_id: d.id };
    return Field.queue({
      kind: "dispatch",
      label: msg(step) + " · " + msg("dispatch") + " #" + d.incident.id,
      url: root.dataset.progress.replace("{id}", d.id),
      body: body
    }).then(render);
  }

  function renderDispatches(duty, pending) {
    var list = root.querySelector("#my-dispatches ul");
    list.textContent = "";
    var open = (duty.dispatches || []).filter(function (d) { return !d.completed_at; });
    if (!open.length) {
      list.appendChild(el("li", { "class": "empty" }, msg("nodispatch")));
      return;
    }
    open.forEach(function (d) {
      var li = el("li", { "class": "dispatch", "data-dispatch": d.id });
      var inc = d.incident || {};
      li.appendChild(el("span", { "class": "badge colour-" + (inc.colour || "hijau") }, inc.colour || ""));
      li.appendChild(el("strong", {}, " " + (inc.type_label || inc.type || "") + " #" + inc.id));
      var where = [inc.tps, inc.kelurahan].filter(Boolean).join(", ");
      if (where) { li.appendChild(el("div", { "class": "muted" }, where)); }
      if (inc.summary) { li.appendChild(el("p", {}, inc.summary)); }
      var done = doneSteps(d);
      var waiting = pending[d.id] || [];
      var buttons = el("div", { "class": "buttons" });
      STEPS.forEach(function (step) {
        var b = el("button", { type: "button", "class": "step step-" + step, "data-step": step });
        if (done.indexOf(step) >= 0) {
          b.textContent = "✓ " + msg(step);
          b.disabled = true;
        } else if (waiting.indexOf(step) >= 0) {
          b.textContent = "⏳ " + msg(step) + " (" + msg("pending") + ")";
          b.disabled = true;
        } else {
          b.textContent = msg(step);
          b.addEventListener("click", function () { b.disabled = true; tap(d, step); });
        }
        buttons.appendChild(b);
      });
      li.appendChild(buttons);
      list.appendChild(li);
    });
  }

  function renderStatus(duty) {
    var box = root.querySelector("#my-status .buttons");
    box.textContent = "";
    var current = duty.officer ? duty.officer.status : null;
    STATUSES.forEach(function (status) {
      var b = el("button", { type: "button", "class": "status status-" + status, "data-status": status },
        msg(status));
      if (status === current) { b.setAttribute("aria-pressed", "true"); }
      b.addEventListener("click", function () {
        Field.queue({
          kind: "status",
          label: msg("status") + ": " + msg(status),
          url: root.dataset.status,
          body: { status: status, phone_time: Field.phoneTime() }
        });
        box.querySelectorAll("button").forEach(function (x) { x.removeAttribute("aria-pressed"); });
        b.setAttribute("aria-pressed", "true");
      });
      box.appendChild(b);
    });
  }

  function checkIn(assignment, button) {
    button.disabled = true;
    var send = function (coords) {
      Field.queue({
        kind: "checkin",
        label: msg("checkins") + " · " + assignment.post.name,
        url: root.dataset.checkins,
        body: {
          assignment: assignment.id,
          lat: coords ? coords.latitude : null,
          lon: coords ? coords.longitude : null,
          accuracy: coords ? coords.accuracy : null,
          phone_time: Field.phoneTime()
        }
      }).then(function () { button.disabled = false; });
    };
    if (!navigator.geolocation) { send(null); return; }
    navigator.geolocation.getCurrentPosition(function (pos) { send(pos.coords); },
      function () { send(null); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  function renderAssignments(duty) {
    (duty.assignments || []).forEach(function (a) {
      var li = document.querySelector("#my-assignments li[data-assignment='" + a.id + "']");
      if (!li || li.querySelector(".checkin")) { return; }
      var facts = [];
      if (a.commander) { facts.push(msg("commander") + ": " + a.commander); }
      if (a.radio_channel) { facts.push(msg("radio") + ": " + a.radio_channel); }
      if (facts.length) { li.appendChild(el("div", { "class": "muted" }, facts.join(" · "))); }
      var b = el("button", { type: "button", "class": "checkin secondary" }, msg("checkin"));
      b.addEventListener("click", function () { checkIn(a, b); });
      li.appendChild(b);
    });
  }

  var last = null;
  function render() {
    if (!last) { return Promise.resolve(); }
    return pendingSteps().then(function (pending) {
      renderDispatches(last, pending);
      renderStatus(last);
      renderAssignments(last);
    });
  }

  function load() {
    return fetch(root.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (duty) { last = duty; return render(); })
      .catch(function () { /* offline with nothing cached: the page's own lists stay */ });
  }
  load();
  if (typeof BroadcastChannel !== "undefined") {
    new BroadcastChannel(window.SispamOutbox.CHANNEL).onmessage = function () { render(); };
  }
  window.addEventListener("online", load);
  setInterval(function () { if (document.visibilityState === "visible") { load(); } }, 30000);
})();
