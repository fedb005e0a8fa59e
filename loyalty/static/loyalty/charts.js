// Loyalty charts: every element with class "loyalty-chart" draws the series named in its
// data-metrics from the JSON in #loyalty-trends (written by json_script; no inline scripts).
// The charting library (several megabytes) is fetched from the address in this script's
// data-plotly only when a chart comes near the screen, so the page is usable before it arrives.
(function () {
  "use strict";
  var plotlySource = document.currentScript && document.currentScript.getAttribute("data-plotly");
  var waiting = null;
  function withPlotly(run) {
    if (window.Plotly) { run(); return; }
    if (!plotlySource) { return; }
    if (waiting === null) {
      waiting = [];
      var script = document.createElement("script");
      script.src = plotlySource;
      script.async = true;
      script.onload = function () { waiting.forEach(function (queued) { queued(); }); waiting = []; };
      document.head.appendChild(script);
    }
    waiting.push(run);
  }
  function dateAxis(traces) {
    var axis = { type: "date", tickformat: "%Y-%m" };
    var days = [];
    traces.forEach(function (trace) { days = days.concat(trace.x); });
    days.sort();
    if (days[0] === days[days.length - 1]) {
      // One period only: widen the axis so that it shows months, not fractions of a second.
      var day = new Date(days[0]);
      axis.range = [new Date(day.getTime() - 45 * 864e5).toISOString().slice(0, 10),
                    new Date(day.getTime() + 45 * 864e5).toISOString().slice(0, 10)];
      axis.dtick = "M1";
    }
    return axis;
  }
  // Charts are drawn when they come near the screen: a page of nine charts costs the drawing
  // of the two or three in view, not of all nine, before it can be used.
  function whenVisible(element, paint) {
    if (!("IntersectionObserver" in window)) { withPlotly(paint); return; }
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        observer.disconnect();
        withPlotly(paint);
      }
    }, { rootMargin: "200px 0px" });
    observer.observe(element);
  }
  function draw() {
    var source = document.getElementById("loyalty-trends");
    var data = source ? JSON.parse(source.textContent) : { series: {}, labels: {} };
    document.querySelectorAll(".loyalty-chart").forEach(function (element) {
      var traces = element.getAttribute("data-metrics").split(" ").map(function (metric) {
        var series = data.series[metric] || { x: [], y: [] };
        return { x: series.x, y: series.y, name: data.labels[metric] || metric, type: "scatter",
                 mode: "lines+markers", connectgaps: false };
      }).filter(function (trace) { return trace.x.length > 0; });
      if (traces.length === 0) { element.classList.add("d-none"); return; }
      whenVisible(element, function () {
        element.setAttribute("data-drawn", "1");
        window.Portal.plot(element, traces, {
          title: { text: element.getAttribute("data-title") || "", font: { size: 14 } },
          height: 280, margin: { l: 45, r: 10, t: 36, b: 40 },
          legend: { orientation: "h", y: -0.25 }, xaxis: dateAxis(traces)
        }, { displaylogo: false, responsive: true });
      });
    });
    document.querySelectorAll(".loyalty-slices").forEach(function (element) {
      var lines = (data.slices || {})[element.getAttribute("data-dimension")] || {};
      var traces = Object.keys(lines).map(function (label) {
        return { x: lines[label].x, y: lines[label].y, name: label, type: "scatter", mode: "lines+markers" };
      });
      if (traces.length === 0) { return; }
      whenVisible(element, function () {
        element.setAttribute("data-drawn", "1");
        window.Portal.plot(element, traces, {
          title: { text: element.getAttribute("data-title") || "", font: { size: 13 } },
          height: 260, margin: { l: 40, r: 10, t: 32, b: 30 }, showlegend: traces.length <= 8,
          legend: { orientation: "h", y: -0.2 }, xaxis: dateAxis(traces)
        }, { displaylogo: false, responsive: true });
      });
    });
    var histogram = document.getElementById("campaign-histogram");
    var histogramData = document.getElementById("campaign-histogram-data");
    if (histogram && histogramData) {
      var h = JSON.parse(histogramData.textContent);
      whenVisible(histogram, function () {
        histogram.setAttribute("data-drawn", "1");
        window.Portal.plot(histogram, [{ x: h.x, y: h.y, type: "bar", marker: { color: h.colors } }], {
          height: 240, margin: { l: 35, r: 10, t: 10, b: 30 }, xaxis: { dtick: 1 }
        }, { displaylogo: false, responsive: true });
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
