/**
 * A local stand-in for the Data Pipeline API (AWS JSON 1.1 over HTTP) with a fixed set of pipelines, for a
 * program test that reads `pipelineIds` through the real SDK: DescribePipelines and GetPipelineDefinition,
 * and PipelineNotFoundException for any other id. `stop` closes it and restores the environment.
 */
import * as http from "http";
import { serveAsEndpoint } from "./stubEndpoint";
import { apiShape } from "../../datapipeline/fixtures/load";
import type { PipelineDefinition } from "../../datapipeline/definition";

export interface StubPipeline {
  name: string;
  definition: PipelineDefinition;
}

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
  const stop = await serveAsEndpoint(server, "AWS_ENDPOINT_URL_DATA_PIPELINE");
  return { calls, stop };
}
