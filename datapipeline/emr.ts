/**
 * EMR work: an EmrCluster becomes a create task and a terminate task (the teardown of its steps), and
 * each EmrActivity, HiveActivity, PigActivity or HadoopActivity on it adds its steps and waits for the
 * last one (EMR runs a cluster's steps in order and cancels the rest after a failure).
 *
 * Steps, as Data Pipeline writes them:
 * - EmrActivity `step`: "jar,arg1,arg2" (a comma inside an argument escaped as `\,`), with
 *   `preStepCommand`/`postStepCommand` shell commands around them;
 * - HiveActivity `hiveScript` or `scriptUri`, `scriptVariable` "name=value" (Hive's `-d`), and with
 *   `stage` (the default) the input and output data nodes as tables named by ${input1}, ${output1};
 * - PigActivity the same with Pig's `-p`;
 * - HadoopActivity `jarUri`, `mainClass`, `argument`, and pre/post ShellScriptConfigs.
 */

import type { ActivityTasks, Converter } from "./convert";
import { DefinitionError, PipelineObject } from "./definition";
import { dataFormat, isDynamo, isS3, s3Location } from "./nodes";
import { bool, code, dict, list, num, Py, snakeName, str, timedelta } from "./plan";

const DEFAULT_INSTANCE_TYPE = "m5.xlarge";

