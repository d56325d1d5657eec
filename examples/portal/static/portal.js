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
  // Waiting for the authenticator app: the wizard's page is fetched in the background (every few
  // seconds, and at once when the user comes back to this tab) and shown once its screen has
  // moved on (the approval came, was refused or expired); the waiting screen itself is never
  // reloaded. Without the script, "Next" does it.
  var wait = document.querySelector("main[data-refresh][data-refresh-url]");
  if (wait && window.fetch && window.DOMParser) {
    var every = (parseInt(wait.getAttribute("data-refresh"), 10) || 5) * 1000;
    var url = wait.getAttribute("data-refresh-url");
    var number = function (doc) {
      var n = doc.querySelector("main[data-refresh] .number");
      return n ? n.textContent.trim() : null;
    };
    var shown = number(document);
    var timer = null, busy = false;
    var check = function () {
      clearTimeout(timer);
      if (busy) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          busy = false;
          var now = number(new DOMParser().parseFromString(html, "text/html"));
          if (now === null || now !== shown) { window.location.replace(url); }
          else { timer = setTimeout(check, every); }
        })
        .catch(function () { busy = false; timer = setTimeout(check, every); });
    };
    timer = setTimeout(check, every);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { check(); }
    });
  }
});
