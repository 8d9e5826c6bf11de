// A small SVG line chart of one metric over time, with the stage's alert threshold drawn in and the
// points above it marked. Its numbers are also in a table for screen readers and copying.

import { h, s, time } from "./dom.js";

// a narrow screen draws a narrower chart, so that its text stays legible when the chart fits the screen
const narrow = () => window.matchMedia("(max-width: 760px)").matches;
const HEIGHT = 220;
const PAD = { top: 16, right: 16, bottom: 34, left: 64 };

function ticks(low, high, count) {
  const span = high - low || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((m) => span / m <= count) || span / count;
  const first = Math.ceil(low / nice) * nice;
  const values = [];
  for (let v = first; v <= high + nice / 1000; v += nice) values.push(Number(v.toFixed(10)));
  return values;
}

/**
 * points: [{t: ISO string, v: number}], oldest first; threshold: number or null;
 * format(v): how a value reads (axis, labels, table).
 */
export function lineChart({ title, points, threshold = null, format = String, id }) {
  const WIDTH = narrow() ? 360 : 640;
  const values = points.map((p) => p.v);
  const times = points.map((p) => Date.parse(p.t));
  const top = Math.max(...values, threshold ?? -Infinity) * 1.1 || 1;
  const low = Math.min(0, ...values);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0 || 1)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - ((v - low) / (top - low)) * (HEIGHT - PAD.top - PAD.bottom);
  const above = (v) => threshold !== null && v > threshold;

  const grid = ticks(low, top, 4).map((v) =>
    s("g", { class: "tick" },
      s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v) }),
      s("text", { x: PAD.left - 8, y: y(v) + 4, "text-anchor": "end" }, format(v))));
  const labelEvery = Math.max(1, Math.ceil(points.length / (narrow() ? 3 : 6)));
  const xLabels = points
    // every labelEvery-th window, and the last unless it would crowd the label before it
    .map((p, i) => (i % labelEvery === 0 || (i === points.length - 1 && i % labelEvery > labelEvery / 2) ? p : null))
    .filter(Boolean)
    .map((p) => s("text", { class: "x-label", x: x(Date.parse(p.t)), y: HEIGHT - 12, "text-anchor": "middle" },
      new Date(p.t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })));
  const line = s("polyline", {
    class: "series",
    points: points.map((p) => `${x(Date.parse(p.t)).toFixed(1)},${y(p.v).toFixed(1)}`).join(" "),
  });
  const dots = points.map((p) =>
    s("circle", { class: above(p.v) ? "dot dot-breach" : "dot", cx: x(Date.parse(p.t)), cy: y(p.v), r: above(p.v) ? 4 : 3 },
      s("title", {}, `${time(p.t)}: ${format(p.v)}${above(p.v) ? " (above the threshold)" : ""}`)));
  const limit = threshold === null ? [] : [
    s("line", { class: "threshold", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(threshold), y2: y(threshold) }),
    s("text", { class: "threshold-label", x: WIDTH - PAD.right, y: y(threshold) - 6, "text-anchor": "end" },
      `alert above ${format(threshold)}`),
  ];
  const breaches = values.filter(above).length;
  const summary = `${title}: ${points.length} windows from ${time(points[0].t)} to ${time(points.at(-1).t)}, ` +
    `latest ${format(values.at(-1))}` +
    (threshold === null ? "" : `; alert threshold ${format(threshold)}, exceeded in ${breaches} windows`);
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": summary, class: "chart-svg" },
    s("title", {}, summary), ...grid,
    s("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(low), y2: y(low) }),
    ...xLabels, ...limit, line, ...dots);
  const table = h("details", { class: "chart-data" }, h("summary", {}, "Data table"),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Window end"), h("th", { scope: "col" }, title))),
      h("tbody", {}, points.map((p) => h("tr", { class: above(p.v) ? "breach" : null },
        h("td", {}, time(p.t)), h("td", {}, format(p.v)))))));
  return h("figure", { class: "chart", id, "data-points": points.length, "data-breaches": breaches },
    h("figcaption", {}, title, threshold === null ? null : h("span", { class: "muted" }, ` — alert above ${format(threshold)}`)),
    svg, table);
}
