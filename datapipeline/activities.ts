/**
 * Activities to tasks, each with the nearest operator of the Amazon (or common SQL) provider.
 *
 *   ShellCommandActivity   BashOperator on the worker (a helper when it stages S3 data or runs a
 *                          script from S3), SSM Run Command on tagged instances, or an ECS task
 *   CopyActivity           S3CopyObjectOperator / prefix copy, S3ToSqlOperator, SqlToS3Operator,
 *                          GenericTransfer, S3ToRedshiftOperator, RedshiftToS3Operator
 *   SqlActivity            SQLExecuteQueryOperator (a helper for a script kept in S3)
 *   RedshiftCopyActivity   S3ToRedshiftOperator (insertMode as its method), RedshiftToS3Operator
 *   Emr/Hive/Pig/Hadoop    EmrAddStepsOperator + EmrStepSensor on the cluster (see emr.ts)
 *   HiveCopyActivity       DynamoDBToS3Operator
 */

import { available } from "./airflow";
import type { ActivityTasks, Converter } from "./convert";
import { DefinitionError, PipelineObject } from "./definition";
import { emrActivity } from "./emr";
import {
  dataFormat,
  isDynamo,
  isRedshift,
  isS3,
  isSql,
  s3Location,
  splitS3,
  sqlConn,
  tableName,
} from "./nodes";
import { bool, code, dict, list, Py, str } from "./plan";
import { bashCommand, shellQuote } from "./shell";

type Builder = (c: Converter, activity: PipelineObject) => ActivityTasks;

export function activityBuilder(type: string): Builder {
  const builders: Record<string, Builder> = {
    ShellCommandActivity: shellCommand,
    CopyActivity: copy,
    SqlActivity: sql,
    RedshiftCopyActivity: redshiftCopy,
    EmrActivity: emrActivity,
    HiveActivity: emrActivity,
    PigActivity: emrActivity,
    HadoopActivity: emrActivity,
    HiveCopyActivity: hiveCopy,
  };
  return builders[type];
}

function single(taskId: string, status: ActivityTasks["status"], detail: string): ActivityTasks {
  return { tasks: [taskId], entry: [taskId], exit: [taskId], status, detail };
}

