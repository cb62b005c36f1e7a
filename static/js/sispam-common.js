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

  // A time as every page writes it: WIB, 24 hours, a colon ("05 Des 14:05", "14:05"), the
  // same as the server's templates ({{ t|date:"d M H:i" }}); id-ID alone would give "14.05".
  var WIB = new Intl.DateTimeFormat("id-ID", {
    timeZone: "Asia/Jakarta", day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });
  function when(value, withDate) {
    var parts = {};
    WIB.formatToParts(new Date(value || Date.now())).forEach(function (p) { parts[p.type] = p.value; });
    var time = parts.hour + ":" + parts.minute;
    return withDate ? parts.day + " " + parts.month + " " + time : time;
  }

  window.Sispam = {
    csrf: csrf,
    when: when,
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
