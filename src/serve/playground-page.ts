/**
 * The playground at GET /: pick two models (the base or adapters), type a prompt, read both answers stream side
 * by side (greedy unless a temperature is set). Plain HTML and script, no build step and nothing fetched from
 * elsewhere; it calls the server's own /v1 endpoints.
 */
export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>loraforge playground</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 1.5rem; color: #222; }
  .row { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; margin-bottom: .8rem; }
  textarea { width: 100%; height: 6rem; font: inherit; box-sizing: border-box; }
  .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  .column h2 { font-size: 1rem; margin: .2rem 0; }
  pre { white-space: pre-wrap; background: #f5f5f5; padding: .8rem; min-height: 8rem; border-radius: 4px; margin: 0; }
  .meta { color: #666; font-size: 13px; min-height: 1.2em; }
  input[type=number] { width: 5rem; }
</style>
</head>
<body>
<h1>loraforge playground</h1>
<div class="row">
  <label>max tokens <input id="max-tokens" type="number" min="1" value="64"></label>
  <label>temperature <input id="temperature" type="number" min="0" max="2" step="0.1" value="0"></label>
  <label>API key <input id="api-key" type="password" placeholder="(if the server has one)"></label>
  <label><input id="chat" type="checkbox" checked> chat template</label>
</div>
<textarea id="prompt" placeholder="Type a prompt">Hello! Tell me about yourself.</textarea>
<div class="row"><button id="run">Run both</button><span id="status" class="meta"></span></div>
<div class="columns">
  <div class="column"><h2><select id="model-a"></select></h2><pre id="out-a"></pre><div id="meta-a" class="meta"></div></div>
  <div class="column"><h2><select id="model-b"></select></h2><pre id="out-b"></pre><div id="meta-b" class="meta"></div></div>
</div>
<script>
const $ = (id) => document.getElementById(id);
function headers() {
  const h = { "content-type": "application/json" };
  if ($("api-key").value) h.authorization = "Bearer " + $("api-key").value;
  return h;
}
async function loadModels() {
  const res = await fetch("/v1/models", { headers: headers() });
  if (!res.ok) { $("status").textContent = "cannot list models: " + res.status; return; }
  const ids = (await res.json()).data.map((m) => m.id);
  for (const [select, pick] of [[$("model-a"), 0], [$("model-b"), Math.min(1, ids.length - 1)]]) {
    const keep = select.value;
    select.replaceChildren(...ids.map((id) => new Option(id, id)));
    select.value = ids.includes(keep) ? keep : ids[pick];
  }
}
async function stream(model, out, meta) {
  out.textContent = "";
  meta.textContent = "…";
  const chat = $("chat").checked;
  const body = { model, stream: true, max_tokens: Number($("max-tokens").value), temperature: Number($("temperature").value), stream_options: { include_usage: true } };
  if (chat) body.messages = [{ role: "user", content: $("prompt").value }]; else body.prompt = $("prompt").value;
  const started = performance.now();
  const res = await fetch(chat ? "/v1/chat/completions" : "/v1/completions", { method: "POST", headers: headers(), body: JSON.stringify(body) });
  if (!res.ok) { meta.textContent = "error " + res.status + ": " + ((await res.json()).error?.message ?? ""); return; }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", finish = "", tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\\n\\n")) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
      const data = JSON.parse(event.slice(6));
      if (data.usage) tokens = data.usage.completion_tokens;
      const choice = data.choices?.[0];
      if (!choice) continue;
      out.textContent += choice.delta?.content ?? choice.text ?? "";
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  meta.textContent = tokens + " tokens, " + seconds.toFixed(2) + " s, finished: " + finish;
}
$("run").addEventListener("click", async () => {
  $("run").disabled = true;
  $("status").textContent = "running";
  try {
    await Promise.all([stream($("model-a").value, $("out-a"), $("meta-a")), stream($("model-b").value, $("out-b"), $("meta-b"))]);
    $("status").textContent = "done";
  } catch (e) {
    $("status").textContent = "failed: " + e.message;
  } finally {
    $("run").disabled = false;
  }
});
$("api-key").addEventListener("change", loadModels);
loadModels();
</script>
</body>
</html>
`;
