import * as assert from "node:assert/strict";
import {
  choosePackageSource,
  installableRequirements,
  packageSourceSummary,
  parsePackageSource,
  requirementLines,
} from "./packageSource";

const CONSTRAINT = "https://raw.githubusercontent.com/apache/airflow/constraints-2.11.0/constraints-3.11.txt";
const REQUIREMENTS = [
  `--constraint "${CONSTRAINT}"`,
  "--extra-index-url https://pypi.corp.example/simple  # our mirror",
  "apache-airflow-providers-snowflake",
  "tabulate>=0.9 ; python_version >= '3.10'",
  "",
].join("\n");
const OFFLINE = { kind: "vpc", egress: "vpc-endpoints" } as const;
const NAT = { kind: "vpc", egress: "nat-gateway" } as const;

describe("packageSource: where the target's pip gets its packages", () => {
  it("accepts auto, pypi, wheels and an index URL, and names the forms when given anything else", () => {
    assert.deepEqual(parsePackageSource(""), { kind: "auto" });
    assert.deepEqual(parsePackageSource("wheels"), { kind: "wheels" });
    assert.deepEqual(parsePackageSource("pypi"), { kind: "pypi" });
    const url = "https://corp-123456789012.d.codeartifact.us-east-1.amazonaws.com/pypi/airflow/simple/";
    assert.deepEqual(parsePackageSource(url), { kind: "index", url });
    const problem = parsePackageSource("artifactory");
    assert.equal(typeof problem, "string");
    assert.match(
      problem as string,
      /^mwaa-migration:packageSource is "artifactory"; use auto, pypi, wheels, or the https:/,
    );
  });

  it("auto builds wheels only where the built VPC has no internet route and the file needs the internet", () => {
    const auto = { kind: "auto" } as const;
    assert.deepEqual(choosePackageSource(auto, OFFLINE, "r.txt", REQUIREMENTS), {
      source: { kind: "wheels" },
    });
    assert.deepEqual(choosePackageSource(auto, NAT, "r.txt", REQUIREMENTS), {
      source: { kind: "as-written" },
    });
    assert.deepEqual(choosePackageSource(auto, { kind: "subnets" }, "r.txt", REQUIREMENTS), {
      source: { kind: "as-written" },
    });
    const local = "--no-index\n--find-links /usr/local/airflow/plugins\nmylib==1.0\n";
    assert.deepEqual(choosePackageSource(auto, OFFLINE, "r.txt", local), { source: { kind: "as-written" } });
  });

  it("pypi without an internet route is refused, naming the ways out", () => {
    const chosen = choosePackageSource({ kind: "pypi" }, OFFLINE, "/p/requirements.txt", REQUIREMENTS);
    assert.match(chosen.problem!, /needs one: pip would fetch the constraint file https:/);
    assert.match(chosen.problem!, /Set packageSource to auto or wheels/);
    assert.equal(choosePackageSource({ kind: "pypi" }, NAT, "r", REQUIREMENTS).problem, undefined);
  });

  it("refuses packages given by URL when they are to come from a private repository", () => {
    const index = { kind: "index", url: "https://pypi.internal.example/simple/" } as const;
    assert.deepEqual(choosePackageSource(index, OFFLINE, "r.txt", REQUIREMENTS), { source: index });
    const byUrl = `${REQUIREMENTS}mylib @ https://files.example/mylib-1.0-py3-none-any.whl\n`;
    assert.match(
      choosePackageSource(index, OFFLINE, "/p/r.txt", byUrl).problem!,
      /^mwaa-migration:requirementsFile \/p\/r.txt names packages by URL \(mylib @ https:\/\/files.example\/mylib-1.0-py3-none-any.whl\), which the private repository https:\/\/pypi.internal.example\/simple\/ does not serve/,
    );
  });

  it("refuses nested requirement files and editable projects, which the rewritten file cannot carry", () => {
    const nested = `${REQUIREMENTS}-r extra-requirements.txt\n-e ./libs/common\n`;
    for (const setting of [{ kind: "wheels" }, { kind: "auto" }] as const)
      assert.match(
        choosePackageSource(setting, OFFLINE, "/p/r.txt", nested).problem!,
        /^mwaa-migration:requirementsFile \/p\/r.txt reads other files or local projects \(-r extra-requirements.txt; -e .\/libs\/common\), which do not travel with it/,
      );
    assert.equal(choosePackageSource({ kind: "auto" }, NAT, "r", nested).problem, undefined);
  });

  it("rewrites requirements.txt to install from the shipped wheels, keeping the package lines", () => {
    assert.deepEqual(requirementLines(REQUIREMENTS), [
      "apache-airflow-providers-snowflake",
      "tabulate>=0.9 ; python_version >= '3.10'",
    ]);
    const text = installableRequirements(REQUIREMENTS, { kind: "wheels" }, "requirements.txt");
    assert.deepEqual(
      text.split("\n").filter((l) => !l.startsWith("#")),
      [
        "--no-index",
        "--find-links /usr/local/airflow/plugins",
        "--constraint /usr/local/airflow/plugins/constraints.txt",
        "apache-airflow-providers-snowflake",
        "tabulate>=0.9 ; python_version >= '3.10'",
        "",
      ],
    );
    assert.ok(!text.includes("githubusercontent") && !text.includes("pypi.corp.example"));
  });

  it("rewrites it to a private index with the constraint file from plugins.zip", () => {
    const url = "https://pypi.internal.example/simple/";
    const text = installableRequirements(REQUIREMENTS, { kind: "index", url }, "requirements.txt");
    assert.deepEqual(
      text.split("\n").filter((l) => l.startsWith("-")),
      [`--index-url ${url}`, "--constraint /usr/local/airflow/plugins/constraints.txt"],
    );
    assert.equal(installableRequirements(REQUIREMENTS, { kind: "as-written" }, "r"), REQUIREMENTS);
  });

  it("says at preview which source it chose, with the wheels' count and size", () => {
    assert.equal(
      packageSourceSummary({ kind: "wheels" }, { wheels: 4, bytes: 3 * 1024 * 1024, python: "3.12" }),
      "requirements.txt is installed without an index from 4 wheels (3.0 MiB) built for CPython 3.12 on " +
        "manylinux x86_64 into plugins.zip, with the constraint file",
    );
    assert.match(
      packageSourceSummary({ kind: "index", url: "https://x/simple/" }),
      /private repository https:\/\/x\/simple\//,
    );
  });
});
