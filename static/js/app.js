// Small behaviours that htmx's declarative attributes do not cover. No eval, no inline handlers (CSP).
(function () {
  "use strict";

  function showToast(message, level) {
    var region = document.getElementById("toasts");
    if (!region || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.textContent = message; // text, never HTML
    region.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }

  document.addEventListener("toast", function (evt) {
    var d = evt.detail || {};
    showToast(d.message, d.level);
  });

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Trigger")) return; // the server already explained
    showToast("Something went wrong (" + (xhr ? xhr.status : "?") + "). Please try again.", "error");
  });

  document.addEventListener("htmx:sendError", function () {
    showToast("Cannot reach the server. Check your connection.", "error");
  });
  // Chart tooltips without pygal's CDN script: each point's <desc> values become a native SVG <title>,
  // built with createElementNS + textContent (text only, works offline).
  var SVG_NS = "http://www.w3.org/2000/svg";
  function chartTooltips(root) {
    var triggers = (root || document).querySelectorAll(".pygal-chart .tooltip-trigger");
    Array.prototype.forEach.call(triggers, function (el) {
      var group = el.parentNode;
      if (!group || group.querySelector("title")) return;
      var parts = [];
      ["label", "x_label", "value"].forEach(function (cls) {
        var d = group.querySelector("desc." + cls);
        if (d && d.textContent) parts.push(d.textContent);
      });
      var serie = group.closest(".series");
      var title = document.createElementNS(SVG_NS, "title");
      title.textContent = parts.join(" · ");
      group.insertBefore(title, group.firstChild);
      if (serie) group.setAttribute("tabindex", "-1");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { chartTooltips(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { chartTooltips(evt.target); });

  // "Refresh now" posts to the JSON API: say what happened (202 queued, 429 with the server's message).
  document.addEventListener("htmx:afterRequest", function (evt) {
    var el = evt.detail && evt.detail.elt;
    if (!el || !el.classList || !el.classList.contains("js-refresh")) return;
    var xhr = evt.detail.xhr;
    if (xhr.status === 202) { showToast("Refresh requested: new numbers appear after the sync.", "success"); return; }
    try {
      var body = JSON.parse(xhr.responseText);
      showToast(body.error && body.error.message ? body.error.message : "Refresh failed.", "error");
    } catch (e) { showToast("Refresh failed (" + xhr.status + ").", "error"); }
  });
})();
