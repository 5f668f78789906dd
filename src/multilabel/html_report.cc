// comparison_html: the page is a fixed template (CSS + a small drawing script) plus the
// comparison as JSON in a <script type="application/json"> block; the script builds
// the SVG plots in the browser, so the page needs nothing from the network.
#include <algorithm>

#include "multilabel/report.h"
#include "multilabel/thresholds.h"

namespace quiver::multilabel {
namespace {

// The rows drawn: all of them, or every stride-th row plus the rows where a category's
// decisions differ (themselves thinned to max_points when there are more), so the
// interesting points are kept; at most about 2 * max_points rows.
std::vector<int64_t> plotted_rows(const Comparison& c, int max_points) {
  const int64_t cap = std::max(1, max_points);
  std::vector<bool> differs(c.rows, false);
  int64_t n_differ = 0;
  for (int64_t r = 0; r < c.rows; ++r) {
    for (const auto& cc : c.categories) {
      differs[r] = differs[r] || decide(cc.binary_scores[r], cc.binary_threshold) !=
                                     decide(cc.multilabel_scores[r], cc.multilabel_threshold);
    }
    n_differ += differs[r];
  }
  const int64_t stride = (c.rows + cap - 1) / cap, differ_stride = std::max<int64_t>(1, (n_differ + cap - 1) / cap);
  std::vector<int64_t> rows;
  for (int64_t r = 0, d = 0; r < c.rows; ++r) {
    const bool keep_differ = differs[r] && d++ % differ_stride == 0;
    if (r % stride == 0 || keep_differ) rows.push_back(r);
  }
  return rows;
}

std::string page_data(const Comparison& c, int max_points) {
  nlohmann::json j = comparison_json(c, false);
  const std::vector<int64_t> rows = plotted_rows(c, max_points);
  for (size_t i = 0; i < c.categories.size(); ++i) {
    const auto& cc = c.categories[i];
    nlohmann::json points = nlohmann::json::array();
    for (int64_t r : rows) {
      const int truth = cc.truth.empty() ? -1 : cc.truth[r];
      points.push_back({cc.binary_scores[r], cc.multilabel_scores[r], truth});
    }
    j["categories"][i]["points"] = points;
  }
  j["plotted_rows"] = rows.size();
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {  // "</script" must not end the block early
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') out += "<\\";
    else out += s[i];
  }
  return out;
}

constexpr const char* kHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>quiver compare</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Noto Sans CJK TC",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:20px}
header p{margin:0;color:#c9d1e0}main{padding:20px 28px;max-width:1280px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 20px;margin:0 0 20px}
h2{font-size:16px;margin:0 0 12px}.grid{display:flex;flex-wrap:wrap;gap:18px}
.panel{border:1px solid #e3e6eb;border-radius:6px;padding:10px;width:300px}
.panel svg{display:block;margin:0 auto}
.panel h3{margin:0 0 6px;font-size:14px}.panel table{font-size:12px;border-collapse:collapse;width:100%}
.panel td{padding:1px 4px}.panel td:last-child{text-align:right}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;vertical-align:middle}
table.dis{border-collapse:collapse;width:100%;font-size:13px}
table.dis td,table.dis th{border-bottom:1px solid #eceef2;padding:4px 6px;text-align:left;vertical-align:top}
table.dis td.num{white-space:nowrap;text-align:right;font-variant-numeric:tabular-nums}
svg text{font-size:11px;fill:#4a5263}
</style></head>
<body data-report="pending">
<header><h1>Binary models vs multi-label model</h1><p id="subtitle"></p></header>
<main>
<section><h2>Agreement per category</h2><div id="bars"></div>
<p class="legend"><span><i style="background:#3b6fd8"></i>agreement rate</span>
<span><i style="background:#e08a2c"></i>Cohen's kappa</span></p></section>
<section><h2>Throughput</h2><div id="speed"></div></section>
<section><h2>Scores per category</h2>
<p class="legend"><span><i style="background:#2e9d5b"></i>both yes</span>
<span><i style="background:#b4bac6"></i>both no</span><span><i style="background:#e08a2c"></i>only binary yes</span>
<span><i style="background:#3b6fd8"></i>only multi-label yes</span>
<span>dashed lines: thresholds; ring: labelled positive</span></p><div class="grid" id="scatters"></div></section>
<section><h2>Where they disagree most</h2><div id="disagree"></div></section>
</main>
<script type="application/json" id="data">)HTML";

constexpr const char* kScript = R"HTML(</script>
<script>
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, parent, ns) {
    var e = ns ? document.createElementNS(NS, tag) : document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, anchor) {
    var t = el('text', {x: x, y: y, 'text-anchor': anchor || 'start'}, parent, true);
    t.textContent = s;
    return t;
  }
  function f(v, d) { return Number(v).toFixed(d === undefined ? 3 : d); }
  function bars(data) {
    var cats = data.categories, w = 640, row = 34, left = 150, h = cats.length * row + 30;
    var svg = el('svg', {width: w, height: h, viewBox: '0 0 ' + w + ' ' + h, 'class': 'bars'},
                 document.getElementById('bars'), true);
    var scale = w - left - 70;
    for (var g = 0; g <= 4; g++) {
      var gx = left + scale * g / 4;
      el('line', {x1: gx, y1: 0, x2: gx, y2: h - 20, stroke: '#eceef2'}, svg, true);
      text(svg, gx, h - 6, f(g / 4, 2), 'middle');
    }
    cats.forEach(function (c, i) {
      var y = i * row + 4;
      text(svg, left - 8, y + 17, c.category, 'end');
      el('rect', {x: left, y: y, width: scale * c.agreement, height: 12, fill: '#3b6fd8', 'class': 'bar'}, svg, true);
      el('rect', {x: left, y: y + 14, width: scale * Math.max(0, c.kappa), height: 12, fill: '#e08a2c',
                  'class': 'bar'}, svg, true);
      text(svg, left + scale * c.agreement + 4, y + 10, f(c.agreement));
      text(svg, left + scale * Math.max(0, c.kappa) + 4, y + 24, 'kappa ' + f(c.kappa));
    });
  }
  function speed(data) {
    var t = data.throughput, w = 640, left = 150, scale = w - left - 130;
    var vals = [['binary group', t.binary_group_sentences_per_second, '#e08a2c'],
                ['multi-label', t.multilabel_sentences_per_second, '#3b6fd8']];
    var max = Math.max(vals[0][1], vals[1][1], 1e-9);
    var svg = el('svg', {width: w, height: 64, viewBox: '0 0 ' + w + ' 64'}, document.getElementById('speed'), true);
    vals.forEach(function (v, i) {
      text(svg, left - 8, i * 28 + 17, v[0], 'end');
      el('rect', {x: left, y: i * 28 + 4, width: scale * v[1] / max, height: 18, fill: v[2], 'class': 'bar'}, svg, true);
      text(svg, left + scale * v[1] / max + 6, i * 28 + 17, f(v[1], 1) + ' sentences/s');
    });
  }
  function scatter(c) {
    var panel = el('div', {'class': 'panel'}, document.getElementById('scatters'));
    el('h3', {}, panel).textContent = c.category;
    var S = 276, P = 42, inner = S - P - 16;
    var svg = el('svg', {width: S, height: S + 8, viewBox: '0 0 ' + S + ' ' + (S + 8), 'class': 'scatter'}, panel, true);
    function X(v) { return P + v * inner; }
    function Y(v) { return 8 + (1 - v) * inner; }
    el('rect', {x: P, y: 8, width: inner, height: inner, fill: '#fbfbfd', stroke: '#d5d9e0'}, svg, true);
    for (var g = 0; g <= 4; g++) {
      text(svg, X(g / 4), S - 12, f(g / 4, 2), 'middle');
      text(svg, P - 4, Y(g / 4) + 4, f(g / 4, 2), 'end');
    }
    text(svg, P + inner / 2, S + 5, 'binary score', 'middle');
    var yl = text(svg, 10, 8 + inner / 2, 'multi-label score', 'middle');
    yl.setAttribute('transform', 'rotate(-90 10 ' + (8 + inner / 2) + ')');
    el('line', {x1: X(c.binary_threshold), y1: 8, x2: X(c.binary_threshold), y2: 8 + inner,
                stroke: '#8a93a6', 'stroke-dasharray': '4 3'}, svg, true);
    el('line', {x1: P, y1: Y(c.multilabel_threshold), x2: P + inner, y2: Y(c.multilabel_threshold),
                stroke: '#8a93a6', 'stroke-dasharray': '4 3'}, svg, true);
    c.points.forEach(function (p) {
      var b = p[0] > c.binary_threshold, m = p[1] > c.multilabel_threshold;  // decide()
      var color = b && m ? '#2e9d5b' : (!b && !m ? '#b4bac6' : (b ? '#e08a2c' : '#3b6fd8'));
      el('circle', {cx: f(X(p[0]), 1), cy: f(Y(p[1]), 1), r: 3, fill: color, 'fill-opacity': 0.55,
                    stroke: p[2] === 1 ? '#1d2330' : 'none', 'stroke-width': 0.8, 'class': 'pt'}, svg, true);
    });
    var tbl = el('table', {}, panel), k = c.confusion;
    var rows = [['agreement', f(c.agreement)], ['kappa', f(c.kappa)], ['both yes / both no', k.both_yes + ' / ' + k.both_no],
                ['only binary / only multi-label', k.binary_only + ' / ' + k.multilabel_only],
                ['thresholds (binary / multi-label)', f(c.binary_threshold) + ' / ' + f(c.multilabel_threshold)]];
    if (c.binary_vs_labels) {
      rows.push(['F1 binary / multi-label', f(c.binary_vs_labels.f1) + ' / ' + f(c.multilabel_vs_labels.f1)]);
      rows.push(['accuracy binary / multi-label', f(c.binary_vs_labels.accuracy) + ' / ' + f(c.multilabel_vs_labels.accuracy)]);
    }
    rows.forEach(function (r) { var tr = el('tr', {}, tbl); el('td', {}, tr).textContent = r[0]; el('td', {}, tr).textContent = r[1]; });
  }
  function disagreements(data) {
    var root = document.getElementById('disagree'), any = false;
    data.categories.forEach(function (c) {
      if (!c.disagreements.length) return;
      any = true;
      el('h3', {}, root).textContent = c.category;
      var t = el('table', {'class': 'dis'}, root), h = el('tr', {}, t);
      ['row', 'binary', 'multi-label', 'sentence'].forEach(function (s) { el('th', {}, h).textContent = s; });
      c.disagreements.forEach(function (d) {
        var tr = el('tr', {}, t);
        el('td', {'class': 'num'}, tr).textContent = d.row + 1;
        el('td', {'class': 'num'}, tr).textContent = f(d.binary_score);
        el('td', {'class': 'num'}, tr).textContent = f(d.multilabel_score);
        el('td', {}, tr).textContent = d.text;
      });
    });
    if (!any) el('p', {}, root).textContent = 'The two sides agree on every sentence.';
  }
  try {
    var data = JSON.parse(document.getElementById('data').textContent);
    document.getElementById('subtitle').textContent = data.rows + ' sentences from ' + data.data +
        '; multi-label model ' + data.model + (data.plotted_rows < data.rows ? ' (plots show ' + data.plotted_rows + ' of them)' : '');
    bars(data);
    speed(data);
    data.categories.forEach(scatter);
    disagreements(data);
    document.body.setAttribute('data-plots', String(document.querySelectorAll('svg.scatter').length));
    document.body.setAttribute('data-report', 'ok');
  } catch (e) {
    document.body.setAttribute('data-report', 'error: ' + e);
    throw e;
  }
})();
</script>
</body></html>
)HTML";

}  // namespace

std::string comparison_html(const Comparison& c, int max_points) {
  return std::string(kHead) + page_data(c, max_points) + kScript;
}

}  // namespace quiver::multilabel
