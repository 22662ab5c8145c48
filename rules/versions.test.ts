import * as assert from "node:assert/strict";
import fc from "fast-check";
import table from "../contract/airflowVersions.json";
import {
  MWAA_VERSIONS,
  capabilitiesOf,
  checkVersionChange,
  compareVersions,
  constraintUrl,
  findMwaaVersion,
  importableTargetVersions,
  importRefusal,
  importRunsInPlugin,
  parseVersion,
} from "./versions";

const versionArb = fc
  .tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 }), fc.nat({ max: 40 }))
  .map(([a, b, c]) => `${a}.${b}.${c}`);

describe("versions", () => {
  describe("compareVersions", () => {
    it("orders numerically, not as text", () => {
      assert.ok(compareVersions("2.10.1", "2.9.2") > 0);
      assert.ok(compareVersions("2.9.2", "2.10.1") < 0);
      assert.equal(compareVersions("2.11.0", "2.11.0"), 0);
    });

    it("is a total order: antisymmetric, reflexive and transitive", () => {
      fc.assert(
        fc.property(versionArb, versionArb, versionArb, (a, b, c) => {
          assert.equal(compareVersions(a, a), 0);
          // Summed, not negated: -Math.sign(0) is -0, which strict equality tells apart from 0.
          assert.equal(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a)), 0);
          if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) assert.ok(compareVersions(a, c) <= 0);
        }),
      );
    });

    it("agrees with comparing the parsed tuples", () => {
      fc.assert(
        fc.property(versionArb, versionArb, (a, b) => {
          const [x, y] = [parseVersion(a)!, parseVersion(b)!];
          const expected = x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
          assert.equal(Math.sign(compareVersions(a, b)), Math.sign(expected));
        }),
      );
    });

    it("rejects text that is not a version, naming both values", () => {
      assert.throws(() => compareVersions("2.8", "2.8.1"), /"2\.8".*"2\.8\.1"/);
      assert.equal(parseVersion("2.8.1rc1"), undefined);
      assert.equal(parseVersion("v2.8.1"), undefined);
    });
  });

  it("holds the MWAA versions as data, in ascending order, each with a Python line", () => {
    const list = MWAA_VERSIONS.map((v) => v.airflow);
    assert.deepEqual(list, [
      "2.7.2",
      "2.8.1",
      "2.9.2",
      "2.10.1",
      "2.10.3",
      "2.11.0",
      "3.0.6",
      "3.2.1",
      "3.3.1",
    ]);
    for (let i = 1; i < list.length; i++) assert.ok(compareVersions(list[i - 1], list[i]) < 0);
    for (const v of MWAA_VERSIONS) assert.match(v.python, /^3\.\d+$/);
    assert.equal(findMwaaVersion("3.0.6")?.python, "3.12");
  });

  describe("checkVersionChange", () => {
    it("refuses any target older than the source", () => {
      fc.assert(
        fc.property(fc.constantFrom(...MWAA_VERSIONS), fc.constantFrom(...MWAA_VERSIONS), (s, t) => {
          const result = checkVersionChange(s.airflow, t.airflow, true);
          const older = compareVersions(t.airflow, s.airflow) < 0;
          assert.equal(result.errors.length > 0, older);
          if (older)
            assert.match(result.errors[0], /mwaa-migration:targetAirflowVersion .* older than the source/);
        }),
      );
    });

    it("refuses versions MWAA cannot create and lists the ones it can", () => {
      const result = checkVersionChange("2.8.1", "2.8.2", true);
      assert.match(result.errors[0], /mwaa-migration:targetAirflowVersion "2\.8\.2".*2\.7\.2, 2\.8\.1/);
    });

    it("reports a minor upgrade as possible in place but allows it", () => {
      const result = checkVersionChange("2.8.1", "2.11.0", true);
      assert.deepEqual(result.errors, []);
      assert.equal(result.path?.kind, "in-place-possible");
      assert.match(result.path!.note, /in place/);
    });

    it("allows 2.11 to 3.x in place but needs a new environment from 2.10.3 or older", () => {
      assert.equal(checkVersionChange("2.11.0", "3.0.6", true).path?.kind, "in-place-possible");
      assert.equal(checkVersionChange("2.10.3", "3.0.6", true).path?.kind, "new-environment-required");
    });

    it("always needs a new environment for a self-managed source", () => {
      assert.equal(checkVersionChange("2.11.0", "2.11.0", false).path?.kind, "new-environment-required");
    });
  });

  it("builds Airflow's constraint URL from the version and Python line", () => {
    assert.equal(
      constraintUrl("2.11.0", "3.11"),
      "https://raw.githubusercontent.com/apache/airflow/constraints-2.11.0/constraints-3.11.txt",
    );
  });
});

describe("version capabilities", () => {
  it("gives every version MWAA creates a row of the table", () => {
    for (const { airflow } of MWAA_VERSIONS) assert.ok(capabilitiesOf(airflow), airflow);
  });

  it("finds patch releases the table does not list in their range, and nothing outside 2.x-3.x", () => {
    assert.equal(capabilitiesOf("2.10.5")?.importPath, "dag-task");
    assert.equal(capabilitiesOf("2.4.2")?.invokeRestApi, false);
    assert.equal(capabilitiesOf("2.4.3")?.invokeRestApi, true);
    assert.equal(capabilitiesOf("2.2.5")?.logStreamTemplate, "legacy");
    assert.equal(capabilitiesOf("3.3.2")?.restApi, "v2");
    assert.equal(capabilitiesOf("1.10.15"), undefined);
    assert.equal(capabilitiesOf("4.0.0"), undefined);
    assert.equal(capabilitiesOf("2.8"), undefined);
  });

  it("says why a version cannot be an import target or an export source", () => {
    for (const version of ["2.7.2", "2.8.1", "3.2.1", "3.4.0"]) {
      const row = capabilitiesOf(version)!;
      assert.equal(row.importPath, null, version);
      assert.match(importRefusal(version) ?? "", /\w/, version);
    }
    assert.deepEqual(importableTargetVersions(), ["2.9.2", "2.10.1", "2.10.3", "2.11.0", "3.0.6", "3.3.1"]);
  });

  it("imports into Airflow 3.0 and 3.3 through the migration plugin, into 2.x through the import DAG", () => {
    for (const version of ["3.0.6", "3.3.1", "3.3.2"]) {
      assert.equal(capabilitiesOf(version)?.importPath, "api-plugin", version);
      assert.equal(capabilitiesOf(version)?.importRefusal, null, version);
    }
    assert.equal(capabilitiesOf("2.11.0")?.importPath, "dag-task");
  });

  it("accepts Airflow 3.0 and 3.3 history targets, whose import runs in the plugin, and refuses 3.2", () => {
    for (const version of ["3.0.6", "3.3.1"]) {
      assert.equal(importRefusal(version), undefined, version);
      assert.equal(importRunsInPlugin(version), true, version);
    }
    assert.equal(importRunsInPlugin("2.11.0"), false);
    assert.match(importRefusal("3.2.1") ?? "", /\w/);
  });

  it("covers 2.0.0 to 4.0.0 with ranges that neither overlap nor leave gaps", () => {
    const rows = table.capabilities;
    assert.equal(rows[0].from, "2.0.0");
    assert.equal(rows[rows.length - 1].below, "4.0.0");
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i].from, rows[i - 1].below);
    for (const row of rows) assert.ok(compareVersions(row.from, row.below) < 0, row.from);
  });
});
