// packviz widgets, part 1 of 3: packing arithmetic, a line-by-line mirror of
// packviz/core.py (and of what torch computes). No DOM here.
// packviz/widgets.py joins core.js + view.js + <kind>.js into one ES module (_esm).
// tests/test_widgets.py runs these functions in node against Python and torch.

export const MAX_COUNT = 8;
export const MAX_LENGTH = 12;

// torch 2.13's message for pack_padded_sequence(..., enforce_sorted=True) with lengths
// that are not sorted longest first (a RuntimeError). tests check it against torch.
export const ENFORCE_SORTED_MESSAGE =
  "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. " +
  "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence " +
  "to sidestep this requirement if you do not need ONNX exportability.";

// Python's str.strip() removes exactly these characters (str.isspace()).
const PY_SPACE =
  "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029" +
  "\\u202f\\u205f\\u3000";
const STRIP_RE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");
const pyStrip = (s) => s.replace(STRIP_RE, "");
const INTEGER_RE = /^[+-]?[0-9]+$/;

// str(int(p)) for text that matched INTEGER_RE, without losing digits to floats.
function pyIntText(p) {
  const negative = p[0] === "-";
  const digits = p.replace(/^[+-]/, "").replace(/^0+(?=[0-9])/, "");
  return negative && digits !== "0" ? `-${digits}` : digits;
}

// Mirror of packviz.core.check_lengths(values, max_count=...) for whole numbers given
// as canonical decimal text: returns an error message, or null when they are fine.
function checkLengthsText(texts, maxCount) {
  for (let i = 0; i < texts.length; i++) {
    if (texts[i][0] === "-" || texts[i] === "0") {
      return (
        `lengths[${i}] = ${texts[i]}: every length must be at least 1 ` +
        "(drop empty sequences before padding; torch rejects them too)"
      );
    }
  }
  if (maxCount !== null && texts.length > maxCount) {
    return `${texts.length} sequences given; at most ${maxCount} are allowed here`;
  }
  return null;
}

// Mirror of packviz.core.parse_lengths: {ok: true, lengths} or {ok: false, message},
// with the same messages as the Python ValueErrors.
export function parseLengths(text, maxCount = MAX_COUNT, maxLength = MAX_LENGTH) {
  if (typeof text !== "string") {
    return { ok: false, message: `expected text such as '5, 2', got ${typeof text}` };
  }
  const parts = text.replace(/;/g, ",").split(",").map(pyStrip);
  if (pyStrip(text) === "") {
    return { ok: false, message: "type at least one length, e.g. 5, 2" };
  }
  const texts = [];
  for (const p of parts) {
    if (p === "") {
      return {
        ok: false,
        message: "an entry is empty: separate lengths with single commas",
      };
    }
    if (!INTEGER_RE.test(p)) return { ok: false, message: `'${p}' is not a whole number` };
    texts.push(pyIntText(p));
  }
  const problem = checkLengthsText(texts, maxCount);
  if (problem !== null) return { ok: false, message: problem };
  const tooLong = texts.find((t) => t.length > 15 || Number(t) > maxLength);
  if (tooLong !== undefined) {
    return { ok: false, message: `${tooLong} is too long: lengths go up to ${maxLength} here` };
  }
  return { ok: true, lengths: texts.map(Number) };
}

export const formatLengths = (lengths) => lengths.join(", ");
export const pyList = (xs) => `[${xs.join(", ")}]`;

// torch on CPU sorts lengths longest first and keeps equal lengths in their original
// order (packviz.core.sort_order): a stable sort on -length.
export function sortOrder(lengths) {
  const sortedIndices = lengths.map((_, i) => i);
  sortedIndices.sort((a, b) => lengths[b] - lengths[a] || a - b);
  const unsortedIndices = new Array(lengths.length);
  sortedIndices.forEach((i, position) => {
    unsortedIndices[i] = position;
  });
  return { sortedIndices, unsortedIndices };
}

export function batchSizes(lengths) {
  const T = Math.max(...lengths);
  const out = [];
  for (let t = 0; t < T; t++) out.push(lengths.filter((n) => n > t).length);
  return out;
}

// (sequence, time step) of each row of PackedSequence.data (packviz.core.pack_order).
export function packOrder(lengths) {
  const { sortedIndices } = sortOrder(lengths);
  const T = Math.max(...lengths);
  const rows = [];
  for (let t = 0; t < T; t++) {
    for (const i of sortedIndices) if (lengths[i] > t) rows.push([i, t]);
  }
  return rows;
}

