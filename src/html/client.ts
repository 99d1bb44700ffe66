/**
 * The page script of every beamscope page: draws the charts from the JSON data block, makes the
 * tables sortable (tablesort) and filterable. Plain browser JavaScript kept as text: it is inlined
 * into the page and allowed by its hash in the Content-Security-Policy. It reads dump text only
 * through JSON.parse and writes it only as textContent or canvas text, never as markup.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var dataEl = document.getElementById('bs-data');
  var data = dataEl ? JSON.parse(dataEl.textContent || '{}') : {};
  var UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  function bytes(n) {
    if (n === null || n === undefined || !isFinite(n)) return '';
    var u = 0, v = Math.abs(n);
    while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
    var s = u === 0 ? String(v) : String(Number(v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)));
    return (n < 0 ? '-' : '') + s + ' ' + UNITS[u];
  }
  function fmt(unit) {
    if (unit === 'bytes') return bytes;
    if (unit === 'percent') return function (n) { return (n * 100).toFixed(1) + '%'; };
    return function (n) { return Number(n).toLocaleString('en-US'); };
  }
  var PALETTE = ['#2f6fb3', '#d9822b', '#3a9a5b', '#b3261e', '#7b5ea7', '#8c6d46', '#c05f9a', '#6b7785', '#a4a61d', '#1fa0b3'];
  var charts = [];
  function draw(spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas || typeof Chart === 'undefined') return;
    var f = fmt(spec.unit);
    var horizontal = spec.kind === 'hbar' || spec.kind === 'hstacked';
    var stacked = spec.kind === 'stacked' || spec.kind === 'hstacked';
    var line = spec.kind === 'line';
    var valueAxis = horizontal ? 'x' : 'y';
    var scales = {};
    scales[valueAxis] = { beginAtZero: true, stacked: stacked, ticks: { callback: function (v) { return f(v); } } };
    // Byte axes step by a power of two (4 MiB, 512 MiB), not Chart.js's decimal steps (1.91 MiB).
    if (spec.unit === 'bytes') {
      var max = 0;
      spec.labels.forEach(function (_, i) {
        var sum = 0;
        spec.series.forEach(function (s) {
          var v = s.values[i] || 0;
          if (stacked) sum += v; else if (v > max) max = v;
        });
        if (stacked && sum > max) max = sum;
      });
      if (max > 0) scales[valueAxis].ticks.stepSize = Math.pow(2, Math.ceil(Math.log2(max / 6)));
    }
    scales[horizontal ? 'y' : 'x'] = { stacked: stacked, ticks: { autoSkip: true, maxRotation: 60 } };
    var chart = new Chart(canvas, {
      type: line ? 'line' : 'bar',
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s, i) {
          var c = PALETTE[i % PALETTE.length];
          return { label: s.label, data: s.values, backgroundColor: c, borderColor: c, borderWidth: line ? 2 : 0, pointRadius: line ? 2 : 0, spanGaps: false };
        })
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: spec.series.length > 1 },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ': ' + f(horizontal ? ctx.parsed.x : ctx.parsed.y); } } }
        },
        scales: scales
      }
    });
    charts.push(chart);
  }
  (data.charts || []).forEach(draw);
  // Printing lays the page out at another width: redraw the canvases for it.
  window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });

  if (typeof Tablesort !== 'undefined') {
    document.querySelectorAll('table.sortable').forEach(function (t) { new Tablesort(t, { descending: true }); });
  }
  document.querySelectorAll('input[data-filter-for]').forEach(function (input) {
    var id = input.getAttribute('data-filter-for');
    var table = document.getElementById(id);
    var count = document.querySelector('[data-count-for="' + id + '"]');
    if (!table) return;
    var original = count ? count.textContent : '';
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var hit = q === '' || rows[i].textContent.toLowerCase().indexOf(q) >= 0;
        rows[i].classList.toggle('hidden', !hit);
        if (hit) shown++;
      }
      if (count) count.textContent = q === '' ? original : shown + ' of ' + rows.length + ' shown (filter: ' + input.value + ')';
    });
  });
  window.__beamscopeReady = true;
})();
`;
