// packviz widgets, part 3: the mask explorer (packviz.widgets.mask_explorer).
// Reads n, l0..l7 (the lengths) and causal; draws the attention mask of sequences packed
// transformer-style (concatenated into one row of tokens): a token may attend only to
// tokens of its own sequence (and, if causal, not to later ones).

// The mask is at most 384 px square, less where the view is narrower (a phone): it
// leaves room for the row labels (LABELS_W) and keeps at least 2 px per token.
const MASK_MAX = 384;
const LABELS_W = 100;
const maskRoom = (width) => (width > 0 ? Math.min(MASK_MAX, width - LABELS_W) : MASK_MAX);

function drawMask(lengths, m, causal, room) {
  const { N, cuSeqlens } = m;
  const size = Math.max(2, Math.min(24, Math.floor(room / N)));
  const side = N * size;
  const fig = figure(
    `${causal ? "Causal block" : "Block"}-diagonal attention mask for lengths ` +
      `${lengths.join(", ")}: ${N} tokens, ${m.allowedCount} of ${N * N} ` +
      "query-key pairs allowed, one block per sequence.",
    `auto ${side}px`,
    "pv-mask-fig",
  );
  // Labels sit beside the mask, never on it: one per sequence that has room for it.
  const top = h("div", { class: "pv-mask-top" });
  const left = h("div", { class: "pv-mask-left" });
  const grid = h("div", { class: "pv-mask" });
  grid.style.width = grid.style.height = `${side}px`;
  grid.style.backgroundSize = `${size}px ${size}px`;
  if (size < 6) grid.classList.add("pv-no-lines");
  lengths.forEach((n, seq) => {
    const o = cuSeqlens[seq];
    const block = h("div", { class: "pv-block" });
    Object.assign(block.style, {
      left: `${o * size}px`, top: `${o * size}px`,
      width: `${n * size}px`, height: `${n * size}px`,
      backgroundColor: colorOf(seq),
    });
    if (causal) {
      // Lower triangle with steps: query q may see keys 0..q of its own sequence.
      const pts = ["0% 0%"];
      for (let q = 0; q < n; q++) {
        const x = ((q + 1) / n) * 100;
        pts.push(`${x}% ${(q / n) * 100}%`, `${x}% ${((q + 1) / n) * 100}%`);
      }
      pts.push("0% 100%");
      block.style.clipPath = `polygon(${pts.join(", ")})`;
    }
    grid.append(block);
    if (n * size >= 44) {
      const t = axis(`seq ${seq}`, "pv-mask-label");
      Object.assign(t.style, { left: `${o * size}px`, width: `${n * size}px` });
      top.append(t);
    }
    if (n * size >= 16) {
      const l = axis(`seq ${seq}`, "pv-mask-label");
      Object.assign(l.style, { top: `${o * size}px`, height: `${n * size}px` });
      left.append(l);
    }
  });
  top.style.width = `${side}px`;
  left.style.height = `${side}px`;
  fig.append(axis("queries \u2193 keys \u2192", "pv-small"), top, left, grid);
  return fig;
}

function renderMask({ model, el }) {
  el.classList.add("packviz-view");
  const draw = () => {
    const lengths = modelLengths(model);
    const causal = model.get("causal");
    const m = maskSummary(lengths, causal);
    const box = h("div", { class: "pv-body" });
    field(box, "lengths", "lengths").textContent = pyList(lengths);
    box.append(h("div", { class: "pv-title" },
      `Attention mask (queries down, keys across)${causal ? ", causal" : ""}`));
    box.append(drawMask(lengths, m, causal, maskRoom(el.clientWidth)));
    const pairs = field(box, "allowed query-key pairs", "allowed");
    pairs.append(
      h("span", { "data-field": "allowed_count" }, String(m.allowedCount)),
      ` of ${m.N * m.N} (${((100 * m.allowedCount) / (m.N * m.N)).toFixed(1)} %)`,
    );
    field(box, "sequence id of each token", "sequence_ids").textContent =
      pyList(m.sequenceIds);
    field(box, "position_ids", "position_ids").textContent = pyList(m.positionIds);
    field(box, "cu_seqlens", "cu_seqlens").textContent = pyList(m.cuSeqlens);
    const details = h("details", { class: "pv-details" });
    details.append(h("summary", {}, "the mask as text (1 = may attend)"));
    const rows = [];
    for (let q = 0; q < m.N; q++) {
      let row = "";
      for (let k = 0; k < m.N; k++) row += m.allowed(q, k) ? "1" : "0";
      rows.push(row);
    }
    details.append(h("pre", { "data-field": "mask_rows" }, rows.join("\n")));
    box.append(details);
    el.replaceChildren(box);
  };
  const stop = mountView(el, model, "mask", [...LENGTH_TRAITS, "causal"], draw);
  const unobserve = redrawOnResize(el, maskRoom, draw);
  return () => {
    unobserve();
    stop();
  };
}

export default {
  initialize({ model }) {
    return syncLengths(model);
  },
  render: renderMask,
};
