// packviz widgets in the static book: a small widget manager for the stored widget state.
//
// Jupyter Book writes each notebook's widget state into its page (a <script
// type="application/vnd.jupyter.widget-state+json">) and one <script
// type="application/vnd.jupyter.widget-view+json"> where each widget is shown. The
// general renderer for them, @jupyter-widgets/html-manager, is 3.6 MB of JavaScript
// (0.9 MB gzipped) and draws the first widget about 2 s after a page opens. The book's
// widgets are packviz explorers: a few ipywidgets controls (sliders, a text box,
// labels, checkboxes, boxes) jslink'ed to an anywidget view. This file draws exactly
// those, with the same markup classes as ipywidgets 8 (so packviz.css and the views'
// own JavaScript find what they expect), and runs each view's ES module (its `_esm`)
// through the anywidget interface (initialize / render, model.get / set / on / off /
// save_changes). The jslinks run here as in the browser with a kernel.
//
// A page whose state holds any other kind of model (a widget this file does not know)
// gets html-manager instead (loaded on demand from packviz-assets/, as before).
//
// Sliders follow the ARIA slider pattern: the thumb has role=slider, aria-valuemin,
// aria-valuemax, aria-valuenow (and aria-valuetext as the readout shows it); arrow
// keys move one step, PageUp/PageDown five, Home/End to the current ends; every value
// is clamped to the range and snapped to the step.
//
// Written by hand, no build step: scripts/build_widget_assets.py copies it into the
// book with packviz/js/embed.css put in for EMBED_CSS.
(function () {
  "use strict";

  const STATE_TYPE = "application/vnd.jupyter.widget-state+json";
  const VIEW_TYPE = "application/vnd.jupyter.widget-view+json";
  const EMBED_CSS = "/* packviz embed.css */";
  // Where packviz-assets/ is: next to this file, or (written into the page by
  // _ext/page_assets.py) what the script's data-packviz-assets says.
  const SCRIPT = document.currentScript;
  const BASE = !SCRIPT ? "" : SCRIPT.src
    ? SCRIPT.src.split("?")[0].replace(/[^/]*$/, "")
    : new URL(SCRIPT.dataset.packvizAssets || ".", document.baseURI).href;

  // The models this file can draw; anything else sends the page to html-manager.
  const KNOWN = {
    "@jupyter-widgets/base": ["LayoutModel"],
    "@jupyter-widgets/controls": [
      "BoxModel", "VBoxModel", "HBoxModel", "GridBoxModel",
      "IntSliderModel", "FloatSliderModel", "SliderStyleModel",
      "TextModel", "TextStyleModel", "LabelModel", "LabelStyleModel",
      "CheckboxModel", "CheckboxStyleModel", "DescriptionStyleModel",
      "LinkModel", "DirectionalLinkModel",
    ],
    anywidget: ["AnyModel"],
  };
  const REF = "IPY_MODEL_";

  // ---- models ------------------------------------------------------------------------

  const same = (a, b) =>
    a === b || (typeof a === "object" && a !== null && typeof b === "object" && b !== null &&
                JSON.stringify(a) === JSON.stringify(b));

  class Model {
    constructor(manager, id, name, state) {
      this.widget_manager = manager;
      this.model_id = id;
      this.name = name;
      this.attributes = Object.assign({}, state);
      this.listeners = new Map();
    }

    get(name) {
      return this.attributes[name];
    }

    // set(name, value) or set({name: value, ...}): like Backbone, every value is stored
    // before any "change:<name>" event fires, then "change" fires once.
    set(key, value) {
      const update = typeof key === "object" && key !== null ? key : { [key]: value };
      const changed = [];
      for (const [name, v] of Object.entries(update)) {
        if (!same(this.attributes[name], v)) {
          this.attributes[name] = v;
          changed.push(name);
        }
      }
      for (const name of changed) this.emit(`change:${name}`, this, this.attributes[name]);
      if (changed.length) this.emit("change", this);
    }

    on(events, callback, context) {
      for (const event of String(events).split(/\s+/).filter(Boolean)) {
        if (!this.listeners.has(event)) this.listeners.set(event, []);
        this.listeners.get(event).push([callback, context]);
      }
    }

    off(events, callback) {
      const names = events ? String(events).split(/\s+/) : [...this.listeners.keys()];
      for (const event of names) {
        const list = this.listeners.get(event) || [];
        this.listeners.set(event, callback ? list.filter(([cb]) => cb !== callback) : []);
      }
    }

    emit(event, ...args) {
      for (const [callback, context] of [...(this.listeners.get(event) || [])]) {
        callback.apply(context, args);
      }
    }

    // No kernel in a static page: nothing to save to, nobody to send to.
    save_changes() {}

    send() {}

    ref(name) {
      const value = this.get(name);
      return typeof value === "string" && value.startsWith(REF)
        ? this.widget_manager.model(value.slice(REF.length))
        : null;
    }
  }

  // ---- controls ----------------------------------------------------------------------

  let uid = 0;
  const el = (tag, classes = [], attrs = {}) => {
    const node = document.createElement(tag);
    if (classes.length) node.className = classes.join(" ");
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };

  const cssName = (name) => name.replace(/_/g, "-");

  // A LayoutModel's non-null traits as inline styles on `node`, kept up to date.
  function applyLayout(model, node) {
    const layout = model.ref("layout");
    if (!layout) return;
    const apply = () => {
      for (const [name, value] of Object.entries(layout.attributes)) {
        if (name.startsWith("_")) continue;
        if (value === null || value === undefined) node.style.removeProperty(cssName(name));
        else node.style.setProperty(cssName(name), String(value));
      }
    };
    apply();
    layout.on("change", apply);
  }

  const STYLE_PROPS = {
    background: "background",
    font_family: "font-family",
    font_size: "font-size",
    font_style: "font-style",
    font_variant: "font-variant",
    font_weight: "font-weight",
    text_color: "color",
    text_decoration: "text-decoration",
  };

  // A style model: description_width sizes the label; the rest styles the control.
  function applyStyle(model, node, label) {
    const style = model.ref("style");
    if (!style) return;
    const apply = () => {
      const width = style.get("description_width");
      if (label) label.style.width = width || "";
      for (const [name, prop] of Object.entries(STYLE_PROPS)) {
        const value = style.get(name);
        if (value === null || value === undefined || value === "") node.style.removeProperty(prop);
        else node.style.setProperty(prop, String(value));
      }
    };
    apply();
    style.on("change", apply);
  }

  function baseView(model, classes) {
    const node = el("div", ["lm-Widget", "jupyter-widgets", ...classes]);
    const dom = () => {
      for (const c of model.get("_dom_classes") || []) node.classList.add(c);
    };
    dom();
    model.on("change:_dom_classes", dom);
    const tooltip = model.get("tooltip");
    if (tooltip) node.title = tooltip;
    applyLayout(model, node);
    return node;
  }

  function descriptionLabel(model, node, forId = null) {
    const label = el("label", ["widget-label"]);
    if (forId) label.htmlFor = forId;
    const update = () => {
      const text = model.get("description") || "";
      label.textContent = text;
      label.style.display = text ? "" : "none";
    };
    update();
    model.on("change:description", update);
    node.append(label);
    return label;
  }

  function renderBox(model, kind) {
    const node = baseView(model, ["widget-container", "widget-box", `widget-${kind}`]);
    const draw = () => {
      node.replaceChildren();
      for (const ref of model.get("children") || []) {
        const child = model.widget_manager.model(String(ref).slice(REF.length));
        node.append(model.widget_manager.render(child));
      }
    };
    draw();
    model.on("change:children", draw);
    return node;
  }

  const decimals = (x) => {
    const text = String(x);
    if (/e-/.test(text)) return Number(text.split("e-")[1]);
    return text.includes(".") ? text.split(".")[1].length : 0;
  };

  // d3-format's forms that sliders use: "d", ".2f" and the like; else the plain number.
  function formatValue(value, format, isInt) {
    if (isInt || format === "d") return String(Math.round(value));
    const fixed = /^\.(\d+)f$/.exec(format || "");
    if (fixed) return Number(value).toFixed(Number(fixed[1]));
    return String(value);
  }

  function renderSlider(model, isInt) {
    const node = baseView(model, ["widget-inline-hbox", "widget-slider", "widget-hslider"]);
    const label = descriptionLabel(model, node);
    const container = el("div", ["slider-container"]);
    const track = el("div", ["pv-slider"]);
    const fill = el("div", ["pv-slider-fill"]);
    const thumb = el("div", ["pv-slider-thumb"], {
      role: "slider", tabindex: "0", "aria-orientation": "horizontal",
    });
    track.append(fill, thumb);
    container.append(track);
    const readout = el("input", ["widget-readout"], {
      type: "text", inputmode: isInt ? "numeric" : "decimal", autocomplete: "off",
      spellcheck: "false",
    });
    node.append(container, readout);
    applyStyle(model, node, label);

    const range = () => {
      const min = Number(model.get("min"));
      const max = Number(model.get("max"));
      const step = Number(model.get("step")) || 1;
      return { min, max: Math.max(min, max), step };
    };
    // A valid value: inside [min, max], on the step grid from min, no float noise.
    const valid = (v) => {
      const { min, max, step } = range();
      if (!Number.isFinite(v)) return null;
      const places = Math.max(decimals(step), decimals(min));
      let snapped = min + Math.round((v - min) / step) * step;
      if (snapped > max) snapped -= step;
      snapped = Math.min(max, Math.max(min, snapped));
      snapped = Number(snapped.toFixed(places));
      return isInt ? Math.round(snapped) : snapped;
    };
    const text = (v) => formatValue(v, model.get("readout_format"), isInt);
    const draw = () => {
      const { min, max } = range();
      const value = Math.min(max, Math.max(min, Number(model.get("value"))));
      const fraction = max > min ? (value - min) / (max - min) : 0;
      thumb.style.left = `${fraction * 100}%`;
      fill.style.width = `${fraction * 100}%`;
      thumb.setAttribute("aria-valuemin", String(min));
      thumb.setAttribute("aria-valuemax", String(max));
      thumb.setAttribute("aria-valuenow", String(value));
      thumb.setAttribute("aria-valuetext", text(value));
      if (document.activeElement !== readout) readout.value = text(value);
      readout.style.display = model.get("readout") === false ? "none" : "";
    };
    const name = () => {
      const description = model.get("description") || "";
      thumb.setAttribute("aria-label", description);
      readout.setAttribute("aria-label", `${description} (type a value)`);
    };
    name();
    draw();
    model.on("change:value change:min change:max change:step change:readout", draw);
    model.on("change:readout_format", draw);
    model.on("change:description", name);

    const setValue = (v) => {
      const value = valid(v);
      if (value === null) return;
      if (value !== model.get("value")) {
        model.set("value", value);
        model.save_changes();
      }
      draw();
    };
    thumb.addEventListener("keydown", (event) => {
      const { min, max, step } = range();
      const now = valid(Number(model.get("value")));
      const moves = {
        ArrowRight: now + step, ArrowUp: now + step,
        ArrowLeft: now - step, ArrowDown: now - step,
        PageUp: now + 5 * step, PageDown: now - 5 * step,
        Home: min, End: max,
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      setValue(moves[event.key]);
    });
    const fromPointer = (event) => {
      const rect = track.getBoundingClientRect();
      const { min, max } = range();
      const fraction = rect.width ? (event.clientX - rect.left) / rect.width : 0;
      setValue(min + Math.min(1, Math.max(0, fraction)) * (max - min));
    };
    let dragging = false;
    container.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      dragging = true;
      container.setPointerCapture(event.pointerId);
      thumb.focus();
      fromPointer(event);
      event.preventDefault();
    });
    container.addEventListener("pointermove", (event) => {
      if (dragging) fromPointer(event);
    });
    const stop = () => {
      dragging = false;
    };
    container.addEventListener("pointerup", stop);
    container.addEventListener("pointercancel", stop);
    // The readout takes a typed value on Enter (or when it loses focus); Escape undoes.
    const commit = () => {
      const typed = Number(String(readout.value).trim());
      if (readout.value.trim() !== "" && Number.isFinite(typed)) setValue(typed);
      readout.value = text(Number(model.get("value")));
    };
    readout.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        commit();
      } else if (event.key === "Escape") {
        readout.value = text(Number(model.get("value")));
        readout.blur();
      }
    });
    readout.addEventListener("change", commit);
    readout.addEventListener("blur", commit);
    return node;
  }

  function renderText(model) {
    const node = baseView(model, ["widget-inline-hbox", "widget-text"]);
    const id = `pv-embed-${++uid}`;
    const label = descriptionLabel(model, node, id);
    const input = el("input", ["widget-input"], { type: "text", id });
    input.placeholder = model.get("placeholder") || "";
    input.value = model.get("value") || "";
    node.append(input);
    applyStyle(model, node, label);
    const push = () => {
      if (input.value !== model.get("value")) {
        model.set("value", input.value);
        model.save_changes();
      }
    };
    input.addEventListener("input", () => {
      if (model.get("continuous_update") !== false) push();
    });
    input.addEventListener("change", push);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") push();
    });
    model.on("change:value", () => {
      const value = model.get("value") || "";
      if (input.value !== value) input.value = value;
    });
    model.on("change:placeholder", () => {
      input.placeholder = model.get("placeholder") || "";
    });
    return node;
  }

  function renderLabel(model) {
    const node = baseView(model, ["widget-inline-hbox", "widget-label"]);
    const draw = () => {
      node.textContent = model.get("value") || "";
    };
    draw();
    model.on("change:value", draw);
    applyStyle(model, node, null);
    return node;
  }

  function renderCheckbox(model) {
    const node = baseView(model, ["widget-inline-hbox", "widget-checkbox"]);
    const indent = descriptionLabel(model, node);
    const wrap = el("label", ["widget-label-basic"]);
    const box = el("input", [], { type: "checkbox" });
    const text = el("span");
    wrap.append(box, text);
    node.append(wrap);
    applyStyle(model, node, null);
    const draw = () => {
      const description = model.get("description") || "";
      // ipywidgets puts the description next to the box unless indent is true.
      indent.style.display = model.get("indent") ? "" : "none";
      indent.textContent = model.get("indent") ? description : "";
      text.textContent = model.get("indent") ? "" : description;
      text.title = description;
      box.checked = Boolean(model.get("value"));
      box.disabled = Boolean(model.get("disabled"));
    };
    draw();
    model.on("change:value change:description change:indent change:disabled", draw);
    box.addEventListener("change", () => {
      model.set("value", box.checked);
      model.save_changes();
    });
    return node;
  }

  // ---- anywidget -----------------------------------------------------------------------

  const styled = new Set();
  function addCss(css) {
    if (!css || styled.has(css)) return;
    styled.add(css);
    const style = document.createElement("style");
    style.textContent = css;
    document.head.append(style);
  }

  const modules = new Map();
  function loadModule(esm) {
    if (!modules.has(esm)) {
      const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
      modules.set(esm, import(url).finally(() => URL.revokeObjectURL(url)));
    }
    return modules.get(esm);
  }

  async function widgetDefinition(model) {
    const mod = await loadModule(model.get("_esm") || "");
    let definition = mod.default !== undefined ? mod.default : mod;
    if (typeof definition === "function") definition = await definition();
    return definition || {};
  }

  // Called once per AnyModel, before any of its views, as anywidget does.
  async function initializeAnyModel(model) {
    addCss(model.get("_css"));
    const definition = await widgetDefinition(model);
    if (typeof definition.initialize === "function") {
      await definition.initialize({ model, experimental: {} });
    }
    return definition;
  }

  function renderAny(model) {
    const node = el("div", ["lm-Widget"]);
    for (const c of model.get("_dom_classes") || []) node.classList.add(c);
    applyLayout(model, node);
    model.ready
      .then((definition) => definition.render && definition.render({ model, el: node,
                                                                     experimental: {} }))
      .catch((err) => showError(node, err));
    return node;
  }

  // ---- links ---------------------------------------------------------------------------

  function link(manager, model, both) {
    const [sourceRef, sourceName] = model.get("source") || [];
    const [targetRef, targetName] = model.get("target") || [];
    const source = manager.model(String(sourceRef).slice(REF.length));
    const target = manager.model(String(targetRef).slice(REF.length));
    let busy = false;
    const copy = (from, fromName, to, toName) => {
      if (busy) return;
      busy = true;
      try {
        to.set(toName, from.get(fromName));
        to.save_changes();
      } finally {
        busy = false;
      }
    };
    copy(source, sourceName, target, targetName);
    source.on(`change:${sourceName}`, () => copy(source, sourceName, target, targetName));
    if (both) target.on(`change:${targetName}`, () => copy(target, targetName, source, sourceName));
  }

  // ---- the manager ---------------------------------------------------------------------

  const RENDER = {
    VBoxModel: (m) => renderBox(m, "vbox"),
    BoxModel: (m) => renderBox(m, "box"),
    HBoxModel: (m) => renderBox(m, "hbox"),
    GridBoxModel: (m) => renderBox(m, "gridbox"),
    IntSliderModel: (m) => renderSlider(m, true),
    FloatSliderModel: (m) => renderSlider(m, false),
    TextModel: renderText,
    LabelModel: renderLabel,
    CheckboxModel: renderCheckbox,
    AnyModel: renderAny,
  };

  class Manager {
    constructor(state) {
      this.models = new Map();
      for (const [id, entry] of Object.entries(state)) {
        this.models.set(id, new Model(this, id, entry.model_name, entry.state || {}));
      }
    }

    model(id) {
      const found = this.models.get(id);
      if (!found) throw new Error(`packviz: the widget state has no model ${id}`);
      return found;
    }

    // Like html-manager: every model exists first, then anywidgets initialize and links
    // connect, then views are drawn.
    start() {
      for (const model of this.models.values()) {
        if (model.name === "AnyModel") model.ready = initializeAnyModel(model);
      }
      for (const model of this.models.values()) {
        if (model.name === "LinkModel") link(this, model, true);
        if (model.name === "DirectionalLinkModel") link(this, model, false);
      }
    }

    render(model) {
      const draw = RENDER[model.name];
      if (!draw) throw new Error(`packviz: cannot draw a ${model.name}`);
      return draw(model);
    }
  }

  function showError(node, err) {
    console.error("packviz: a widget could not be drawn", err);
    const box = el("div", ["pv-embed-error"]);
    box.textContent = `This widget could not be drawn: ${err && err.message ? err.message : err}`;
    node.replaceChildren(box);
  }

  // ---- html-manager, for pages with other widgets --------------------------------------

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = false;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`packviz: could not load ${src}`));
      document.head.append(script);
    });
  }

  async function useHtmlManager(reason) {
    console.info(`packviz: html-manager draws this page's widgets (${reason})`);
    await loadScript(`${BASE}require.js`);
    await loadScript(`${BASE}widgets-config.js`);
    await loadScript(`${BASE}html-manager/embed-amd.js`);
  }

  // ---- start ---------------------------------------------------------------------------

  function unknownModel(state) {
    for (const entry of Object.values(state)) {
      const known = KNOWN[entry.model_module];
      if (!known || !known.includes(entry.model_name)) {
        return `${entry.model_module}.${entry.model_name}`;
      }
      if (entry.model_module === "@jupyter-widgets/controls" &&
          !String(entry.model_module_version).startsWith("2.")) {
        return `@jupyter-widgets/controls ${entry.model_module_version}`;
      }
    }
    return null;
  }

  function main() {
    const tags = document.querySelectorAll(`script[type="${STATE_TYPE}"]`);
    if (!tags.length) return;
    const state = {};
    for (const tag of tags) {
      const data = JSON.parse(tag.textContent);
      if (data.version_major !== 2) {
        useHtmlManager(`widget state version ${data.version_major}`).catch(console.error);
        return;
      }
      Object.assign(state, data.state);
    }
    const unknown = unknownModel(state);
    if (unknown) {
      useHtmlManager(`it shows a ${unknown}`).catch((err) => console.error(err));
      return;
    }
    addCss(EMBED_CSS);
    const manager = new Manager(state);
    manager.start();
    // Each widget is drawn as soon as the parser has read its view tag (its JSON is
    // complete), so the first widget need not wait for the rest of the page or for its
    // deferred scripts.
    const drawn = new WeakSet();
    const drawViews = (parsed) => {
      for (const tag of document.querySelectorAll(`script[type="${VIEW_TYPE}"]`)) {
        if (drawn.has(tag)) continue;
        let view;
        try {
          view = JSON.parse(tag.textContent);
        } catch (err) {
          if (!parsed) continue; // the parser is still inside the tag
          view = err;
        }
        drawn.add(tag);
        const area = el("div", ["widget-subarea", "pv-embed"]);
        tag.parentElement.insertBefore(area, tag);
        try {
          if (view instanceof Error) throw view;
          area.append(manager.render(manager.model(view.model_id)));
        } catch (err) {
          showError(area, err);
        }
      }
    };
    if (document.readyState !== "loading") {
      drawViews(true);
      return;
    }
    const parsing = new MutationObserver(() => drawViews(false));
    parsing.observe(document.documentElement, { childList: true, subtree: true });
    document.addEventListener("DOMContentLoaded", () => {
      parsing.disconnect();
      drawViews(true);
    });
    drawViews(false);
  }

  window.packvizEmbed = { Model, formatValue };
  // In the page's head, after the widget state (or loaded with `async` from there): the
  // state is there, the views may not be yet (drawViews waits for each).
  if (document.querySelector(`script[type="${STATE_TYPE}"]`) || document.readyState !== "loading") {
    main();
  } else {
    document.addEventListener("DOMContentLoaded", main);
  }
})();
