import { InputError } from "../util/errors.js";

/** A file of a repo at one commit, as the Hub's tree listing describes it. */
export interface RepoFile {
  path: string;
  size: number;
  /** Name of its blob in the cache: the LFS sha256, else the xet hash, else the git blob id (as @huggingface/hub and Python name them). */
  etag: string;
  /** How its content is checked: LFS files by sha256, regular git files by their git blob sha1, xet-only files by size. */
  check: "sha256" | "git-sha1" | "size";
}

/** Files a model folder needs besides its weights: config, generation defaults, tokenizer, chat template, the card (license). */
const MODEL_FILES = new Set([
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "tokenizer.model",
  "vocab.json",
  "merges.txt",
  "chat_template.jinja",
  "chat_template.json",
  "README.md",
]);

export const SAFETENSORS_INDEX = "model.safetensors.index.json";

/** What a command that only tokenizes (the data commands) needs of a model: its config and tokenizer files. */
export const TOKENIZER_ONLY = [...MODEL_FILES].filter((f) => f !== "README.md");

/** Python's fnmatch, as `huggingface-cli download --include` uses it: `*` also crosses `/`. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[" && glob.indexOf("]", i + 2) > 0) {
      const end = glob.indexOf("]", i + 2);
      const body = glob.slice(i + 1, end);
      re += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export interface SelectionOptions {
  /** Only the files matching these globs. */
  include?: string[];
  /** This one GGUF file instead of a safetensors checkpoint. */
  ggufFile?: string;
}

/**
 * What to download first: the config/tokenizer files and either the one GGUF asked for, a PEFT adapter's two files, or the safetensors index
 * (its shards come from `shardsOfIndex` once it is read) or the single safetensors file. Never `.bin`/`.pth` weights
 * or the other quantizations of a GGUF repo.
 */
export function selectModelFiles(repo: string, files: readonly RepoFile[], options: SelectionOptions = {}): RepoFile[] {
  if (options.include?.length) {
    const patterns = options.include.map(globToRegExp);
    const chosen = files.filter((f) => patterns.some((p) => p.test(f.path)));
    if (chosen.length === 0) throw new InputError(`no file of ${repo} matches --include ${options.include.join(" ")}`, {}, { hint: `files: ${list(files)}` });
    return chosen;
  }
  const ggufs = files.filter((f) => f.path.endsWith(".gguf"));
  if (options.ggufFile) {
    const gguf = files.find((f) => f.path === options.ggufFile);
    if (!gguf) throw new InputError(`${repo} has no file ${options.ggufFile}`, {}, { hint: ggufs.length ? `its GGUF files: ${list(ggufs)}` : "this repo has no GGUF file" });
    return [gguf];
  }
  const support = files.filter((f) => MODEL_FILES.has(f.path));
  // A PEFT adapter repo: its two files (and any tokenizer it ships), never a base checkpoint.
  if (files.some((f) => f.path === "adapter_config.json")) return [...support, ...files.filter((f) => f.path === "adapter_config.json" || f.path === "adapter_model.safetensors")];
  const index = files.find((f) => f.path === SAFETENSORS_INDEX);
  if (index) return [...support, index];
  const single = files.find((f) => f.path === "model.safetensors");
  if (single) return [...support, single];
  if (ggufs.length) {
    throw new InputError(`${repo} holds GGUF files, not a safetensors checkpoint: choose one`, {}, { hint: `pass --gguf-file with one of: ${list(ggufs)}` });
  }
  if (files.some((f) => /\.(bin|pth|pt)$/.test(f.path))) {
    throw new InputError(`${repo} has only PyTorch pickle weights (.bin/.pth); loraforge reads safetensors`, {}, {
      hint: "look for a safetensors version of the model (the Hub's conversion bot opens one as a pull request: --revision refs/pr/N)",
    });
  }
  throw new InputError(`${repo} holds no model weights loraforge can read (model.safetensors, a sharded index, or a GGUF)`, {}, { hint: `files: ${list(files)}` });
}

/** The shard files a safetensors index names, in order, each checked against the listing. */
export function shardsOfIndex(repo: string, index: unknown, files: readonly RepoFile[]): RepoFile[] {
  const map = (index as { weight_map?: Record<string, unknown> } | null)?.weight_map;
  if (!map || typeof map !== "object") throw new InputError(`${SAFETENSORS_INDEX} of ${repo} has no weight_map`, { field: "weight_map" });
  const names = [...new Set(Object.values(map))].sort();
  return names.map((name) => {
    const file = files.find((f) => f.path === name);
    if (!file) throw new InputError(`${SAFETENSORS_INDEX} of ${repo} names ${String(name)}, which the repo does not have`, { field: "weight_map" });
    return file;
  });
}

function list(files: readonly RepoFile[]): string {
  const names = files.map((f) => f.path);
  return names.length > 12 ? `${names.slice(0, 12).join(", ")}, … (${names.length} in all)` : names.join(", ");
}
