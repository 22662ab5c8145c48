/**
 * Preconditions to sensors, in reschedule mode (a waiting sensor holds no worker slot):
 *
 *   S3KeyExists              S3KeySensor on the key
 *   S3PrefixNotEmpty         S3KeySensor on prefix/* with wildcard matching
 *   DynamoDBTableExists      PythonSensor: the table is ACTIVE
 *   DynamoDBDataExists       PythonSensor: a scan finds an item
 *   ShellCommandPrecondition BashSensor: the command exits 0
 *   Exists                   the owner data node's own check: S3 key or prefix, DynamoDB table, SQL table
 *
 * `preconditionTimeout` is the sensor's timeout and `retryDelay` its poke interval; `node.` in a
 * precondition's fields means the data node or activity it is attached to.
 */

import type { Converter } from "./convert";
import { DefinitionError, PipelineObject } from "./definition";
import { shellQuote } from "./shell";
import { isDynamo, isRedshift, isS3, isSql, s3Location, sqlConn, tableName } from "./nodes";
import { bool, code, dict, Py, str, timedelta } from "./plan";

interface Sensor {
  operator: string;
  args: [string, Py][];
  status: "converted" | "approximated";
  detail: string;
}

function s3Sensor(aws: string, uri: string, prefix: boolean): Sensor {
  return {
    operator: "S3KeySensor",
    args: [
      ["aws_conn_id", str(aws)],
      ["bucket_key", str(prefix ? `${uri.replace(/\/$/, "")}/*` : uri)],
      ...(prefix ? ([["wildcard_match", bool(true)]] as [string, Py][]) : []),
    ],
    status: "converted",
    detail: prefix ? "S3KeySensor on the prefix (wildcard)" : "S3KeySensor",
  };
}

function dynamoSensor(c: Converter, helper: string, table: string, aws: string): Sensor {
  return {
    operator: "PythonSensor",
    args: [
      ["python_callable", code(c.useHelper(helper))],
      [
        "op_kwargs",
        dict([
          ["table_name", str(table)],
          ["aws_conn_id", str(aws)],
        ]),
      ],
    ],
    status: "converted",
    detail: `PythonSensor (${helper})`,
  };
}

function existsSensor(
  c: Converter,
  precondition: PipelineObject,
  owner: PipelineObject,
  aws: string,
): Sensor {
  if (isS3(c, owner)) {
    const location = s3Location(c, owner);
    return s3Sensor(aws, location.uri, location.kind === "directory");
  }
  if (isDynamo(c, owner))
    return dynamoSensor(c, "dynamodb_table_exists", c.requiredTemplate(owner, "tableName"), aws);
  if (isSql(c, owner) || isRedshift(c, owner)) {
    const table = tableName(c, owner);
    const schema = isRedshift(c, owner) ? c.template(owner, "schemaName") : undefined;
    const database = isRedshift(c, owner) ? c.pipeline.ref(owner, "database") : undefined;
    const conn = database ? c.databaseConn(database) : sqlConn(c, owner);
    const where = `table_name = '${table}'${schema ? ` AND table_schema = '${schema}'` : ""}`;
    return {
      operator: "SqlSensor",
      args: [
        ["conn_id", str(conn)],
        ["sql", str(`SELECT COUNT(*) FROM information_schema.tables WHERE ${where}`)],
      ],
      status: "converted",
      detail: "SqlSensor on information_schema.tables",
    };
  }
  throw new DefinitionError(
    precondition.id,
    "type",
    `Exists checks a data node; ${owner.id} is a ${c.pipeline.type(owner)}`,
  );
}

function sensorFor(c: Converter, precondition: PipelineObject, owner: PipelineObject): Sensor {
  const aws = c.awsConn(precondition);
  const context = { node: owner };
  const field = (name: string) => {
    const text = c.pipeline.string(precondition, name);
    if (text === undefined)
      throw new DefinitionError(precondition.id, name, `a ${c.pipeline.type(precondition)} needs ${name}`);
    return c.translator.template(precondition, name, text, context);
  };
  switch (c.pipeline.type(precondition)) {
    case "S3KeyExists":
      return s3Sensor(aws, field("s3Key"), false);
    case "S3PrefixNotEmpty":
      return s3Sensor(aws, field("s3Prefix"), true);
    case "DynamoDBTableExists":
      return dynamoSensor(c, "dynamodb_table_exists", field("tableName"), aws);
    case "DynamoDBDataExists":
      return dynamoSensor(c, "dynamodb_has_items", field("tableName"), aws);
    case "Exists":
      return existsSensor(c, precondition, owner, aws);
    case "ShellCommandPrecondition": {
      const args = c.translator.templateList(
        precondition,
        "scriptArgument",
        c.pipeline.strings(precondition, "scriptArgument"),
      );
      const quoted = args.map(shellQuote).join(" ");
      const command = c.pipeline.has(precondition, "command") ? field("command") : undefined;
      if (command !== undefined) {
        return {
          operator: "BashSensor",
          args: [["bash_command", str((args.length ? `set -- ${quoted}\n` : "") + command)]],
          status: "approximated",
          detail: "BashSensor: the command runs on the Airflow worker, not on the pipeline's resource",
        };
      }
      const uri = field("scriptUri");
      return {
        operator: "BashSensor",
        args: [["bash_command", str(`aws s3 cp ${uri} - | bash -s -- ${quoted}`.trimEnd())]],
        status: "approximated",
        detail: "BashSensor: the script runs on the Airflow worker, which needs the AWS CLI to fetch it",
      };
    }
    default:
      throw new DefinitionError(
        owner.id,
        "precondition",
        `refers to ${precondition.id}, which is not a precondition`,
      );
  }
}

/** Adds the sensor for a precondition on an owner (a data node or an activity); returns its task id. */
export function preconditionSensor(
  c: Converter,
  precondition: PipelineObject,
  owner: PipelineObject,
  perOwner: boolean,
): string {
  const sensor = sensorFor(c, precondition, owner);
  const args: [string, Py][] = [...sensor.args, ["mode", str("reschedule")]];
  const timeout = c.duration(precondition, "preconditionTimeout");
  if (timeout !== undefined) args.push(["timeout", timedelta(timeout)]);
  const pokeInterval = c.duration(precondition, "retryDelay");
  if (pokeInterval !== undefined) args.push(["poke_interval", timedelta(pokeInterval)]);
  const taskId = c.addTask({
    name: perOwner ? `wait for ${precondition.name} ${owner.name}` : `wait for ${precondition.name}`,
    operator: sensor.operator,
    args,
    comments: [`${precondition.id} (${c.pipeline.type(precondition)}) on ${owner.id}`],
    sourceIds: [precondition.id],
    status: sensor.status,
  });
  c.note(precondition, sensor.status, `${sensor.detail}, for`, owner.id);
  return taskId;
}
