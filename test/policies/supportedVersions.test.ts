/**
 * The pack loads without the program, so it keeps its own list of the Airflow versions MWAA creates.
 * This holds that copy to the program's table, so a version added to one and not the other fails here
 * rather than in a user's preview (the program accepting a target the pack then stops, or the reverse).
 */
import * as assert from "assert";
import { SUPPORTED_AIRFLOW_VERSIONS } from "../../policies/lib/facts";
import { MWAA_VERSIONS } from "../../rules/versions";

describe("the pack's supported Airflow versions", () => {
  it("are the versions the program's table says MWAA creates, in the same order", () => {
    assert.deepStrictEqual(
      SUPPORTED_AIRFLOW_VERSIONS,
      MWAA_VERSIONS.map((v) => v.airflow),
    );
  });
});
