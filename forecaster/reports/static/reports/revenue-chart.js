/* Revenue chart: reads the JSON the page embedded with json_script (amounts as strings) and
 * draws stacked net + tax bars with Chart.js (served locally). No inline script needed. */
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("revenue-chart");
    var source = document.getElementById("revenue-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    // Amounts arrive as exact decimal strings; the chart only needs numbers to draw.
    var toNumber = function (s) { return Number(s); };
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Net", data: data.net.map(toNumber), backgroundColor: "#1f5fbf", stack: "revenue" },
          { label: "Tax", data: data.tax.map(toNumber), backgroundColor: "#8fb3e8", stack: "revenue" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: data.currency } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var strings = ctx.datasetIndex === 0 ? data.net : data.tax;
                return ctx.dataset.label + ": " + strings[ctx.dataIndex] + " " + data.currency;
              },
              footer: function (items) {
                if (!items.length) { return ""; }
                var i = items[0].dataIndex;
                return "Gross: " + data.gross[i] + " " + data.currency + " · " + data.invoices[i] + " invoices";
              }
            }
          },
          legend: { position: "bottom" }
        }
      }
    });
    canvas.dataset.ready = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