/** Splits an EmrActivity step on commas that are neither escaped nor inside an expression. */
export function splitStep(step: string): string[] {
  const parts: string[] = [];
  let current = "";
  let depth = 0;
  for (let i = 0; i < step.length; i++) {
    const ch = step[i];
    if (ch === "\\" && step[i + 1] === ",") {
      current += ",";
      i++;
    } else if (ch === "#" && step[i + 1] === "{") {
      depth++;
      current += "#{";
      i++;
    } else if (ch === "}" && depth > 0) {
      depth--;
      current += ch;
    } else if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function step(name: string, jar: string, args: string[], mainClass?: string): Py {
  return dict([
    ["Name", str(name)],
    ["ActionOnFailure", str("CANCEL_AND_WAIT")],
    [
      "HadoopJarStep",
      dict([
        ["Jar", str(jar)],
        ["MainClass", mainClass !== undefined ? str(mainClass) : undefined],
        ["Args", list(args.map(str))],
      ]),
    ],
  ]);
}

const shellStep = (name: string, command: string) =>
  step(name, "command-runner.jar", ["bash", "-c", command]);

/** The cluster's create and terminate tasks, made once per EmrCluster. */
function clusterTasks(c: Converter, cluster: PipelineObject) {
  if (c.emrClusters.has(cluster.id)) return c.emrCluster(cluster);
  const p = c.pipeline;
  const reasons: string[] = [];
  const instanceType = (field: string) => c.template(cluster, field) ?? DEFAULT_INSTANCE_TYPE;
  const group = (role: string, typeField: string, count: number, bidField: string): Py => {
    const bid = c.template(cluster, bidField);
    return dict([
      ["Name", str(role[0] + role.slice(1).toLowerCase())],
      ["InstanceRole", str(role)],
      ["InstanceType", str(instanceType(typeField))],
      ["InstanceCount", num(count)],
      ["Market", str(bid ? "SPOT" : "ON_DEMAND")],
      ["BidPrice", bid ? str(bid) : undefined],
    ]);
  };
  const coreCount = c.integer(cluster, "coreInstanceCount") ?? 1;
  const taskCount = c.integer(cluster, "taskInstanceCount") ?? 0;
  const groups = [group("MASTER", "masterInstanceType", 1, "masterInstanceBidPrice")];
  if (coreCount > 0) groups.push(group("CORE", "coreInstanceType", coreCount, "coreInstanceBidPrice"));
  if (taskCount > 0) groups.push(group("TASK", "taskInstanceType", taskCount, "taskInstanceBidPrice"));
  const missingTypes = ["masterInstanceType", "coreInstanceType"].filter((f) => !p.has(cluster, f));
  const releaseLabel = c.template(cluster, "releaseLabel");
  const amiVersion = c.template(cluster, "amiVersion");
  if (!releaseLabel && amiVersion)
    reasons.push(
      `amiVersion ${amiVersion}: EMR accepts it only for releases before 4.0; move to a releaseLabel`,
    );
  const securityGroups = (field: string) => {
    const values = c.templates(cluster, field);
    return values.length ? list(values.map(str)) : undefined;
  };
  const bootstrap = c.templates(cluster, "bootstrapAction").map((text, i) => {
    const [path, ...args] = splitStep(text);
    return dict([
      ["Name", str(`${cluster.name} bootstrap ${i + 1}`)],
      [
        "ScriptBootstrapAction",
        dict([
          ["Path", str(path)],
          ["Args", list(args.map(str))],
        ]),
      ],
    ]);
  });
  const configurations = p.refs(cluster, "configuration").map((cfg) => emrConfiguration(c, cfg));
  const overrides = dict([
    ["Name", str(cluster.name)],
    ["ReleaseLabel", releaseLabel ? str(releaseLabel) : undefined],
    ["AmiVersion", !releaseLabel && amiVersion ? str(amiVersion) : undefined],
    [
      "Applications",
      releaseLabel && p.has(cluster, "applications")
        ? list(c.templates(cluster, "applications").map((a) => dict([["Name", str(a)]])))
        : undefined,
    ],
    [
      "Instances",
      dict([
        ["InstanceGroups", list(groups)],
        ["KeepJobFlowAliveWhenNoSteps", bool(true)],
        ["TerminationProtected", bool(false)],
        [
          "Ec2SubnetId",
          c.template(cluster, "subnetId") !== undefined
            ? str(c.template(cluster, "subnetId") as string)
            : undefined,
        ],
        [
          "Ec2KeyName",
          c.template(cluster, "keyPair") !== undefined
            ? str(c.template(cluster, "keyPair") as string)
            : undefined,
        ],
        [
          "EmrManagedMasterSecurityGroup",
          optionalStr(c.template(cluster, "emrManagedMasterSecurityGroupId")),
        ],
        ["EmrManagedSlaveSecurityGroup", optionalStr(c.template(cluster, "emrManagedSlaveSecurityGroupId"))],
        ["ServiceAccessSecurityGroup", optionalStr(c.template(cluster, "serviceAccessSecurityGroupId"))],
        ["AdditionalMasterSecurityGroups", securityGroups("additionalMasterSecurityGroupIds")],
        ["AdditionalSlaveSecurityGroups", securityGroups("additionalSlaveSecurityGroupIds")],
      ]),
    ],
    ["BootstrapActions", bootstrap.length ? list(bootstrap) : undefined],
    ["Configurations", configurations.length ? list(configurations) : undefined],
    ["JobFlowRole", str(c.static(cluster, "resourceRole") ?? "EMR_EC2_DefaultRole")],
    ["ServiceRole", str(c.static(cluster, "role") ?? "EMR_DefaultRole")],
    ["LogUri", optionalStr(c.template(cluster, "pipelineLogUri"))],
    ["VisibleToAllUsers", bool(true)],
    [
      "Tags",
      list([
        dict([
          ["Key", str("DataPipelineObject")],
          ["Value", str(cluster.id)],
        ]),
      ]),
    ],
  ]);
  const comments = [`${cluster.id} (EmrCluster): set up before its steps, torn down after them`];
  if (missingTypes.length > 0)
    comments.push(`${missingTypes.join(" and ")} not given: ${DEFAULT_INSTANCE_TYPE}`);
  const aws = c.awsConn(cluster);
  const create = c.addTask({
    name: `create ${cluster.name}`,
    operator: "EmrCreateJobFlowOperator",
    args: [
      ["aws_conn_id", str(aws)],
      ["emr_conn_id", { py: "none" }],
      ["job_flow_overrides", overrides],
    ],
    comments,
    sourceIds: [cluster.id],
    status: reasons.length ? "approximated" : "converted",
  });
  const terminate = c.addTask({
    name: `terminate ${cluster.name}`,
    operator: "EmrTerminateJobFlowOperator",
    args: [
      ["aws_conn_id", str(aws)],
      ["job_flow_id", code(`${create}.output`)],
    ],
    comments: [`${cluster.id}: terminated once its steps are done, failed or not (a teardown)`],
    sourceIds: [cluster.id],
    status: "converted",
  });
  const terminateAfter = c.duration(cluster, "terminateAfter");
  if (terminateAfter !== undefined) {
    reasons.push(
      `terminateAfter ${c.static(cluster, "terminateAfter")}: the step waits give up after it and the teardown terminates the cluster (Data Pipeline terminated it at that age)`,
    );
  }
  c.note(
    cluster,
    reasons.length ? "approximated" : "converted",
    reasons.join("; ") || "EmrCreateJobFlowOperator and EmrTerminateJobFlowOperator around its steps",
  );
  return c.registerEmrCluster(cluster, create, terminate);
}

function optionalStr(value: string | undefined): Py | undefined {
  return value === undefined ? undefined : str(value);
}

function emrConfiguration(c: Converter, cfg: PipelineObject): Py {
  const classification = c.static(cfg, "classification");
  if (!classification)
    throw new DefinitionError(cfg.id, "classification", "an EmrConfiguration needs a classification");
  const properties = c.pipeline.refs(cfg, "property").map((prop): [string, Py] => {
    const key = c.static(prop, "key");
    if (key === undefined) throw new DefinitionError(prop.id, "key", "a Property needs a key");
    return [key, str(c.template(prop, "value") ?? "")];
  });
  const nested = c.pipeline.refs(cfg, "configuration").map((inner) => emrConfiguration(c, inner));
  c.note(cfg, "converted", "a Configurations entry of the cluster");
  for (const prop of c.pipeline.refs(cfg, "property")) c.note(prop, "converted", `a property of ${cfg.id}`);
  return dict([
    ["Classification", str(classification)],
    ["Properties", properties.length ? dict(properties) : undefined],
    ["Configurations", nested.length ? list(nested) : undefined],
  ]);
}

/** Hive tables for staged data nodes: what Data Pipeline creates for ${input1} and ${output1}. */
function hiveStagingTable(c: Converter, node: PipelineObject, table: string): string | undefined {
  const format = dataFormat(c, node);
  if (format.columns.length === 0) return undefined;
  const columns = format.columns.join(", ");
  if (isS3(c, node)) {
    const location = s3Location(c, node);
    const directory = location.kind === "directory" ? location.uri : location.uri.replace(/\/[^/]*$/, "/");
    const separator = format.separator === "\t" ? "\\t" : format.separator;
    if (!separator) return undefined;
    return `DROP TABLE IF EXISTS ${table}; CREATE EXTERNAL TABLE ${table} (${columns}) ROW FORMAT DELIMITED FIELDS TERMINATED BY '${separator}' LOCATION '${directory}';`;
  }
  if (isDynamo(c, node)) {
    const mapping = format.columns.map((col) => `${col.split(/\s+/)[0]}:${col.split(/\s+/)[0]}`).join(",");
    return `DROP TABLE IF EXISTS ${table}; CREATE EXTERNAL TABLE ${table} (${columns}) STORED BY 'org.apache.hadoop.hive.dynamodb.DynamoDBStorageHandler' TBLPROPERTIES ("dynamodb.table.name" = "${c.requiredTemplate(node, "tableName")}", "dynamodb.column.mapping" = "${mapping}");`;
  }
  return undefined;
}

function scriptVariables(c: Converter, activity: PipelineObject, flag: string): string[] {
  return c.templates(activity, "scriptVariable").flatMap((v) => [flag, v]);
}

function stepsFor(c: Converter, activity: PipelineObject): { steps: Py[]; reasons: string[] } {
  const p = c.pipeline;
  const type = p.type(activity);
  const name = activity.name;
  const reasons: string[] = [];
  const steps: Py[] = [];
  const shellConfig = (field: string) => {
    for (const config of p.refs(activity, field)) {
      const uri = c.requiredTemplate(config, "scriptUri");
      const args = c.templates(config, "scriptArgument");
      steps.push(
        shellStep(
          `${name} ${field}`,
          [`aws s3 cp ${uri} ./script.sh`, ["bash ./script.sh", ...args].join(" ")].join(" && "),
        ),
      );
      c.note(config, "converted", `a step (${field}) of`, activity.id);
    }
  };
  switch (type) {
    case "EmrActivity": {
      c.templates(activity, "preStepCommand").forEach((cmd, i) =>
        steps.push(shellStep(`${name} pre-step ${i + 1}`, cmd)),
      );
      const stepTexts = p.strings(activity, "step");
      if (stepTexts.length === 0)
        throw new DefinitionError(activity.id, "step", "an EmrActivity needs at least one step");
      stepTexts.forEach((text, i) => {
        const [jar, ...args] = splitStep(text).map((part) => c.translator.template(activity, "step", part));
        steps.push(step(`${name} step ${i + 1}`, jar, args));
      });
      c.templates(activity, "postStepCommand").forEach((cmd, i) =>
        steps.push(shellStep(`${name} post-step ${i + 1}`, cmd)),
      );
      break;
    }
    case "HadoopActivity": {
      shellConfig("preActivityTaskConfig");
      steps.push(
        step(
          name,
          c.requiredTemplate(activity, "jarUri"),
          c.templates(activity, "argument"),
          c.template(activity, "mainClass"),
        ),
      );
      shellConfig("postActivityTaskConfig");
      if (p.has(activity, "hadoopQueue"))
        reasons.push("hadoopQueue is not set on the step; pass -Dmapreduce.job.queuename in its arguments");
      break;
    }
    case "HiveActivity":
    case "PigActivity": {
      const hive = type === "HiveActivity";
      shellConfig("preActivityTaskConfig");
      const stage = c.bool(activity, "stage") ?? true;
      const variables = scriptVariables(c, activity, hive ? "-d" : "-p");
      if (stage) {
        const ddl: string[] = [];
        for (const [direction, nodes] of [
          ["input", p.refs(activity, "input")],
          ["output", p.refs(activity, "output")],
        ] as const) {
          nodes.forEach((node, i) => {
            const variable = `${direction}${i + 1}`;
            const table = `${snakeName(activity.name)}_${variable}`;
            if (hive) {
              const statement = hiveStagingTable(c, node, table);
              if (statement) {
                ddl.push(statement);
                variables.push("-d", `${variable}=${table}`);
              } else {
                reasons.push(
                  `${node.id} has no columns in its data format, so no ${"${"}${variable}} table is staged`,
                );
              }
            } else {
              const location = isS3(c, node) ? s3Location(c, node).uri : c.template(node, "tableName");
              variables.push("-p", `${variable}=${location ?? node.id}`);
              reasons.push(
                `Pig staging: ${"${"}${variable}} is ${node.id}'s location; the script loads and stores it itself`,
              );
            }
          });
        }
        if (ddl.length > 0)
          steps.push(step(`${name} staging tables`, "command-runner.jar", ["hive", "-e", ddl.join(" ")]));
      }
      const script = c.template(activity, hive ? "hiveScript" : "script");
      const scriptUri = c.template(activity, "scriptUri");
      if (script !== undefined) {
        steps.push(step(name, "command-runner.jar", [hive ? "hive" : "pig", ...variables, "-e", script]));
      } else if (scriptUri !== undefined) {
        steps.push(
          step(name, "command-runner.jar", [
            hive ? "hive-script" : "pig-script",
            hive ? "--run-hive-script" : "--run-pig-script",
            "--args",
            "-f",
            scriptUri,
            ...variables,
          ]),
        );
      } else {
        throw new DefinitionError(
          activity.id,
          hive ? "hiveScript" : "script",
          `a ${type} needs ${hive ? "hiveScript" : "script"} or scriptUri`,
        );
      }
      shellConfig("postActivityTaskConfig");
      break;
    }
  }
  return { steps, reasons };
}

export function emrActivity(c: Converter, activity: PipelineObject): ActivityTasks {
  const p = c.pipeline;
  const cluster = p.ref(activity, "runsOn");
  if (!cluster) {
    if (p.has(activity, "workerGroup")) {
      return c.notConvertedTask(
        activity,
        `runs on a long-running cluster through Task Runner (workerGroup ${c.static(activity, "workerGroup")}), whose id the definition does not hold`,
        "add its steps with EmrAddStepsOperator(job_flow_id=<the cluster's id>) and wait with EmrStepSensor",
      );
    }
    throw new DefinitionError(activity.id, "runsOn", `a ${p.type(activity)} runs on an EmrCluster`);
  }
  if (p.type(cluster) !== "EmrCluster") {
    throw new DefinitionError(
      activity.id,
      "runsOn",
      `a ${p.type(activity)} runs on an EmrCluster, not ${p.type(cluster)}`,
    );
  }
  const tasks = clusterTasks(c, cluster);
  const { steps, reasons } = stepsFor(c, activity);
  if ((c.integer(activity, "maximumRetries") ?? 0) > 0) {
    reasons.push(
      "maximumRetries retries submitting the steps; a failed step is run again by clearing both tasks",
    );
  }
  const aws = c.awsConn(activity);
  const add = c.addTask({
    name: activity.name,
    operator: "EmrAddStepsOperator",
    args: [
      ["aws_conn_id", str(aws)],
      ["job_flow_id", code(`${tasks.create}.output`)],
      ["steps", list(steps)],
    ],
    comments: [`${activity.id} (${p.type(activity)}) on ${cluster.id}`],
    sourceIds: [activity.id],
    status: reasons.length ? "approximated" : "converted",
  });
  const waitArgs: [string, Py][] = [
    ["aws_conn_id", str(aws)],
    ["job_flow_id", code(`${tasks.create}.output`)],
    ["step_id", str(`{{ task_instance.xcom_pull(task_ids='${add}')[-1] }}`)],
    ["mode", str("reschedule")],
  ];
  const terminateAfter = c.duration(cluster, "terminateAfter");
  if (terminateAfter !== undefined) waitArgs.push(["timeout", timedelta(terminateAfter)]);
  const wait = c.addTask({
    name: `wait for ${activity.name}`,
    operator: "EmrStepSensor",
    args: waitArgs,
    comments: [`${activity.id}: its last step (EMR cancels the rest after a failed step)`],
    sourceIds: [activity.id],
    status: reasons.length ? "approximated" : "converted",
  });
  c.edge(tasks.create, add);
  c.edge(tasks.create, wait);
  c.edge(add, wait);
  tasks.activities.push(add);
  tasks.waits.push(wait);
  return {
    tasks: [add, wait],
    entry: [add],
    exit: [wait],
    retried: [add],
    waits: [wait],
    status: reasons.length ? "approximated" : "converted",
    detail: reasons.join("; ") || `EmrAddStepsOperator and EmrStepSensor on ${cluster.id}`,
  };
}
