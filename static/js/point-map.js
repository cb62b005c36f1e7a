// The small map on an incident's or a TPS's page: one marker on the app's own base
// (static/js/sispam-map.js). Nothing happens without Leaflet: the address above stands.
(function () {
  "use strict";
  var el = document.getElementById("point-map");
  var data = document.getElementById("point-map-config");
  if (!el || !data || !window.L || !window.SispamMap) { return; }
  var config = JSON.parse(data.textContent);
  // No layer control on the small map: its layers need no names.
  window.SispamMap.point(el, config, { layers: {} });
})();
