import { stringify } from "yaml";
import { baseModelHubId } from "./hub-id.js";

/** README.md model card with the Hub's YAML front matter (docs/formats/peft.md §3.5). */
export interface ModelCardInput {
  /** What the repo holds relative to its base: an adapter, a merged fine-tune, or a quantized export. */
  relation: "adapter" | "finetune" | "quantized";
  /** Hub id of the base model; a local path (other than a Hugging Face cache snapshot) is left out of the card. */
  baseModel: string | null;
  title: string;
  /** Markdown after the title. */
  body?: string;
  license?: string;
  datasets?: string[];
  language?: string[];
  tags?: string[];
  /** Listed under "Framework versions", as PEFT lists itself. */
  frameworkVersions?: Record<string, string>;
}

export function renderModelCard(input: ModelCardInput): string {
  // A local path means nothing to whoever downloads the repo: only a Hub id (or the id a cache path stands for) is kept.
  const card = { ...input, baseModel: baseModelHubId(input.baseModel) ?? null };
  const tags = new Set(card.tags ?? []);
  if (card.relation === "adapter") {
    tags.add("lora").add("transformers").add("peft");
    if (card.baseModel) tags.add(`base_model:adapter:${card.baseModel}`);
  }
  if (card.relation === "quantized") tags.add("gguf");
  const front: Record<string, unknown> = {};
  if (card.baseModel) front.base_model = card.baseModel;
  if (card.baseModel) front.base_model_relation = card.relation;
  if (card.relation !== "quantized") front.library_name = card.relation === "adapter" ? "peft" : "transformers";
  front.pipeline_tag = "text-generation";
  if (card.license) front.license = card.license;
  if (card.datasets?.length) front.datasets = card.datasets;
  if (card.language?.length) front.language = card.language;
  front.tags = [...tags].sort();
  const versions = Object.entries(card.frameworkVersions ?? {}).map(([name, v]) => `- ${name} ${v}`);
  const sections = [`# ${card.title}`, card.body?.trim(), versions.length ? `### Framework versions\n\n${versions.join("\n")}` : undefined];
  return `---\n${stringify(front).trimEnd()}\n---\n\n${sections.filter(Boolean).join("\n\n")}\n`;
}
