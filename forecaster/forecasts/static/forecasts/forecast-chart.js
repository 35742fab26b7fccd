/* Forecast charts: every <canvas class="forecast-chart" data-source="ID"> reads the JSON that
 * the page embedded with json_script under ID (amounts as strings) and draws actual months as a
 * solid line, forecast months dashed, the interval as a shaded band and a "today" marker.
 * Chart.js is served by us; no inline script, so a strict CSP holds. */
(function () {
  "use strict";

  function num(s) { return s === null || s === undefined ? null : Number(s); }

  // A vertical line before the first forecast month, drawn by a tiny Chart.js plugin.
  var todayMarker = {
    id: "todayMarker",
    afterDatasetsDraw: function (chart, args, opts) {
      if (opts.index === undefined || opts.index === null) { return; }
      var x = chart.scales.x;
      if (!x) { return; }
      var left = opts.index > 0 ? x.getPixelForValue(opts.index - 1) : x.getPixelForValue(0);
      var right = x.getPixelForValue(opts.index);
      var pos = (left + right) / 2;
      var ctx = chart.ctx, area = chart.chartArea;
      ctx.save();
      ctx.strokeStyle = "#b3261e";
      ctx.setLineDash([2, 3]);
      ctx.beginPath(); ctx.moveTo(pos, area.top); ctx.lineTo(pos, area.bottom); ctx.stroke();
      ctx.fillStyle = "#b3261e";
      ctx.font = "12px sans-serif";
      ctx.fillText(opts.label || "today", pos + 4, area.top + 12);
      ctx.restore();
    }
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.source);
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var datasets = [];
    if (data.upper) {
      datasets.push({ label: data.bandLabel || "80 % interval (high)", data: data.upper.map(num),
        borderWidth: 0, pointRadius: 0, backgroundColor: "rgba(31,95,191,0.15)", fill: "+1", spanGaps: false });
      datasets.push({ label: data.bandLowLabel || "80 % interval (low)", data: data.lower.map(num),
        borderWidth: 0, pointRadius: 0, backgroundColor: "rgba(31,95,191,0.15)", fill: false, spanGaps: false });
    }
    (data.series || [
      { label: data.actualLabel || "Actual", values: data.actual, color: "#1f5fbf", dashed: false },
      { label: data.forecastLabel || "Forecast", values: data.forecast, color: "#1f5fbf", dashed: true }
    ]).forEach(function (s) {
      datasets.push({ label: s.label, data: s.values.map(num), borderColor: s.color,
        backgroundColor: s.color, borderDash: s.dashed ? [6, 4] : [], pointRadius: 2, fill: false,
        spanGaps: false, tension: 0 });
    });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: !data.allowNegative, title: { display: !!data.currency, text: data.currency || "" } } },
        plugins: {
          legend: { position: "bottom" },
          todayMarker: { index: data.today, label: data.todayLabel }
        }
      },
      plugins: [todayMarker]
    });
    canvas.dataset.ready = "1";
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas.forecast-chart"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
