import * as assert from "node:assert/strict";
import { importableTargetVersions, importRefusal, MWAA_VERSIONS } from "../../rules/versions";
import { RunOptions, loadDevConfig, runStack } from "../support/stackUnderMocks";

/**
 * Bad configurations must stop `pulumi preview` with a message that names the config key and says
 * how to fix it. Each case runs the whole program under mocks, as a preview would.
 */
async function previewFails(
  overrides: Record<string, string>,
  expected: RegExp[],
  options: RunOptions = {},
): Promise<string> {
  const config = { ...loadDevConfig(), ...overrides };
  try {
    await runStack(config, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    for (const pattern of expected) assert.match(message, pattern);
    return message;
  }
  assert.fail(`preview succeeded with ${JSON.stringify(overrides)}`);
}

const key = (name: string) => new RegExp(`mwaa-migration:${name}\\b`);

describe("a source MWAA environment that does not exist", () => {
  // Read by name (aws.mwaa.Environment.get): the AWS provider's not-found error stops the preview, naming
  // the environment; the program cannot add the config key to an error raised by the engine's read.
  it("stops the preview before anything is created", async () => {
    await previewFails({ "mwaa-migration:sourceEnvironmentName": "legacy-airflw" }, [
      /Environment legacy-airflw not found/,
    ]);
  });
});

describe("bad configuration fails at preview, naming the key and the fix", () => {
  const selfManaged = {
    "mwaa-migration:sourceEnvironmentName": "",
    "mwaa-migration:sourceAirflowUrl": "https://airflow.corp.internal",
    "mwaa-migration:sourceAirflowUsername": "migration",
    "mwaa-migration:sourceAirflowPassword": "s3cret",
    "mwaa-migration:sourceAirflowVersion": "2.10.3",
    "mwaa-migration:sourceDagsLocation": "s3://corp-airflow/dags",
  };

  it("a target the import cannot write, before anything exists: the versions that work, and why", async () => {
    const unreachable = MWAA_VERSIONS.map((v) => v.airflow).filter((v) => importRefusal(v));
    assert.ok(unreachable.length > 0, "the versions table has targets the import cannot write");
    for (const version of unreachable) {
      await previewFails(
        { "mwaa-migration:targetAirflowVersion": version, "mwaa-migration:requirementsFile": "" },
        [
          key("targetAirflowVersion"),
          new RegExp(
            `${version.replace(/\./g, "\\.")} cannot receive the run history: ${importRefusal(version)!}`,
          ),
          new RegExp(`one of ${importableTargetVersions().join(", ").replace(/\./g, "\\.")}`),
          key("historyImport"),
        ],
      );
    }
    // Building only the new environment is still possible.
    await runStack({
      ...loadDevConfig(),
      "mwaa-migration:targetAirflowVersion": unreachable[unreachable.length - 1],
      "mwaa-migration:requirementsFile": "",
      "mwaa-migration:historyImport": "false",
    });
  });

  it("history switched off past prepare", async () => {
    await previewFails({ "mwaa-migration:historyImport": "false", "mwaa-migration:stage": "bulk" }, [
      key("stage"),
      key("historyImport"),
      /keep the stage at prepare/,
    ]);
  });

  it("phase settings out of the range the providers accept, and task-log states that never end a task", async () => {
    await previewFails(
      {
        "mwaa-migration:exportDeadlineSeconds": "30",
        "mwaa-migration:pollIntervalSeconds": "0",
        "mwaa-migration:conflictPolicy": "merge",
        "mwaa-migration:taskLogStates": '["success","running"]',
        "mwaa-migration:keepRunningDags": "heartbeat",
      },
      [
        /mwaa-migration:exportDeadlineSeconds is "30"; set it to a whole number from 60 to 604800/,
        /mwaa-migration:pollIntervalSeconds is "0"; set it to a whole number from 1 to 600/,
        /mwaa-migration:conflictPolicy is "merge"; set it to one of skip, overwrite, fail/,
        /mwaa-migration:taskLogStates has running/,
        /mwaa-migration:keepRunningDags is not a list of names/,
      ],
    );
  });

  it("a downgrade from the source's version, with the requirements.txt that no longer fits", async () => {
    // Only the environment: a target the import cannot write is refused earlier, by the config alone.
    await previewFails(
      { "mwaa-migration:targetAirflowVersion": "2.7.2", "mwaa-migration:historyImport": "false" },
      [
        key("targetAirflowVersion"),
        /2\.7\.2 is older than the source's 2\.8\.1/,
        /set a target of 2\.8\.1 or later/,
        key("requirementsFile"),
        /constraints-2\.7\.2\/constraints-3\.11\.txt/,
      ],
    );
  });

  it("a version MWAA does not offer", async () => {
    await previewFails({ "mwaa-migration:targetAirflowVersion": "2.8.2" }, [
      key("targetAirflowVersion"),
      /set it to one of 2\.7\.2, 2\.8\.1, 2\.9\.2, 2\.10\.1, 2\.10\.3, 2\.11\.0, 3\.0\.6/,
    ]);
  });

  it("three subnets", async () => {
    await previewFails(
      {
        "mwaa-migration:subnetIds":
          '["subnet-0aaa1111bbbb2222c","subnet-0ddd3333eeee4444f","subnet-0bbb7777cccc8888d"]',
      },
      [
        key("subnetIds"),
        /has 3 subnet\(s\); MWAA needs exactly two private subnets/,
        /give two IDs, or leave it empty to have this stack build a VPC/,
      ],
    );
  });

  it("two subnets in the same Availability Zone", async () => {
    await previewFails(
      { "mwaa-migration:subnetIds": '["subnet-0aaa1111bbbb2222c","subnet-0ccc5555dddd6666a"]' },
      [key("subnetIds"), /share an Availability Zone.*pick one subnet per zone/],
    );
  });

  it("an environment name MWAA rejects", async () => {
    await previewFails({ "mwaa-migration:targetEnvironmentName": "1st airflow!" }, [
      key("targetEnvironmentName"),
      /must start with a letter/,
      /contains " ", "!"/,
      /Use 1-80 letters, digits, - or _, starting with a letter/,
    ]);
  });

  it("no source at all", async () => {
    await previewFails({ "mwaa-migration:sourceEnvironmentName": "" }, [
      /no source: set mwaa-migration:sourceEnvironmentName .* or mwaa-migration:sourceAirflowUrl/,
    ]);
  });

  it("a skipped stage (prepare straight to complete)", async () => {
    await previewFails(
      { "mwaa-migration:stage": "complete" },
      [key("stage"), /skips from "prepare" to "complete"/],
      {
        previousStage: "prepare",
      },
    );
  });

  it("a new stack that starts past prepare", async () => {
    await previewFails({ "mwaa-migration:stage": "bulk" }, [key("stage"), /has not run "prepare" yet/], {
      previousStage: null,
    });
  });

  it("a stage moved backwards without allowStageRollback", async () => {
    await previewFails({ "mwaa-migration:stage": "bulk" }, [key("stage"), key("allowStageRollback")], {
      previousStage: "cutover",
    });
    await runStack(
      { ...loadDevConfig(), "mwaa-migration:stage": "bulk", "mwaa-migration:allowStageRollback": "true" },
      { previousStage: "cutover" },
    );
  });

  it("a requirements.txt without the target's constraint, with the line to add", async () => {
    await previewFails(
      { "mwaa-migration:requirementsFile": "test/support/fixtures/requirements-unpinned.txt" },
      [
        key("requirementsFile"),
        /pins no --constraint/,
        /--constraint "https:\/\/raw\.githubusercontent\.com\/apache\/airflow\/constraints-2\.11\.0\/constraints-3\.11\.txt"/,
      ],
    );
  });

  it("a requirements.txt still pinned to the source version after changing the target", async () => {
    await previewFails(
      { "mwaa-migration:targetAirflowVersion": "3.0.6", "mwaa-migration:historyImport": "false" },
      [key("requirementsFile"), /constraints-3\.0\.6\/constraints-3\.12\.txt/],
    );
  });

  it("Data Pipeline definitions that start at activation, with no activation time, and a bad time", async () => {
    await previewFails({ "mwaa-migration:pipelineDefinitions": "datapipeline/fixtures" }, [
      /pipelineDefinitions: first-activation\.json starts at its first activation .*pipelineActivationTime/,
    ]);
    await previewFails(
      {
        "mwaa-migration:pipelineDefinitions": "datapipeline/fixtures",
        "mwaa-migration:pipelineActivationTime": "next monday",
      },
      [/pipelineActivationTime is "next monday"; set it to an ISO 8601 instant/],
    );
  });

  it("an Identity Center instance that is not an instance ARN", async () => {
    await previewFails({ "mwaa-migration:ssoInstanceArn": "ssoins-0123456789abcdef" }, [
      /ssoInstanceArn "ssoins-0123456789abcdef" is not an IAM Identity Center instance ARN; give it as `aws sso-admin list-instances` prints it/,
    ]);
  });

  it("converter choices that are not the converter's, each named with the field and what it takes", async () => {
    await previewFails(
      {
        "mwaa-migration:pipelineConversionOptions": JSON.stringify({
          shellRunner: "lambda",
          ecsCluster: "",
          roleConnections: { DataPipelineDefaultRole: "aws etl" },
          runner: "ssm",
        }),
      },
      [
        /pipelineConversionOptions\.shellRunner is "lambda"; choose worker, ssm, ecs/,
        /pipelineConversionOptions\.ecsCluster is ""; give a non-empty name/,
        /pipelineConversionOptions\.roleConnections\.DataPipelineDefaultRole is "aws etl"; give an Airflow connection id/,
        /pipelineConversionOptions has runner; it takes shellRunner/,
      ],
    );
    await previewFails({ "mwaa-migration:pipelineConversionOptions": "ssm" }, [
      /pipelineConversionOptions is not a JSON object; set it like \{"shellRunner":"ssm"/,
    ]);
  });

  it("pipeline ids that are not Data Pipeline ids, before anything is read from the account", async () => {
    await previewFails({ "mwaa-migration:pipelineIds": '["nightly.json", "df-0123456789ABCDEFGHIJ"]' }, [
      /pipelineIds has "nightly\.json", which is not a Data Pipeline id; give ids as `aws datapipeline list-pipelines` prints them/,
    ]);
  });

  it("a target DAG folder that is the source's", async () => {
    await previewFails(
      {
        "mwaa-migration:targetDagBucketName": "legacy-airflow-dags-7f3a",
        "mwaa-migration:dagS3Path": "dags",
      },
      [key("targetDagBucketName"), key("dagS3Path"), /both schedulers would run the same DAGs/],
      { existingBuckets: ["legacy-airflow-dags-7f3a"] },
    );
  });

  it("a target DAG folder beside the source's, in the source's bucket", async () => {
    await previewFails(
      {
        "mwaa-migration:targetDagBucketName": "legacy-airflow-dags-7f3a",
        "mwaa-migration:dagS3Path": "dags-2-11",
      },
      [
        key("targetDagBucketName"),
        /is the source's DAG bucket: the target's requirements\.txt, plugins\.zip and startup script would replace/,
        /Leave targetDagBucketName empty \(the stack creates its own bucket\)/,
      ],
      { existingBuckets: ["legacy-airflow-dags-7f3a"] },
    );
  });

  it("a target DAG folder in the bucket a self-managed source reads its DAGs from", async () => {
    await previewFails(
      { ...selfManaged, "mwaa-migration:targetDagBucketName": "corp-airflow" },
      [key("targetDagBucketName"), key("dagS3Path"), /overlaps the source's s3:\/\/corp-airflow\/dags/],
      { existingBuckets: ["corp-airflow"] },
    );
  });

  it("a missing DAG folder", async () => {
    await previewFails({ "mwaa-migration:dagsFolder": "no/such/folder" }, [
      key("dagsFolder"),
      /is not a folder/,
    ]);
  });

  it("more minimum than maximum workers", async () => {
    await previewFails({ "mwaa-migration:minWorkers": "20" }, [
      key("minWorkers"),
      /lower minWorkers or raise maxWorkers/,
    ]);
  });

  it("PUBLIC_AND_PRIVATE on a target older than Airflow 3.2, with the versions that offer it", async () => {
    const message = await previewFails({ "mwaa-migration:webserverAccessMode": "PUBLIC_AND_PRIVATE" }, [
      key("webserverAccessMode"),
      /is PUBLIC_AND_PRIVATE, which MWAA offers on Airflow 3\.2 and later only/,
      /the target runs Airflow 2\.11\.0 \(mwaa-migration:targetAirflowVersion\)/,
      /set mwaa-migration:webserverAccessMode to PRIVATE_ONLY or PUBLIC_ONLY, or set mwaa-migration:targetAirflowVersion to 3\.2\.1 or 3\.3\.1/,
    ]);
    assert.equal(message.split("\n  - ").length - 1, 1, "the only problem");
  });

  it("more than one scheduler on mw1.micro", async () => {
    await previewFails({ "mwaa-migration:environmentClass": "mw1.micro", "mwaa-migration:schedulers": "2" }, [
      /mwaa-migration:schedulers is 2, but mw1\.micro \(mwaa-migration:environmentClass\) runs exactly 1 scheduler/,
      /set mwaa-migration:schedulers to 1, or set mwaa-migration:environmentClass to a larger class/,
    ]);
  });

  it("the source's schedulers and webservers cloned into mw1.micro, with the keys that override them", async () => {
    // The dev stack's source runs mw1.medium with 2 schedulers and 2 to 3 webservers.
    const message = await previewFails({ "mwaa-migration:environmentClass": "mw1.micro" }, [
      /mwaa-migration:schedulers is 2 \(cloned from the source environment\), but mw1\.micro .* runs exactly 1 scheduler; set mwaa-migration:schedulers to 1 to override the source's value/,
      /mwaa-migration:minWebservers is 2 \(cloned from the source environment\), .* set mwaa-migration:minWebservers to 1 to override/,
      /mwaa-migration:maxWebservers is 3 \(cloned from the source environment\), .* set mwaa-migration:maxWebservers to 1 to override/,
    ]);
    assert.equal(message.split("\n  - ").length - 1, 3);
  });

  it("a mw1.micro source's single scheduler and webserver cloned into a larger class", async () => {
    await previewFails(
      {},
      [
        /mwaa-migration:schedulers is 1 \(cloned from the source environment\), but mw1\.medium \(mwaa-migration:environmentClass\) runs 2 to 5 schedulers/,
        /set mwaa-migration:schedulers to a number from 2 to 5 to override the source's value/,
        /mwaa-migration:minWebservers is 1 \(cloned from the source environment\)/,
        /mwaa-migration:maxWebservers is 1 \(cloned from the source environment\)/,
      ],
      {
        source: {
          environmentClass: "mw1.micro",
          schedulers: 1,
          minWebservers: 1,
          maxWebservers: 1,
          maxWorkers: 1,
        },
      },
    );
  });

  it("webserver counts out of range, or more minimum than maximum", async () => {
    await previewFails({ "mwaa-migration:minWebservers": "6" }, [
      /mwaa-migration:minWebservers is 6; MWAA runs 2 to 5 webservers \(1 on mw1\.micro\)/,
    ]);
    await previewFails({ "mwaa-migration:minWebservers": "4", "mwaa-migration:maxWebservers": "3" }, [
      /mwaa-migration:minWebservers 4 is more than maxWebservers 3; lower minWebservers or raise maxWebservers/,
    ]);
  });

  it("a worker replacement strategy MWAA does not have", async () => {
    await previewFails({ "mwaa-migration:workerReplacementStrategy": "ROLLING" }, [
      /mwaa-migration:workerReplacementStrategy is "ROLLING"; set it to one of FORCED, GRACEFUL/,
    ]);
  });

  it("endpoints managed by the customer in the VPC this stack builds", async () => {
    await previewFails({ "mwaa-migration:endpointManagement": "CUSTOMER" }, [
      key("endpointManagement"),
      key("subnetIds"),
      /set subnetIds to two subnets of the VPC where you create them \(e\.g\. a shared VPC\), or leave endpointManagement empty/,
    ]);
  });

  it("bundles that would never expire", async () => {
    await previewFails({ "mwaa-migration:bundleExpirationDays": "0" }, [
      key("bundleExpirationDays"),
      /set it to a whole number of at least 1/,
    ]);
  });

  it("task logs coarser than INFO", async () => {
    await previewFails({ "mwaa-migration:taskLogLevel": "ERROR" }, [key("taskLogLevel"), /Set it to INFO/]);
  });

  it("a self-managed source without its version, DAG location or credentials", async () => {
    await previewFails(
      {
        "mwaa-migration:sourceEnvironmentName": "",
        "mwaa-migration:sourceAirflowUrl": "https://airflow.corp.internal",
      },
      [
        key("sourceAirflowVersion"),
        /set it to the version `airflow version` prints there/,
        key("sourceDagsLocation"),
        /set the s3:\/\/ URI or the local folder its DAG files are delivered to/,
        key("sourceAirflowUsername"),
        key("sourceAirflowPassword"),
        /pulumi config set --secret sourceAirflowPassword/,
      ],
    );
  });

  it("a self-managed source whose password was never set", async () => {
    const message = await previewFails({ ...selfManaged, "mwaa-migration:sourceAirflowPassword": "" }, [
      key("sourceAirflowPassword"),
      /is empty; .*run `pulumi config set --secret sourceAirflowPassword`/,
    ]);
    assert.equal(message.split("\n  - ").length - 1, 1, "the only problem");
  });

  it("a self-managed source whose DAG location is a relative path", async () => {
    await previewFails({ ...selfManaged, "mwaa-migration:sourceDagsLocation": "airflow/dags" }, [
      key("sourceDagsLocation"),
      /"airflow\/dags" is neither an S3 URI nor an absolute folder/,
      /e\.g\. s3:\/\/corp-airflow\/dags or \/opt\/airflow\/dags/,
    ]);
  });

  it("reports every problem of a configuration in one preview", async () => {
    const message = await previewFails(
      {
        "mwaa-migration:stage": "later",
        "mwaa-migration:targetEnvironmentName": "bad name",
        "mwaa-migration:webserverAccessMode": "OPEN",
      },
      [key("stage"), key("targetEnvironmentName"), key("webserverAccessMode")],
    );
    assert.equal(message.split("\n  - ").length - 1, 3);
  });
});
