// The command dashboard: live alert feed over the WebSocket (with catch-up after a dropped
// link), the map, filters, and the counters and plots refreshed in place. Never a full reload.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("dash-config").textContent);
  var t = JSON.parse(document.getElementById("dash-i18n").textContent);
  var feed = document.getElementById("alert-feed");
  var stateEl = document.getElementById("ws-state");
  var missedEl = document.getElementById("feed-missed");
  var countEl = document.getElementById("feed-count");
  var panel = document.getElementById("dash-panel");
  var form = document.getElementById("dash-filters");
  var mapEl = document.getElementById("dash-map");
  var lastId = config.lastAlertId || 0;
  var known = {};  // id -> the latest full data of each alert in the feed
  (config.alerts || []).forEach(function (a) { known[a.id] = a; });
  var query = new URLSearchParams(window.location.search);
  query.delete("dinding");
  var opsMap = null;

  function qs() { return query.toString(); }

  // ---- counters, plots and map, refreshed in place ----
  var refreshTimer = null;
  function refreshPanel() {
    // A partial update through htmx (static/vendor/htmx): the panel's HTML from the server,
    // swapped in place. An error answer is not swapped (what is shown stays; the next tick
    // tries again); a session that ended comes back as the login page: reload to it.
    return htmx.ajax("GET", config.panelUrl + "?" + qs(), { target: panel, swap: "innerHTML" })
      .catch(function () { /* keep what is shown; the next tick tries again */ });
  }
  panel.addEventListener("htmx:beforeSwap", function (evt) {
    var url = evt.detail.xhr.responseURL || "";
    if (url.indexOf("/accounts/login/") !== -1) {
      evt.detail.shouldSwap = false;
      window.location.reload();
    }
  });
  function refreshMap() {
    if (!opsMap) { return Promise.resolve(); }
    return opsMap.load(qs()).catch(function () { /* next tick */ });
  }
  function scheduleRefresh() {
    // The counters and plots after a push: coalesced, and spread over a few seconds so fifty
    // screens do not all ask at once. The map itself is updated from the push (the incident's
    // point, the alert's ring) and reloaded whole only every two minutes and after a catch-up.
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      refreshPanel();
    }, 1500 + Math.random() * 2500);
  }
  setInterval(refreshPanel, 30000);
  setInterval(refreshMap, 120000);

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      query = new URLSearchParams(new FormData(form));
      Array.from(query.keys()).forEach(function (k) { if (!query.get(k)) { query.delete(k); } });
      var url = window.location.pathname + (qs() ? "?" + qs() : "");
      window.history.replaceState(null, "", url);
      refreshPanel();
      refreshMap();
    });
    form.addEventListener("change", function () { form.requestSubmit(); });
  }

  // ---- wall mode ----
  var wallButton = document.getElementById("wall-toggle");
  function setWall(on) {
    document.body.classList.toggle("wall", on);
    wallButton.setAttribute("aria-pressed", on ? "true" : "false");
    if (opsMap) { setTimeout(function () { opsMap.map.invalidateSize(); }, 200); }
  }
  wallButton.addEventListener("click", function () {
    var on = !document.body.classList.contains("wall");
    setWall(on);
    if (on && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () { /* not allowed: wall mode anyway */ });
    } else if (!on && document.fullscreenElement) {
      document.exitFullscreen();
    }
  });

  // ---- the alert feed ----
  function el(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (value !== undefined) { node.textContent = value; }
    return node;
  }

  function renderAlert(a, missed) {
    var li = el("li", "feed-item level-" + a.level + (missed ? " missed" : ""));
    li.dataset.id = a.id;
    li.dataset.status = a.status || "open";
    var head = el("div", "feed-head");
    head.appendChild(el("span", "badge", t.alert_levels[a.level] || a.level));
    if (a.is_exercise) { head.appendChild(document.createTextNode(" ")); head.appendChild(el("span", "badge exercise", t.exercise)); }
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("strong", "feed-title", a.title));
    li.appendChild(head);
    var meta = [new Date(a.created_at || Date.now()).toLocaleString("id-ID", { timeZone: "Asia/Jakarta", day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit" })];
    if (a.kelurahan) { meta.push(a.kelurahan); }
    meta.push(t.alert_statuses[a.status || "open"] || a.status);
    if (a.escalation) { meta.push(t.escalation + " " + a.escalation); }
    var metaEl = el("div", "feed-meta", meta.join(" · "));
    var unacknowledged = !a.acknowledged_at && (a.status || "open") !== "acknowledged";
    if ((a.overdue || a.ack_overdue_at) && unacknowledged) {
      metaEl.appendChild(el("span", "overdue-flag", " · " + t.overdue));
    }
    li.appendChild(metaEl);
    if (a.reasons && a.reasons.length) {
      var ul = el("ul", "reasons");
      a.reasons.slice(0, 4).forEach(function (r) { ul.appendChild(el("li", null, r)); });
      li.appendChild(ul);
    }
    var refs = a.report_refs;
    if (refs && refs.length) {
      var p = el("p", "feed-reports", t.reports + ": ");
      refs.slice(0, 6).forEach(function (ref, i) {
        var node = ref.url ? el("a", null, ref.label) : el("span", null, ref.label);
        if (ref.url) { node.href = ref.url; }
        if (i) { p.appendChild(document.createTextNode(", ")); }
        p.appendChild(node);
      });
      li.appendChild(p);
    } else if (a.reports) {
      li.appendChild(el("p", "feed-reports", t.reports + ": " + a.reports));
    }
    var actions = el("div", "feed-actions");
    var status = a.status || "open";
    if (status === "open") {
      var ack = el("button", null, t.acknowledge); ack.type = "button"; ack.dataset.act = "acknowledge"; actions.appendChild(ack);
    }
    if (status !== "closed" && (a.escalation || 0) < 3) {
      var esc = el("button", null, t.escalate); esc.type = "button"; esc.dataset.act = "escalate"; actions.appendChild(esc);
    }
    if (status !== "closed") {
      var close = el("button", null, t.close); close.type = "button"; close.dataset.act = "close"; actions.appendChild(close);
    }
    li.appendChild(actions);
    return li;
  }

  // Escalating and closing ask why (the reason goes with the request; the server refuses none).
  var REASON_FIELD = { escalate: "note", close: "outcome" };

  function askReason(li, act) {
    var old = li.querySelector("form.feed-reason");
    if (old) { old.remove(); }
    var form = el("form", "feed-reason");
    form.dataset.act = act;
    var input = el("input");
    input.name = "reason"; input.required = true; input.maxLength = 1000;
    input.placeholder = act === "close" ? t.close_reason : t.escalate_reason;
    input.setAttribute("aria-label", input.placeholder);
    var send = el("button", null, t.send); send.type = "submit";
    var cancel = el("button", null, t.cancel); cancel.type = "button"; cancel.dataset.cancel = "1";
    form.appendChild(input); form.appendChild(send); form.appendChild(cancel);
    li.appendChild(form);
    input.focus();
  }

  function post(li, act, body, button) {
    button.disabled = true;
    fetch(config.alertsUrl + li.dataset.id + "/" + act + "/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": Sispam.csrf(), "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (a) { upsertAlert(a); scheduleRefresh(); })
      .catch(function () { button.disabled = false; button.title = t.failed; button.classList.add("failed"); });
  }

  feed.addEventListener("submit", function (event) {
    var form = event.target.closest("form.feed-reason");
    if (!form) { return; }
    event.preventDefault();
    var reason = form.elements.reason.value.trim();
    if (!reason) { form.elements.reason.focus(); return; }
    var body = {};
    body[REASON_FIELD[form.dataset.act]] = reason;
    post(form.closest("li.feed-item"), form.dataset.act, body, form.querySelector("button[type=submit]"));
  });

  function updateCount() {
    var n = feed.querySelectorAll("li.feed-item").length;
    countEl.textContent = n;
    var empty = feed.querySelector("li.empty");
    if (n && empty) { empty.remove(); }
    if (!n && !empty) { feed.appendChild(el("li", "empty", t.empty)); }
  }

  function cue(li) {
    li.classList.add("flash");
    document.body.classList.add("merah-cue");
    setTimeout(function () { document.body.classList.remove("merah-cue"); }, 8000);
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.6);
    } catch (e) { /* no sound allowed yet: the visual cue stands */ }
  }

  function upsertAlert(a, opts) {
    opts = opts || {};
    if (a.id > lastId) { lastId = a.id; }
    var old = feed.querySelector('li.feed-item[data-id="' + a.id + '"]');
    if (a.status === "closed") {
      if (old) { old.remove(); }
      delete known[a.id];
      updateCount();
      return null;
    }
    // An update carries only part of an alert (no time, no report links): keep the rest.
    var merged = Object.assign({}, known[a.id] || {}, a);
    known[a.id] = merged;
    var li = renderAlert(merged, opts.missed || (old && old.classList.contains("missed")));
    // A reason being typed survives the card being drawn again by a push.
    var pending = old && old.querySelector("form.feed-reason");
    if (pending && !pending.querySelector("button[type=submit]").disabled) { li.appendChild(pending); }
    if (old) { feed.replaceChild(li, old); } else { feed.insertBefore(li, feed.firstChild); }
    if (!old && a.level === "merah" && opts.fresh) { cue(li); }
    updateCount();
    return li;
  }

  feed.addEventListener("click", function (event) {
    var cancel = event.target.closest("button[data-cancel]");
    if (cancel) { cancel.closest("form").remove(); return; }
    var button = event.target.closest("button[data-act]");
    if (!button) { return; }
    var li = button.closest("li.feed-item");
    if (REASON_FIELD[button.dataset.act]) { askReason(li, button.dataset.act); return; }
    post(li, button.dataset.act, {}, button);
  });

  // ---- the WebSocket, with reconnection and catch-up ----
  var socket = null, retries = 0, dropped = false, pingTimer = null, pongDue = null;

  function setState(state) {
    stateEl.dataset.state = state;
    stateEl.textContent = t[state];
  }

  var catchingUp = false;
  var buffered = [];

  function getAll(url, rows) {
    // Every page of a list answer (a long outage can leave more than one page behind).
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (page) {
        rows = rows.concat(page.results || []);
        return page.next ? getAll(page.next, rows) : rows;
      });
  }

  function missedSince(since, pageSize, markMissed) {
    // Alerts raised after `since` (the alert id is the sequence) into the feed; how many.
    return getAll(config.alertsUrl + "?since=" + since + "&page_size=" + pageSize, [])
      .then(function (missed) {
        missed.forEach(function (a) { upsertAlert(a, { missed: markMissed, fresh: true }); });
        return missed.length;
      });
  }

  function catchUp(afterDrop) {
    // What was raised since the newest alert this page knows (while the link was down, or
    // between building the page and opening the socket), oldest first; then the open list
    // again, for acknowledgements and closures made meanwhile on other screens. Pushes that
    // arrive during the catch-up wait and are applied after it, so they are never overwritten.
    var since = lastId;
    catchingUp = true;
    var missedCount = 0;
    return missedSince(since, 200, afterDrop)
      .then(function (count) {
        missedCount = count;
        return getAll(config.alertsUrl + "?open=true&page_size=200", []);
      })
      .then(function (open) {
        var isOpen = {};
        open.forEach(function (a) { isOpen[a.id] = true; upsertAlert(a, { missed: afterDrop && a.id > since }); });
        feed.querySelectorAll("li.feed-item").forEach(function (li) {
          if (!isOpen[li.dataset.id]) { li.remove(); delete known[li.dataset.id]; }
        });
        if (afterDrop && missedCount) {
          missedEl.hidden = false;
          missedEl.textContent = missedCount + " " + t.missed;
        }
        catchingUp = false;
        buffered.splice(0).forEach(handle);
        updateCount();
        scheduleRefresh();
        if (afterDrop) { refreshMap(); }
      })
      .catch(function () {
        catchingUp = false;
        buffered.splice(0).forEach(handle);
        if (socket && socket.readyState === 1) { setTimeout(function () { catchUp(afterDrop); }, 5000); }
      });
  }

  function handle(ev) {
    if (catchingUp) { buffered.push(ev); return; }
    if (ev.alert) {
      upsertAlert(ev.alert, { fresh: ev.type === "alert.created" });
      if (opsMap) { opsMap.upsertAlert(ev.alert); }
      scheduleRefresh();
    } else if (ev.incident) {
      if (opsMap) { opsMap.upsertIncident(ev.incident); }
      scheduleRefresh();
    } else if (ev.dispatch) {
      noteDispatch(ev.dispatch);
      if (opsMap) { opsMap.upsertDispatch(ev.dispatch); }
      if (ev.dispatch.step === "tiba") { scheduleRefresh(); }  // the response-time figures
    }
  }

  // ---- a dispatched officer's own steps (berangkat, tiba, selesai), from his phone ----
  // One line per dispatch at the top of the feed, replaced by its next step; the five latest
  // are kept. They are not alerts: no buttons, not counted, left alone by the catch-up.
  var NOTES_KEPT = 5;
  function noteDispatch(d) {
    var old = feed.querySelector('li.feed-note[data-dispatch="' + d.id + '"]');
    if (old) { old.remove(); }
    var when = new Date(d.at || Date.now()).toLocaleTimeString("id-ID", { timeZone: "Asia/Jakarta", hour: "2-digit", minute: "2-digit" });
    var li = el("li", "feed-note" + (d.step === "tiba" ? " flash" : ""));
    li.dataset.dispatch = d.id;
    li.dataset.incident = d.incident;
    li.dataset.step = d.step;
    if (d.is_exercise) { li.appendChild(el("span", "badge exercise", t.exercise)); li.appendChild(document.createTextNode(" ")); }
    li.appendChild(el("strong", null, t.incident + " #" + d.incident));
    li.appendChild(document.createTextNode(" · " + d.officer + ": " + ((t.dispatch_steps || {})[d.step] || d.step) + " " + when));
    feed.insertBefore(li, feed.firstChild);
    var notes = feed.querySelectorAll("li.feed-note");
    for (var i = NOTES_KEPT; i < notes.length; i++) { notes[i].remove(); }
  }

  // ---- a quiet stream is checked: an alert whose push was lost still shows ----
  // The socket may stay open while a push is lost (the channel layer restarted between the
  // worker and this server). After quietSeconds without a message, one cheap query asks for
  // alerts above the newest this page knows. Pongs do not count: they come from this server
  // itself, not through the channel layer a lost push went missing in.
  var heardAt = Date.now();
  var quietMs = (config.quietSeconds || 20) * 1000;
  function quietCheck() {
    if (catchingUp || !socket || socket.readyState !== 1 || Date.now() - heardAt < quietMs) {
      return;
    }
    heardAt = Date.now();
    missedSince(lastId, 50, true)
      .then(function (count) { if (count) { updateCount(); scheduleRefresh(); } })
      .catch(function () { /* the next quiet tick tries again */ });
  }
  setInterval(quietCheck, 1000);

  function connect() {
    setState(dropped ? "offline" : "connecting");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + config.wsPath);
    socket.onopen = function () {
      setState("connected");
      retries = 0;
      catchUp(dropped);
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        if (socket.readyState !== 1) { return; }
        socket.send(JSON.stringify({ type: "ping" }));
        // A link that stops answering is dead even if the browser has not noticed.
        pongDue = setTimeout(function () { socket.close(); }, 10000);
      }, 20000);
    };
    socket.onmessage = function (message) {
      var ev = JSON.parse(message.data);
      if (ev.type === "pong") { clearTimeout(pongDue); return; }
      heardAt = Date.now();
      handle(ev);
    };
    socket.onclose = function (event) {
      clearInterval(pingTimer);
      clearTimeout(pongDue);
      // 4401: the session ended (logout, deactivation, role removed): to the login page.
      if (event && event.code === 4401) { window.location.reload(); return; }
      dropped = true;
      setState("offline");
      var wait = Math.min(10000, 500 * Math.pow(2, retries++));
      setTimeout(connect, wait);
    };
  }

  window.sispamDashboard = {
    lastId: function () { return lastId; },
    socket: function () { return socket; }
  };
  connect();

  // ---- the map (after the feed, so a map problem never stops alerts) ----
  if (window.L && window.SispamMap && mapEl) {
    opsMap = window.SispamMap.create(mapEl, config, t);
    refreshMap();
  }
  if (config.wall) { setWall(true); }
})();
