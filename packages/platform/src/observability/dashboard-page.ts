/**
 * The dashboard: one self-contained page (no CDN, nothing outside is reachable) whose script
 * polls `/dashboard/data` every second and draws every panel as SVG. A cluster's entry merges that
 * data from every instance and says how many answered (`instances`), shown beside the time.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderflow dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:13px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#222}
header{padding:10px 16px;background:#1f2937;color:#fff;display:flex;gap:16px;align-items:baseline}
header h1{font-size:16px;margin:0} #status{opacity:.8}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px;padding:12px}
section{background:#fff;border:1px solid #e3e5e8;border-radius:6px;padding:8px 10px}
section h2{font-size:13px;margin:0 0 4px;font-weight:600} section.wide{grid-column:1/-1}
svg{width:100%;height:auto;display:block} text{font-size:10px;fill:#444}
.legend span{margin-right:10px} .legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
</style></head><body>
<header><h1>orderflow</h1><span id="status">connecting…</span></header>
<main>
<section><h2>Throughput (requests/s)</h2><svg id="throughput" data-chart="line" viewBox="0 0 400 150"></svg></section>
<section><h2>Latency percentiles (ms)</h2><div class="legend"><span><i style="background:#2563eb"></i>p50</span><span><i style="background:#f59e0b"></i>p95</span><span><i style="background:#dc2626"></i>p99</span></div><svg id="latency" data-chart="line" viewBox="0 0 400 150"></svg></section>
<section><h2>Orders by status</h2><svg id="orders" data-chart="bars" viewBox="0 0 400 150"></svg></section>
<section><h2>Outbox pending and consumer lag (messages)</h2><svg id="lag" data-chart="bars" viewBox="0 0 400 150"></svg></section>
<section><h2>Circuit breakers</h2><svg id="breakers" data-chart="tiles" viewBox="0 0 400 60"></svg></section>
<section><h2>Dead letters</h2><svg id="dead" data-chart="bars" viewBox="0 0 400 150"></svg></section>
<section class="wide"><h2>Slowest requests, last 15 min (end to end; the slowest span inside is the why)</h2><svg id="slowest" data-chart="hbars" viewBox="0 0 800 200"></svg></section>
</main>
<script>
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
  function nice(v) { if (v <= 0) return 1; var p = Math.pow(10, Math.floor(Math.log10(v))); var m = v / p; return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p; }
  function fmt(v) { return v >= 100 ? Math.round(v) : Math.round(v * 10) / 10; }
  function done(svg) { svg.setAttribute('data-updated', String(Number(svg.getAttribute('data-updated') || 0) + 1)); }

  function line(svg, points, series) {
    clear(svg);
    var W = 400, H = 150, L = 34, B = 18, T = 6;
    var max = nice(Math.max.apply(null, [0].concat(series.flatMap(function (s) { return points.map(function (p) { return p[s.key]; }); }))));
    for (var i = 0; i <= 4; i++) {
      var y = T + (H - T - B) * (1 - i / 4);
      svg.appendChild(el('line', { x1: L, x2: W, y1: y, y2: y, stroke: '#eee' }));
      svg.appendChild(el('text', { x: L - 4, y: y + 3, 'text-anchor': 'end' }, fmt(max * i / 4)));
    }
    var n = Math.max(points.length, 2);
    series.forEach(function (s) {
      var d = points.map(function (p, i) {
        var x = L + (W - L) * i / (n - 1), y = T + (H - T - B) * (1 - p[s.key] / max);
        return (i ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
      }).join(' ');
      svg.appendChild(el('path', { d: d || 'M0 0', fill: 'none', stroke: s.color, 'stroke-width': 1.5, 'data-series': s.key }));
    });
    svg.appendChild(el('text', { x: L, y: H - 4 }, points.length ? '-' + points.length + ' s' : 'no requests yet'));
    svg.appendChild(el('text', { x: W, y: H - 4, 'text-anchor': 'end' }, 'now'));
    done(svg);
  }

  function bars(svg, items, colorOf) {
    clear(svg);
    var tilt = items.length > 5, W = 400, H = 150, B = tilt ? 52 : 30, T = 12, L = 8;
    var max = nice(Math.max.apply(null, [0].concat(items.map(function (i) { return i.value; }))));
    var w = (W - L) / Math.max(items.length, 1);
    items.forEach(function (it, i) {
      var h = (H - T - B) * it.value / max, x = L + i * w + w * 0.15;
      svg.appendChild(el('rect', { x: x, y: H - B - h, width: w * 0.7, height: Math.max(h, 0.5), fill: colorOf(it), 'data-label': it.label }));
      svg.appendChild(el('text', { x: x + w * 0.35, y: H - B - h - 2, 'text-anchor': 'middle' }, fmt(it.value)));
      var lx = x + w * 0.35, ly = H - B + 12;
      svg.appendChild(el('text', tilt ? { x: lx, y: ly, 'text-anchor': 'end', transform: 'rotate(-35 ' + lx + ' ' + ly + ')' } : { x: lx, y: ly, 'text-anchor': 'middle' }, it.label));
    });
    if (!items.length) svg.appendChild(el('text', { x: 10, y: 20 }, 'nothing yet'));
    done(svg);
  }

  function tiles(svg, breakers) {
    clear(svg);
    var names = ['closed', 'half-open', 'open'], colors = ['#16a34a', '#f59e0b', '#dc2626'];
    breakers.forEach(function (b, i) {
      var x = 6 + i * 130;
      svg.appendChild(el('rect', { x: x, y: 6, width: 122, height: 46, rx: 5, fill: colors[b.state] || '#999', 'data-label': b.dependency }));
      svg.appendChild(el('text', { x: x + 8, y: 24, style: 'fill:#fff;font-size:11px' }, b.dependency));
      svg.appendChild(el('text', { x: x + 8, y: 42, style: 'fill:#fff;font-size:12px;font-weight:600' }, names[b.state] || '?'));
    });
    done(svg);
  }

  function hbars(svg, rows) {
    clear(svg);
    var W = 800, row = 22, L = 8, barL = 330;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + Math.max(40, rows.length * row + 10));
    var max = nice(Math.max.apply(null, [0].concat(rows.map(function (r) { return r.totalMs; }))));
    rows.forEach(function (r, i) {
      var y = 6 + i * row, w = (W - barL - 10) * r.totalMs / max;
      var cause = r.slowestSpan ? r.slowestSpan.name + ' (' + r.slowestSpan.service + ', ' + fmt(r.slowestSpan.selfMs) + ' ms)' : '';
      svg.appendChild(el('text', { x: L, y: y + 14 }, r.method + ' ' + r.route + '  customer ' + (r.customerId ? r.customerId.slice(0, 13) : '-')));
      svg.appendChild(el('rect', { x: barL, y: y + 3, width: Math.max(w, 1), height: row - 6, fill: '#6366f1', 'data-trace': r.traceId }));
      svg.appendChild(el('text', { x: barL + 4, y: y + 14, style: 'fill:#fff' }, fmt(r.totalMs) + ' ms  ' + cause));
    });
    if (!rows.length) svg.appendChild(el('text', { x: 10, y: 20 }, 'no traced requests in the last 15 minutes'));
    done(svg);
  }

  var statusColors = { pending: '#9ca3af', awaiting_payment: '#f59e0b', confirmed: '#16a34a', cancelled: '#dc2626' };
  function render(d) {
    line(document.getElementById('throughput'), d.series, [{ key: 'requests', color: '#2563eb' }]);
    line(document.getElementById('latency'), d.series, [{ key: 'p50Ms', color: '#2563eb' }, { key: 'p95Ms', color: '#f59e0b' }, { key: 'p99Ms', color: '#dc2626' }]);
    bars(document.getElementById('orders'), Object.keys(d.ordersByStatus).map(function (k) { return { label: k, value: d.ordersByStatus[k] }; }), function (i) { return statusColors[i.label] || '#6366f1'; });
    bars(document.getElementById('lag'), d.outbox.map(function (o) { return { label: 'outbox ' + o.service, value: o.pending, kind: 'outbox' }; })
      .concat(d.consumers.map(function (c) { return { label: 'lag ' + c.consumer, value: c.lag, kind: 'lag' }; })), function (i) { return i.kind === 'outbox' ? '#0ea5e9' : '#8b5cf6'; });
    tiles(document.getElementById('breakers'), d.breakers);
    bars(document.getElementById('dead'), d.consumers.map(function (c) { return { label: c.consumer, value: c.dead }; }), function () { return '#dc2626'; });
    hbars(document.getElementById('slowest'), d.slowest);
  }

  function tick() {
    fetch('/dashboard/data', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (d) { render(d); document.getElementById('status').textContent = 'updated ' + new Date(d.now).toLocaleTimeString() + (d.instances ? ', ' + d.instances.answered + ' of ' + d.instances.total + ' instances' : ''); })
      .catch(function (e) { document.getElementById('status').textContent = 'error: ' + e.message; })
      .finally(function () { setTimeout(tick, 1000); });
  }
  tick();
})();
</script></body></html>`;
