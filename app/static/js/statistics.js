/* Charts of the statistics page, drawn with the bundled Chart.js (app/static/vendor/chartjs).
   The specifications (labels already in the user's language) come from the page as JSON; the
   same figures are in the table under each chart. */
(function () {
  "use strict";
  var source = document.getElementById("eks-chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var specs = JSON.parse(source.textContent || "[]");
  var locale = document.documentElement.lang || "et";
  var colours = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#d62728", "#8c564b", "#17becf"];

  specs.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) { return; }
    var horizontal = !!spec.horizontal;
    var hasY2 = spec.datasets.some(function (d) { return d.axis === "y2"; });
    var datasets = spec.datasets.map(function (d, i) {
      var colour = colours[i % colours.length];
      var set = {
        label: d.label, data: d.data, type: d.kind === "line" ? "line" : "bar",
        backgroundColor: d.kind === "line" ? colour : colour + "cc", borderColor: colour,
        borderWidth: d.kind === "line" ? 2 : 1, spanGaps: false, order: d.kind === "line" ? 0 : 1
      };
      var axis = d.axis === "y2" ? "y2" : "y";
      if (horizontal) { set.xAxisID = axis === "y2" ? "x2" : "x"; set.indexAxis = "y"; }
      else { set.yAxisID = axis; }
      return set;
    });
    var valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
    var rateAxis = { beginAtZero: true, position: horizontal ? "top" : "right", grid: { drawOnChartArea: false },
                     title: { display: !!spec.y2, text: spec.y2 || "" } };
    var scales = horizontal ? { x: valueAxis, y: { ticks: { autoSkip: false } } } : { y: valueAxis };
    if (hasY2) { scales[horizontal ? "x2" : "y2"] = rateAxis; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: locale, responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: scales
      }
    });
  });
})();
