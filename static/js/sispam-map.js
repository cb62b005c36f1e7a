// The operations map shared by the command dashboard and the KPU liaison's view.
// Leaflet comes from django-leaflet's static files. Tiles come from the command post's own
// server (MAP_TILE_URL); with none the map still shows TPS, incidents and place names on a
// plain background. Markers are drawn on a canvas and gathered into clusters by a screen grid
// (our own, below), so thousands of points stay quick.
(function () {
  "use strict";

  // The one palette, from the stylesheet (static/js/sispam-common.js).
  var CATEGORY = Sispam.categories();
  var STATUS = Sispam.statuses();
  var COLOUR = Sispam.levels();
  var EXERCISE = Sispam.colour("exercise");
  var BRAND = Sispam.colour("brand");
  var SEVERITY = { hijau: 1, kuning: 2, merah: 3, kurang_rawan: 1, rawan: 2, sangat_rawan: 3, khusus: 2 };

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  // A layer of points gathered by a grid of `cell` screen pixels; from `flatZoom` on each
  // point is drawn alone. `style(p)` gives a point's circle options, `key(p)` the value whose
  // worst (highest SEVERITY) colours a cluster, `popup(p)` a DOM node.
  function ClusterLayer(map, opts) {
    this.map = map;
    this.opts = opts;
    this.points = [];
    this.group = L.layerGroup();
    this.drawn = 0;
    var self = this;
    this.group.on("add", function () { self.redraw(); });
    map.on("zoomend", function () { self.redraw(); });
  }

  ClusterLayer.prototype.setPoints = function (points) {
    this.points = points;
    this.redraw();
  };

  ClusterLayer.prototype.redraw = function () {
    var map = this.map, opts = this.opts, group = this.group;
    group.clearLayers();
    this.drawn = 0;
    if (!map.hasLayer(group)) { return; }
    var zoom = map.getZoom();
    var cells = {};
    var order = [];
    this.points.forEach(function (p) {
      var key;
      if (zoom >= opts.flatZoom) {
        key = "p" + order.length;
      } else {
        var px = map.project([p.lat, p.lon], zoom);
        key = Math.floor(px.x / opts.cell) + ":" + Math.floor(px.y / opts.cell);
      }
      if (!cells[key]) { cells[key] = []; order.push(key); }
      cells[key].push(p);
    });
    var self = this;
    order.forEach(function (key) {
      var members = cells[key];
      self.drawn += members.length;
      if (members.length === 1) {
        var p = members[0];
        var marker = L.circleMarker([p.lat, p.lon], opts.style(p));
        marker.bindPopup(function () { return opts.popup(p); });
        group.addLayer(marker);
        return;
      }
      var lat = 0, lon = 0, worst = members[0];
      members.forEach(function (m) {
        lat += m.lat; lon += m.lon;
        if ((SEVERITY[opts.key(m)] || 0) > (SEVERITY[opts.key(worst)] || 0)) { worst = m; }
      });
      var colour = opts.style(worst).fillColor;
      var cluster = L.circleMarker([lat / members.length, lon / members.length], {
        radius: Math.min(24, 9 + 3 * Math.log(members.length)),
        color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.85
      });
      cluster.bindTooltip(document.createTextNode(String(members.length)), {
        permanent: true, direction: "center", className: "cluster-count " + opts.name
      });
      cluster.on("click", function () {
        var bounds = L.latLngBounds(members.map(function (m) { return [m.lat, m.lon]; }));
        map.fitBounds(bounds.pad(0.3), { maxZoom: opts.flatZoom });
      });
      group.addLayer(cluster);
    });
    if (opts.onDraw) { opts.onDraw(this); }
  };

  // ---- the base: tiles from the app's MBTiles file (or the post's tile server), and the
  // kelurahan areas drawn beneath everything (approximate ones say so in the layer box) ----
  var KEC_COLOURS = ["#2b6cb0", "#b7791f", "#2f855a", "#9b2c2c", "#6b46c1"];
  function base(map, el, config) {
    if (config.tiles) {
      L.tileLayer(config.tiles, { maxZoom: 19, minZoom: 10, errorTileUrl: "" }).addTo(map);
      el.dataset.tiles = "1";
    } else {
      el.classList.add("no-tiles");
      el.dataset.tiles = "0";
    }
  }
  function areas(map, config, t, control) {
    if (!config.boundariesUrl) { return; }
    fetch(config.boundariesUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var kecs = [];
        data.features.forEach(function (f) {
          if (kecs.indexOf(f.properties.kecamatan) === -1) { kecs.push(f.properties.kecamatan); }
        });
        if (!map.getPane("areas")) { map.createPane("areas").style.zIndex = 350; }
        var layer = L.geoJSON(data, {
          pane: "areas",
          interactive: false,
          style: function (f) {
            var colour = KEC_COLOURS[kecs.indexOf(f.properties.kecamatan) % KEC_COLOURS.length];
            return { color: colour, weight: 1.5, opacity: 0.8, fillColor: colour, fillOpacity: 0.06, dashArray: f.properties.approximate ? "4 4" : null };
          }
        }).addTo(map);
        var approximate = data.properties && data.properties.approximate;
        if (control) { control.addOverlay(layer, approximate ? t.layers.areas_approx : t.layers.areas); }
        map.getContainer().dataset.areas = String(data.features.length);
      })
      .catch(function () { /* the markers stand without the areas */ });
  }

  // One place on a small map (an incident's, a TPS's page): the same base, one marker.
  function point(el, config, t) {
    var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
    if (isNaN(lat) || isNaN(lon)) { return null; }
    var map = L.map(el, { zoomControl: true, attributionControl: false }).setView([lat, lon], 15);
    base(map, el, config);
    areas(map, config, t, null);
    L.circleMarker([lat, lon], { radius: 9, color: "#1a202c", weight: 2, fillColor: el.dataset.colour || "#2b6cb0", fillOpacity: 0.9 }).addTo(map);
    el.dataset.loaded = "1";
    return map;
  }

  function create(el, config, t) {
    var map = L.map(el, { preferCanvas: true, zoomControl: true }).setView(config.centre, 13);
    base(map, el, config);
    // Names that do not cover each other or the clusters: the kecamatan's when the whole city
    // shows, the kelurahan's from zoom 14 (where the clusters have split).
    function labelLevel() {
      var close = map.getZoom() >= 14;
      el.classList.toggle("labels-kel", close);
      el.classList.toggle("labels-kec", !close);
    }
    map.on("zoomend", labelLevel);
    labelLevel();
    // dispatchLines: incident id -> one line per dispatched officer's latest reported step.
    var state = { tps: [], incidents: {}, alerts: {}, places: {}, dispatchLines: {}, dispatchSteps: {} };

    function link(url, id) {
      if (!url) { return null; }
      var a = text("a", t.open_detail);
      a.href = url.replace("{id}", id);
      return a;
    }

    function box(lines, url, id) {
      var div = document.createElement("div");
      div.className = "map-popup";
      lines.forEach(function (line, i) { div.appendChild(text(i === 0 ? "strong" : "div", line)); });
      var a = link(url, id);
      if (a) { div.appendChild(a); }
      return div;
    }

    function tpsPopup(p) {
      return box([
        t.tps + " " + String(p.number).padStart(3, "0") + " " + p.kelurahan,
        t.category + ": " + (t.categories[p.category] || p.category),
        t.status + ": " + (t.statuses[p.status] || p.status)
      ], config.tpsUrl, p.id);
    }

    function tpsLayer(name, colours, field) {
      return new ClusterLayer(map, {
        name: name, cell: 56, flatZoom: 15,
        key: function (p) { return p.category; },
        style: function (p) {
          return { radius: 5, color: "#fff", weight: 1, fillColor: colours[p[field]] || "#555", fillOpacity: 0.95 };
        },
        popup: tpsPopup,
        onDraw: function (layer) { el.dataset.tpsDrawn = layer.drawn; }
      });
    }

    var layers = {
      tps_cat: tpsLayer("tps", CATEGORY, "category"),
      tps_status: tpsLayer("tps", STATUS, "status"),
      incidents: new ClusterLayer(map, {
        name: "incidents", cell: 44, flatZoom: 16,
        key: function (p) { return p.colour; },
        style: function (p) {
          return {
            radius: 8, color: p.exercise ? EXERCISE : "#111", weight: 2, dashArray: p.exercise ? "3 3" : null,
            fillColor: COLOUR[p.colour] || "#555", fillOpacity: 0.9
          };
        },
        popup: function (p) {
          var lines = [
            t.incident + " #" + p.id + ": " + (t.types[p.type] || p.type),
            (t.colours[p.colour] || p.colour) + " · " + (t.incident_statuses[p.status] || p.status),
            (p.kelurahan || "") + " · " + Sispam.when(p.at, true)
          ];
          if (p.exercise) { lines.push(t.exercise); }
          (state.dispatchLines[p.id] || []).forEach(function (line) { lines.push(line); });
          return box(lines, config.incidentUrl, p.id);
        },
        onDraw: function (layer) { el.dataset.incidentsDrawn = layer.drawn; }
      })
    };
    var overlays = {};
    overlays[t.layers.tps_cat] = layers.tps_cat.group;
    overlays[t.layers.tps_status] = layers.tps_status.group;
    overlays[t.layers.incidents] = layers.incidents.group;
    layers.tps_cat.group.addTo(map);
    layers.incidents.group.addTo(map);

    var labels = L.layerGroup().addTo(map);
    overlays[t.layers.labels] = labels;
    var posts = null, alerts = null, convoys = null;
    if (!config.liaison) {
      posts = L.layerGroup().addTo(map);
      alerts = L.layerGroup().addTo(map);
      convoys = L.layerGroup().addTo(map);
      overlays[t.layers.posts] = posts;
      overlays[t.layers.alerts] = alerts;
      overlays[t.layers.convoys] = convoys;
    }
    var control = L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    areas(map, config, t, control);

    function drawLabels(data) {
      labels.clearLayers();
      data.kelurahan.forEach(function (k) { state.places[k.name] = k; });
      data.kecamatan.forEach(function (k) {
        L.tooltip({ permanent: true, direction: "center", className: "kec-label", interactive: false })
          .setLatLng([k.lat, k.lon]).setContent(document.createTextNode(k.name.toUpperCase())).addTo(labels);
      });
      data.kelurahan.forEach(function (k) {
        L.tooltip({ permanent: true, direction: "top", className: "kel-label", interactive: false, offset: [0, -4] })
          .setLatLng([k.lat, k.lon]).setContent(document.createTextNode(k.name)).addTo(labels);
      });
    }

    function drawPosts(list) {
      if (!posts) { return; }
      posts.clearLayers();
      list.forEach(function (p) {
        var share = p.required ? p.assigned / p.required : 1;
        var fill = share >= 1 ? COLOUR.hijau : (share > 0 ? COLOUR.kuning : COLOUR.merah);
        L.circleMarker([p.lat, p.lon], { radius: 5, color: BRAND, weight: 2, fillColor: fill, fillOpacity: 0.9 })
          .bindPopup(box([t.post + ": " + p.name, t.strength + ": " + p.assigned + "/" + p.required]))
          .addTo(posts);
      });
    }

    function drawAlerts() {
      if (!alerts) { return; }
      alerts.clearLayers();
      el.dataset.alertCount = Object.keys(state.alerts).length;
      Object.keys(state.alerts).forEach(function (id) {
        var a = state.alerts[id];
        if (a.lat == null) { return; }
        L.circleMarker([a.lat, a.lon], {
          radius: 18, color: COLOUR[a.level] || "#555", weight: 4, fill: false, dashArray: a.exercise ? "4 4" : null
        }).bindPopup(box([a.title, (t.alert_levels[a.level] || a.level) + (a.exercise ? " · " + t.exercise : "")]))
          .addTo(alerts);
      });
    }

    // Logistics legs on the road, at the escort's last reported position (logistics board).
    function setConvoys(list) {
      if (!convoys) { return; }
      convoys.clearLayers();
      el.dataset.convoyCount = list.length;
      list.forEach(function (c) {
        var colour = c.problem || c.status === "terhenti" ? COLOUR.merah : BRAND;
        L.circleMarker([c.lat, c.lon], { radius: 8, color: colour, weight: 3, fillColor: "#fff", fillOpacity: 0.9, dashArray: "2 3" })
          .bindPopup(box([t.convoy + ": " + c.code, "→ " + c.to], config.legUrl, c.id))
          .addTo(convoys);
      });
    }

    function drawIncidents() {
      var list = Object.keys(state.incidents).map(function (k) { return state.incidents[k]; });
      layers.incidents.setPoints(list);
      el.dataset.incidentCount = list.length;
    }

    function load(query) {
      return fetch(config.mapUrl + (query ? "?" + query : ""), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          drawLabels(data.labels);
          state.tps = data.tps.map(function (row) {
            return { id: row[0], number: row[1], kelurahan: row[2], lat: row[3], lon: row[4], category: row[5], status: row[6] };
          });
          layers.tps_cat.setPoints(state.tps);
          layers.tps_status.setPoints(state.tps);
          el.dataset.tpsCount = state.tps.length;
          state.incidents = {};
          data.incidents.forEach(function (i) { state.incidents[i.id] = i; });
          drawIncidents();
          drawPosts(data.posts || []);
          state.alerts = {};
          (data.alerts || []).forEach(function (a) { state.alerts[a.id] = a; });
          drawAlerts();
          el.dataset.loaded = "1";
          return data;
        });
    }

    var OPEN = { baru: 1, diverifikasi: 1, ditangani: 1 };
    function upsertIncident(inc) {
      if (inc.lat == null || inc.lon == null) { return; }
      if (!OPEN[inc.status]) { delete state.incidents[inc.id]; } else {
        state.incidents[inc.id] = {
          id: inc.id, type: inc.type, status: inc.status, colour: inc.colour, kelurahan: inc.kelurahan,
          lat: inc.lat, lon: inc.lon, at: inc.reported_at, exercise: inc.is_exercise
        };
      }
      drawIncidents();
    }

    function upsertAlert(a) {
      // A pushed alert names its kelurahan; its ring goes at the kelurahan's centre.
      var place = a.kelurahan ? state.places[a.kelurahan] : null;
      var open = (a.status || "open") !== "closed";
      if (!open || !place) {
        if (!open) { delete state.alerts[a.id]; drawAlerts(); }
        return;
      }
      var old = state.alerts[a.id] || {};
      state.alerts[a.id] = {
        id: a.id, level: a.level || old.level, status: a.status || "open", title: a.title || old.title,
        kelurahan: a.kelurahan, lat: place.lat, lon: place.lon, exercise: a.is_exercise
      };
      drawAlerts();
    }

    function upsertDispatch(d) {
      // The incident's popup gets a line per officer: "Bripka Budi: tiba di lokasi".
      var steps = state.dispatchSteps[d.incident] = state.dispatchSteps[d.incident] || {};
      steps[d.id] = d.officer + ": " + ((t.dispatch_steps || {})[d.step] || d.step);
      state.dispatchLines[d.incident] = Object.keys(steps).map(function (k) { return steps[k]; });
    }

    return { map: map, load: load, setConvoys: setConvoys, upsertIncident: upsertIncident, upsertAlert: upsertAlert, upsertDispatch: upsertDispatch };
  }

  window.SispamMap = { create: create, point: point };
})();
