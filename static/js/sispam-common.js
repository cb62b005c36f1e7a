// Helpers shared by Sispam's pages (loaded before their own scripts): the CSRF token, and the
// one colour palette, read from the stylesheet's custom properties (static/css/sispam.css;
// core/palette.py holds the same values for the PDF).
(function () {
  "use strict";

  function csrf(form) {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  var cache = {};
  function colour(name) {
    // "merah", "cat-rawan", "st-dibuka", "exercise", "brand": the stylesheet's --name.
    if (!(name in cache)) {
      var value = getComputedStyle(document.documentElement).getPropertyValue("--" + name);
      cache[name] = (value || "").trim() || "#5c6672";
    }
    return cache[name];
  }

  function table(prefix, keys) {
    var out = {};
    keys.forEach(function (k) { out[k] = colour(prefix + k); });
    return out;
  }

  window.Sispam = {
    csrf: csrf,
    colour: colour,
    levels: function () { return table("", ["hijau", "kuning", "merah"]); },
    categories: function () {
      return table("cat-", ["kurang_rawan", "rawan", "sangat_rawan", "khusus"]);
    },
    statuses: function () {
      return table("st-", ["belum_dibuka", "dibuka", "pemungutan", "penghitungan", "selesai", "dikirim"]);
    }
  };
})();
