/* Cost and result charts: read the JSON the page embedded with json_script (amounts as exact
 * strings) and draw with Chart.js (served locally). kind: "bar" (net + VAT per period), "pie"
 * (gross per counterparty/commitment/tag) or "result" (revenue and costs bars, result line). */
(function () {
  "use strict";
  var palette = ["#1f5fbf", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d",
    "#f1c40f", "#34495e", "#e67e22", "#27ae60", "#9b59b6"];

  function draw(canvas) {
    if (canvas.dataset.ready) { return; }
    var source = document.getElementById(canvas.dataset.source);
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var num = function (s) { return Number(s); };
    var labels = JSON.parse(canvas.dataset.labels || "{}");
    var config;
    if (data.revenue) {
      config = {
        data: {
          labels: data.labels,
          datasets: [
            { type: "bar", label: labels.revenue || "Revenue", data: data.revenue.map(num), backgroundColor: "#1f5fbf" },
            { type: "bar", label: labels.costs || "Costs", data: data.costs.map(num), backgroundColor: "#d9822b" },
            { type: "line", label: labels.result || "Result", data: data.result.map(num), borderColor: "#2e8b57",
              backgroundColor: "#2e8b57" }
          ]
        }
      };
    } else if (data.kind === "pie") {
      config = {
        type: "pie",
        data: { labels: data.labels, datasets: [{ data: data.gross.map(num),
          backgroundColor: data.labels.map(function (_l, i) { return palette[i % palette.length]; }) }] }
      };
    } else {
      config = {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: labels.net || "Net", data: data.net.map(num), backgroundColor: "#d9822b", stack: "c" },
            { label: labels.tax || "VAT", data: data.tax.map(num), backgroundColor: "#f0c08a", stack: "c" }
          ]
        },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
      };
    }
    config.options = Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } }
    }, config.options || {});
    new window.Chart(canvas, config);
    canvas.dataset.ready = "1";
  }

  function drawAll() {
    if (typeof window.Chart === "undefined") {  // Chart.js may load after this script
      window.addEventListener("load", drawAll, { once: true });
      return;
    }
    var canvases = document.querySelectorAll("canvas[data-source]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
