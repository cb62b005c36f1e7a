// A pin on the map for the report form: tap to set latitude and longitude. Tiles come from the
// command post's own tile server (MAP_TILE_URL); without one the map still shows the kelurahan
// as labelled points, enough to place a pin in the right part of the city.
(function () {
  "use strict";
  var button = document.getElementById("show-map");
  var box = document.getElementById("pick-map");
  var dataEl = document.getElementById("map-data");
  if (!button || !box || !dataEl || !window.L) { if (button) { button.hidden = true; } return; }
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

  button.addEventListener("click", function () {
    box.hidden = !box.hidden;
    if (box.hidden || map) { if (map) { map.invalidateSize(); } return; }
    map = L.map(box, { zoomControl: true }).setView(data.centre, 13);
    if (data.tiles) { L.tileLayer(data.tiles, { maxZoom: 19 }).addTo(map); }
    data.kelurahan.forEach(function (k) {
      L.circleMarker([k.lat, k.lon], { radius: 4, color: Sispam.colour("brand"), weight: 1, interactive: false })
        .bindTooltip(k.name, { permanent: !data.tiles, direction: "top", className: "kel-label" })
        .addTo(map);
    });
    map.on("click", function (event) { place(event.latlng); });
  });
})();
