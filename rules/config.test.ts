import * as assert from "node:assert/strict";
import { CONFIG_KEYS, ConfigurationError, parseConfig, rawConfigFromMap } from "./config";

const base = {
  "mwaa-migration:sourceEnvironmentName": "legacy-airflow",
  "mwaa-migration:targetEnvironmentName": "airflow-2-11",
};

function problems(values: Record<string, string>): string[] {
  try {
    parseConfig(rawConfigFromMap({ ...base, ...values }));
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, String(error));
    return [...error.problems];
  }
}

describe("configuration parsing", () => {
  it("applies the declared defaults", () => {
    const config = parseConfig(rawConfigFromMap(base));
    assert.equal(config.stage, CONFIG_KEYS.stage.default);
    assert.equal(config.targetAirflowVersion, "2.11.0");
    assert.equal(config.bundleExpirationDays, 30);
    assert.deepEqual(config.network, { kind: "vpc", cidrBlock: "10.192.0.0/16", egress: "nat-gateway" });
    assert.deepEqual(config.explicit.airflowConfigurationOptions, {});
    assert.equal(config.explicit.minWorkers, undefined, "0 means: from the source");
  });

  it("reads subnets as a JSON list, the way `pulumi config set --path` stores them", () => {
    const config = parseConfig(
      rawConfigFromMap({
        ...base,
        "mwaa-migration:subnetIds": '["subnet-0aaa1111bbbb2222c","subnet-0ddd3333eeee4444f"]',
      }),
    );
    assert.deepEqual(config.network, {
      kind: "subnets",
      subnetIds: ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"],
    });
  });

  it("collects every problem at once, each naming its key", () => {
    const found = problems({
      "mwaa-migration:stage": "migrate",
      "mwaa-migration:targetEnvironmentName": "2-bad name",
      "mwaa-migration:minWorkers": "5",
      "mwaa-migration:maxWorkers": "2",
      "mwaa-migration:weeklyMaintenanceWindowStart": "Sunday 3am",
      "mwaa-migration:taskLogLevel": "WARNING",
      "mwaa-migration:environmentClass": "mw1.huge",
      "mwaa-migration:bundleExpirationDays": "0",
      "mwaa-migration:airflowConfigurationOptions": "not json",
    });
    for (const key of [
      "stage",
      "targetEnvironmentName",
      "minWorkers",
      "weeklyMaintenanceWindowStart",
      "taskLogLevel",
      "environmentClass",
      "bundleExpirationDays",
      "airflowConfigurationOptions",
    ]) {
      assert.ok(
        found.some((p) => p.startsWith(`mwaa-migration:${key} `)),
        `${key}: ${found.join("\n")}`,
      );
    }
  });

  it("requires exactly one kind of source", () => {
    assert.match(
      problems({ "mwaa-migration:sourceEnvironmentName": "" }).join(),
      /no source: set mwaa-migration:sourceEnvironmentName/,
    );
    assert.match(
      problems({ "mwaa-migration:sourceAirflowUrl": "https://airflow.internal" }).join(),
      /both set; set sourceEnvironmentName for an MWAA source or sourceAirflowUrl/,
    );
  });

  it("requires the version, DAG location and user of a self-managed source", () => {
    const found = problems({
      "mwaa-migration:sourceEnvironmentName": "",
      "mwaa-migration:sourceAirflowUrl": "airflow.internal",
    }).join("\n");
    assert.match(found, /sourceAirflowUrl "airflow\.internal" is not an http\(s\) URL/);
    assert.match(found, /sourceAirflowVersion "" is required/);
    assert.match(found, /sourceDagsLocation is required/);
    assert.match(found, /sourceAirflowUsername is required/);
    assert.match(found, /sourceAirflowPassword is empty; .*pulumi config set --secret sourceAirflowPassword/);
  });

  it("takes an S3 URI or an absolute folder as the self-managed source's DAG location", () => {
    const selfManaged = {
      "mwaa-migration:sourceEnvironmentName": "",
      "mwaa-migration:sourceAirflowUrl": "https://airflow.internal",
      "mwaa-migration:sourceAirflowUsername": "migration",
      "mwaa-migration:sourceAirflowPassword": "secret",
      "mwaa-migration:sourceAirflowVersion": "2.8.1",
    };
    for (const good of ["s3://corp-airflow/dags", "s3://corp-airflow", "/opt/airflow/dags"]) {
      assert.deepEqual(problems({ ...selfManaged, "mwaa-migration:sourceDagsLocation": good }), [], good);
    }
    for (const bad of ["dags", "corp-airflow/dags", "s3:/corp-airflow/dags", "https://corp/dags"]) {
      assert.match(
        problems({ ...selfManaged, "mwaa-migration:sourceDagsLocation": bad }).join(),
        /sourceDagsLocation ".*" is neither an S3 URI nor an absolute folder; .*e\.g\. s3:\/\/corp-airflow\/dags/,
        bad,
      );
    }
  });

  it("refuses reusing the source's name for the target", () => {
    assert.match(
      problems({ "mwaa-migration:targetEnvironmentName": "legacy-airflow" }).join(),
      /needs its own name/,
    );
  });
});