export const isSortedLongestFirst = (lengths) =>
  lengths.every((n, i) => i === 0 || lengths[i - 1] >= n);

// What pack_padded_sequence(padded, lengths, enforce_sorted=...) returns or raises.
export function packSummary(lengths, enforceSorted) {
  const B = lengths.length;
  const T = Math.max(...lengths);
  const real = lengths.reduce((a, b) => a + b, 0);
  const summary = { B, T, real, padded: B * T, wasted: B * T - real, error: null };
  if (enforceSorted && !isSortedLongestFirst(lengths)) {
    summary.error = ENFORCE_SORTED_MESSAGE;
    return summary;
  }
  const { sortedIndices, unsortedIndices } = sortOrder(lengths);
  summary.batchSizes = batchSizes(lengths);
  summary.order = packOrder(lengths);
  // With enforce_sorted=True torch stores None for both index fields.
  summary.sortedIndices = enforceSorted ? null : sortedIndices;
  summary.unsortedIndices = enforceSorted ? null : unsortedIndices;
  return summary;
}

// ---- packviz.core.skewed_lengths: Python's random.Random(seed).gauss, exactly ----

// MT19937 as CPython's _randommodule.c seeds and runs it.
class PyRandom {
  constructor(seed) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError("seed must be an integer in 0..2**32-1");
    }
    this.mt = new Uint32Array(624);
    this.index = 624;
    this.gaussNext = null;
    this.initByArray([seed]);
  }

  initGenrand(s) {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const x = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, x) + i) >>> 0;
    }
    this.index = 624;
  }

  initByArray(key) {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const x = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(x, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const x = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(x, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  uint32() {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let kk = 0; kk < 624; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % 624] & 0x7fffffff);
        mt[kk] = mt[(kk + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  random() {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  gauss() {
    let z = this.gaussNext;
    this.gaussNext = null;
    if (z === null) {
      const x2pi = this.random() * (2.0 * Math.PI);
      const g2rad = Math.sqrt(-2.0 * Math.log(1.0 - this.random()));
      z = Math.cos(x2pi) * g2rad;
      this.gaussNext = Math.sin(x2pi) * g2rad;
    }
    return 0.0 + z * 1.0;
  }
}

// Python's round(): halves go to the even neighbour.
function pyRound(v) {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// |gauss()| for each of `batchSize` sequences, as skewed_lengths draws them for `seed`.
// The draws do not depend on skew, so a curve over many skews reuses them.
export function absGaussDraws(batchSize, seed = 0) {
  const rng = new PyRandom(seed);
  const out = [];
  for (let b = 0; b < batchSize; b++) out.push(Math.abs(rng.gauss()));
  return out;
}

export function lengthsFromDraws(draws, maxLength, skew) {
  return draws.map((g) => {
    const x = Math.exp(-skew * g);
    return Math.max(1, Math.min(maxLength, pyRound(x * maxLength)));
  });
}

// Mirror of packviz.core.skewed_lengths. Same draws as Python; exp/log/cos/sin come from
// V8 instead of the C library, which could differ in the last bit, so a length could
// differ only if x * max_length fell within ~1e-16 of a half (never seen in tests).
export function skewedLengths(batchSize, maxLength, skew, seed = 0) {
  return lengthsFromDraws(absGaussDraws(batchSize, seed), maxLength, skew);
}

// ---- transformer-style packing: concatenate, block-diagonal mask, position ids ----
export function maskSummary(lengths, causal) {
  const sequenceIds = [];
  const positionIds = [];
  const cuSeqlens = [0];
  lengths.forEach((n, s) => {
    for (let p = 0; p < n; p++) {
      sequenceIds.push(s);
      positionIds.push(p);
    }
    cuSeqlens.push(cuSeqlens[cuSeqlens.length - 1] + n);
  });
  const N = sequenceIds.length;
  const allowed = (q, k) =>
    sequenceIds[q] === sequenceIds[k] && (!causal || k <= q);
  const allowedCount = lengths.reduce(
    (a, n) => a + (causal ? (n * (n + 1)) / 2 : n * n),
    0,
  );
  return { N, sequenceIds, positionIds, cuSeqlens, allowed, allowedCount };
}