function sourceComment(c: Converter, activity: PipelineObject): string {
  const inputs = c.pipeline.refs(activity, "input").map((o) => o.id);
  const outputs = c.pipeline.refs(activity, "output").map((o) => o.id);
  const flow = [
    inputs.length ? `input ${inputs.join(", ")}` : "",
    outputs.length ? `output ${outputs.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return `${activity.id} (${c.pipeline.type(activity)})${flow ? `: ${flow}` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// ShellCommandActivity

function shellCommand(c: Converter, activity: PipelineObject): ActivityTasks {
  const p = c.pipeline;
  const command = c.template(activity, "command");
  const scriptUri = c.template(activity, "scriptUri");
  if (command === undefined && scriptUri === undefined) {
    throw new DefinitionError(activity.id, "command", "a ShellCommandActivity needs command or scriptUri");
  }
  const args = c.templates(activity, "scriptArgument");
  const stage = c.bool(activity, "stage") ?? false;
  const inputs = stage ? p.refs(activity, "input").filter((n) => isS3(c, n)) : [];
  const outputs = stage ? p.refs(activity, "output").filter((n) => isS3(c, n)) : [];
  const resource = p.ref(activity, "runsOn");
  const reasons: string[] = [];
  if (p.has(activity, "stdout") || p.has(activity, "stderr")) {
    reasons.push("stdout and stderr go to the task log, not to the S3 paths in stdout/stderr");
  }
  let runner = c.options.shellRunner;
  if (!resource) {
    runner = "worker";
    if (p.has(activity, "workerGroup")) {
      reasons.push(
        `workerGroup ${c.static(activity, "workerGroup")}: the Task Runner hosts are replaced by the Airflow worker`,
      );
    }
  } else if (p.type(resource) !== "Ec2Resource") {
    throw new DefinitionError(
      activity.id,
      "runsOn",
      `a ShellCommandActivity runs on an Ec2Resource, not ${p.type(resource)}`,
    );
  }
  const comments = [sourceComment(c, activity)];
  if (args.length > 0) comments.push("scriptArgument values are the command's $1, $2, ...");
  const aws = c.awsConn(activity);

  if (runner === "worker") {
    if (resource) {
      c.note(
        resource,
        "approximated",
        "replaced by the Airflow worker (--shell-runner worker), which needs the commands' tools installed, for",
        activity.id,
      );
      reasons.push(`runs on the Airflow worker, not on ${resource.id}`);
    }
    if (scriptUri === undefined && inputs.length === 0 && outputs.length === 0) {
      const prefix = args.length > 0 ? `set -- ${args.map(shellQuote).join(" ")}\n` : "";
      const taskId = c.addTask({
        name: activity.name,
        operator: "BashOperator",
        args: [["bash_command", str(bashCommand(prefix + (command as string)))]],
        comments,
        sourceIds: [activity.id],
        status: reasons.length ? "approximated" : "converted",
      });
      return single(
        taskId,
        reasons.length ? "approximated" : "converted",
        reasons.join("; ") || "BashOperator",
      );
    }
    const taskId = c.addTask({
      name: activity.name,
      operator: "PythonOperator",
      args: [
        ["python_callable", code(c.useHelper("run_shell"))],
        [
          "op_kwargs",
          dict([
            ["command", str(command ?? "")],
            ["script_uri", str(scriptUri ?? "")],
            ["arguments", list(args.map(str))],
            ["inputs", list(inputs.map((n) => str(s3Location(c, n).uri)))],
            ["outputs", list(outputs.map((n) => str(s3Location(c, n).uri)))],
            ["aws_conn_id", str(aws)],
          ]),
        ],
      ],
      comments: [
        ...comments,
        "staged and run on the worker by run_shell (INPUTn_STAGING_DIR / OUTPUTn_STAGING_DIR)",
      ],
      sourceIds: [activity.id],
      status: reasons.length ? "approximated" : "converted",
    });
    return single(
      taskId,
      reasons.length ? "approximated" : "converted",
      reasons.join("; ") || "run_shell on the worker",
    );
  }

  // SSM or ECS: the command runs on a host with the AWS CLI, which stages the data as Data Pipeline does.
  const ec2 = resource as PipelineObject;
  const lines = ["set -e"];
  inputs.forEach((node, i) => {
    const location = s3Location(c, node);
    lines.push(`export INPUT${i + 1}_STAGING_DIR=$(mktemp -d)`);
    lines.push(
      location.kind === "directory"
        ? `aws s3 cp --recursive ${location.uri} "$INPUT${i + 1}_STAGING_DIR"`
        : `aws s3 cp ${location.uri} "$INPUT${i + 1}_STAGING_DIR/"`,
    );
  });
  outputs.forEach((_, i) => lines.push(`export OUTPUT${i + 1}_STAGING_DIR=$(mktemp -d)`));
  if (scriptUri !== undefined) {
    lines.push(`aws s3 cp ${scriptUri} ./activity-script`);
    lines.push(["bash ./activity-script", ...args.map(shellQuote)].join(" "));
  } else {
    if (args.length > 0) lines.push(`set -- ${args.map(shellQuote).join(" ")}`);
    lines.push(command as string);
  }
  outputs.forEach((node, i) =>
    lines.push(`aws s3 cp --recursive "$OUTPUT${i + 1}_STAGING_DIR" ${s3Location(c, node).uri}`),
  );

  if (runner === "ssm") {
    const tag = c.options.ssmTargetTag;
    const targets = list([
      dict([
        ["Key", str(`tag:${tag}`)],
        ["Values", list([str(ec2.id)])],
      ]),
    ]);
    c.note(
      ec2,
      "approximated",
      `replaced by running instances tagged ${tag}=${ec2.id}, reached through SSM Run Command (Data Pipeline launched one per run), for`,
      activity.id,
    );
    reasons.push(`runs through SSM Run Command on instances tagged ${tag}=${ec2.id}`);
    const taskId = available("SsmRunCommandOperator", c.options.airflowVersion)
      ? c.addTask({
          name: activity.name,
          operator: "SsmRunCommandOperator",
          args: [
            ["aws_conn_id", str(aws)],
            ["document_name", str("AWS-RunShellScript")],
            [
              "run_command_kwargs",
              dict([
                ["Targets", targets],
                ["Parameters", dict([["commands", list(lines.map(str))]])],
              ]),
            ],
          ],
          comments,
          sourceIds: [activity.id],
          status: "approximated",
        })
      : c.addTask({
          name: activity.name,
          operator: "PythonOperator",
          args: [
            ["python_callable", code(c.useHelper("run_ssm_command"))],
            [
              "op_kwargs",
              dict([
                ["targets", targets],
                ["commands", list(lines.map(str))],
                ["aws_conn_id", str(aws)],
              ]),
            ],
          ],
          comments: [
            ...comments,
            "SSM Run Command through run_ssm_command (this provider version has no SSM operator)",
          ],
          sourceIds: [activity.id],
          status: "approximated",
        });
    return single(taskId, "approximated", reasons.join("; "));
  }

  const subnet = c.template(ec2, "subnetId");
  const securityGroups = c.templates(ec2, "securityGroupIds");
  c.note(
    ec2,
    "approximated",
    `replaced by the ECS task definition ${c.options.ecsTaskDefinition} on cluster ${c.options.ecsCluster} (Fargate), for`,
    activity.id,
  );
  reasons.push(`runs as an ECS task (${c.options.ecsTaskDefinition}) instead of on ${ec2.id}`);
  const taskId = c.addTask({
    name: activity.name,
    operator: "EcsRunTaskOperator",
    args: [
      ["aws_conn_id", str(aws)],
      ["cluster", str(c.options.ecsCluster)],
      ["task_definition", str(c.options.ecsTaskDefinition)],
      ["launch_type", str("FARGATE")],
      [
        "overrides",
        dict([
          [
            "containerOverrides",
            list([
              dict([
                ["name", str(c.options.ecsContainer)],
                ["command", list([str("bash"), str("-c"), str(lines.join("\n"))])],
              ]),
            ]),
          ],
        ]),
      ],
      [
        "network_configuration",
        dict([
          [
            "awsvpcConfiguration",
            dict([
              ["subnets", list(subnet ? [str(subnet)] : [])],
              ["securityGroups", securityGroups.length ? list(securityGroups.map(str)) : undefined],
            ]),
          ],
        ]),
      ],
    ],
    comments: subnet ? comments : [...comments, `${ec2.id} names no subnetId: give the task's subnets here`],
    sourceIds: [activity.id],
    status: "approximated",
  });
  return single(taskId, "approximated", reasons.join("; "));
}

// ---------------------------------------------------------------------------------------------
// CopyActivity

function copy(c: Converter, activity: PipelineObject): ActivityTasks {
  const p = c.pipeline;
  const input = p.ref(activity, "input");
  const output = p.ref(activity, "output");
  if (!input) throw new DefinitionError(activity.id, "input", "a CopyActivity needs an input data node");
  if (!output) throw new DefinitionError(activity.id, "output", "a CopyActivity needs an output data node");
  resourceNotNeeded(c, activity);
  const aws = c.awsConn(activity);
  const comments = [sourceComment(c, activity)];
  const done = (taskId: string, reasons: string[], what: string) =>
    single(taskId, reasons.length ? "approximated" : "converted", reasons.length ? reasons.join("; ") : what);

  if (isDynamo(c, input) || isDynamo(c, output)) {
    return c.notConvertedTask(
      activity,
      "CopyActivity copies between S3 and SQL tables; a DynamoDB table is not one of its data nodes",
      "use DynamoDBToS3Operator or S3ToDynamoDBOperator (or a HiveCopyActivity's conversion)",
    );
  }
  if (isS3(c, input) && isS3(c, output)) {
    const from = s3Location(c, input);
    const to = s3Location(c, output);
    const reasons: string[] = [];
    const inFormat = dataFormat(c, input).type;
    const outFormat = dataFormat(c, output).type;
    if (inFormat !== outFormat)
      reasons.push(`the objects are copied as they are: no conversion from ${inFormat} to ${outFormat}`);
    if (from.kind === "directory" && to.kind === "file") {
      return c.notConvertedTask(
        activity,
        "copying a directory into one file concatenates records, which no operator does",
        "concatenate the objects in a PythonOperator with S3Hook, or write to a directory",
      );
    }
    if (from.kind === "directory" || from.kind === "manifest") {
      const taskId = c.addTask({
        name: activity.name,
        operator: "PythonOperator",
        args: [
          ["python_callable", code(c.useHelper("copy_s3_prefix"))],
          [
            "op_kwargs",
            dict([
              ["source", str(from.uri)],
              ["destination", str(to.uri)],
              ["aws_conn_id", str(aws)],
            ]),
          ],
        ],
        comments,
        sourceIds: [activity.id, input.id, output.id],
        status: reasons.length ? "approximated" : "converted",
      });
      return done(taskId, reasons, "copy_s3_prefix (S3Hook)");
    }
    const fileName = from.raw.split("/").pop() as string;
    const dest =
      to.kind === "directory"
        ? `${to.uri.replace(/\/$/, "")}/${c.translator.template(input, from.field, fileName)}`
        : to.uri;
    const taskId = c.addTask({
      name: activity.name,
      operator: "S3CopyObjectOperator",
      args: [
        ["aws_conn_id", str(aws)],
        ["source_bucket_key", str(from.uri)],
        ["dest_bucket_key", str(dest)],
      ],
      comments,
      sourceIds: [activity.id, input.id, output.id],
      status: reasons.length ? "approximated" : "converted",
    });
    return done(taskId, reasons, "S3CopyObjectOperator");
  }
  if (isS3(c, input) && isRedshift(c, output)) return s3ToRedshift(c, activity, input, output, comments);
  if (isRedshift(c, input) && isS3(c, output)) return redshiftToS3(c, activity, input, output, comments);
  if (isS3(c, input) && isSql(c, output)) {
    const from = s3Location(c, input);
    if (from.kind !== "file") {
      return c.notConvertedTask(
        activity,
        "S3ToSqlOperator loads one object; the input is a directory of them",
        "load each object (list them with S3Hook) or point the input at one file",
      );
    }
    const reasons: string[] = [];
    const split = splitS3(c, input, from);
    if (split.fixed) reasons.push(split.fixed);
    const format = dataFormat(c, input);
    if (!["CSV", "TSV"].includes(format.type)) reasons.push(`${format.type} data is read as CSV`);
    if (p.has(output, "insertQuery"))
      reasons.push("rows go in through insert_rows, not the node's insertQuery");
    const taskId = c.addTask({
      name: activity.name,
      operator: "S3ToSqlOperator",
      args: [
        ["aws_conn_id", str(aws)],
        ["s3_bucket", str(split.bucket)],
        ["s3_key", str(split.key)],
        ["table", str(tableName(c, output))],
        ["parser", code(c.useHelper(format.type === "TSV" ? "parse_tsv" : "parse_csv"))],
        [
          "column_list",
          format.columns.length ? list(format.columns.map((col) => str(col.split(/\s+/)[0]))) : undefined,
        ],
        ["sql_conn_id", str(sqlConn(c, output))],
      ].filter((a): a is [string, Py] => a[1] !== undefined),
      comments,
      sourceIds: [activity.id, input.id, output.id],
      status: reasons.length ? "approximated" : "converted",
    });
    return done(taskId, reasons, "S3ToSqlOperator");
  }
  if (isSql(c, input) && isS3(c, output)) {
    const to = s3Location(c, output);
    const reasons: string[] = [];
    const split = splitS3(c, output, to);
    if (split.fixed) reasons.push(split.fixed);
    const key =
      to.kind === "directory" ? `${split.key.replace(/\/$/, "")}/${snakeKey(activity)}.csv` : split.key;
    if (to.kind === "directory")
      reasons.push(`the rows go to one object in the directory, ${snakeKey(activity)}.csv`);
    const format = dataFormat(c, output);
    const frameArgs = dict([
      ["header", bool(false)],
      ["index", bool(false)],
      ["sep", format.type === "TSV" ? str("\t") : undefined],
    ]);
    const taskId = c.addTask({
      name: activity.name,
      operator: "SqlToS3Operator",
      args: [
        ["aws_conn_id", str(aws)],
        ["sql_conn_id", str(sqlConn(c, input))],
        ["query", str(selectQuery(c, input))],
        ["s3_bucket", str(split.bucket)],
        ["s3_key", str(key)],
        ["file_format", str("csv")],
        ["replace", bool(true)],
        [c.v3 ? "df_kwargs" : "pd_kwargs", frameArgs],
      ],
      comments,
      sourceIds: [activity.id, input.id, output.id],
      status: reasons.length ? "approximated" : "converted",
    });
    return done(taskId, reasons, "SqlToS3Operator");
  }
  if (isSql(c, input) && isSql(c, output)) {
    const taskId = c.addTask({
      name: activity.name,
      operator: "GenericTransfer",
      args: [
        ["source_conn_id", str(sqlConn(c, input))],
        ["destination_conn_id", str(sqlConn(c, output))],
        ["sql", str(selectQuery(c, input))],
        ["destination_table", str(tableName(c, output))],
      ],
      comments,
      sourceIds: [activity.id, input.id, output.id],
      status: "converted",
    });
    return done(taskId, [], "GenericTransfer");
  }
  return c.notConvertedTask(
    activity,
    `CopyActivity from ${p.type(input)} to ${p.type(output)} has no operator here`,
    "copy with the transfer operator for these two stores",
  );
}

function snakeKey(activity: PipelineObject): string {
  return activity.name.replace(/[^A-Za-z0-9_-]+/g, "_");
}

function selectQuery(c: Converter, node: PipelineObject): string {
  return c.template(node, "selectQuery") ?? `SELECT * FROM ${tableName(c, node)}`;
}

/** An Ec2Resource that only hosted operators' work is not needed: the operators call the services. */
function resourceNotNeeded(c: Converter, activity: PipelineObject): void {
  const resource = c.pipeline.ref(activity, "runsOn");
  if (resource)
    c.note(
      resource,
      "converted",
      "not needed: the operators call the services from the worker, for",
      activity.id,
    );
}

// ---------------------------------------------------------------------------------------------
// SqlActivity

/** JDBC's `?` placeholders as DB-API's `%s` (outside quoted text), for the drivers Airflow uses. */
export function jdbcPlaceholders(sqlText: string): string {
  let out = "";
  let quote: string | null = null;
  for (const ch of sqlText) {
    if (quote === null && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === quote) quote = null;
    out += quote === null && ch === "?" ? "%s" : ch;
  }
  return out;
}

function sql(c: Converter, activity: PipelineObject): ActivityTasks {
  const database = c.pipeline.ref(activity, "database");
  if (!database) throw new DefinitionError(activity.id, "database", "a SqlActivity needs a database");
  resourceNotNeeded(c, activity);
  const conn = c.databaseConn(database);
  const args = c.templates(activity, "scriptArgument");
  const script = c.template(activity, "script");
  const scriptUri = c.template(activity, "scriptUri");
  const comments = [sourceComment(c, activity)];
  const reasons: string[] = [];
  if (c.pipeline.has(activity, "queue"))
    reasons.push("queue (a Redshift WLM queue) is not set; use the connection's options");
  if (script !== undefined) {
    const statement = args.length > 0 ? jdbcPlaceholders(script) : script;
    if (args.length > 0) comments.push("scriptArgument values fill the script's ? placeholders (here %s)");
    const taskId = c.addTask({
      name: activity.name,
      operator: "SQLExecuteQueryOperator",
      args: [
        ["conn_id", str(conn)],
        ["sql", str(statement)],
        ["parameters", args.length ? list(args.map(str)) : undefined],
        // One execute() keeps the placeholders numbered across statements, as one JDBC script does.
        ["split_statements", args.length === 0 && /;\s*\S/.test(script.trim()) ? bool(true) : undefined],
      ].filter((a): a is [string, Py] => a[1] !== undefined),
      comments,
      sourceIds: [activity.id],
      status: reasons.length ? "approximated" : "converted",
    });
    return single(
      taskId,
      reasons.length ? "approximated" : "converted",
      reasons.join("; ") || "SQLExecuteQueryOperator",
    );
  }
  if (scriptUri === undefined)
    throw new DefinitionError(activity.id, "script", "a SqlActivity needs script or scriptUri");
  const taskId = c.addTask({
    name: activity.name,
    operator: "PythonOperator",
    args: [
      ["python_callable", code(c.useHelper("run_sql_from_s3"))],
      [
        "op_kwargs",
        dict([
          ["script_uri", str(scriptUri)],
          ["conn_id", str(conn)],
          ["parameters", list(args.map(str))],
          ["aws_conn_id", str(c.awsConn(activity))],
        ]),
      ],
    ],
    comments: [...comments, "the script is read from S3 at run time (run_sql_from_s3)"],
    sourceIds: [activity.id],
    status: reasons.length ? "approximated" : "converted",
  });
  return single(
    taskId,
    reasons.length ? "approximated" : "converted",
    reasons.join("; ") || "run_sql_from_s3",
  );
}

// ---------------------------------------------------------------------------------------------
// RedshiftCopyActivity

const INSERT_MODES: Record<string, { method: string; approximation?: string }> = {
  APPEND: { method: "APPEND" },
  TRUNCATE: { method: "REPLACE" },
  OVERWRITE_EXISTING: { method: "UPSERT" },
  KEEP_EXISTING: {
    method: "APPEND",
    approximation:
      "insertMode KEEP_EXISTING keeps existing rows on a primary-key clash; APPEND adds every row",
  },
};

function redshiftCopy(c: Converter, activity: PipelineObject): ActivityTasks {
  const input = c.pipeline.ref(activity, "input");
  const output = c.pipeline.ref(activity, "output");
  if (!input)
    throw new DefinitionError(activity.id, "input", "a RedshiftCopyActivity needs an input data node");
  if (!output)
    throw new DefinitionError(activity.id, "output", "a RedshiftCopyActivity needs an output data node");
  resourceNotNeeded(c, activity);
  const comments = [sourceComment(c, activity)];
  if (isS3(c, input) && isRedshift(c, output)) return s3ToRedshift(c, activity, input, output, comments);
  if (isRedshift(c, input) && isS3(c, output)) return redshiftToS3(c, activity, input, output, comments);
  return c.notConvertedTask(
    activity,
    `RedshiftCopyActivity from ${c.pipeline.type(input)} to ${c.pipeline.type(output)} has no operator here`,
    "for DynamoDB, run Redshift's COPY FROM 'dynamodb://<table>' with SQLExecuteQueryOperator",
  );
}

function redshiftTable(c: Converter, node: PipelineObject): { schema?: string; table: string; conn: string } {
  const database = c.pipeline.ref(node, "database");
  if (!database) throw new DefinitionError(node.id, "database", "a RedshiftDataNode needs a database");
  return {
    schema: c.template(node, "schemaName"),
    table: c.requiredTemplate(node, "tableName"),
    conn: c.databaseConn(database),
  };
}

/** createTableSql runs when the table is missing; IF NOT EXISTS says that in SQL. */
export function createIfMissing(createTableSql: string): string {
  return createTableSql.replace(/^\s*create\s+table\s+(?!if\s+not\s+exists)/i, "CREATE TABLE IF NOT EXISTS ");
}

function s3ToRedshift(
  c: Converter,
  activity: PipelineObject,
  input: PipelineObject,
  output: PipelineObject,
  comments: string[],
): ActivityTasks {
  const from = s3Location(c, input);
  const split = splitS3(c, input, from);
  const target = redshiftTable(c, output);
  const reasons: string[] = [];
  if (split.fixed) reasons.push(split.fixed);
  const modeText = (c.static(activity, "insertMode") ?? "APPEND").toUpperCase();
  const mode = INSERT_MODES[modeText];
  if (!mode && c.pipeline.type(activity) === "RedshiftCopyActivity") {
    throw new DefinitionError(
      activity.id,
      "insertMode",
      `unknown insertMode ${modeText}: KEEP_EXISTING, OVERWRITE_EXISTING, TRUNCATE or APPEND`,
    );
  }
  if (mode?.approximation) reasons.push(mode.approximation);
  if (c.pipeline.has(activity, "transformSql"))
    reasons.push("transformSql is not applied: load a staging table and transform it in SQL");
  const options = c.templates(activity, "commandOptions");
  const format = dataFormat(c, input);
  if (options.length === 0 && format.type === "TSV") options.push("DELIMITER '\\t'");
  else if (options.length === 0 && format.type === "CSV") options.push("CSV");
  const upsertKeys = c.templates(output, "primaryKeys");
  if (mode?.method === "UPSERT" && upsertKeys.length === 0) {
    throw new DefinitionError(
      output.id,
      "primaryKeys",
      "insertMode OVERWRITE_EXISTING needs the table's primaryKeys",
    );
  }
  const sourceIds = [activity.id, input.id, output.id];
  const tasks: string[] = [];
  const create = c.template(output, "createTableSql");
  if (create !== undefined) {
    tasks.push(
      c.addTask({
        name: `create ${output.name}`,
        operator: "SQLExecuteQueryOperator",
        args: [
          ["conn_id", str(target.conn)],
          ["sql", str(createIfMissing(create))],
        ],
        comments: [`${output.id}.createTableSql: Data Pipeline creates the table when it is missing`],
        sourceIds: [output.id],
        status: "converted",
      }),
    );
  }
  const load = c.addTask({
    name: activity.name,
    operator: "S3ToRedshiftOperator",
    args: [
      ["aws_conn_id", str(c.awsConn(activity))],
      ["redshift_conn_id", str(target.conn)],
      ["s3_bucket", str(split.bucket)],
      ["s3_key", str(split.key)],
      ["schema", target.schema !== undefined ? str(target.schema) : undefined],
      ["table", str(target.table)],
      ["copy_options", list(options.map(str))],
      ["method", str(mode?.method ?? "APPEND")],
      ["upsert_keys", mode?.method === "UPSERT" ? list(upsertKeys.map(str)) : undefined],
    ].filter((a): a is [string, Py] => a[1] !== undefined),
    comments: [...comments, ...(modeText !== "APPEND" ? [`insertMode ${modeText}`] : [])],
    sourceIds,
    status: reasons.length ? "approximated" : "converted",
  });
  if (tasks.length > 0) c.edge(tasks[0], load);
  return {
    tasks: [...tasks, load],
    entry: [tasks[0] ?? load],
    exit: [load],
    status: reasons.length ? "approximated" : "converted",
    detail: reasons.join("; ") || `S3ToRedshiftOperator (${mode?.method ?? "APPEND"})`,
  };
}

function redshiftToS3(
  c: Converter,
  activity: PipelineObject,
  input: PipelineObject,
  output: PipelineObject,
  comments: string[],
): ActivityTasks {
  const source = redshiftTable(c, input);
  const to = s3Location(c, output);
  const split = splitS3(c, output, to);
  const reasons: string[] = split.fixed ? [split.fixed] : [];
  const transform = c.template(activity, "transformSql");
  const taskId = c.addTask({
    name: activity.name,
    operator: "RedshiftToS3Operator",
    args: [
      ["aws_conn_id", str(c.awsConn(activity))],
      ["redshift_conn_id", str(source.conn)],
      ["schema", source.schema !== undefined && transform === undefined ? str(source.schema) : undefined],
      ["table", transform === undefined ? str(source.table) : undefined],
      ["select_query", transform !== undefined ? str(transform) : undefined],
      ["s3_bucket", str(split.bucket)],
      ["s3_key", str(split.key)],
      ["unload_options", list(c.templates(activity, "commandOptions").map(str))],
    ].filter((a): a is [string, Py] => a[1] !== undefined),
    comments,
    sourceIds: [activity.id, input.id, output.id],
    status: reasons.length ? "approximated" : "converted",
  });
  return single(
    taskId,
    reasons.length ? "approximated" : "converted",
    reasons.join("; ") || "RedshiftToS3Operator (UNLOAD)",
  );
}

// ---------------------------------------------------------------------------------------------
// HiveCopyActivity

function hiveCopy(c: Converter, activity: PipelineObject): ActivityTasks {
  const input = c.pipeline.ref(activity, "input");
  const output = c.pipeline.ref(activity, "output");
  if (!input) throw new DefinitionError(activity.id, "input", "a HiveCopyActivity needs an input data node");
  if (!output)
    throw new DefinitionError(activity.id, "output", "a HiveCopyActivity needs an output data node");
  const cluster = c.pipeline.ref(activity, "runsOn");
  if (isDynamo(c, input) && isS3(c, output)) {
    const to = s3Location(c, output);
    const split = splitS3(c, output, to);
    const reasons = [
      "DynamoDBToS3Operator writes the items as lines of DynamoDB JSON (DynamoDB's export format, numbers exact), not in the output's data format, and needs no EMR cluster",
    ];
    if (split.fixed) reasons.push(split.fixed);
    if (c.pipeline.has(activity, "filterSql"))
      reasons.push("filterSql is not applied: every item is exported");
    if (cluster)
      c.note(
        cluster,
        "converted",
        "not needed: DynamoDBToS3Operator reads the table directly, for",
        activity.id,
      );
    const taskId = c.addTask({
      name: activity.name,
      operator: "DynamoDBToS3Operator",
      args: [
        ["source_aws_conn_id", str(c.awsConn(activity))],
        ["dynamodb_table_name", str(c.requiredTemplate(input, "tableName"))],
        ["s3_bucket_name", str(split.bucket)],
        ["s3_key_prefix", str(split.key)],
        ["process_func", code(c.useHelper("dynamodb_item_line"))],
      ],
      comments: [sourceComment(c, activity)],
      sourceIds: [activity.id, input.id, output.id],
      status: "approximated",
    });
    return single(taskId, "approximated", reasons.join("; "));
  }
  return c.notConvertedTask(
    activity,
    `HiveCopyActivity from ${c.pipeline.type(input)} to ${c.pipeline.type(output)}: Airflow's DynamoDB import creates a new table, where Data Pipeline writes into an existing one`,
    "run the copy as a Hive step (EmrAddStepsOperator) with DynamoDBStorageHandler tables, or load with DynamoDBHook.write_batch_data",
  );
}
