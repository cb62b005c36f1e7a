// A pin on the map for the report form: tap to set latitude and longitude. Tiles come from the
// command post's own tile server (MAP_TILE_URL); without one the map still shows the kelurahan
// as labelled points, enough to place a pin in the right part of the city.
(function () {
  "use strict";
  var button = document.getElementById("show-map");
  var box = document.getElementById("pick-map");
  var dataEl = document.getElementById("map-data");
  if (!button || !box || !dataEl) { if (button) { button.hidden = true; } return; }
  var data = JSON.parse(dataEl.textContent);
  var map = null;
  var pin = null;
  var form = document.getElementById("report-form");

  function place(latlng) {
    if (pin) { pin.setLatLng(latlng); } else {
      pin = L.circleMarker(latlng, { radius: 9, color: Sispam.colour("merah"), weight: 3, fillOpacity: 0.6 });
      pin.addTo(map);
    }
    form.elements.lat.value = latlng.lat.toFixed(6);
    form.elements.lon.value = latlng.lng.toFixed(6);
    form.elements.lat.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Leaflet (its script and stylesheet) is fetched on the first tap only: the form opens light
  // on a slow network, and the map is there for those who ask for it.
  function leaflet() {
    if (window.L) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = box.dataset.leafletCss;
      document.head.appendChild(css);
      var script = document.createElement("script");
      script.src = box.dataset.leafletJs;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  button.addEventListener("click", function () {
    box.hidden = !box.hidden;
    if (box.hidden || map) { if (map) { map.invalidateSize(); } return; }
    leaflet().then(show, function () { box.hidden = true; });
  });

  function show() {
    map = L.map(box, { zoomControl: true }).setView(data.centre, 13);
    if (data.tiles) { L.tileLayer(data.tiles, { maxZoom: 19 }).addTo(map); }
    data.kelurahan.forEach(function (k) {
      L.circleMarker([k.lat, k.lon], { radius: 4, color: Sispam.colour("brand"), weight: 1, interactive: false })
        .bindTooltip(k.name, { permanent: !data.tiles, direction: "top", className: "kel-label" })
        .addTo(map);
    });
    map.on("click", function (event) { place(event.latlng); });
  }
})();
