// packviz widgets, part 3: the waste explorer (packviz.widgets.waste_explorer).
// Reads batch_size, max_length, skew and seed; draws the lengths skewed_lengths gives,
// the padded versus real steps, and the mean wasted fraction as a function of skew.

// Bars and curve are 300 px wide, less where the view is narrower (a phone): they
// leave PLOT_MARGIN for the labels beside them.
const PLOT_MAX = 300;
const PLOT_MARGIN = 64;
const plotWidth = (width) =>
  width > 0 ? Math.min(PLOT_MAX, width - PLOT_MARGIN) : PLOT_MAX;
const CURVE_DRAWS = 20;
const CURVE_SKEWS = Array.from({ length: 31 }, (_, i) => i / 10);

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const pyFloat = (x) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

function wasteOf(lengths) {
  const T = Math.max(...lengths);
  const real = lengths.reduce((a, b) => a + b, 0);
  const padded = lengths.length * T;
  return { T, real, padded, wasted: padded - real, fraction: (padded - real) / padded };
}

function drawBars(lengths, stats, maxLength, barW) {
  const B = lengths.length;
  const rowH = B <= 16 ? 14 : Math.max(4, Math.floor(256 / B));
  const scale = barW / maxLength;
  const fig = figure(
    `${B} sequences padded to T = ${stats.T} steps: ${stats.padded} padded steps, ` +
      `${stats.real} real, ${stats.wasted} wasted (${pct(stats.fraction)}).`,
    `auto ${barW + 4}px`,
    "pv-bars",
  );
  fig.append(blank());
  const head = h("div", { class: "pv-bar-head" });
  const mark = axis(`T = ${stats.T}`, "pv-t-label");
  mark.style.left = `${stats.T * scale}px`;
  head.append(mark);
  fig.append(head);
  lengths.forEach((n, b) => {
    fig.append(rowH >= 12 ? axis(`seq ${b}`, "pv-row-label") : blank());
    const track = h("div", { class: "pv-track" });
    track.style.height = `${rowH}px`;
    const real = h("div", { class: "pv-bar pv-bar-real" });
    real.style.width = `${n * scale}px`;
    real.style.backgroundColor = COLORS[1];
    track.append(real);
    if (stats.T > n) {
      const pad = h("div", { class: "pv-bar pv-pad" });
      pad.style.width = `${(stats.T - n) * scale}px`;
      track.append(pad);
    }
    const line = h("div", { class: "pv-t-line" });
    line.style.left = `${stats.T * scale}px`;
    track.append(line);
    fig.append(track);
  });
  return fig;
}

function drawCurve(curve, skew, current, W) {
  const H = 120;
  const x = (k) => (k / 3) * W;
  const y = (f) => (1 - f) * H;
  const fig = figure(
    `Mean wasted fraction over ${CURVE_DRAWS} draws, by skew: ` +
      curve
        .filter((_, i) => i % 5 === 0)
        .map(([k, f]) => `${pct(f)} at skew ${k}`)
        .join(", ") +
      `. This batch (skew ${skew}): ${pct(current)}.`,
    `auto ${W}px`,
    "pv-curve-fig",
  );
  // The plot is an SVG of lines only; every label is HTML beside it (see figure()).
  const yTicks = h("div", { class: "pv-yticks" });
  yTicks.style.height = `${H}px`;
  for (const f of [1, 0.5, 0]) {
    const t = axis(`${Math.round(100 * f)} %`, "pv-tick");
    t.style.top = `${y(f)}px`;
    yTicks.append(t);
  }
  const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "pv-plot",
    "aria-hidden": "true" });
  for (const f of [0, 0.5, 1]) {
    svg.append(s("line", { x1: 0, x2: W, y1: y(f), y2: y(f), class: "pv-grid" }));
  }
  svg.append(s("polyline", {
    points: curve.map(([k, f]) => `${x(k)},${y(f)}`).join(" "),
    class: "pv-curve", stroke: COLORS[4],
  }));
  svg.append(s("circle", {
    cx: x(Math.min(skew, 3)), cy: y(current), r: 5, fill: COLORS[5], class: "pv-dot",
  }));
  const xTicks = h("div", { class: "pv-xticks" });
  for (const k of [0, 1, 2, 3]) {
    const t = axis(k.toFixed(1), "pv-tick");
    t.style.left = `${x(k)}px`;
    xTicks.append(t);
  }
  fig.append(yTicks, svg, blank(), xTicks, blank(), axis("skew", "pv-center"));
  return fig;
}

function renderWaste({ model, el }) {
  el.classList.add("packviz-view");
  let cacheKey = null;
  let cacheCurve = null;
  const curveFor = (B, L) => {
    const key = `${B},${L}`;
    if (key !== cacheKey) {
      const draws = Array.from({ length: CURVE_DRAWS }, (_, seed) => absGaussDraws(B, seed));
      cacheCurve = CURVE_SKEWS.map((k) => {
        const mean =
          draws.reduce((acc, d) => acc + wasteOf(lengthsFromDraws(d, L, k)).fraction, 0) /
          CURVE_DRAWS;
        return [k, mean];
      });
      cacheKey = key;
    }
    return cacheCurve;
  };
  const draw = () => {
    const B = model.get("batch_size");
    const L = model.get("max_length");
    const skew = model.get("skew");
    const seed = model.get("seed");
    const lengths = skewedLengths(B, L, skew, seed);
    const stats = wasteOf(lengths);
    const plotW = plotWidth(el.clientWidth);
    const box = h("div", { class: "pv-body" });
    box.append(h("div", { class: "pv-title" },
      `skewed_lengths(${B}, ${L}, ${pyFloat(skew)}, seed=${seed})`));
    field(box, "lengths", "lengths").textContent = pyList(lengths);
    box.append(drawBars(lengths, stats, L, plotW));
    const steps = field(box, "steps", "steps");
    steps.append(
      h("span", { "data-field": "padded" }, String(stats.padded)),
      ` padded (${B} x ${stats.T}) vs `,
      h("span", { "data-field": "real" }, String(stats.real)), " real: ",
      h("span", { "data-field": "wasted" }, String(stats.wasted)), " wasted",
    );
    field(box, "wasted fraction", "wasted_fraction").textContent = pct(stats.fraction);
    box.append(h("div", { class: "pv-title" },
      `Wasted fraction by skew (batch ${B}, max length ${L}, mean of ${CURVE_DRAWS} draws)`));
    box.append(drawCurve(curveFor(B, L), skew, stats.fraction, plotW));
    el.replaceChildren(box);
  };
  const traits = ["batch_size", "max_length", "skew", "seed"];
  const stop = mountView(el, model, "waste", traits, draw);
  const unobserve = redrawOnResize(el, plotWidth, draw);
  return () => {
    unobserve();
    stop();
  };
}

export default { render: renderWaste };
