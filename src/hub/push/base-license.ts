import fs from "node:fs";
import path from "node:path";
import { modelInfo } from "@huggingface/hub";
import { parse } from "yaml";
import type { HubContext } from "../hub-context.js";
import { hubParams } from "../hub-context.js";

/** The `license` of a model card's YAML front matter, if it has one. */
export function licenseOfCard(markdown: string): string | undefined {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(markdown);
  if (!m) return undefined;
  try {
    const license = (parse(m[1]) as { license?: unknown } | null)?.license;
    return typeof license === "string" ? license : undefined;
  } catch {
    return undefined; // a broken card upstream: no license rather than no push
  }
}

/**
 * The base model's license: from its README.md in the local folder or cache, else (when the network may be used)
 * from the Hub's parsed card data.
 */
export async function baseLicense(baseDir: string | undefined, baseId: string | undefined, ctx: HubContext, network: boolean): Promise<string | undefined> {
  const readme = baseDir ? path.join(baseDir, "README.md") : undefined;
  if (readme && fs.existsSync(readme)) {
    const license = licenseOfCard(fs.readFileSync(readme, "utf8"));
    if (license) return license;
  }
  if (!network || !baseId || ctx.offline) return undefined;
  try {
    const info = await modelInfo({ ...hubParams(ctx), name: baseId, additionalFields: ["cardData"] });
    const license = (info.cardData as { license?: unknown } | undefined)?.license;
    return typeof license === "string" ? license : undefined;
  } catch {
    return undefined; // the card goes without a license; the push itself reports real failures
  }
}
