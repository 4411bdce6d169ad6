// The explorer's page script (vanilla JS, no network): research/views/explorer.py inlines it with
// the run's data. The decision boundary and the linear regions are drawn here from the model's
// own float32 weights by a forward pass at every pixel centre (the grid of research.metrics.
// boundary.make_grid), so the page needs no image per model; region edges are where the
// activation pattern changes between neighbouring pixels (pixel-exact; the exact count is the
// results row's num_regions).
"use strict";

const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
const N = DATA.resolution;  // canvas pixels per side
const KEYS = ["dataset", "activation", "architecture", "lr", "seed"];
const CLASS_RGB = [[59, 76, 192], [180, 4, 38], [44, 160, 44], [148, 103, 189], [140, 86, 75]];

function f32(b64) {
  const bin = atob(b64), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
function u16(b64) {
  return new Uint16Array(u8(b64).buffer);
}
function u8(b64) {
  const bin = atob(b64), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// Each activation as the registry defines it (research/activations.py); pieces = breakpoints.
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const ACTS = {
  relu: {f: (z, s) => (z >= 0 ? z : s * z), breaks: [0]},
  leaky_relu: {f: (z, s) => (z >= 0 ? z : s * z), breaks: [0]},
  prelu: {f: (z, s) => (z >= 0 ? z : s * z), breaks: [0]},
  abs: {f: (z) => Math.abs(z), breaks: [0]},
  hard_tanh: {f: (z) => Math.max(-1, Math.min(1, z)), breaks: [-1, 1]},
  identity: {f: (z) => z, breaks: []},
  tanh: {f: (z) => Math.tanh(z), breaks: null},
  sigmoid: {f: (z) => 1 / (1 + Math.exp(-z)), breaks: null},
  elu: {f: (z) => (z > 0 ? z : Math.expm1(z)), breaks: null},
  silu: {f: (z) => z / (1 + Math.exp(-z)), breaks: null},
  softplus: {f: (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))), breaks: null},
  // jax.nn.gelu's default is the tanh approximation.
  gelu: {f: (z) => 0.5 * z * (1 + Math.tanh(SQRT_2_OVER_PI * (z + 0.044715 * z * z * z))), breaks: null},
};

function unpackNet(m) {
  const flat = f32(m.w), layers = [];
  const widths = [2, ...Array(m.depth).fill(m.width), m.out];
  let o = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const a = widths[l], b = widths[l + 1];
    layers.push({fanIn: a, fanOut: b, k: flat.subarray(o, o + a * b), b: flat.subarray(o + a * b, o + a * b + b)});
    o += a * b + b;
  }
  const acts = m.acts.map(([name, slope]) => ({...ACTS[name], slope}));
  return {layers, acts, pwl: acts.every((a) => a.breaks !== null)};
}

// Logits and the activation pattern hash (two 32-bit words) at one point.
function forward(net, x, y, out) {
  let h = [x, y], h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let l = 0; l < net.layers.length; l++) {
    const L = net.layers[l], next = new Array(L.fanOut);
    for (let j = 0; j < L.fanOut; j++) {
      let z = L.b[j];
      for (let i = 0; i < L.fanIn; i++) z += h[i] * L.k[i * L.fanOut + j];
      if (l + 1 < net.layers.length) {
        const act = net.acts[l];
        if (act.breaks) {
          let piece = 0;
          for (const t of act.breaks) if (z >= t) piece++;
          h1 = Math.imul(h1 ^ (piece + 1), 16777619);
          h2 = Math.imul(h2 ^ (piece + 7 * j + 3), 2246822519);
        }
        next[j] = act.f(z, act.slope);
      } else next[j] = z;
    }
    h = next;
  }
  out.logits = h;
  out.pattern = (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);  // 53 bits: exact in a double
  return out;
}

function classOf(logits) {
  if (logits.length === 1) return logits[0] > 0 ? 1 : 0;
  let best = 0;
  for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
  return best;
}

