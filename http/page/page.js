"use strict";
// The page's states, for people and for the browser test: body[data-state] is idle, writing,
// loading, done or error; #reading[data-id] is the sonnet shown; #chart[data-buckets] the
// points drawn. Everything comes from sonnetd's own API; nothing is loaded from elsewhere.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const fmt = (x, d = 3) => (typeof x === "number" ? x.toFixed(d) : "—");
let current = null;     // the sonnet shown: {id, seed (digits), ...}
let lastSeed = null;    // digits of the last generated sonnet's seed
let lastRun = null;     // what "again" repeats: the last sonnet's prompt, seed, temperature, candidates

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}
const svgEl = (tag, attrs = {}) => {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};

// -- errors: what happened and what to do -----------------------------------------------------
class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status; this.code = code; this.retryAfter = retryAfter;
  }
}
function advice(e) {
  if (!(e instanceof ApiError)) return "Cannot reach sonnetd (" + e.message + "). Is it running? Reload the page to try again.";
  const why = " (" + e.status + " " + e.code + ": " + e.message + ")";
  switch (e.status) {
    case 429: return "The server is busy writing other sonnets. Wait " + (e.retryAfter || "a few") +
      " second(s) and try again." + why;
    case 503: return "The server cannot write now: it is shutting down or has no model or worker. Try again in a minute." + why;
    case 422: return "The model did not write 14 clean lines. Try again with another seed, more candidates or a lower temperature." + why;
    case 504: return "The server took too long. Try again, perhaps with fewer candidates." + why;
    case 404: return "There is no such sonnet." + why;
    case 400: return "The request was refused: " + e.message + ". Correct it and try again." + why;
    default: return "Something went wrong on the server." + why;
  }
}
function showError(e) {
  $("status").className = "error";
  $("status").textContent = advice(e);
  document.body.dataset.state = "error";
  document.body.dataset.errorStatus = e instanceof ApiError ? e.status : "network";
}
async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = body.error || {};
    throw new ApiError(r.status, e.code || "error", e.message || r.statusText, r.headers.get("Retry-After"));
  }
  return body;
}

// -- the close reading ------------------------------------------------------------------------
// A syllable's mark: its stress against the template (odd positions strong, DESIGN: prosody).
function mark(stress, pos, poly) {
  const strong = pos % 2 === 1;
  const sym = stress === "1" ? "●" : stress === "0" ? "○" : stress === "2" ? "◐" : "?";
  if (!poly || stress === "2" || stress === "?") return el("span", { class: "s-free", text: sym === "?" ? "·" : sym });
  const fits = (stress === "1") === strong;
  return el("span", { class: fits ? "s-fit" : "s-off", text: sym, title: fits ? "fits the template" : "against the template" });
}

