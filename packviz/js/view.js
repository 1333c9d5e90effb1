// packviz widgets, part 2 of 3: small DOM helpers shared by the four views.
// Every text that comes from the reader or the model goes in with textContent: this file
// never parses text as HTML (no inner/outer HTML setters).

// One colour per sequence and a readable text colour on each: PALETTE comes from
// packviz/palette.py (packviz.widgets puts it in front of this file), which the
// matplotlib figures use too.
export const COLORS = PALETTE.sequences;
const INK = PALETTE.inks;
export const colorOf = (s) => COLORS[s % COLORS.length];
export const inkOf = (s) => INK[s % INK.length];

const SVG_NS = "http://www.w3.org/2000/svg";

export function h(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

export function s(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// Figures are HTML grids, not SVG: axe-core (tests/browser) cannot decide the contrast
// of text drawn inside an <svg>, and every label here must be checkably readable. A
// figure is a <div role="img"> whose aria-label summarises it; its labels have at least
// two characters (axe cannot judge one-character text either).
export function figure(label, columns, extraClass = "") {
  const fig = h("div", { role: "img", "aria-label": label, class: `pv-fig ${extraClass}` });
  fig.style.gridTemplateColumns = columns;
  return fig;
}

// Subscript digits, so that "sequence 0, step 3" is one text: "0₃".
const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";
export const sub = (n) => String(n).replace(/[0-9]/g, (d) => SUBSCRIPTS[Number(d)]);

// A grid cell: sequence `seq`'s colour with an optional label, or a hatched pad (null).
export function cell(seq, label = null, extraClass = "") {
  if (seq === null) return h("div", { class: `pv-cell pv-pad ${extraClass}` });
  const node = h("div", { class: `pv-cell pv-real ${extraClass}` }, label);
  node.style.backgroundColor = colorOf(seq);
  node.style.color = inkOf(seq);
  return node;
}

export const blank = (extraClass = "") => h("div", { class: `pv-blank ${extraClass}` });
export const axis = (text, extraClass = "") => h("div", { class: `pv-axis ${extraClass}` }, text);

// One "name: value" line whose value carries data-field (tests and readers copy it).
export function field(parent, label, name, hint = null) {
  const row = h("div", { class: "pv-field" });
  row.append(h("span", { class: "pv-label" }, `${label}: `));
  const value = h("code", { "data-field": name, class: "pv-value" });
  row.append(value);
  if (hint !== null) row.append(h("span", { class: "pv-hint" }, ` ${hint}`));
  parent.append(row);
  return value;
}

// Mark the widget's outer container (the ipywidgets box) with data-packviz="<kind>", tag
// the message label next to the lengths box, and give every slider handle the accessible
// name of its visible label. Waits until the view is in the document, then watches the
// container: the controls may render after the view.
export function whenAttached(el, callback) {
  let tries = 0;
  const attempt = () => {
    if (el.isConnected) callback();
    else if (++tries < 600) requestAnimationFrame(attempt);
  };
  attempt();
}

export function decorateWhenAttached(el, kind) {
  let observer = null;
  let queued = false;
  whenAttached(el, () => {
    const root = decorateContainer(el, kind);
    if (root === el || typeof MutationObserver === "undefined") return;
    observer = new MutationObserver((records) => {
      // Redraws of the view itself change nothing here; new controls do.
      if (queued || records.every((r) => el.contains(r.target))) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        decorateContainer(el, kind);
      });
    });
    observer.observe(root, { childList: true, subtree: true });
  });
  return () => observer && observer.disconnect();
}

export function decorateContainer(el, kind) {
  const root = el.closest(".packviz-widget") || el;
  root.setAttribute("data-packviz", kind);
  for (const message of root.querySelectorAll(".packviz-message")) {
    message.setAttribute("data-field", "input_message");
    message.setAttribute("role", "status");
    message.setAttribute("aria-live", "polite");
  }
  for (const input of root.querySelectorAll(".packviz-lengths input")) {
    input.setAttribute("data-field", "lengths_input");
  }
  for (const control of root.querySelectorAll(".widget-slider")) {
    const label = control.querySelector(".widget-label");
    const handle = control.querySelector(".noUi-handle");
    if (label && handle && label.textContent) {
      handle.setAttribute("aria-label", label.textContent);
    }
    if (handle) keepNoUiSliderExact(control, handle);
    const readout = control.querySelector(".widget-readout");
    if (label && readout && label.textContent) {
      // ipywidgets' readout is an editable <div>; the static book's is an <input>.
      if (readout.tagName !== "INPUT") readout.setAttribute("role", "textbox");
      readout.setAttribute("aria-label", `${label.textContent} (type a value)`);
    }
  }
  return root;
}

