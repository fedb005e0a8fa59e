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
  Plotly.newPlot("pareto-chart", [{ x: data.pareto.x, y: data.pareto.y, mode: "lines", line: { color: "#0d6efd" } }], pareto, config);
  var cv = layout(labels.cv, "CV", labels.count);
  cv.xaxis.tickformat = ".0%";
  cv.shapes = [data.cv.xline, data.cv.yline].map(function (level) {
    return { type: "line", yref: "paper", y0: 0, y1: 1, x0: level, x1: level, line: { dash: "dot", color: "#dc3545" } };
  });
  Plotly.newPlot("cv-chart", [{ x: data.cv.x, y: data.cv.y, type: "bar", marker: { color: "#6c757d" } }], cv, config);
})();