// The line as written, token by token, each with the analysed words it holds ("heav'n-born"
// holds two); when the tokens do not line up with the analysis, the analysed words themselves.
function tokensOf(l) {
  const tokens = l.text.split(/\s+/).filter((t) => t);
  const out = [];
  let k = 0;
  for (const t of tokens) {
    const n = t.split(/[^A-Za-z'\u2019\u00C0-\uFFFF]+/).filter((x) => /[A-Za-z\u00C0-\uFFFF]/.test(x)).length;
    out.push({ text: t, words: l.words.slice(k, k + n) });
    k += n;
  }
  return k === l.words.length ? out : l.words.map((w) => ({ text: w.word, words: [w] }));
}

function renderLine(l, i, pairOf) {
  const words = el("span", { class: "words" });
  let pos = 0;
  for (const t of tokensOf(l)) {
    const marks = el("span", { class: "marks", "aria-hidden": "true" });
    for (const w of t.words) {
      const n = w.stress.length;
      for (let k = 0; k < n; k++) marks.append(mark(w.stress[k], pos + k, n > 1));
      pos += n;
    }
    const unknown = t.words.filter((w) => !w.known).map((w) => w.word);
    const word = el("span", { class: unknown.length ? "unknown" : "", text: t.text });
    if (unknown.length) word.title = unknown.join(", ") + ": not in the pronouncing dictionary";
    words.append(el("span", { class: "word" }, marks, word));
  }
  const p = pairOf[i];
  const letter = el("span", { class: "letter " + (l.letter ? "rhyme-" + l.letter : "") + (p && !p.rhymes ? " miss" : ""),
    text: l.letter || "–" });
  const side = el("span", { class: "side" }, letter);
  if (p) {
    const other = p.a === i ? p.b : p.a;
    side.append(" ", el("a", { href: "#line-" + (other + 1), title: p.rhymes ? "rhymes with line " + (other + 1) : "should rhyme with line " + (other + 1) },
      (p.rhymes ? "↔ " : "✗ ") + (other + 1)));
    if (!p.rhymes) side.lastChild.className = "miss-mark";
  }
  side.append(el("br"), el("span", { class: "fit", text: l.syllables + " syl · fit " + fmt(l.iambic_fit, 2) }));
  const label = "Line " + (i + 1) + ", " + l.syllables + " syllables, stress " + l.stress + ", rhyme " +
    (l.letter || "none") + (p ? (p.rhymes ? ", rhymes" : ", misses its rhyme") : "");
  return el("li", { class: "line", id: "line-" + (i + 1), "data-letter": l.letter, "data-syllables": l.syllables,
    "aria-label": label }, el("span", { class: "num", text: i + 1 }), words, side);
}

function bar(name, x, cls = "") {
  const v = Math.max(0, Math.min(1, x || 0));
  return el("div", { class: "bar " + cls, role: "meter", "aria-valuemin": 0, "aria-valuemax": 1,
    "aria-valuenow": fmt(v), "aria-label": name },
    el("span", { text: name }), el("span", { class: "track" }, el("span", { class: "fill", style: "width:" + (v * 100) + "%" })),
    el("span", { text: fmt(x, 2) }));
}

function gauge(d) {
  const v = Math.max(0, Math.min(1, d));
  const a = Math.PI * (1 - v), x = 60 + 48 * Math.cos(a), y = 60 - 48 * Math.sin(a);
  const s = svgEl("svg", { viewBox: "0 0 120 72", class: "gauge", role: "img", "aria-label": "dissonance " + fmt(d) });
  s.append(svgEl("path", { d: "M12 60 A48 48 0 0 1 108 60", fill: "none", stroke: "#eee", "stroke-width": 10 }));
  s.append(svgEl("path", { d: "M12 60 A48 48 0 0 1 " + x.toFixed(1) + " " + y.toFixed(1), fill: "none",
    stroke: "#b3261e", "stroke-width": 10 }));
  const t = svgEl("text", { x: 60, y: 58, "text-anchor": "middle", "font-size": 16 });
  t.textContent = fmt(d, 2);
  s.append(t);
  return s;
}

function renderReading(s, origin) {
  const rd = s.reading;
  const pairOf = {};
  for (const p of rd.pairs) { pairOf[p.a] = p; pairOf[p.b] = p; }
  $("lines").replaceChildren(...rd.lines.map((l, i) => renderLine(l, i, pairOf)));
  const scores = $("scores");
  scores.replaceChildren(el("h3", { text: "Quality " + fmt(s.quality, 3) }),
    bar("structure", s.structure ?? rd.structure), bar("meter", s.meter ?? rd.meter),
    bar("rhyme", rd.rhyme), el("p", { text: rd.rhyme_pairs + " of 7 pairs rhyme · " + rd.unknown_words +
      " word(s) not in the dictionary · quality = 0.4 structure + 0.3 meter + 0.3 rhyme" }));
  const j = $("judgement");
  j.replaceChildren(el("h3", { text: "Dissonance" }), gauge(s.dissonance ?? 0));
  if (s.pulse) j.append(bar("novelty", s.pulse.novelty, "dis"), bar("arousal", s.pulse.arousal, "dis"),
    bar("entropy", s.pulse.entropy, "dis"));
  else j.append(el("p", { text: "The pulse is not stored; it is shown for new sonnets." }));
  const dl = el("dl", { class: "params" });
  const add = (k, v) => dl.append(el("dt", { text: k }), el("dd", { text: v }));
  add("sonnet", "#" + s.id);
  add("temperature", fmt(s.temperature, 2));
  if (origin === "new") {
    add("seed", lastSeed ?? String(s.seed));
    add("candidates", s.candidates + (s.candidates > 1 ? " (kept " + (s.chosen < 0 ? "lines of all" : "#" + (s.chosen + 1)) + ")" : ""));
    add("tokens", String(s.tokens));
    add("time", fmt(s.timings.total_ms / 1000, 1) + " s");
  } else {
    add("written by", s.added_by || "—");
  }
  $("params").replaceChildren(el("h3", { text: "How it was written" }), dl);
  $("reading").hidden = false;
  $("reading").dataset.id = s.id;
  $("reading-title").textContent = "Sonnet #" + s.id;
}

// -- the cloud chart --------------------------------------------------------------------------
async function showCloud() {
  const st = await getJson("/v1/stats");
  $("stats").textContent = st.sonnet_count + (st.sonnet_count === 1 ? " sonnet" : " sonnets") + " · average quality " + fmt(st.avg_quality) +
    " · average dissonance " + fmt(st.avg_dissonance) + " · " + st.vocab_size + " words";
  $("stats").dataset.count = st.sonnet_count;
  drawChart(await getJson("/v1/cloud/series?points=400"));
}

function drawChart(se) {
  const W = 640, H = 220, L = 34, R = 10, T = 10, B = 26;
  const n = se.first_id.length;
  const box = $("chart");
  box.dataset.buckets = n;
  box.dataset.count = se.sonnet_count;
  box.dataset.width = se.bucket_width;
  if (n === 0) { box.replaceChildren(el("p", { text: "The cloud is empty: write the first sonnet." })); return; }
  const lo = se.first_id[0], hi = se.last_id[n - 1];
  const mid = (i) => (se.first_id[i] + se.last_id[i]) / 2;
  const X = (id) => L + (hi === lo ? (W - L - R) / 2 : (id - lo) / (hi - lo) * (W - L - R));
  const Y = (v) => T + (1 - v) * (H - T - B);
  const s = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true" });
  for (const v of [0, 0.5, 1]) {
    s.append(svgEl("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: "axis", "stroke-dasharray": v ? "2 3" : "" }));
    const t = svgEl("text", { x: L - 4, y: Y(v) + 4, "text-anchor": "end" }); t.textContent = v; s.append(t);
  }
  for (const [id, anchor] of hi === lo ? [[lo, "middle"]] : [[lo, "start"], [hi, "end"]]) {
    const t = svgEl("text", { x: X(id), y: H - 8, "text-anchor": anchor }); t.textContent = "#" + id; s.append(t);
  }
  const series = (m, color, cls) => {
    // A band from min to max when buckets hold several sonnets, then the mean.
    if (se.bucket_width > 1) {
      const up = [], down = [];
      for (let i = 0; i < n; i++) if (m.max[i] !== null) { up.push(X(mid(i)) + "," + Y(m.max[i])); down.unshift(X(mid(i)) + "," + Y(m.min[i])); }
      s.append(svgEl("polygon", { points: up.concat(down).join(" "), fill: color, "fill-opacity": 0.15 }));
    }
    const pts = [];
    for (let i = 0; i < n; i++) if (m.mean[i] !== null) pts.push(X(mid(i)) + "," + Y(m.mean[i]));
    s.append(svgEl("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 1.5 }));
    if (se.bucket_width === 1) for (let i = 0; i < n; i++) if (m.mean[i] !== null) // one dot per sonnet
      s.append(svgEl("circle", { cx: X(mid(i)), cy: Y(m.mean[i]), r: 2.2, fill: color, class: cls }));
  };
  series(se.quality, "#1f5fa8", "pt-q");
  series(se.dissonance, "#b3261e", "pt");
  if (current && current.id >= lo && current.id <= hi) {
    s.append(svgEl("line", { x1: X(current.id), x2: X(current.id), y1: T, y2: H - B, stroke: "#000", "stroke-dasharray": "4 3", class: "current" }));
    const t = svgEl("text", { x: X(current.id), y: T + 10, "text-anchor": X(current.id) > W / 2 ? "end" : "start" });
    t.textContent = " #" + current.id + " ";
    s.append(t);
  }
  box.replaceChildren(s);
  box.setAttribute("aria-label", "Dissonance and quality of " + se.sonnet_count + " sonnets, ids " + lo + " to " + hi +
    (se.bucket_width > 1 ? ", " + se.bucket_width + " per point" : ""));
}

// -- history ----------------------------------------------------------------------------------
async function showHistory() {
  const recent = await getJson("/v1/sonnets?recent=15");
  const best = await getJson("/v1/sonnets?best=15&min_quality=0");
  const item = (s) => el("li", {}, el("a", { href: "#/sonnets/" + s.id, text: "#" + s.id + " " + firstLine(s.text) }),
    el("span", { class: "q", text: " q " + fmt(s.quality, 2) + " · d " + fmt(s.dissonance, 2) }));
  $("recent").replaceChildren(...recent.map(item));
  $("best").replaceChildren(...best.map(item));
}
const firstLine = (t) => (t.split("\n").find((l) => l.trim()) || "").trim().slice(0, 48);

// One request at a time: a busy server (429) is not asked for four things at once.
// #cloud[data-state] says when the chart and the lists are up to date (loaded) or not (error).
async function refreshSide() {
  $("cloud").dataset.state = "loading";
  try {
    await showCloud();
    await showHistory();
    $("cloud").dataset.state = "loaded";
  } catch (e) {
    $("stats").textContent = "The cloud cannot be read now. " + advice(e);
    $("cloud").dataset.state = "error";
  }
}

async function openStored(id) {
  document.body.dataset.state = "loading";
  $("status").className = "";
  $("status").textContent = "Opening sonnet #" + id + "…";
  try {
    const s = await getJson("/v1/sonnets/" + id);
    current = s;
    renderReading(s, "stored");
    // A stored sonnet's seed is not served: "again" repeats only a sonnet written here.
    $("again").disabled = !lastRun || lastRun.id !== s.id;
    $("status").textContent = "Sonnet #" + id + " from the cloud.";
    await refreshSide();
    document.body.dataset.state = "done";
    $("reading").focus();
  } catch (e) { showError(e); }
}

// -- writing ----------------------------------------------------------------------------------
function requestBody(prompt, again) {
  if (again) return again;
  const body = { prompt: prompt };
  const c = parseInt($("candidates").value, 10);
  if (c >= 1 && c <= 16) body.candidates = c;
  const t = $("temperature").value.trim();
  if (t !== "") body.temperature = parseFloat(t);
  const sd = $("seed").value.trim();
  if (sd !== "") body.seed = sd; // digits as a string: exact beyond 2^53
  if (params.has("tokens")) body.tokens = parseInt(params.get("tokens"), 10);
  return body;
}

async function readEvents(r, onEvent) {
  // Server-sent events over a POST (EventSource only does GET): blocks split at blank lines.
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    pending += decoder.decode(value, { stream: true });
    for (let i; (i = pending.indexOf("\n\n")) >= 0; pending = pending.slice(i + 2)) {
      let event = "message";
      const data = [];
      for (const l of pending.slice(0, i).split("\n")) {
        if (l.startsWith("event: ")) event = l.slice(7);
        else if (l.startsWith("data: ")) data.push(l.slice(6));
      }
      onEvent(event, data.join("\n"));
    }
  }
}

async function write(prompt, again) {
  $("submit").disabled = $("again").disabled = true;
  $("status").className = "";
  $("status").textContent = "Writing…";
  $("raw").textContent = "";
  $("rawbox").open = true;
  document.body.dataset.state = "writing";
  delete document.body.dataset.errorStatus;
  try {
    const r = await fetch("/v1/sonnets?stream=1", { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(requestBody(prompt, again)) });
    if (!r.ok || !(r.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
      const b = await r.json().catch(() => ({})); // refused before streaming: a JSON error
      const e = b.error || {};
      throw new ApiError(r.status, e.code || "error", e.message || r.statusText, r.headers.get("Retry-After"));
    }
    let sonnet = null, lines = 0;
    await readEvents(r, (event, text) => {
      if (event === "token") {
        const t = JSON.parse(text);
        if (t.candidate === 0) { $("raw").textContent += t.text; $("raw").scrollTop = $("raw").scrollHeight; }
      } else if (event === "line") {
        $("status").textContent = "Writing… line " + ++lines + " of 14";
      } else if (event === "sonnet") {
        const m = /"seed":(\d+)/.exec(text); // the seed's digits, exact (JSON.parse rounds past 2^53)
        lastSeed = m ? m[1] : null;
        sonnet = JSON.parse(text);
      } else if (event === "error") {
        const e = JSON.parse(text).error;
        throw new ApiError(status_of_code(e.code), e.code, e.message);
      }
    });
    if (!sonnet) throw new Error("the stream ended without a sonnet");
    current = sonnet;
    // The same seed, temperature and candidates write the same sonnet again.
    lastRun = { prompt: prompt, seed: lastSeed, temperature: sonnet.temperature, candidates: sonnet.candidates };
    Object.defineProperty(lastRun, "id", { value: sonnet.id, enumerable: false }); // not sent
    if (params.has("tokens")) lastRun.tokens = parseInt(params.get("tokens"), 10);
    $("rawbox").open = false;
    renderReading(sonnet, "new");
    $("status").textContent = "Sonnet #" + sonnet.id + " written and stored.";
    history.replaceState(null, "", location.pathname + location.search + "#/sonnets/" + sonnet.id);
    await refreshSide();
    document.body.dataset.state = "done";
  } catch (e) {
    if (!$("raw").textContent) $("rawbox").open = false; // refused before the model wrote
    showError(e);
  } finally {
    $("submit").disabled = false;
    $("again").disabled = lastRun === null;
  }
}
// An error inside the stream carries the code only; its HTTP status as the API would give it.
function status_of_code(code) {
  return { not_enough_lines: 422, shutting_down: 503, model_unavailable: 503, no_worker: 503,
    timeout: 504, too_many_requests: 429 }[code] || 500;
}

// -- wiring -----------------------------------------------------------------------------------
function route() {
  const m = /^#\/sonnets\/(\d+)$/.exec(location.hash);
  if (m && (!current || String(current.id) !== m[1])) openStored(m[1]);
}
$("form").addEventListener("submit", (ev) => { ev.preventDefault(); write($("prompt").value); });
$("again").addEventListener("click", () => { if (lastRun) write(lastRun.prompt, lastRun); });
window.addEventListener("hashchange", route);
for (const k of ["candidates", "temperature", "seed"]) if (params.has(k)) $(k).value = params.get(k);
if (params.has("prompt")) {
  $("prompt").value = params.get("prompt");
  write(params.get("prompt")); // it draws the cloud once the sonnet is in
} else if (/^#\/sonnets\/\d+$/.test(location.hash)) {
  route();
} else {
  refreshSide();
}
