/**
 * A local stand-in for the Data Pipeline API (AWS JSON 1.1 over HTTP) with a fixed set of pipelines, for a
 * program test that reads `pipelineIds` through the real SDK: DescribePipelines and GetPipelineDefinition,
 * and PipelineNotFoundException for any other id. `start` points the SDK at it and `stop` restores the
 * environment.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { apiShape } from "../../datapipeline/fixtures/load";
import type { PipelineDefinition } from "../../datapipeline/definition";

export interface StubPipeline {
  name: string;
  definition: PipelineDefinition;
}

const ENV = ["AWS_ENDPOINT_URL_DATA_PIPELINE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;

export async function startDataPipelineStub(pipelines: Record<string, StubPipeline>) {
  const calls: string[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const operation = String(request.headers["x-amz-target"] ?? "").replace(/^DataPipeline\./, "");
      const input = JSON.parse(body || "{}") as { pipelineIds?: string[]; pipelineId?: string };
      const ids = input.pipelineIds ?? (input.pipelineId ? [input.pipelineId] : []);
      calls.push(`${operation} ${ids.join(",")}`);
      const unknown = ids.find((id) => !(id in pipelines));
      const reply = (status: number, document: unknown) => {
        response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify(document));
      };
      if (unknown)
        return reply(400, { __type: "PipelineNotFoundException", message: `Pipeline ${unknown} not found` });
      if (operation === "DescribePipelines")
        return reply(200, {
          pipelineDescriptionList: ids.map((id) => ({
            pipelineId: id,
            name: pipelines[id].name,
            fields: [],
          })),
        });
      if (operation === "GetPipelineDefinition") return reply(200, apiShape(pipelines[ids[0]].definition));
      return reply(400, { __type: "InvalidRequestException", message: `${operation} is not served here` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const saved = Object.fromEntries(ENV.map((key) => [key, process.env[key]]));
  process.env.AWS_ENDPOINT_URL_DATA_PIPELINE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID ?? "stub";
  process.env.AWS_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY ?? "stub";
  return {
    calls,
    async stop() {
      for (const key of ENV) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
