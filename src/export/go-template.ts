import { goTemplateText as t } from "./go-literal.js";
import type { TurnFormat, Wrap } from "./turn-format.js";

/**
 * The Ollama TEMPLATE (Go text/template over Ollama's `.Messages`) that renders what renderTurnFormat renders.
 * One line, no `{{-` trimming: every byte of text in it is a byte of the prompt. Ollama's template data:
 * docs/formats/ollama.md, "How Ollama renders a TEMPLATE".
 */
export function goTemplateFor(format: TurnFormat): string {
  const wrapped = (wrap: Wrap): string => `${t(wrap.prefix)}{{ $m.Content }}${t(wrap.suffix)}`;
  const assistant = `{{ else if eq $m.Role "assistant" }}${wrapped(format.assistant)}`;
  const { system } = format;
  if (system.kind === "turn") {
    const absent = system.whenAbsent === "" ? "" : `{{ if and (eq $i 0) (ne $m.Role "system") }}${t(system.whenAbsent)}{{ end }}`;
    return (
      `${t(format.start)}{{ range $i, $m := .Messages }}${absent}` +
      `{{ if eq $m.Role "system" }}${wrapped(system.wrap)}` +
      `{{ else if eq $m.Role "user" }}${wrapped(format.user)}` +
      `${assistant}{{ end }}{{ end }}${t(format.generation)}`
    );
  }
  // Folded system prompt: only a first-message system counts; it is written inside the first user turn.
  const folded = `{{ if $hasSystem }}${t(system.wrap.prefix)}{{ $system }}${t(system.wrap.suffix)}{{ end }}`;
  return (
    `${t(format.start)}{{ $system := "" }}{{ $hasSystem := false }}{{ $first := true }}{{ range $i, $m := .Messages }}` +
    `{{ if and (eq $i 0) (eq $m.Role "system") }}{{ $system = $m.Content }}{{ $hasSystem = true }}` +
    `{{ else if eq $m.Role "user" }}{{ if $first }}${t(system.opening)}${folded}{{ else }}${t(format.user.prefix)}{{ end }}` +
    `{{ $m.Content }}${t(format.user.suffix)}{{ $first = false }}` +
    `${assistant}{{ $first = false }}{{ end }}{{ end }}${t(format.generation)}`
  );
}
