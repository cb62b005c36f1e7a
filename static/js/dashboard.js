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

  // A part of the page refreshed in place through htmx (static/vendor/htmx): its HTML from the
  // server (url() gives the address), swapped in, then after() runs; every `every` ms, and after
  // a push through schedule(), coalesced and spread over `spread` ms so fifty screens do not all
  // ask at once. An error answer is not swapped (what is shown stays; the next tick tries
  // again); a session that ended comes back as the login page: reload to it.
  function liveFragment(el, url, opts) {
    var timer = null;
    function refresh() {
      if (!el || !url()) { return Promise.resolve(); }
      return htmx.ajax("GET", url(), { target: el, swap: "innerHTML" })
        .then(opts.after || function () {})
        .catch(function () { /* keep what is shown; the next tick tries again */ });
    }
    function schedule() {
      if (timer) { return; }
      timer = setTimeout(function () { timer = null; refresh(); }, opts.spread[0] + Math.random() * opts.spread[1]);
    }
    if (el) {
      setInterval(refresh, opts.every);
      el.addEventListener("htmx:beforeSwap", function (evt) {
        var answered = evt.detail.xhr.responseURL || "";
        if (answered.indexOf("/accounts/login/") !== -1) {
          evt.detail.shouldSwap = false;
          window.location.reload();
        }
      });
    }
    return { refresh: refresh, schedule: schedule };
  }

  // ---- counters, plots and map, refreshed in place ----
  // The counters and plots after a push: the map itself is updated from the push (the
  // incident's point, the alert's ring) and reloaded whole only every two minutes and after a
  // catch-up.
  var panelPart = liveFragment(panel, function () { return config.panelUrl + "?" + qs(); },
    { every: 30000, spread: [1500, 2500] });
  var refreshPanel = panelPart.refresh, scheduleRefresh = panelPart.schedule;
  function refreshMap() {
    if (!opsMap) { return Promise.resolve(); }
    return opsMap.load(qs()).catch(function () { /* next tick */ });
  }
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
    var meta = [Sispam.when(a.created_at, true)];
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

  // ---- the audible alarm: the officer switches it on (browsers allow sound only after a
  // click on the page), for a new merah alert and for a report that turns late ----
  var alarmButton = document.getElementById("alarm-toggle");
  var audio = null;
  var alarmOn = false;
  function setAlarm(on) {
    alarmOn = on;
    try { window.localStorage.setItem("sispam-alarm", on ? "1" : "0"); } catch (e) { /* private mode */ }
    if (alarmButton) {
      alarmButton.setAttribute("aria-pressed", on ? "true" : "false");
      alarmButton.textContent = on ? t.alarm_on : t.alarm_off;
    }
    if (on && !audio) {
      try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
    }
    if (on && audio && audio.state === "suspended") { audio.resume(); }
  }
  function alarm(kind) {
    if (!alarmOn) { return; }
    document.body.dataset.alarms = String(Number(document.body.dataset.alarms || 0) + 1);
    document.body.dataset.lastAlarm = kind;
    if (!audio) { return; }
    try {
      var beeps = kind === "merah" ? [0, 0.35, 0.7] : [0, 0.5];
      beeps.forEach(function (offset) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = kind === "merah" ? 880 : 660;
        gain.gain.value = 0.2;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + offset); osc.stop(audio.currentTime + offset + 0.25);
      });
    } catch (e) { /* no sound device: the visual cue stands */ }
  }
  if (alarmButton) {
    alarmButton.addEventListener("click", function () { setAlarm(!alarmOn); });
    var wanted = false;
    try { wanted = window.localStorage.getItem("sispam-alarm") === "1"; } catch (e) { wanted = false; }
    if (wanted) {
      // Asked for before: on at the officer's first click anywhere (the browser's rule).
      document.addEventListener("click", function first(event) {
        document.removeEventListener("click", first, true);
        if (event.target !== alarmButton) { setAlarm(true); }
      }, true);
    }
  }

  function cue(li) {
    li.classList.add("flash");
    document.body.classList.add("merah-cue");
    setTimeout(function () { document.body.classList.remove("merah-cue"); }, 8000);
    alarm("merah");
  }

  // ---- the incoming queue: unverified field reports, new tips and intel ----
  var incomingEl = document.getElementById("incoming");
  var incomingCount = document.getElementById("incoming-count");
  var lateSeen = {};
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(s % 60);
  }
  function tickCountdowns() {
    if (!incomingEl) { return; }
    var now = Date.now();
    incomingEl.querySelectorAll(".countdown[data-due]").forEach(function (c) {
      var left = Date.parse(c.dataset.due) - now;
      var row = c.closest(".in-row");
      if (left > 0) {
        c.textContent = t.verify_in + " " + span(left);
        return;
      }
      c.textContent = t.late + " " + span(left);
      c.classList.add("late");
      if (row) {
        row.classList.add("late");
        var key = row.dataset.kind + ":" + row.dataset.id;
        if (!lateSeen[key]) { lateSeen[key] = true; alarm("late"); }
      }
    });
  }
  function markSeen() {
    // Rows that were late when the list arrived do not ring again after each refresh.
    incomingEl.querySelectorAll(".in-row.late").forEach(function (row) {
      lateSeen[row.dataset.kind + ":" + row.dataset.id] = true;
    });
    var list = incomingEl.querySelector("#incoming-list");
    if (incomingCount && list) { incomingCount.textContent = list.dataset.count; }
  }
  var incomingPart = liveFragment(incomingEl, function () { return config.incomingUrl; },
    { every: 15000, spread: [300, 500], after: function () { tickCountdowns(); markSeen(); } });
  var refreshIncoming = incomingPart.refresh, scheduleIncoming = incomingPart.schedule;
  if (incomingEl) {
    markSeen();
    tickCountdowns();
    setInterval(tickCountdowns, 1000);
  }

  // ---- the convoy board: logistics legs by phase, and those on the road on the map ----
  var convoyEl = document.getElementById("convoy");
  function drawConvoys() {
    var data = document.getElementById("convoy-positions");
    if (opsMap && opsMap.setConvoys) { opsMap.setConvoys(data ? JSON.parse(data.textContent) : []); }
  }
  var scheduleConvoy = liveFragment(convoyEl, function () { return config.convoyUrl; },
    { every: 30000, spread: [300, 500], after: drawConvoys }).schedule;

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
    if (ev.intake || ev.type === "intake.scored" || ev.incident) { scheduleIncoming(); }
    if (ev.leg || ev.recap) { scheduleConvoy(); return; }
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
    var when = Sispam.when(d.at);
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
    socket: function () { return socket; },
    refreshIncoming: refreshIncoming,
    map: function () { return opsMap && opsMap.map; }
  };
  connect();

  // ---- the map (after the feed, so a map problem never stops alerts) ----
  if (window.L && window.SispamMap && mapEl) {
    opsMap = window.SispamMap.create(mapEl, config, t);
    refreshMap();
    drawConvoys();
  }
  if (config.wall) { setWall(true); }
})();
