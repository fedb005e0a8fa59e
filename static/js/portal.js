// Behaviour shared by every page; no inline scripts, so the CSP can forbid them.
(function () {
  "use strict";
  // A <select data-autosubmit> submits its form on change (the organization switcher).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });
  // Every chart is drawn with Portal.plot(target, traces, layout, config), never Plotly.newPlot:
  // Plotly reads a subset of HTML in any text it draws (a touchpoint or segment named
  // <a href="..."> would become a live link), so every string of the traces and the layout
  // has its markup characters written as entities, which Plotly shows as the plain characters.
  function chartText(value) {
    if (typeof value === "string") {
      return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    }
    if (Array.isArray(value)) { return value.map(chartText); }
    if (value && typeof value === "object") {
      var copy = {};
      Object.keys(value).forEach(function (key) { copy[key] = chartText(value[key]); });
      return copy;
    }
    return value;
  }
  window.Portal = window.Portal || {};
  window.Portal.chartText = chartText;
  window.Portal.plot = function (target, traces, layout, config) {
    return window.Plotly.newPlot(target, chartText(traces), chartText(layout || {}), config);
  };
  // A button with data-print prints the page (the dashboard: A4 landscape, see clients.css).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { window.print(); }
  });
  // A form with data-confirm asks before it submits (removing a member, deleting).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
