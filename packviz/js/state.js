// packviz widgets, part 3: the state explorer (packviz.widgets.state_explorer).
// Reads n, l0..l7 (the lengths) and t; shows which sequences a packed RNN updates at
// step t, what a padded run does instead, and the step each h_n comes from.

function drawRun(lengths, t, packed) {
  const B = lengths.length;
  const T = Math.max(...lengths);
  const hStep = lengths.map((n) => (packed ? n - 1 : T - 1));
  const active = lengths.map((n, b) => b).filter((b) => !packed || lengths[b] > t);
  const onPads = lengths.map((n, b) => b).filter((b) => lengths[b] <= t);
  const label = packed
    ? `Packed run at step ${t}: updates sequences ${active.join(", ")}; ` +
      lengths.map((n, b) => `h_n[${b}] from step ${n - 1}`).join(", ") + "."
    : `Padded run at step ${t}: updates all ${B} sequences` +
      (onPads.length ? `, on pads for ${onPads.join(", ")}` : "") +
      `; every h_n from step ${T - 1}.`;
  // Steps are 26 px wide, down to 20 px where the page is narrow (a phone).
  const fig = figure(label, `auto repeat(${T}, minmax(20px, 26px)) auto`, "pv-run");
  fig.append(blank());
  for (let c = 0; c < T; c++) fig.append(axis(`t=${c}`, c === t ? "pv-strong" : ""));
  fig.append(blank());
  for (let b = 0; b < B; b++) {
    fig.append(axis(`seq ${b}`, "pv-row-label"));
    for (let c = 0; c < T; c++) {
      const now = c === t ? " pv-now" : "";
      const future = c > t ? " pv-future" : "";
      const ring = c === hStep[b] ? " pv-hn" : "";
      if (c < lengths[b]) {
        fig.append(cell(b, null, `${now}${future}${ring}`));
      } else if (!packed) {
        fig.append(cell(null, null, `${now}${future}${ring}`));
      } else {
        fig.append(blank(`pv-skipped${now}`));
      }
    }
    fig.append(axis(`h_n[${b}]`, "pv-hn-label"));
  }
  return { fig, active, hStep, onPads };
}

function renderState({ model, el }) {
  el.classList.add("packviz-view");
  const draw = () => {
    const lengths = modelLengths(model);
    const T = Math.max(...lengths);
    const t = Math.min(model.get("t"), T - 1);
    const sizes = batchSizes(lengths);
    const { sortedIndices } = sortOrder(lengths);
    const offset = sizes.slice(0, t).reduce((a, b) => a + b, 0);
    const box = h("div", { class: "pv-body" });
    field(box, "lengths", "lengths").textContent = pyList(lengths);
    field(box, "batch_sizes", "batch_sizes").textContent = pyList(sizes);
    field(box, "time step t", "t").textContent = String(t);

    const packed = drawRun(lengths, t, true);
    box.append(h("div", { class: "pv-title" }, "Packed run: only live sequences step"));
    const live = sortedIndices.slice(0, sizes[t]);
    field(box, "updates sequences", "packed_active").textContent = pyList(live);
    field(box, "rows", "packed_rows").textContent =
      `data[${offset}:${offset + sizes[t]}] (batch_sizes[${t}] = ${sizes[t]})`;
    box.append(packed.fig);
    field(box, "h_n[b] is the state after step", "h_n_packed").textContent =
      pyList(packed.hStep);

    const padded = drawRun(lengths, t, false);
    box.append(h("div", { class: "pv-title" }, "Padded run: every sequence steps, pads too"));
    field(box, "updates sequences", "padded_active").textContent = pyList(padded.active);
    field(box, "of which on pads", "padded_on_pads").textContent = pyList(padded.onPads);
    box.append(padded.fig);
    field(box, "h_n[b] is the state after step", "h_n_padded").textContent =
      pyList(padded.hStep);
    const legend = h("div", { class: "pv-hint" },
      "Round outline: the step h_n comes from. Hatched: a pad the padded run computes " +
      "anyway. Dashed square: a step the packed run skips. Framed column: step t. " +
      "Faded: steps after t.");
    box.append(legend);
    el.replaceChildren(box);
  };
  return mountView(el, model, "state", [...LENGTH_TRAITS, "t"], draw);
}

export default {
  initialize({ model }) {
    // Keep the time-step slider inside 0..T-1 when the lengths change.
    return syncLengths(model, (lengths) => {
      const last = Math.max(...lengths) - 1;
      if (model.get("tmax") !== last) model.set("tmax", last);
      if (model.get("t") > last) model.set("t", last);
    });
  },
  render: renderState,
};
