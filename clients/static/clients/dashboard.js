// The dashboard's chart: revenue (bars) and buying clients (line) by month, from json_script data;
// a click on a month opens its buying clients.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-chart");
  if (!source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = document.getElementById("dashboard-chart-labels").dataset;
  // Clients are whole: ticks on whole numbers, about five of them.
  var buyersStep = Math.max(1, Math.ceil(Math.max.apply(null, data.buyers.concat([1])) / 5));
  var layout = {
    margin: { l: 70, r: 50, t: 10, b: 40 },
    xaxis: { type: "date", tickformat: "%m.%Y" },
    yaxis: { title: { text: labels.revenue }, rangemode: "tozero" },
    yaxis2: { title: { text: labels.buyers }, overlaying: "y", side: "right", rangemode: "tozero", dtick: buyersStep },
    legend: { orientation: "h", y: -0.2 },
    separators: document.documentElement.lang === "ru" ? ",\u00a0" : ".,"
  };
  var drawn = Portal.plot("revenue-chart", [
    { x: data.months, y: data.revenue, type: "bar", name: labels.revenue, marker: { color: "#0d6efd" } },
    { x: data.months, y: data.buyers, type: "scatter", mode: "lines+markers", name: labels.buyers, yaxis: "y2",
      line: { color: "#fd7e14" } }
  ], layout, { displayModeBar: false, responsive: true });
  // A month's bar or point opens the clients who bought in it (data.links, one per month).
  drawn.then(function (chart) {
    chart.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (point && data.links[point.pointIndex]) { window.location.assign(data.links[point.pointIndex]); }
    });
    chart.setAttribute("data-links", "ready");  // the months can be clicked from now on
  });
})();
