// packviz widgets, part 3: the packing explorer (packviz.widgets.packing_explorer).
// Reads n, l0..l7 (the lengths), batch_first and enforce_sorted; draws the padded
// batch, the packed data and every field of the PackedSequence torch would return.

// Sequence index with the time step as subscript: "0₃" is sequence 0, step 3.
const tokenLabel = (seq, t) => `${seq}${sub(t)}`;
// Cells are 28 px wide, down to 22 px where the page is narrow (a phone): twelve steps
// then fit in 390 px.
const CELL_COLUMN = "minmax(22px, 28px)";

function drawPadded(lengths, batchFirst) {
  const B = lengths.length;
  const T = Math.max(...lengths);
  const shape = batchFirst ? `(B, T) = (${B}, ${T})` : `(T, B) = (${T}, ${B})`;
  const summary = lengths
    .map((n, b) => `sequence ${b}: ${n} real` + (T - n ? `, ${T - n} pad` : ""))
    .join("; ");
  const rows = batchFirst ? B : T;
  const cols = batchFirst ? T : B;
  const columns = `auto repeat(${cols}, ${CELL_COLUMN})`;
  const fig = figure(`Padded batch ${shape}. ${summary}.`, columns);
  fig.append(blank());
  for (let c = 0; c < cols; c++) fig.append(axis(batchFirst ? `t=${c}` : `b=${c}`));
  for (let r = 0; r < rows; r++) {
    fig.append(axis(batchFirst ? `seq ${r}` : `t=${r}`, "pv-row-label"));
    for (let c = 0; c < cols; c++) {
      const b = batchFirst ? r : c;
      const t = batchFirst ? c : r;
      fig.append(t < lengths[b] ? cell(b, tokenLabel(b, t)) : cell(null));
    }
  }
  return { fig, shape };
}

function drawPacked(summary) {
  const { batchSizes, order } = summary;
  const T = batchSizes.length;
  const maxRows = Math.max(...batchSizes);
  const label =
    `Packed data, ${order.length} rows. batch_sizes ${batchSizes.join(", ")}. ` +
    batchSizes
      .map((bs, t) => `step ${t}: sequences ${order
        .filter(([, tt]) => tt === t)
        .map(([seq]) => seq)
        .join(", ")}`)
      .join("; ") + ".";
  const fig = figure(label, `auto repeat(${T}, ${CELL_COLUMN})`);
  // Column t holds the batch_sizes[t] rows of step t, in the order they sit in data.
  const offsets = [];
  batchSizes.reduce((acc, bs) => {
    offsets.push(acc);
    return acc + bs;
  }, 0);
  fig.append(blank());
  for (let t = 0; t < T; t++) fig.append(axis(`t=${t}`));
  for (let r = 0; r < maxRows; r++) {
    fig.append(r === 0 ? axis("data", "pv-row-label") : blank());
    for (let t = 0; t < T; t++) {
      if (r < batchSizes[t]) {
        const [seq, step] = order[offsets[t] + r];
        const node = cell(seq, tokenLabel(seq, step));
        node.title = `data[${offsets[t] + r}] = sequence ${seq}, step ${step}`;
        fig.append(node);
      } else {
        fig.append(blank());
      }
    }
  }
  return fig;
}

function renderPacking({ model, el }) {
  el.classList.add("packviz-view");
  const draw = () => {
    const lengths = modelLengths(model);
    const batchFirst = model.get("batch_first");
    const enforceSorted = model.get("enforce_sorted");
    const summary = packSummary(lengths, enforceSorted);
    const box = h("div", { class: "pv-body" });

    const padded = drawPadded(lengths, batchFirst);
    box.append(h("div", { class: "pv-title" }, "Padded batch"));
    field(box, "padded.shape", "shape").textContent = padded.shape;
    box.append(padded.fig);
    field(box, "lengths", "lengths").textContent = pyList(lengths);
    const updates = field(box, "cell updates", "updates");
    updates.append(
      h("span", { "data-field": "real" }, String(summary.real)), " real + ",
      h("span", { "data-field": "wasted" }, String(summary.wasted)), " wasted on pads = ",
      h("span", { "data-field": "padded" }, String(summary.padded)),
      ` padded (${summary.B} x ${summary.T})`,
    );

    box.append(h("div", { class: "pv-title" }, "pack_padded_sequence(...)"));
    if (summary.error !== null) {
      const err = h("div", { class: "pv-error", role: "alert" });
      err.append(h("span", {}, "torch raises RuntimeError: "));
      err.append(h("code", { "data-field": "error" }, summary.error));
      box.append(err);
      for (const name of ["batch_sizes", "sorted_indices", "unsorted_indices", "data_order"]) {
        field(box, name, name).textContent = "(no PackedSequence)";
      }
    } else {
      box.append(h("code", { "data-field": "error", hidden: "" }, ""));
      box.append(drawPacked(summary));
      field(box, "batch_sizes", "batch_sizes").textContent = pyList(summary.batchSizes);
      field(box, "sorted_indices", "sorted_indices").textContent =
        summary.sortedIndices === null ? "None" : pyList(summary.sortedIndices);
      field(box, "unsorted_indices", "unsorted_indices").textContent =
        summary.unsortedIndices === null ? "None" : pyList(summary.unsortedIndices);
      // One span per (sequence, step) pair so that a line never breaks inside a pair.
      const rows = field(box, "data rows (sequence, step)", "data_order");
      rows.append("[");
      summary.order.forEach(([seq, t], k) => {
        if (k > 0) rows.append(", ");
        rows.append(h("span", { class: "pv-nowrap" }, `(${seq}, ${t})`));
      });
      rows.append("]");
    }
    el.replaceChildren(box);
  };
  const names = [...LENGTH_TRAITS, "batch_first", "enforce_sorted"];
  return mountView(el, model, "packing", names, draw);
}

export default {
  initialize({ model }) {
    return syncLengths(model);
  },
  render: renderPacking,
};
