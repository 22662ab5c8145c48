import * as assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { missingPhases, plannedPhases } from "./phases";
import { STAGES, stagePlan } from "../rules/stages";

describe("migration phases", () => {
  it("are planned in order for each stage", () => {
    assert.deepEqual(
      STAGES.map((s) => plannedPhases(stagePlan(s, { bulkApplied: s !== "bulk" }))),
      [[], ["bulkExport", "bulkImport"], ["bulkExport", "bulkImport", "cutover"], ["cleanup"]],
    );
    assert.deepEqual(plannedPhases(stagePlan("cutover", { bulkApplied: false })), ["cutover"]);
  });

  it("are reported missing until their resource is built", () => {
    const built = { bulkExport: {} as pulumi.Resource };
    assert.deepEqual(missingPhases(stagePlan("cutover", { bulkApplied: true }), built), [
      "bulkImport",
      "cutover",
    ]);
    assert.deepEqual(missingPhases(stagePlan("prepare", { bulkApplied: false }), {}), []);
  });
});
