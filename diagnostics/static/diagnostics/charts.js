// Charts of diagnostics reports: data come from json_script blocks, no inline scripts.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  var config = { displayModeBar: false, responsive: true };
  var layout = { margin: { t: 30, r: 20, b: 40, l: 50 }, height: 360 };

  var report = data("chart-data");
  var target = document.getElementById("chart");
  if (report && target) {
    var label = target.getAttribute("data-score-label");
    if (report.kind === "radar") {
      Portal.plot(target, [{
        type: "scatterpolar", fill: "toself",
        r: report.values.concat([report.values[0]]),
        theta: report.labels.concat([report.labels[0]]), name: label
      }], Object.assign({}, layout, { polar: { radialaxis: { range: [0, 100] } } }), config);
    } else if (report.kind === "heatmap") {
      Portal.plot(target, [{
        type: "heatmap", z: report.z, x: report.columns, y: report.rows, text: report.text,
        hoverinfo: "text+z", zmin: 0, zmax: 100, xgap: 3, ygap: 3,
        colorscale: [[0, "#d9534f"], [0.5, "#f0ad4e"], [1, "#5cb85c"]]
      }], Object.assign({}, layout, { margin: { t: 20, r: 20, b: 40, l: 200 }, yaxis: { autorange: "reversed" } }), config);
    } else {
      Portal.plot(target, [{ type: "bar", x: report.labels, y: report.values, name: label, marker: { color: "#1f4e79" } }],
        Object.assign({}, layout, { yaxis: { range: [0, 100], title: { text: label } } }), config);
    }
  }

  var compare = data("compare-data");
  var compareTarget = document.getElementById("compare-chart");
  if (compare && compareTarget) {
    Portal.plot(compareTarget, [
      { type: "bar", x: compare.labels, y: compare.before, name: compareTarget.getAttribute("data-before"), marker: { color: "#9bb7d4" } },
      { type: "bar", x: compare.labels, y: compare.after, name: compareTarget.getAttribute("data-after"), marker: { color: "#1f4e79" } }
    ], Object.assign({}, layout, { barmode: "group", yaxis: { range: [0, 100] } }), config);
  }

  var curve = data("curve-data");
  var curveTarget = document.getElementById("emotion-chart");
  if (curve && curveTarget) {
    Portal.plot(curveTarget, [{
      type: "scatter", mode: "lines+markers+text", x: curve.labels, y: curve.values, text: curve.stages,
      textposition: "top center", line: { shape: "linear", color: "#1f4e79" }, marker: { size: 10 }
    }], Object.assign({}, layout, {
      title: { text: curveTarget.getAttribute("data-title") },
      yaxis: { range: [-2.6, 2.6], dtick: 1, zeroline: true }
    }), config);
  }
})();
