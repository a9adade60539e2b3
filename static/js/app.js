// Small behaviours that htmx's declarative attributes do not cover. No eval, no inline handlers (CSP).
(function () {
  "use strict";

  // Success and info toasts leave after 6 s; an error stays until dismissed (a reader may be away).
  function showToast(message, level) {
    var region = document.getElementById("toasts");
    if (!region || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    var text = document.createElement("span");
    text.textContent = message; // text, never HTML
    el.appendChild(text);
    if (level === "error") {
      el.setAttribute("role", "alert");
      var close = document.createElement("button");
      close.type = "button";
      close.className = "toast-close";
      close.setAttribute("aria-label", "Dismiss");
      close.textContent = "\u00d7";
      close.addEventListener("click", function () { el.remove(); });
      el.appendChild(close);
    } else {
      setTimeout(function () { el.remove(); }, 6000);
    }
    region.appendChild(el);
  }

  // While a request runs: the region it updates says it is busy (Pico draws a spinner) and the control
  // that sent it cannot be clicked again. A poll is skipped while focus is inside what it would replace,
  // so keyboard users never lose their place.
  function busyTarget(evt) {
    var d = evt.detail || {};
    return d.target || d.elt;
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var d = evt.detail || {};
    var trigger = d.elt && d.elt.getAttribute ? d.elt.getAttribute("hx-trigger") || "" : "";
    var polling = /every /.test(trigger) && !(d.requestConfig && d.requestConfig.triggeringEvent);
    var target = busyTarget(evt);
    var focused = document.activeElement;
    if (polling && target && focused && focused !== document.body && target.contains(focused)) {
      evt.preventDefault();
      return;
    }
    if (polling) return;
    if (target && target.setAttribute) target.setAttribute("aria-busy", "true");
    var elt = d.elt;
    var buttons = [];
    if (elt && elt.tagName === "FORM") buttons = elt.querySelectorAll("button, [type=submit]");
    else if (elt && elt.tagName === "BUTTON") buttons = [elt];
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; b.setAttribute("data-busy-disabled", ""); });
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var target = busyTarget(evt);
    if (target && target.removeAttribute) target.removeAttribute("aria-busy");
    Array.prototype.forEach.call(document.querySelectorAll("[data-busy-disabled]"), function (b) {
      b.disabled = false; b.removeAttribute("data-busy-disabled");
    });
  });
  // A plain form (no htmx) posts once: its submit buttons are disabled as it goes.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || form.hasAttribute("hx-post") || form.hasAttribute("hx-get") || evt.defaultPrevented) return;
    setTimeout(function () {
      var submits = form.querySelectorAll("button[type=submit], button:not([type])");
      Array.prototype.forEach.call(submits, function (b) { b.disabled = true; });
    }, 0);
  });
  // Coming back through the browser's cache re-enables what a submit disabled.
  window.addEventListener("pageshow", function () {
    var stuck = document.querySelectorAll("form button[disabled]:not([data-keep-disabled])");
    Array.prototype.forEach.call(stuck, function (b) { b.disabled = false; });
  });

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

  // Live pages: the poller (components/live_poller.html) answers "live-changed" when the numbers behind
  // the page moved; each region marked data-live-refresh re-fetches itself from the current URL (the
  // server renders the block its id names). A region holding the keyboard focus waits until focus
  // leaves it, so nobody loses their place; no reload, the scroll position stays.
  var pendingLive = [];
  function refreshRegion(region) {
    if (!window.htmx || !region.id) return;
    window.htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#" + region.id, swap: "outerHTML" });
  }
  document.addEventListener("live-changed", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-refresh]"), function (region) {
      if (region.contains(document.activeElement) && document.activeElement !== document.body) {
        if (pendingLive.indexOf(region.id) < 0) pendingLive.push(region.id);
      } else {
        refreshRegion(region);
      }
    });
  });
  document.addEventListener("focusout", function (evt) {
    if (!pendingLive.length) return;
    var next = evt.relatedTarget;
    pendingLive = pendingLive.filter(function (id) {
      var region = document.getElementById(id);
      if (!region) return false;
      if (next && region.contains(next)) return true;
      refreshRegion(region);
      return false;
    });
  });

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
