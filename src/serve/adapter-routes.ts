import type { FastifyInstance } from "fastify";
import type { ServeContext } from "./context.js";
import { parseBody } from "./openai-routes.js";
import { loadAdapterRequest, unloadAdapterRequest } from "./schemas.js";

/** vLLM's runtime adapter endpoints: POST /v1/load_lora_adapter and POST /v1/unload_lora_adapter. */
export function registerAdapterRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.post("/v1/load_lora_adapter", async (request, reply) => {
    const body = parseBody(loadAdapterRequest, request.body);
    ctx.registry.load(body.lora_name, body.lora_path);
    return reply.type("text/plain").send(`Success: LoRA adapter '${body.lora_name}' added successfully.`);
  });

  app.post("/v1/unload_lora_adapter", async (request, reply) => {
    const body = parseBody(unloadAdapterRequest, request.body);
    ctx.registry.unload(body.lora_name);
    return reply.type("text/plain").send(`Success: LoRA adapter '${body.lora_name}' removed successfully.`);
  });
}
