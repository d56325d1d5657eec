// sspr-portal: conveniences only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The session countdown: "Your session will expire in 12:05."
  document.querySelectorAll(".countdown[data-seconds]").forEach(function (el) {
    var left = parseInt(el.getAttribute("data-seconds"), 10) || 0;
    var end = Date.now() + left * 1000;
    var tick = function () {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      el.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      if (s > 0) { setTimeout(tick, 1000); }
    };
    tick();
  });
  // The password strength meter: a rough estimate while typing; the server's verdict decides.
  var pw = document.getElementById("password");
  var meter = document.getElementById("strength");
  var text = document.getElementById("strength-text");
  if (pw && meter && text) {
    var labels = (meter.getAttribute("data-labels") || "").split("|");
    pw.addEventListener("input", function () {
      var v = pw.value, classes = 0;
      [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].forEach(function (r) { if (r.test(v)) { classes++; } });
      var bits = v.length * Math.log2(Math.max(2, [0, 26, 52, 62, 94][classes]));
      var score = bits < 28 ? 0 : bits < 36 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
      meter.value = v.length ? score : 0;
      text.textContent = v.length ? (labels[score] || "") : "";
    });
  }
});
