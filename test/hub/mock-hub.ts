import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1, answering the requests @huggingface/hub makes for model info,
 * the tree listing, downloads (resolve → 302 → a Range-capable file server, as the Hub redirects LFS files to its
 * CDN) and a commit (preupload, LFS batch with the "basic" transfer, PUT, NDJSON commit). The shapes follow the
 * library's own code (src/lib/*.ts of @huggingface/hub) and the Hub's headers (X-Error-Code, X-Linked-Size,
 * X-Linked-ETag). Faults can be injected; every request is counted.
 */

export interface MockRepo {
  /** Needs a token (answers 401 without one). */
  private?: boolean;
  /** Gated: 401/403 with X-Error-Code GatedRepo unless the token is in `granted`. */
  gated?: boolean;
  /** commit → path → content. */
  commits: Map<string, Map<string, Buffer>>;
  refs: Map<string, string>;
}

export interface RecordedCommit {
  repo: string;
  branch: string;
  summary: string;
  /** Every path the commit added, with the content the Hub now holds. */
  files: Map<string, Buffer>;
  lfsPaths: string[];
}

export const TOKEN = "hf_mocktokenmocktokenmocktoken";

export function gitBlobId(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

export function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Files the Hub stores in LFS: binary or large (the Hub's rule is binary or over 10 MB). */
function isLfs(path: string, content: Buffer): boolean {
  return /\.(safetensors|gguf|bin|png)$/.test(path) || content.length > 10 * 1024 * 1024;
}

export class MockHub {
  readonly repos = new Map<string, MockRepo>();
  readonly requests: Array<{ method: string; url: string; range?: string; auth: boolean }> = [];
  readonly commits: RecordedCommit[] = [];
  readonly created: Array<{ name: string; organization: string; visibility?: string }> = [];
  /** Paths whose next full download is cut half-way (the connection is destroyed). */
  readonly dropOnce = new Set<string>();
  /** Answer every request with this status (5xx), or close every connection at once ("drop"). */
  failAll?: number | "drop";
  private readonly lfs = new Map<string, Buffer>();
  private servers: Server[] = [];
  url = "";
  /** The "CDN" LFS downloads are redirected to: another origin, as the Hub's is. */
  cdnUrl = "";

  async start(): Promise<this> {
    [this.url, this.cdnUrl] = [await this.listen(), await this.listen()];
    return this;
  }

  private async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const server of this.servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  /** Adds a repo whose `main` holds `files`; returns the commit id. */
  addRepo(repo: string, files: Record<string, Buffer | string>, options: { private?: boolean; gated?: boolean; commit?: string } = {}): string {
    const commit = options.commit ?? randomBytes(20).toString("hex");
    const content = new Map(Object.entries(files).map(([p, c]) => [p, Buffer.isBuffer(c) ? c : Buffer.from(c)]));
    for (const c of content.values()) this.lfs.set(sha256(c), c);
    this.repos.set(repo, { private: options.private, gated: options.gated, commits: new Map([[commit, content]]), refs: new Map([["main", commit]]) });
    return commit;
  }

  /** Requests made so far whose path starts with `prefix` (all of them without one). */
  count(prefix = ""): number {
    return this.requests.filter((r) => r.url.startsWith(prefix)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const auth = req.headers.authorization === `Bearer ${TOKEN}`;
    this.requests.push({ method: req.method ?? "", url: url.pathname + url.search, range: req.headers.range, auth });
    if (this.failAll === "drop") return void req.socket.destroy();
    if (this.failAll) return json(res, this.failAll, { error: "Internal Error - We're working hard to fix this as soon as possible!" });
    const body = await readBody(req);
    const p = decodeURIComponent(url.pathname);
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(p))) return this.modelInfo(res, m[1], m[2], auth);
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(p))) return this.tree(res, m[1], m[2], auth);
    if ((m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p))) return this.resolve(res, m[1], m[2], m[3], auth);
    if ((m = /^\/lfs-cdn\/([0-9a-f]{64})$/.exec(p))) return this.serveBytes(req, res, this.lfs.get(m[1]), m[1], url.searchParams.get("path") ?? "");
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)$/.exec(p)) && req.method === "GET") return this.repoExists(res, m[1], auth);
    if (p === "/api/repos/create" && req.method === "POST") return this.create(res, JSON.parse(body.toString()), auth);
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/preupload\/(.+)$/.exec(p))) return this.preupload(res, m[1], JSON.parse(body.toString()), auth);
    if (/^\/[^/]+\/[^/]+\.git\/info\/lfs\/objects\/batch$/.test(p)) return this.lfsBatch(res, JSON.parse(body.toString()), auth);
    if ((m = /^\/lfs-upload\/([0-9a-f]{64})$/.exec(p)) && req.method === "PUT") return this.lfsUpload(res, m[1], body);
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/commit\/(.+)$/.exec(p))) return this.commit(res, m[1], m[2], body.toString(), auth);
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/branch\/(.+)$/.exec(p)) && req.method === "POST") return this.branch(res, m[1], m[2], auth);
    json(res, 404, { error: `mock hub: no route for ${req.method} ${p}` });
  }

  /** The repo and commit a request may see, or the Hub's refusal (sent) and undefined. */
  private access(res: ServerResponse, repo: string, revision: string, auth: boolean): { files: Map<string, Buffer>; commit: string } | undefined {
    const r = this.repos.get(repo);
    if (!r || (r.private && !auth)) {
      // Like the Hub: without a token a private repo and a missing one look the same (401); with one, 404.
      const status = auth ? 404 : 401;
      json(res, status, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
      return undefined;
    }
    if (r.gated) {
      json(res, auth ? 403 : 401, { error: `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.` }, { "X-Error-Code": "GatedRepo" });
      return undefined;
    }
    const commit = r.refs.get(revision) ?? (r.commits.has(revision) ? revision : undefined);
    if (!commit) {
      json(res, 404, { error: `Invalid rev id: ${revision}` }, { "X-Error-Code": "RevisionNotFound" });
      return undefined;
    }
    return { files: r.commits.get(commit)!, commit };
  }

  private modelInfo(res: ServerResponse, repo: string, revision: string, auth: boolean): void {
    const a = this.access(res, repo, revision === "HEAD" ? "main" : revision, auth);
    if (!a) return;
    json(res, 200, { _id: "mock", id: repo, sha: a.commit, private: false, gated: false, pipeline_tag: "text-generation", downloads: 0, likes: 0, lastModified: "2026-01-01T00:00:00.000Z" });
  }

  private tree(res: ServerResponse, repo: string, revision: string, auth: boolean): void {
    const a = this.access(res, repo, revision, auth);
    if (!a) return;
    const entries = [...a.files].map(([path, c]) => ({
      type: "file",
      path,
      size: c.length,
      oid: gitBlobId(c),
      ...(isLfs(path, c) ? { lfs: { oid: sha256(c), size: c.length, pointerSize: 130 } } : {}),
    }));
    json(res, 200, entries);
  }

  private resolve(res: ServerResponse, repo: string, revision: string, path: string, auth: boolean): void {
    const a = this.access(res, repo, revision, auth);
    if (!a) return;
    const content = a.files.get(path);
    if (!content) return json(res, 404, { error: "Entry not found" }, { "X-Error-Code": "EntryNotFound" });
    if (isLfs(path, content)) {
      // The Hub answers LFS files with a redirect to its CDN, telling the size and sha256 on the way.
      const oid = sha256(content);
      res.writeHead(302, { Location: `${this.cdnUrl}/lfs-cdn/${oid}?path=${encodeURIComponent(path)}`, "X-Linked-Size": String(content.length), "X-Linked-ETag": `"${oid}"`, "X-Repo-Commit": a.commit });
      return void res.end();
    }
    this.serveBytes(res.req, res, content, gitBlobId(content), path, { "X-Repo-Commit": a.commit });
  }

  /** 200, or 206 for `Range: bytes=a-b` / `bytes=a-`; cut half-way once for a path in dropOnce. */
  private serveBytes(req: IncomingMessage, res: ServerResponse, content: Buffer | undefined, etag: string, path: string, extra: Record<string, string> = {}): void {
    if (!content) return json(res, 404, { error: "no such object" });
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] !== "" ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
    const part = content.subarray(start, end + 1);
    const headers: Record<string, string> = { "Content-Length": String(part.length), ETag: `"${etag}"`, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream", ...extra };
    if (range) headers["Content-Range"] = `bytes ${start}-${end}/${content.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (part.length > 1 && this.dropOnce.delete(path)) {
      res.write(part.subarray(0, part.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(part);
  }

  private repoExists(res: ServerResponse, repo: string, auth: boolean): void {
    const r = this.repos.get(repo);
    if (!r || (r.private && !auth)) return json(res, auth ? 404 : 401, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
    json(res, 200, { id: repo });
  }

  private create(res: ServerResponse, body: { name: string; organization: string; visibility?: string; type?: string }, auth: boolean): void {
    if (!auth) return json(res, 401, { error: "Invalid username or password." });
    const repo = `${body.organization}/${body.name}`;
    if (this.repos.has(repo)) return json(res, 409, { error: "You already created this model repo", url: `${this.url}/${repo}` });
    this.created.push(body);
    const commit = randomBytes(20).toString("hex");
    this.repos.set(repo, { private: body.visibility === "private", commits: new Map([[commit, new Map()]]), refs: new Map([["main", commit]]) });
    json(res, 200, { url: `${this.url}/${repo}`, name: repo, id: "mock" });
  }

  private preupload(res: ServerResponse, repo: string, body: { files: Array<{ path: string; size: number; sample: string }> }, auth: boolean): void {
    if (!auth) return json(res, 401, { error: "Invalid username or password." });
    if (!this.repos.has(repo)) return json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
    const files = body.files.map((f) => {
      const sample = Buffer.from(f.sample, "base64");
      const binary = sample.includes(0) || /\.(safetensors|gguf|png)$/.test(f.path) || f.size > 10 * 1024 * 1024;
      return { path: f.path, uploadMode: binary ? "lfs" : "regular", shouldIgnore: false };
    });
    json(res, 200, { files, commitOid: "0".repeat(40) });
  }

  private lfsBatch(res: ServerResponse, body: { transfers: string[]; objects: Array<{ oid: string; size: number }> }, auth: boolean): void {
    if (!auth) return json(res, 401, { message: "Unauthorized" });
    // A server without xet answers with the basic transfer; the library then PUTs each object to its href.
    const objects = body.objects.map((o) => ({
      oid: o.oid,
      size: o.size,
      authenticated: true,
      ...(this.lfs.has(o.oid) ? {} : { actions: { upload: { href: `${this.url}/lfs-upload/${o.oid}`, expires_at: "2099-01-01T00:00:00Z" } } }),
    }));
    json(res, 200, { transfer: "basic", objects }, {}, "application/vnd.git-lfs+json");
  }

  private lfsUpload(res: ServerResponse, oid: string, body: Buffer): void {
    if (sha256(body) !== oid) return json(res, 400, { error: "sha256 mismatch" });
    this.lfs.set(oid, body);
    res.writeHead(200).end();
  }

  private branch(res: ServerResponse, repo: string, branch: string, auth: boolean): void {
    const r = this.repos.get(repo);
    if (!auth) return json(res, 401, { error: "Invalid username or password." });
    if (!r) return json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
    if (!r.refs.has(branch)) r.refs.set(branch, r.refs.get("main")!);
    res.writeHead(200).end();
  }

  private commit(res: ServerResponse, repo: string, branch: string, ndjson: string, auth: boolean): void {
    if (!auth) return json(res, 401, { error: "Invalid username or password." });
    const r = this.repos.get(repo);
    if (!r) return json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
    const lines = ndjson.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
    const parent = r.commits.get(r.refs.get(branch) ?? r.refs.get("main")!) ?? new Map<string, Buffer>();
    const files = new Map(parent);
    const added = new Map<string, Buffer>();
    const lfsPaths: string[] = [];
    let summary = "";
    for (const { key, value } of lines) {
      if (key === "header") summary = String(value.summary);
      else if (key === "file") added.set(String(value.path), Buffer.from(String(value.content), "base64"));
      else if (key === "lfsFile") {
        const content = this.lfs.get(String(value.oid));
        if (!content) return json(res, 422, { error: `LFS object ${String(value.oid)} was never uploaded` });
        added.set(String(value.path), content);
        lfsPaths.push(String(value.path));
      } else return json(res, 400, { error: `unexpected commit line ${key}` });
    }
    for (const [p, c] of added) files.set(p, c);
    const commit = randomBytes(20).toString("hex");
    r.commits.set(commit, files);
    r.refs.set(branch, commit);
    this.commits.push({ repo, branch, summary, files: added, lfsPaths });
    json(res, 200, { commitOid: commit, commitUrl: `${this.url}/${repo}/commit/${commit}` });
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, type = "application/json"): void {
  res.writeHead(status, { "Content-Type": type, ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