// ipywidgets 8 draws its sliders with noUiSlider 15.4 (JupyterLab, Colab with
// ipywidgets 8, html-manager). Two faults of it, mended here for our sliders:
// - Home and End go to the ends of the range the slider was created with: once a jsdlink
//   has changed its max (the state explorer's time step follows the lengths), End
//   stopped short of the new last step. Here Home and End go to the current ends (the
//   range noUiSlider keeps in api.options) through api.set, which ipywidgets hears.
// - aria-valuenow is rounded to one decimal (1.05 is read out as 1.1): here the handle
//   carries the exact value and the current range.
const endOf = (bound) => (Array.isArray(bound) ? bound[0] : bound);

function keepNoUiSliderExact(control, handle) {
  const target = control.querySelector(".noUi-target");
  const api = target && target.noUiSlider;
  if (!api || target.dataset.packvizSlider) return;
  target.dataset.packvizSlider = "exact";
  target.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Home" && event.key !== "End") return;
      const range = api.options.range;
      event.preventDefault();
      event.stopPropagation();
      api.set(endOf(event.key === "Home" ? range.min : range.max));
    },
    true,
  );
  const aria = () => {
    const range = api.options.range;
    const value = Number(api.get(true));
    handle.setAttribute("aria-valuemin", String(endOf(range.min)));
    handle.setAttribute("aria-valuemax", String(endOf(range.max)));
    handle.setAttribute("aria-valuenow", String(Number(value.toPrecision(12))));
  };
  api.on("update.packviz", aria);
  aria();
}

// Read the lengths the sliders hold: n and l0..l7.
export function modelLengths(model) {
  const n = model.get("n");
  const out = [];
  for (let i = 0; i < n; i++) out.push(model.get(`l${i}`));
  return out;
}

// Model-level glue shared by the views that take lengths: the text box and the sliders
// (n, l0..l7) stay in step, and bad text only sets `message` (the drawing keeps the
// last valid lengths, which live in n and l0..l7).
export function syncLengths(model, onValid = null) {
  let fromText = false;
  const save = () => {
    try {
      model.save_changes();
    } catch (err) {
      // Static pages have no kernel to save to; nothing is lost.
    }
  };
  const hideUnused = (n) => {
    for (let i = 0; i < 8; i++) {
      const display = i < n ? "" : "none";
      if (model.get(`d${i}`) !== display) model.set(`d${i}`, display);
    }
  };
  const onText = () => {
    const parsed = parseLengths(model.get("text"));
    if (!parsed.ok) {
      model.set("message", parsed.message);
      save();
      return;
    }
    fromText = true;
    try {
      const update = { n: parsed.lengths.length, message: "" };
      parsed.lengths.forEach((v, i) => {
        update[`l${i}`] = v;
      });
      model.set(update);
      hideUnused(parsed.lengths.length);
      if (onValid) onValid(parsed.lengths);
    } finally {
      fromText = false;
    }
    save();
  };
  const onSliders = () => {
    if (fromText) return;
    const lengths = modelLengths(model);
    hideUnused(lengths.length);
    model.set({ text: formatLengths(lengths), message: "" });
    if (onValid) onValid(lengths);
    save();
  };
  model.on("change:text", onText);
  model.on("change:n", onSliders);
  for (let i = 0; i < 8; i++) model.on(`change:l${i}`, onSliders);
  return () => {
    model.off("change:text", onText);
    model.off("change:n", onSliders);
    for (let i = 0; i < 8; i++) model.off(`change:l${i}`, onSliders);
  };
}

// Redraw once (in a microtask, before the next paint) after any of `names` changed, so
// that several traits set together cost one redraw; returns anywidget's cleanup.
export function redrawOn(model, names, draw) {
  let pending = false;
  let alive = true;
  const handler = () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      if (alive) draw();
    });
  };
  for (const name of names) model.on(`change:${name}`, handler);
  draw();
  return () => {
    alive = false;
    for (const name of names) model.off(`change:${name}`, handler);
  };
}

// Draw `el` now and after any of `names` changed, and mark it as a packviz view of
// `kind` once it is on the page; returns anywidget's cleanup for both.
export function mountView(el, model, kind, names, draw) {
  const stop = redrawOn(model, names, draw);
  const undecorate = decorateWhenAttached(el, kind);
  return () => {
    stop();
    undecorate();
  };
}

// Redraw `el` when a change of its width changes `sizeOf(width)` (on attach, when a
// phone turns): views whose drawing is sized to fit the page use it. Returns the cleanup.
export function redrawOnResize(el, sizeOf, draw) {
  if (typeof ResizeObserver === "undefined") return () => {};
  let last = sizeOf(el.clientWidth);
  const observer = new ResizeObserver(() => {
    const size = sizeOf(el.clientWidth);
    if (size !== last) {
      last = size;
      draw();
    }
  });
  observer.observe(el);
  return () => observer.disconnect();
}

export const LENGTH_TRAITS = ["n", "l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7"];
