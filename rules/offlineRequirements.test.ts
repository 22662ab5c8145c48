import * as assert from "node:assert/strict";
import { internetNeeds, offlineRequirementsProblem } from "./offlineRequirements";

const CONSTRAINT = "https://raw.githubusercontent.com/apache/airflow/constraints-2.11.0/constraints-3.11.txt";
const OFFLINE = { kind: "vpc", egress: "vpc-endpoints" } as const;

describe("requirements in an environment without an internet route", () => {
  it("lists what pip would fetch from outside: URLs of options and packages, and packages from PyPI", () => {
    assert.deepEqual(
      internetNeeds(
        [
          `--constraint "${CONSTRAINT}"  # the target's`,
          "--extra-index-url=https://pypi.corp.example/simple",
          "apache-airflow-providers-amazon",
          "pandas>=2.0 ; python_version >= '3.10'",
          "mylib @ https://files.example/mylib-1.0-py3-none-any.whl",
          "# a comment",
          "",
        ].join("\n"),
      ),
      [
        `the constraint file ${CONSTRAINT}`,
        "the package index https://pypi.corp.example/simple",
        "the package https://files.example/mylib-1.0-py3-none-any.whl",
        "apache-airflow-providers-amazon, pandas from PyPI",
      ],
    );
  });

  it("needs nothing for local wheels installed without an index", () => {
    assert.deepEqual(
      internetNeeds(
        [
          "--no-index",
          "--find-links /usr/local/airflow/plugins",
          "-c /usr/local/airflow/plugins/constraints.txt",
          "apache-airflow-providers-snowflake==5.0.0",
          "/usr/local/airflow/plugins/mylib-1.0-py3-none-any.whl",
        ].join("\n"),
      ),
      [],
    );
    assert.deepEqual(internetNeeds(""), []);
  });

  it("refuses only where the stack builds a VPC without a NAT gateway, naming both keys and the ways out", () => {
    const text = `--constraint "${CONSTRAINT}"\napache-airflow-providers-amazon\n`;
    const problem = offlineRequirementsProblem(OFFLINE, "/p/requirements.txt", text);
    assert.match(
      problem!,
      /^mwaa-migration:networkEgress is vpc-endpoints, so the environment has no internet route/,
    );
    assert.match(
      problem!,
      /mwaa-migration:requirementsFile \/p\/requirements.txt needs one: pip would fetch the constraint file https:/,
    );
    assert.match(problem!, /Set packageSource to auto or wheels .*or set networkEgress to nat-gateway\./);
    assert.equal(offlineRequirementsProblem({ kind: "vpc", egress: "nat-gateway" }, "r", text), undefined);
    assert.equal(offlineRequirementsProblem({ kind: "subnets" }, "r", text), undefined);
    assert.equal(
      offlineRequirementsProblem(OFFLINE, "r", "--no-index\n-f /usr/local/airflow/plugins\nx\n"),
      undefined,
    );
  });
});