function render(model) {
  const inst = DATA.instances[model.instance];
  const net = unpackNet(model);
  const [[x0, x1], [y0, y1]] = inst.domain;
  const canvas = document.getElementById("plane"), ctx = canvas.getContext("2d");
  const img = ctx.createImageData(N, N);
  const cls = new Int32Array(N * N), pat = new Float64Array(N * N), tmp = {};
  const counts = new Array(Math.max(2, model.out)).fill(0);
  for (let r = 0; r < N; r++) {       // canvas row r is grid row N-1-r (y grows upwards)
    const y = y0 + (y1 - y0) * (N - 1 - r + 0.5) / N;
    for (let c = 0; c < N; c++) {
      const x = x0 + (x1 - x0) * (c + 0.5) / N;
      forward(net, x, y, tmp);
      const k = classOf(tmp.logits);
      cls[r * N + c] = k;
      pat[r * N + c] = tmp.pattern;
      counts[k]++;
    }
  }
  let truth = null;
  if (inst.truth !== null && inst.truth !== undefined) {
    const T = DATA.truths[inst.truth], labels = u8(T.labels), R = T.resolution;
    const [[tx0, tx1], [ty0, ty1]] = T.domain;
    const cell = (v, lo, hi) => Math.max(0, Math.min(R - 1, Math.floor((v - lo) / (hi - lo) * R)));
    truth = new Uint8Array(N * N);
    for (let r = 0; r < N; r++) {
      const tr = cell(y0 + (y1 - y0) * (N - 1 - r + 0.5) / N, ty0, ty1);
      for (let c = 0; c < N; c++) truth[r * N + c] = labels[tr * R + cell(x0 + (x1 - x0) * (c + 0.5) / N, tx0, tx1)];
    }
  }
  const regions = net.pwl && DATA.show_regions;
  for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
    const i = r * N + c, k = cls[i], rgb = CLASS_RGB[k % CLASS_RGB.length];
    let px = rgb.map((v) => Math.round(255 - 0.3 * (255 - v)));
    const right = c + 1 < N ? i + 1 : -1, down = r + 1 < N ? i + N : -1;
    const edge = (arr) => (right >= 0 && arr[right] !== arr[i]) || (down >= 0 && arr[down] !== arr[i]);
    const mix = (to, a) => px.map((v, n) => Math.round((1 - a) * v + a * to[n]));
    if (regions && edge(pat)) px = mix([85, 85, 85], 0.55);
    if (truth && edge(truth)) px = mix([44, 160, 44], 0.9);
    if (edge(cls)) px = [0, 0, 0];
    img.data.set([...px, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  // Training points, scaled to the canvas.
  const pts = u16(inst.x), labels = u8(inst.y);
  for (let n = 0; n < labels.length; n++) {
    const c = pts[2 * n] / 65535 * N, r = N - pts[2 * n + 1] / 65535 * N;  // uint16 over the domain box
    const rgb = CLASS_RGB[labels[n] % CLASS_RGB.length];
    ctx.fillStyle = `rgba(${rgb[0]},${rgb[1]},${rgb[2]},0.85)`;
    ctx.fillRect(c - 1, r - 1, 2, 2);
  }
  const total = N * N;
  document.getElementById("class-fractions").textContent =
      counts.map((n, k) => `class ${k}: ${(n / total).toFixed(4)}`).join(", ");
  document.getElementById("class-fractions").dataset.fractions = JSON.stringify(counts.map((n) => n / total));
  document.getElementById("regions-note").textContent = regions
      ? "grey: edges of the linear regions (where the activation pattern changes between pixels)"
      : "no linear regions: the activation is not piecewise linear";
}

function fmt(v) {
  if (v === null || v === undefined) return "n/a";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
  return String(v);
}

function metricsTable(model) {
  const rows = DATA.columns.map((c, j) => `<tr><th>${c}</th><td>${fmt(model.row[j])}</td></tr>`);
  document.getElementById("metrics").innerHTML = rows.join("");
}

// Training curve: loss (log scale) and accuracy, train and test, as inline SVG.
function curveSvg(model) {
  const steps = DATA.curve_steps, C = model.curve;
  const panel = (keys, label, log, ox) => {
    const W = 250, H = 150, L = 54, B = 24, T = 16;
    const vals = keys.flatMap((k) => C[k] || []).filter((v) => v !== null && (!log || v > 0));
    if (!vals.length || !steps.length) return "";
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const sx = (s) => ox + L + (W - L - 6) * (s - steps[0]) / Math.max(1, steps[steps.length - 1] - steps[0]);
    const sy = (v) => T + (H - T - B) * (1 - ((log ? Math.log10(v) : v) - lo) / (hi - lo));
    let g = `<text x="${ox + L}" y="11" font-size="11">${label}</text>`;
    g += `<line x1="${ox + L}" y1="${H - B}" x2="${ox + W - 6}" y2="${H - B}" stroke="#888"/>`;
    g += `<line x1="${ox + L}" y1="${T}" x2="${ox + L}" y2="${H - B}" stroke="#888"/>`;
    for (const v of [lo, (lo + hi) / 2, hi]) {
      const val = log ? 10 ** v : v;
      g += `<text x="${ox + L - 3}" y="${sy(val) + 3}" font-size="9" text-anchor="end">${fmt(val)}</text>`;
    }
    g += `<text x="${ox + L}" y="${H - 8}" font-size="9">${steps[0]}</text>`;
    g += `<text x="${ox + W - 6}" y="${H - 8}" font-size="9" text-anchor="end">step ${steps[steps.length - 1]}</text>`;
    keys.forEach((k, n) => {
      const ys = C[k] || [];
      const d = ys.map((v, i) => (v === null || (log && v <= 0) ? "" : `${sx(steps[i])},${sy(v)}`)).filter(Boolean);
      g += `<polyline fill="none" stroke="${n ? "#d62728" : "#1f77b4"}" stroke-width="1.5" points="${d.join(" ")}"/>`;
      g += `<text x="${ox + W - 8}" y="${T + 12 + 11 * n}" font-size="9" text-anchor="end" fill="${n ? "#d62728" : "#1f77b4"}">${k.split("_")[0]}</text>`;
    });
    return g;
  };
  document.getElementById("curve").innerHTML =
      panel(["train_loss", "test_loss"], "cross-entropy (log)", true, 0) +
      panel(["train_acc", "test_acc"], "accuracy", false, 260);
}

function keyOf(m) {
  return {dataset: m.dataset, activation: m.activation, architecture: `w${m.width} d${m.depth}`,
          lr: String(m.lr), seed: String(m.seed)};
}

// The model matching every select, or the nearest: the first that matches the most selects in order.
function choose(want) {
  let best = 0, bestScore = -1;
  DATA.models.forEach((m, i) => {
    const k = keyOf(m);
    let s = 0;
    KEYS.forEach((key, p) => { if (k[key] === want[key]) s += 2 ** (KEYS.length - p); });
    if (s > bestScore) { best = i; bestScore = s; }
  });
  return best;
}

function show(index) {
  const m = DATA.models[index], k = keyOf(m);
  for (const key of KEYS) document.getElementById(`sel-${key}`).value = k[key];
  const sel = document.getElementById("selected");
  sel.textContent = `${m.dataset} · ${m.activation} · width ${m.width}, depth ${m.depth} · lr ${m.lr} · seed ${m.seed}`;
  sel.dataset.modelIndex = String(index);
  render(m);
  metricsTable(m);
  curveSvg(m);
  history.replaceState(null, "", "#" + KEYS.map((key) => `${key}=${encodeURIComponent(k[key])}`).join("&"));
}

function init() {
  document.getElementById("plane").width = N;
  document.getElementById("plane").height = N;
  for (const key of KEYS) {
    const values = [...new Set(DATA.models.map((m) => keyOf(m)[key]))];
    const select = document.getElementById(`sel-${key}`);
    select.innerHTML = values.map((v) => `<option value="${v}">${v}</option>`).join("");
    select.parentElement.style.display = values.length > 1 ? "" : "none";
    select.addEventListener("change", () => {
      const want = {};
      for (const k2 of KEYS) want[k2] = document.getElementById(`sel-${k2}`).value;
      show(choose(want));
    });
  }
  const want = {...keyOf(DATA.models[DATA.initial])};
  for (const part of location.hash.slice(1).split("&")) {
    const [key, value] = part.split("=");
    if (KEYS.includes(key) && value !== undefined) want[key] = decodeURIComponent(value);
  }
  show(choose(want));
}

init();
