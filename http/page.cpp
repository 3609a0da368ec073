// The web page served at "/": one static HTML file with inline JS, compiled into the binary.
// It asks for the streaming variant, shows the model's raw text as it is written, then the 14
// lines, dissonance, pulse and the cloud's stats. Opening /?prompt=TEXT submits at once (that is how the headless-browser test drives it);
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
  pre#raw { white-space: pre-wrap; font-size: 0.85em; color: #777; max-height: 12em; overflow: auto; }
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
<details id="rawbox" open><summary class="meta">What the model is writing</summary><pre id="raw"></pre></details>
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
  $("raw").textContent = "";
  $("rawbox").open = true;
  $("meta").textContent = "";
  document.body.dataset.state = "writing";
  const body = { prompt: prompt };
  for (const k of ["tokens", "seed", "candidates"])
    if (params.has(k)) body[k] = parseInt(params.get(k), 10);
  if (params.has("temperature")) body.temperature = parseFloat(params.get("temperature"));
  try {
    const r = await fetch("/v1/sonnets?stream=1", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!r.ok || !(r.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
      const s = await r.json(); // refused before streaming: a JSON error
      throw new Error(s.error ? s.error.code + ": " + s.error.message : r.statusText);
    }
    // Server-sent events over a POST (EventSource only does GET): blocks split at blank lines.
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let pending = "", sonnet = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      for (let i; (i = pending.indexOf("\n\n")) >= 0; pending = pending.slice(i + 2)) {
        let event = "message";
        const data = [];
        for (const l of pending.slice(0, i).split("\n")) {
          if (l.startsWith("event: ")) event = l.slice(7);
          else if (l.startsWith("data: ")) data.push(l.slice(6));
        }
        const text = data.join("\n");
        if (event === "token") {
          const t = JSON.parse(text);
          if (t.candidate === 0) {
            $("raw").textContent += t.text;
            $("raw").scrollTop = $("raw").scrollHeight;
          }
        } else if (event === "line") {
          const li = document.createElement("li");
          li.className = "line";
          li.textContent = text;
          $("lines").appendChild(li);
        } else if (event === "sonnet") {
          sonnet = JSON.parse(text);
        } else if (event === "error") {
          const e = JSON.parse(text).error;
          throw new Error(e.code + ": " + e.message);
        }
      }
    }
    if (!sonnet) throw new Error("the stream ended without a sonnet");
    const s = sonnet;
    $("rawbox").open = false;
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
