// Two small widgets over data that the lesson scripts computed at build time.
// Each lives in a container that is `hidden` in the HTML, so a reader without JavaScript
// sees only the static figures beside it; this script reveals and drives it.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function readData(container, id) {
  return JSON.parse(container.querySelector(`script[data-for="${id}"]`).textContent);
}

function percent(x) {
  return `${(100 * x).toFixed(0)}%`;
}

// --- Initialisation explorer: per-layer tanh histograms of the deep stack at init ----------
function initExplorer(container) {
  const data = readData(container, "explorer");
  const slider = container.querySelector("input[type=range]");
  const batchnorm = container.querySelector("input[type=checkbox]");
  const gainOut = container.querySelector("output");
  const plots = container.querySelector(".explorer-plots");
  const rows = container.querySelector("tbody");
  slider.max = String(data.gains.length - 1);
  slider.value = String(data.gains.findIndex((g) => Math.abs(g - 5 / 3) < 1e-3));

  const width = 150, height = 90;
  function draw() {
    const gain = data.gains[Number(slider.value)];
    const layers = data.runs[batchnorm.checked ? "batchnorm" : "plain"][Number(slider.value)];
    const label = Math.abs(gain - 5 / 3) < 1e-3 ? "5/3" : String(gain);
    gainOut.textContent = label;
    slider.setAttribute("aria-valuetext", `gain ${label}`);
    plots.replaceChildren();
    rows.replaceChildren();
    layers.forEach((layer, i) => {
      const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height + 16}`, class: "explorer-hist" });
      const peak = Math.max(...layer.counts, 1);
      const barWidth = width / layer.counts.length;
      layer.counts.forEach((count, b) => {
        const edge = -1 + (2 * (b + 0.5)) / layer.counts.length;
        const h = (count / peak) * height;
        svg.append(svgElement("rect", {
          x: b * barWidth, y: height - h, width: Math.max(barWidth - 0.5, 0.5), height: h,
          class: Math.abs(edge) > data.threshold ? "bar saturated" : "bar",
        }));
      });
      const caption = svgElement("text", { x: width / 2, y: height + 13, "text-anchor": "middle", class: "caption" });
      caption.textContent = `layer ${i + 1}`;
      svg.append(caption);
      plots.append(svg);
      const row = document.createElement("tr");
      for (const cell of [`${i + 1}`, layer.mean.toFixed(2), layer.std.toFixed(2), percent(layer.saturated)]) {
        const td = document.createElement("td");
        td.textContent = cell;
        row.append(td);
      }
      rows.append(row);
    });
  }
  slider.addEventListener("input", draw);
  batchnorm.addEventListener("change", draw);
  draw();
  container.hidden = false;
}

// --- BatchNorm widget: move one value of a batch, watch every output move ------------------
function initBatchNorm(container) {
  const data = readData(container, "batchnorm");
  const slider = container.querySelector("input[type=range]");
  const out = container.querySelector("output");
  const stats = container.querySelector(".bn-stats");
  const plot = container.querySelector("svg");
  const values = data.values.slice();
  slider.value = String(values[0]);

  const W = 640, left = 150, right = 20, top = 30, bottom = 130;
  const inRange = [-10, 10], outRange = [-3.5, 3.5];
  const scale = (v, [lo, hi]) => left + ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * (W - left - right);

  function draw() {
    values[0] = Number(slider.value);
    const n = values.length;
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n; // biased, as BatchNorm uses
    const outputs = values.map((v) => data.gamma * (v - mean) / Math.sqrt(variance + data.eps) + data.beta);
    out.textContent = values[0].toFixed(1);
    slider.setAttribute("aria-valuetext", values[0].toFixed(1));
    stats.textContent = `batch mean ${mean.toFixed(2)}, std ${Math.sqrt(variance).toFixed(2)} → ` +
      `outputs: ${outputs.map((o) => o.toFixed(2)).join(", ")}`;
    plot.replaceChildren();
    for (const [y, label] of [[top, "pre-activation x"], [bottom, "BatchNorm output"]]) {
      plot.append(svgElement("line", { x1: left, x2: W - right, y1: y, y2: y, class: "axis" }));
      const text = svgElement("text", { x: 0, y: y + 4, class: "caption" });
      text.textContent = label;
      plot.append(text);
    }
    const meanMark = svgElement("line", { x1: scale(mean, inRange), x2: scale(mean, inRange), y1: top - 12, y2: top + 12, class: "mean" });
    plot.append(meanMark);
    values.forEach((v, i) => {
      const cls = i === 0 ? "moved" : "other";
      plot.append(svgElement("line", { x1: scale(v, inRange), y1: top, x2: scale(outputs[i], outRange), y2: bottom, class: `link ${cls}` }));
      plot.append(svgElement("circle", { cx: scale(v, inRange), cy: top, r: 6, class: cls }));
      plot.append(svgElement("circle", { cx: scale(outputs[i], outRange), cy: bottom, r: 6, class: cls }));
    });
  }
  slider.addEventListener("input", draw);
  draw();
  container.hidden = false;
}

function initWidgets() {
  document.querySelectorAll("[data-widget=explorer]").forEach(initExplorer);
  document.querySelectorAll("[data-widget=batchnorm]").forEach(initBatchNorm);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initWidgets);
else initWidgets();
