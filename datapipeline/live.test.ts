import * as assert from "assert";
import type { DataPipelineClient } from "@aws-sdk/client-data-pipeline";
import { DescribePipelinesCommand, GetPipelineDefinitionCommand } from "@aws-sdk/client-data-pipeline";
import { convertDefinition, DEFAULT_OPTIONS } from "./convert";
import { apiShape, loadFixture } from "./fixtures/load";
import { PipelineDefinition } from "./definition";
import { PIPELINE_ID, readPipeline } from "./live";
import { renderDag } from "./render";

function fakeClient(name: string, definition: PipelineDefinition, calls: string[]): DataPipelineClient {
  return {
    send: async (command: unknown) => {
      if (command instanceof DescribePipelinesCommand) {
        calls.push(`describe ${command.input.pipelineIds?.join(",")}`);
        return { pipelineDescriptionList: [{ pipelineId: "df-EXAMPLE1234567890ABC", name, fields: [] }] };
      }
      if (command instanceof GetPipelineDefinitionCommand) {
        calls.push(`definition ${command.input.pipelineId} ${command.input.version}`);
        return apiShape(definition);
      }
      throw new Error(`unexpected ${String(command)}`);
    },
    destroy: () => undefined,
  } as unknown as DataPipelineClient;
}

describe("datapipeline live pipelines", () => {
  it("recognises pipeline ids, AWS's and moto's", () => {
    assert.ok(PIPELINE_ID.test("df-0123456789ABCDEFGHIJ"));
    assert.ok(PIPELINE_ID.test("df-8c8b5b5e1c0e4a0f9a1"));
    assert.ok(!PIPELINE_ID.test("nightly.json"));
  });

  it("reads name and definition, parameters included, and converts them as the file", async () => {
    for (const name of ["emr-steps", "api-shape-export", "copy-s3-sql"]) {
      const file = loadFixture(name);
      const calls: string[] = [];
      const live = await readPipeline("df-EXAMPLE1234567890ABC", "active", fakeClient(name, file, calls));
      assert.deepStrictEqual(calls, [
        "describe df-EXAMPLE1234567890ABC",
        "definition df-EXAMPLE1234567890ABC active",
      ]);
      assert.strictEqual(live.name, name);
      const options = { ...DEFAULT_OPTIONS, pipelineName: name, source: "same" };
      assert.strictEqual(
        renderDag(convertDefinition(live.definition, options)),
        renderDag(convertDefinition(file, options)),
        name,
      );
    }
  });
});
