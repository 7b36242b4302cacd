// The dashboard's charts, drawn from the JSON beside each canvas; the tables carry the figures.
// Redrawn after htmx swaps the dashboard in when a filter changes.
(function () {
  var charts = [];

  function options(kind, twoAxes) {
    var horizontal = kind === "horizontal_bar" || kind === "funnel";
    var stacked = kind === "stacked_bar";
    var scales = { x: { stacked: stacked }, y: { stacked: stacked } };
    if (twoAxes) {
      // Amounts on their own axis, opposite the counts.
      scales[horizontal ? "x1" : "y1"] = { position: horizontal ? "top" : "right",
                                           grid: { drawOnChartArea: false } };
    }
    return {
      responsive: true,
      animation: false,
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { position: "bottom" } },
      scales: scales
    };
  }

  function draw() {
    if (typeof Chart === "undefined") { return; }
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    document.querySelectorAll("canvas[data-chart-source]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chartSource);
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var line = data.kind === "line";
      var horizontal = data.kind === "horizontal_bar" || data.kind === "funnel";
      var money = data.datasets.filter(function (set) { return set.money; }).length;
      var twoAxes = money > 0 && money < data.datasets.length;
      var datasets = data.datasets.map(function (set) {
        var dataset = { label: set.label, data: set.data, borderColor: set.colour,
                        backgroundColor: set.colour, tension: 0.2, fill: false };
        if (twoAxes && set.money) { dataset[horizontal ? "xAxisID" : "yAxisID"] = horizontal ? "x1" : "y1"; }
        return dataset;
      });
      charts.push(new Chart(canvas, { type: line ? "line" : "bar",
                                      data: { labels: data.labels, datasets: datasets },
                                      options: options(data.kind, twoAxes) }));
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  // Back and forward restore the page's HTML from htmx's history: the canvases come back empty.
  document.addEventListener("htmx:historyRestore", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "dashboard") { draw(); }
  });
})();
