// The KPU liaison's map: TPS and the incidents touching the election process, refreshed every
// minute. The liaison has no live feed (alerts are the command post's).
(function () {
  "use strict";
  var el = document.getElementById("dash-map");
  if (!el || !window.L || !window.SispamMap) { return; }
  var config = JSON.parse(document.getElementById("dash-config").textContent);
  var t = JSON.parse(document.getElementById("dash-i18n").textContent);
  var query = window.location.search.replace(/^\?/, "");
  var map = window.SispamMap.create(el, config, t);
  function load() { map.load(query).catch(function () { /* next minute */ }); }
  load();
  setInterval(load, 60000);
})();
