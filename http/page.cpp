// The web page served at "/": one static HTML file with inline JS, compiled into the binary.
// Opening /?prompt=TEXT submits at once (that is how the headless-browser test drives it);
// &tokens=N, &seed=S and &temperature=T are passed on to the API when present.
#include "http/server.hpp"

namespace sonnet::http {

const std::string& index_html() {
  static const std::string page = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sonnet Actors</title>
<style>
  body { font-family: Georgia, serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; }
  textarea { width: 100%; height: 4em; font: inherit; }
  ol#lines { line-height: 1.6; }
  .meta, .stats { font-family: sans-serif; font-size: 0.9em; color: #555; }
  .error { color: #a00; }
</style>
</head>
<body>
<h1>Sonnet Actors</h1>
<form id="form">
  <label for="prompt">Your words</label>
  <textarea id="prompt" name="prompt" maxlength="2000" placeholder="the sea at night"></textarea>
  <button id="submit" type="submit">Write a sonnet</button>
</form>
<p id="status" class="meta"></p>
<ol id="lines"></ol>
<p id="meta" class="meta"></p>
<p id="stats" class="stats"></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const num = (x) => (typeof x === "number" ? x.toFixed(3) : String(x));

async function showStats() {
  const r = await fetch("/v1/stats");
  const s = await r.json();
  if (!r.ok) throw new Error(s.error ? s.error.message : r.statusText);
  $("stats").textContent = "The cloud: " + s.sonnet_count + " sonnets, average quality " +
    num(s.avg_quality) + ", average dissonance " + num(s.avg_dissonance) + ", " +
    s.vocab_size + " words.";
  $("stats").dataset.count = s.sonnet_count;
}

async function write(prompt) {
  $("submit").disabled = true;
  $("status").className = "meta";
  $("status").textContent = "Writing…";
  $("lines").replaceChildren();
  $("meta").textContent = "";
  document.body.dataset.state = "writing";
  const body = { prompt: prompt };
  for (const k of ["tokens", "seed", "candidates"])
    if (params.has(k)) body[k] = parseInt(params.get(k), 10);
  if (params.has("temperature")) body.temperature = parseFloat(params.get("temperature"));
  try {
    const r = await fetch("/v1/sonnets", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const s = await r.json();
    if (!r.ok) throw new Error(s.error ? s.error.code + ": " + s.error.message : r.statusText);
    for (const line of s.lines) {
      const li = document.createElement("li");
      li.className = "line";
      li.textContent = line;
      $("lines").appendChild(li);
    }
    $("status").textContent = "Sonnet #" + s.id;
    $("meta").textContent = "Dissonance " + num(s.dissonance) + " · pulse: novelty " +
      num(s.pulse.novelty) + ", arousal " + num(s.pulse.arousal) + ", entropy " +
      num(s.pulse.entropy) + " · quality " + num(s.quality);
    await showStats();
    document.body.dataset.state = "done";
  } catch (e) {
    $("status").className = "error";
    $("status").textContent = "Error: " + e.message;
    document.body.dataset.state = "error";
  } finally {
    $("submit").disabled = false;
  }
}

$("form").addEventListener("submit", (ev) => { ev.preventDefault(); write($("prompt").value); });
if (params.has("prompt")) {
  $("prompt").value = params.get("prompt");
  write(params.get("prompt"));
} else {
  showStats().catch(() => {});
}
</script>
</body>
</html>
)HTML";
  return page;
}

} // namespace sonnet::http
