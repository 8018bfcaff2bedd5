import fs from "node:fs";
import { parseHubId } from "../../formats/index.js";
import type { HubContext } from "../hub-context.js";
import { hubContext } from "../hub-context.js";
import { cachedSnapshot } from "../pull.js";

/**
 * The base model folder on this machine for a folder path or a Hub id (looked up in the Hugging Face cache only:
 * a preflight never downloads); undefined when there is none.
 */
export function locateBase(spec: string | null | undefined, context?: HubContext): string | undefined {
  if (!spec) return undefined;
  if (fs.existsSync(spec)) return spec;
  const ref = parseHubId(spec);
  return ref ? cachedSnapshot(context ?? hubContext(), ref.repo, ref.revision) : undefined;
}
