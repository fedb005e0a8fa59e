// The run page's charts: the Pareto curve and the CV distribution, from json_script data.
(function () {
  "use strict";
  var source = document.getElementById("run-charts");
  if (!source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = document.getElementById("chart-labels").dataset;
  var layout = function (title, xTitle, yTitle) {
    return {
      title: { text: title, font: { size: 14 } },
      margin: { l: 50, r: 10, t: 40, b: 45 },
      xaxis: { title: { text: xTitle } },
      yaxis: { title: { text: yTitle } },
      showlegend: false,
      // Decimal mark and thousands separator of the page's language (Russian: "0,8", "1 000").
      separators: document.documentElement.lang === "ru" ? ",\u00a0" : ".,"
    };
  };
  var config = { displayModeBar: false, responsive: true };
  var pareto = layout(labels.pareto, labels.clients, labels.revenue);
  pareto.xaxis.tickformat = ".0%";
  pareto.yaxis.tickformat = ".0%";
  pareto.shapes = [data.pareto.a, data.pareto.b].map(function (level) {
    return { type: "line", xref: "paper", x0: 0, x1: 1, y0: level, y1: level, line: { dash: "dot", color: "#999" } };
  });
  Portal.plot("pareto-chart", [{ x: data.pareto.x, y: data.pareto.y, mode: "lines", line: { color: "#0d6efd" } }], pareto, config);
  // CV: bins up to the cap (150 %), then one bar, apart and labelled "> 150%", for every larger CV.
  var h = data.cv;
  var cv = layout(labels.cv, "CV", labels.count);
  var overflowAt = h.cap + 6 * h.width;  // far enough for its label to stand clear of "150%"
  var ticks = [0, 0.5, 1, 1.5].filter(function (tick) { return tick <= h.cap; });
  var percent = function (value) { return Math.round(value * 100) + "%"; };
  cv.xaxis.tickvals = ticks.concat(h.overflow ? [overflowAt] : []);
  cv.xaxis.ticktext = ticks.map(percent).concat(h.overflow ? ["> " + percent(h.cap)] : []);
  cv.xaxis.tickangle = 0;  // upright, so that the overflow label reads at once
  cv.xaxis.range = [0, h.overflow ? overflowAt + 3 * h.width : h.cap];
  cv.shapes = [h.xline, h.yline].map(function (level) {
    return { type: "line", yref: "paper", y0: 0, y1: 1, x0: level, x1: level, line: { dash: "dot", color: "#dc3545" } };
  });
  var bars = [{ x: h.x, y: h.y, width: h.width * 0.9, type: "bar", marker: { color: "#6c757d" } }];
  if (h.overflow) {
    var count = h.overflow.toLocaleString(document.documentElement.lang);  // "23 570" in Russian
    bars.push({ x: [overflowAt], y: [h.overflow], width: h.width * 3, type: "bar", marker: { color: "#495057" },
                text: [count], textposition: "outside", cliponaxis: false,
                hovertext: ["> " + percent(h.cap) + ": " + count], hoverinfo: "text" });
  }
  Portal.plot("cv-chart", bars, cv, config);
})();
