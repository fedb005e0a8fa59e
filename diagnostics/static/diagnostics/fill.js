// Filling an assessment: htmx saves each item on change; this file makes sure nothing typed is
// lost when the tab closes, and says so when a save could not reach the server.
(function () {
  "use strict";
  var dirty = new Set();
  var page = document.getElementById("fill-page");
  if (!page) {
    return;
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form.item-form");
    if (form) {
      dirty.add(form);
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form.matches("form.item-form")) {
      dirty.delete(form);
    }
  });
  function failed(event) {
    var form = event.detail.elt;
    var status = form.querySelector(".item-status");
    if (status) {
      status.textContent = page.getAttribute("data-not-saved");
      status.className = "small item-status text-danger item-error";
    }
  }
  document.body.addEventListener("htmx:responseError", failed);
  document.body.addEventListener("htmx:sendError", failed);
  // A closing tab cannot wait for the debounce: send what is still unsaved in the background.
  function flush() {
    dirty.forEach(function (form) {
      var data = new FormData(form);
      data.append("beacon", "1");
      navigator.sendBeacon(form.getAttribute("action"), data);
    });
    dirty.clear();
  }
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      flush();
    }
  });
})();
