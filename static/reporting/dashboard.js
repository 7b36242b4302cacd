// The dashboard's charts, drawn from the JSON beside each canvas; the tables carry the figures.
// Redrawn after htmx swaps the dashboard in when a filter changes.
(function () {
  var charts = [];

  function options(kind) {
    var horizontal = kind === "horizontal_bar" || kind === "funnel";
    var stacked = kind === "stacked_bar";
    return {
      responsive: true,
      animation: false,
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { position: "bottom" } },
      scales: { x: { stacked: stacked }, y: { stacked: stacked } }
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
      var datasets = data.datasets.map(function (set) {
        return { label: set.label, data: set.data, borderColor: set.colour,
                 backgroundColor: set.colour, tension: 0.2, fill: false };
      });
      charts.push(new Chart(canvas, { type: line ? "line" : "bar",
                                      data: { labels: data.labels, datasets: datasets },
                                      options: options(data.kind) }));
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "dashboard") { draw(); }
  });
})();
