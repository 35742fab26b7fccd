/* Revenue chart: reads the JSON the page embedded with json_script (amounts as strings) and
 * draws stacked net + tax bars with Chart.js (served locally). No inline script needed.
 * Numbers on the axis and in the tooltips follow the page's language (<html lang>). */
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("revenue-chart");
    var source = document.getElementById("revenue-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var text = data.text || { net: "Net", tax: "Tax", gross: "Gross", invoices: "invoices" };
    var lang = document.documentElement.lang || "en";
    // The language's separators, applied to the exact decimal strings (no float rounding).
    var parts = new Intl.NumberFormat(lang).formatToParts(12345.6);
    var sep = { group: ",", decimal: "." };
    parts.forEach(function (p) { if (p.type === "group" || p.type === "decimal") { sep[p.type] = p.value; } });
    var money = {
      format: function (s) {
        var str = String(s), sign = "";
        if (str.charAt(0) === "-") { sign = "-"; str = str.slice(1); }
        var pieces = str.split(".");
        var whole = pieces[0].replace(/\B(?=(\d{3})+(?!\d))/g, sep.group);
        return sign + whole + (pieces.length > 1 ? sep.decimal + pieces[1] : "");
      }
    };
    var axis = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
    var count = new Intl.NumberFormat(lang);
    // Amounts arrive as exact decimal strings; the chart only needs numbers to draw.
    var toNumber = function (s) { return Number(s); };
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: text.net, data: data.net.map(toNumber), backgroundColor: "#1f5fbf", stack: "revenue" },
          { label: text.tax, data: data.tax.map(toNumber), backgroundColor: "#8fb3e8", stack: "revenue" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: lang,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true },
          y: {
            stacked: true, beginAtZero: true, title: { display: true, text: data.currency },
            ticks: { callback: function (value) { return axis.format(value); } }
          }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var strings = ctx.datasetIndex === 0 ? data.net : data.tax;
                return ctx.dataset.label + ": " + money.format(strings[ctx.dataIndex]) + " " + data.currency;
              },
              footer: function (items) {
                if (!items.length) { return ""; }
                var i = items[0].dataIndex;
                return text.gross + ": " + money.format(data.gross[i]) + " " + data.currency +
                  " · " + count.format(data.invoices[i]) + " " + text.invoices;
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
