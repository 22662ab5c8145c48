import * as assert from "node:assert/strict";
import {
  CONFIG_KEYS,
  ConfigurationError,
  VERSION_BOUND_VALUES,
  parseConfig,
  rawConfigFromMap,
  restrictedSettingProblems,
} from "./config";

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

  describe("MWAA's newer settings and its class and version rules", () => {
    const subnets = '["subnet-0aaa1111bbbb2222c","subnet-0ddd3333eeee4444f"]';

    it("reads the webserver counts, worker replacement strategy and endpoint management", () => {
      const config = parseConfig(
        rawConfigFromMap({
          ...base,
          "mwaa-migration:minWebservers": "2",
          "mwaa-migration:maxWebservers": "4",
          "mwaa-migration:workerReplacementStrategy": "GRACEFUL",
          "mwaa-migration:endpointManagement": "CUSTOMER",
          "mwaa-migration:subnetIds": subnets,
        }),
      );
      assert.equal(config.explicit.minWebservers, 2);
      assert.equal(config.explicit.maxWebservers, 4);
      assert.equal(config.explicit.workerReplacementStrategy, "GRACEFUL");
      assert.equal(config.explicit.endpointManagement, "CUSTOMER");
      assert.equal(config.explicit.airflowVersion, "2.11.0", "the version the settings are checked against");
    });

    it("leaves them to the source or MWAA's default when unset", () => {
      const { explicit } = parseConfig(rawConfigFromMap(base));
      for (const key of [
        "minWebservers",
        "maxWebservers",
        "workerReplacementStrategy",
        "endpointManagement",
      ]) {
        assert.equal(explicit[key as keyof typeof explicit], undefined, key);
      }
    });

    // A 3.x target without the history: only the new environment.
    const environmentOnly = {
      "mwaa-migration:stage": "prepare",
      "mwaa-migration:historyImport": "false",
    };

    it("takes PUBLIC_AND_PRIVATE on a target of Airflow 3.2 or later", () => {
      for (const version of ["3.2.1", "3.3.1"]) {
        const config = parseConfig(
          rawConfigFromMap({
            ...base,
            ...environmentOnly,
            "mwaa-migration:targetAirflowVersion": version,
            "mwaa-migration:webserverAccessMode": "PUBLIC_AND_PRIVATE",
          }),
        );
        assert.equal(config.explicit.webserverAccessMode, "PUBLIC_AND_PRIVATE", version);
      }
    });

    it("refuses PUBLIC_AND_PRIVATE on an older target, naming the key, the target version and the fix", () => {
      for (const version of ["2.11.0", "3.0.6"]) {
        const [problem, ...others] = problems({
          ...environmentOnly,
          "mwaa-migration:targetAirflowVersion": version,
          "mwaa-migration:webserverAccessMode": "PUBLIC_AND_PRIVATE",
        });
        assert.deepEqual(others, [], version);
        assert.equal(
          problem,
          `mwaa-migration:webserverAccessMode is PUBLIC_AND_PRIVATE, which MWAA offers on Airflow 3.2 and later ` +
            `only, and the target runs Airflow ${version} (mwaa-migration:targetAirflowVersion); set ` +
            `mwaa-migration:webserverAccessMode to PRIVATE_ONLY or PUBLIC_ONLY, or set ` +
            `mwaa-migration:targetAirflowVersion to 3.2.1 or 3.3.1.`,
        );
      }
    });

    it("refuses scheduler and webserver counts an explicit class does not run", () => {
      const micro = problems({
        "mwaa-migration:environmentClass": "mw1.micro",
        "mwaa-migration:schedulers": "2",
        "mwaa-migration:maxWebservers": "2",
      });
      assert.equal(micro.length, 2, micro.join("\n"));
      assert.match(
        micro[0],
        /^mwaa-migration:schedulers is 2, but mw1\.micro \(mwaa-migration:environmentClass\) runs exactly 1 scheduler; set mwaa-migration:schedulers to 1, or set mwaa-migration:environmentClass to a larger class/,
      );
      assert.match(
        micro[1],
        /^mwaa-migration:maxWebservers is 2, but mw1\.micro .* runs exactly 1 webserver/,
      );
      const small = problems({
        "mwaa-migration:environmentClass": "mw1.small",
        "mwaa-migration:schedulers": "1",
      });
      assert.match(
        small.join(),
        /^mwaa-migration:schedulers is 1, but mw1\.small .* runs 2 to 5 schedulers \(1 only on mw1\.micro\); set mwaa-migration:schedulers to a number from 2 to 5\.$/,
      );
      assert.deepEqual(
        problems({
          "mwaa-migration:environmentClass": "mw1.micro",
          "mwaa-migration:schedulers": "1",
          "mwaa-migration:minWebservers": "1",
          "mwaa-migration:maxWebservers": "1",
        }),
        [],
      );
    });

    it("refuses more than 5 schedulers or webservers, and more minimum than maximum webservers", () => {
      const found = problems({
        "mwaa-migration:schedulers": "6",
        "mwaa-migration:maxWebservers": "9",
      });
      assert.match(
        found.join("\n"),
        /mwaa-migration:schedulers is 6; MWAA runs 2 to 5 schedulers \(1 on mw1\.micro\)/,
      );
      assert.match(found.join("\n"), /mwaa-migration:maxWebservers is 9; MWAA runs 2 to 5 webservers/);
      assert.deepEqual(
        problems({ "mwaa-migration:minWebservers": "4", "mwaa-migration:maxWebservers": "3" }),
        [
          "mwaa-migration:minWebservers 4 is more than maxWebservers 3; lower minWebservers or raise maxWebservers.",
        ],
      );
    });

    it("checks each version-bound value against the target's version, from the version MWAA names", () => {
      for (const bound of VERSION_BOUND_VALUES) {
        const settings = { [bound.key]: bound.value };
        assert.deepEqual(
          restrictedSettingProblems(settings, bound.from),
          [],
          `${bound.value} on ${bound.from}`,
        );
        const [major, minor, patch] = bound.from.split(".").map(Number);
        const older = patch > 0 ? `${major}.${minor}.${patch - 1}` : `${major}.${minor - 1}.9`;
        const [problem] = restrictedSettingProblems(settings, older);
        assert.match(
          problem ?? "",
          new RegExp(`^mwaa-migration:${bound.key} is ${bound.value}, which MWAA offers`),
        );
        assert.match(problem, new RegExp(`target runs Airflow ${older.replace(/\./g, "\\.")}`));
      }
      // GRACEFUL needs 2.4.3, older than every version MWAA still creates: never refused for a real target.
      assert.deepEqual(restrictedSettingProblems({ workerReplacementStrategy: "GRACEFUL" }, "2.7.2"), []);
    });

    it("takes FORCED or GRACEFUL as the worker replacement strategy", () => {
      assert.match(
        problems({ "mwaa-migration:workerReplacementStrategy": "ROLLING" }).join(),
        /mwaa-migration:workerReplacementStrategy is "ROLLING"; set it to one of FORCED, GRACEFUL/,
      );
    });

    it("refuses endpoints managed by the customer in the VPC the stack builds", () => {
      const [problem] = problems({ "mwaa-migration:endpointManagement": "CUSTOMER" });
      assert.match(
        problem,
        /^mwaa-migration:endpointManagement is CUSTOMER, but mwaa-migration:subnetIds is empty/,
      );
      assert.match(problem, /set subnetIds to two subnets of the VPC where you create them/);
      assert.deepEqual(
        problems({ "mwaa-migration:endpointManagement": "CUSTOMER", "mwaa-migration:subnetIds": subnets }),
        [],
      );
      assert.match(
        problems({ "mwaa-migration:endpointManagement": "MWAA" }).join(),
        /endpointManagement is "MWAA"; set it to one of SERVICE, CUSTOMER/,
      );
    });
  });

  describe("the Secrets Manager backend and web UI access", () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/1f2e3d4c-5b6a-7980-8a9b-0c1d2e3f4a5b";

    it("turns the backend on from the prefixes, writing its options over the explicit ones", () => {
      const config = parseConfig(
        rawConfigFromMap({
          ...base,
          "mwaa-migration:secretsConnectionsPrefix": "airflow/connections/",
          "mwaa-migration:secretsVariablesPrefix": "airflow/variables",
          "mwaa-migration:secretsKmsKeyArn": key,
        }),
      );
      assert.deepEqual(config.secretsBackend, {
        prefixes: { connections: "airflow/connections", variables: "airflow/variables" },
        separator: "/",
      });
      assert.equal(config.secretsKmsKeyArn, key);
      assert.equal(
        config.explicit.airflowConfigurationOptions["secrets.backend"],
        "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
      );
      assert.deepEqual(JSON.parse(config.explicit.airflowConfigurationOptions["secrets.backend_kwargs"]), {
        connections_prefix: "airflow/connections",
        variables_prefix: "airflow/variables",
        config_prefix: null,
      });
    });

    it("leaves the backend to the source when no prefix is given", () => {
      const config = parseConfig(rawConfigFromMap(base));
      assert.equal(config.secretsBackend, undefined);
      assert.equal(config.explicit.airflowConfigurationOptions["secrets.backend"], undefined);
      assert.deepEqual(config.webUiAccess, []);
    });

    it("refuses a wildcard prefix, a bad key, and a backend also set through airflowConfigurationOptions", () => {
      const found = problems({
        "mwaa-migration:secretsConnectionsPrefix": "airflow/*",
        "mwaa-migration:secretsVariablesPrefix": "airflow/variables",
        "mwaa-migration:secretsKmsKeyArn": "alias/secrets",
        "mwaa-migration:airflowConfigurationOptions": '{"secrets.backend":"x.Y"}',
      });
      assert.equal(found.length, 3, found.join("\n"));
      assert.match(found[0], /^mwaa-migration:secretsConnectionsPrefix "airflow\/\*" contains a wildcard/);
      assert.match(
        found[1],
        /^mwaa-migration:airflowConfigurationOptions sets secrets.backend while .*remove/,
      );
      assert.match(found[2], /^mwaa-migration:secretsKmsKeyArn "alias\/secrets" is not a KMS key ARN/);
    });

    it("refuses a secrets key with no backend to use it (no prefix, nothing cloned)", () => {
      assert.match(
        problems({
          "mwaa-migration:cloneSourceSettings": "false",
          "mwaa-migration:secretsKmsKeyArn": key,
        }).join(),
        /secretsKmsKeyArn is set but no Secrets Manager backend is/,
      );
      assert.deepEqual(
        problems({ "mwaa-migration:secretsKmsKeyArn": key }),
        [],
        "a cloned backend may use it",
      );
    });

    it("reads the web UI mapping and lists its problems with the others", () => {
      const config = parseConfig(
        rawConfigFromMap({
          ...base,
          "mwaa-migration:webUiAccess": '[{"principal":"sso:Analysts","airflowRole":"Viewer"}]',
        }),
      );
      assert.equal(config.webUiAccess[0].principal.kind, "sso");
      assert.match(
        problems({ "mwaa-migration:webUiAccess": '[{"principal":"x","airflowRole":"Op"}]' }).join(),
        /^mwaa-migration:webUiAccess\[0\]\.principal "x" is not a principal/,
      );
    });
  });
});
