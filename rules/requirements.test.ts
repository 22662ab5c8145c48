import * as assert from "node:assert/strict";
import fc from "fast-check";
import { constraintLine, constraintProblem, pinnedConstraints } from "./requirements";
import { MWAA_VERSIONS } from "./versions";

const url = (v: string, py: string) =>
  `https://raw.githubusercontent.com/apache/airflow/constraints-${v}/constraints-${py}.txt`;

describe("requirements.txt constraint check", () => {
  it("finds --constraint, --constraint= and -c forms, quoted or not, ignoring comments", () => {
    const text = [
      "# pinned for the target",
      `--constraint "${url("2.11.0", "3.11")}"`,
      `--constraint=${url("2.8.1", "3.11")}`,
      `-c '${url("2.9.2", "3.11")}'  # old`,
      "apache-airflow-providers-snowflake==5.3.0",
    ].join("\n");
    assert.deepEqual(pinnedConstraints(text), [
      url("2.11.0", "3.11"),
      url("2.8.1", "3.11"),
      url("2.9.2", "3.11"),
    ]);
  });

  it("accepts exactly the line for every MWAA version", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MWAA_VERSIONS),
        fc.array(fc.constantFrom("boto3", "pandas==2.1.0", "")),
        (v, extra) => {
          const text = [constraintLine(v.airflow, v.python), ...extra].join("\n");
          assert.equal(constraintProblem("requirements.txt", text, v.airflow, v.python), undefined);
        },
      ),
    );
  });

  it("fails without a constraint and gives the correct line", () => {
    const problem = constraintProblem("reqs/requirements.txt", "boto3\n", "2.11.0", "3.11");
    assert.equal(
      problem,
      `mwaa-migration:requirementsFile reqs/requirements.txt pins no --constraint; for Airflow 2.11.0 on Python 3.11 ` +
        `it needs exactly this line: --constraint "${url("2.11.0", "3.11")}"`,
    );
  });

  it("fails on the source version's constraint left in place", () => {
    const problem = constraintProblem("r.txt", `--constraint "${url("2.8.1", "3.11")}"`, "2.11.0", "3.11");
    assert.match(
      problem!,
      /pins ".*constraints-2\.8\.1.*"; .* --constraint ".*constraints-2\.11\.0\/constraints-3\.11\.txt"/,
    );
  });

  it("fails on a constraint for the wrong Python line", () => {
    assert.match(
      constraintProblem("r.txt", `-c ${url("3.0.6", "3.11")}`, "3.0.6", "3.12")!,
      /constraints-3\.12\.txt/,
    );
  });
});
