// The value roll-up chart of a hierarchy page; the table beside it carries the same figures.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("rollup-chart");
  var source = document.getElementById("rollup-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#6c757d", "#0d6efd", "#198754", "#fd7e14"];
  var datasets = Object.keys(data.series).map(function (label, index) {
    return { label: label, data: data.series[label], borderColor: colours[index % colours.length],
             backgroundColor: colours[index % colours.length], tension: 0.2 };
  });
  new Chart(canvas, { type: "line", data: { labels: data.labels, datasets: datasets },
                      options: { responsive: true, plugins: { legend: { position: "bottom" } } } });
});
