/**
 * What the target Airflow offers: where each class is imported from, and the helper functions a DAG
 * file defines for what no operator does.
 *
 * The imports follow the provider versions the local Airflow locks install (local/locks): Airflow
 * 2.11.0 with apache-airflow-providers-amazon 9.8.0, and Airflow 3.3.2 with amazon 9.36.0 and the
 * standard provider 1.19.0. Airflow 3 moved the DAG authoring names to `airflow.sdk` and the core
 * operators to the standard provider; ruff's AIR rules check that the 3.x files use the new homes.
 * Amazon 9.8.0 has no SSM operator, so a 2.x DAG sends SSM commands through a helper.
 */

export const AIRFLOW_VERSIONS = ["2.11.0", "3.3.2"] as const;
export type AirflowVersion = (typeof AIRFLOW_VERSIONS)[number];

export function isAirflow3(version: string): boolean {
  return version.startsWith("3.");
}

const BOTH = (module: string) => ({ v2: module, v3: module });

const IMPORTS: Record<string, { v2?: string; v3?: string }> = {
  DAG: { v2: "airflow", v3: "airflow.sdk" },
  Param: { v2: "airflow.models.param", v3: "airflow.sdk" },
  BashOperator: { v2: "airflow.operators.bash", v3: "airflow.providers.standard.operators.bash" },
  PythonOperator: { v2: "airflow.operators.python", v3: "airflow.providers.standard.operators.python" },
  BashSensor: { v2: "airflow.sensors.bash", v3: "airflow.providers.standard.sensors.bash" },
  PythonSensor: { v2: "airflow.sensors.python", v3: "airflow.providers.standard.sensors.python" },
  GenericTransfer: {
    v2: "airflow.operators.generic_transfer",
    v3: "airflow.providers.common.sql.operators.generic_transfer",
  },
  CronTriggerTimetable: { v2: "airflow.timetables.trigger", v3: "airflow.sdk" },
  DeltaTriggerTimetable: { v2: "airflow.timetables.trigger", v3: "airflow.sdk" },
  CronDataIntervalTimetable: { v2: "airflow.timetables.interval", v3: "airflow.sdk" },
  DeltaDataIntervalTimetable: { v2: "airflow.timetables.interval", v3: "airflow.sdk" },
  DeadlineAlert: { v3: "airflow.sdk" },
  DeadlineReference: { v3: "airflow.sdk" },
  AsyncCallback: { v3: "airflow.sdk" },
  SQLExecuteQueryOperator: BOTH("airflow.providers.common.sql.operators.sql"),
  SqlSensor: BOTH("airflow.providers.common.sql.sensors.sql"),
  SnsNotifier: BOTH("airflow.providers.amazon.aws.notifications.sns"),
  EcsRunTaskOperator: BOTH("airflow.providers.amazon.aws.operators.ecs"),
  SsmRunCommandOperator: { v3: "airflow.providers.amazon.aws.operators.ssm" },
  S3CopyObjectOperator: BOTH("airflow.providers.amazon.aws.operators.s3"),
  S3KeySensor: BOTH("airflow.providers.amazon.aws.sensors.s3"),
  S3Hook: BOTH("airflow.providers.amazon.aws.hooks.s3"),
  DynamoDBHook: BOTH("airflow.providers.amazon.aws.hooks.dynamodb"),
  AwsBaseHook: BOTH("airflow.providers.amazon.aws.hooks.base_aws"),
  S3ToSqlOperator: BOTH("airflow.providers.amazon.aws.transfers.s3_to_sql"),
  SqlToS3Operator: BOTH("airflow.providers.amazon.aws.transfers.sql_to_s3"),
  S3ToRedshiftOperator: BOTH("airflow.providers.amazon.aws.transfers.s3_to_redshift"),
  RedshiftToS3Operator: BOTH("airflow.providers.amazon.aws.transfers.redshift_to_s3"),
  DynamoDBToS3Operator: BOTH("airflow.providers.amazon.aws.transfers.dynamodb_to_s3"),
  EmrCreateJobFlowOperator: BOTH("airflow.providers.amazon.aws.operators.emr"),
  EmrAddStepsOperator: BOTH("airflow.providers.amazon.aws.operators.emr"),
  EmrTerminateJobFlowOperator: BOTH("airflow.providers.amazon.aws.operators.emr"),
  EmrStepSensor: BOTH("airflow.providers.amazon.aws.sensors.emr"),
  BaseHook: { v2: "airflow.hooks.base", v3: "airflow.sdk" },
};

/** The module to import `name` from on this Airflow version. */
export function importModule(name: string, version: string): string {
  const entry = IMPORTS[name];
  const home = entry && (isAirflow3(version) ? entry.v3 : entry.v2);
  if (!home) throw new Error(`${name} is not available on Airflow ${version}`);
  return home;
}

export function available(name: string, version: string): boolean {
  const entry = IMPORTS[name];
  return !!entry && !!(isAirflow3(version) ? entry.v3 : entry.v2);
}

export interface Helper {
  /** Python source of the function, without a trailing newline. */
  source: string;
  /** Names it needs imported: standard-library modules ("os") or classes from the table above. */
  modules: string[];
  classes: string[];
}

/**
 * Helper functions, printed once at the top of a DAG file that uses them. Each does one thing an
 * operator does not, with the provider's hooks, so it runs on any worker that has the Amazon provider.
 */
export const HELPERS: Record<string, Helper> = {
  fail_not_converted: {
    modules: ["json"],
    classes: [],
    source: `def fail_not_converted(object_id):
    """Fails: this task stands for a pipeline object the converter could not translate."""
    original = json.dumps(NOT_CONVERTED[object_id], indent=2)
    raise RuntimeError(f"{object_id} was not converted from AWS Data Pipeline; replace this task.\\n{original}")`,
  },
  copy_s3_prefix: {
    modules: [],
    classes: ["S3Hook"],
    source: `def copy_s3_prefix(source, destination, aws_conn_id):
    """Copies every object under an S3 prefix (a directory) to another prefix, as CopyActivity does."""
    hook = S3Hook(aws_conn_id=aws_conn_id)
    source_bucket, source_prefix = hook.parse_s3_url(source.rstrip("/") + "/")
    dest_bucket, dest_prefix = hook.parse_s3_url(destination.rstrip("/") + "/")
    keys = hook.list_keys(bucket_name=source_bucket, prefix=source_prefix)
    for key in keys:
        hook.copy_object(key, dest_prefix + key[len(source_prefix):], source_bucket, dest_bucket)
    if not keys:
        raise ValueError(f"nothing to copy under {source}")`,
  },
  dynamodb_item_line: {
    modules: ["base64", "json", "boto3.dynamodb.types"],
    classes: [],
    source: `def dynamodb_item_line(item):
    """One item as a line of DynamoDB JSON, {"Item": {...}} as DynamoDB's own exports write it: numbers keep
    every digit (the operator's default writes them as floats) and binary values are base64."""
    serializer = boto3.dynamodb.types.TypeSerializer()
    typed = {name: serializer.serialize(value) for name, value in item.items()}
    line = json.dumps({"Item": typed}, default=lambda raw: base64.b64encode(bytes(raw)).decode("ascii"))
    return (line + "\\n").encode("utf-8")`,
  },
  parse_csv: {
    modules: ["csv"],
    classes: [],
    source: `def parse_csv(path):
    """Rows of a CSV file, for S3ToSqlOperator (Data Pipeline's CSV: comma-separated, not quoted)."""
    with open(path, newline="") as handle:
        yield from csv.reader(handle)`,
  },
  parse_tsv: {
    modules: ["csv"],
    classes: [],
    source: `def parse_tsv(path):
    """Rows of a TSV file, for S3ToSqlOperator."""
    with open(path, newline="") as handle:
        yield from csv.reader(handle, delimiter="\\t")`,
  },
  run_sql_from_s3: {
    modules: [],
    classes: ["S3Hook", "BaseHook"],
    source: `def run_sql_from_s3(script_uri, conn_id, parameters, aws_conn_id):
    """Runs a SQL script kept in S3 (SqlActivity's scriptUri) against a database connection."""
    bucket, key = S3Hook.parse_s3_url(script_uri)
    script = S3Hook(aws_conn_id=aws_conn_id).read_key(key, bucket_name=bucket)
    BaseHook.get_connection(conn_id).get_hook().run(script, parameters=parameters or None)`,
  },
  run_shell: {
    modules: ["os", "subprocess", "tempfile"],
    classes: ["S3Hook"],
    source: `def run_shell(command, script_uri, arguments, inputs, outputs, aws_conn_id):
    """Runs a ShellCommandActivity on the worker: its script from S3 when it has one, its S3 inputs
    staged into INPUTn_STAGING_DIR and OUTPUTn_STAGING_DIR uploaded after, as Data Pipeline stages them."""
    hook = S3Hook(aws_conn_id=aws_conn_id)
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ)
        for number, uri in enumerate(inputs, start=1):
            local = os.path.join(work, f"input{number}")
            os.makedirs(local)
            bucket, prefix = hook.parse_s3_url(uri)
            for key in hook.list_keys(bucket_name=bucket, prefix=prefix):
                target = os.path.join(local, os.path.basename(key))
                hook.get_key(key, bucket).download_file(target)
            env[f"INPUT{number}_STAGING_DIR"] = local
        for number in range(1, len(outputs) + 1):
            os.makedirs(os.path.join(work, f"output{number}"))
            env[f"OUTPUT{number}_STAGING_DIR"] = os.path.join(work, f"output{number}")
        if script_uri:
            bucket, key = hook.parse_s3_url(script_uri)
            script = os.path.join(work, os.path.basename(key))
            hook.get_key(key, bucket).download_file(script)
            argv = ["bash", script, *arguments]
        else:
            argv = ["bash", "-c", command, "shell-command", *arguments]
        subprocess.run(argv, env=env, cwd=work, check=True)
        for number, uri in enumerate(outputs, start=1):
            bucket, prefix = hook.parse_s3_url(uri.rstrip("/") + "/")
            local = os.path.join(work, f"output{number}")
            for name in sorted(os.listdir(local)):
                hook.load_file(os.path.join(local, name), prefix + name, bucket, replace=True)`,
  },
  run_ssm_command: {
    modules: [],
    classes: ["AwsBaseHook"],
    source: `def run_ssm_command(targets, commands, aws_conn_id):
    """Runs shell commands on EC2 instances through SSM Run Command and waits for every instance to
    finish (amazon provider 9.8.0 has no SSM operator)."""
    ssm = AwsBaseHook(aws_conn_id=aws_conn_id, client_type="ssm").get_conn()
    command = ssm.send_command(Targets=targets, DocumentName="AWS-RunShellScript", Parameters={"commands": commands})
    command_id = command["Command"]["CommandId"]
    waiter = ssm.get_waiter("command_executed")
    for page in ssm.get_paginator("list_command_invocations").paginate(CommandId=command_id):
        for invocation in page["CommandInvocations"]:
            waiter.wait(CommandId=command_id, InstanceId=invocation["InstanceId"])`,
  },
  dynamodb_table_exists: {
    modules: [],
    classes: ["DynamoDBHook"],
    source: `def dynamodb_table_exists(table_name, aws_conn_id):
    """DynamoDBTableExists: true once the table exists and is active."""
    client = DynamoDBHook(aws_conn_id=aws_conn_id).conn.meta.client
    try:
        return client.describe_table(TableName=table_name)["Table"]["TableStatus"] == "ACTIVE"
    except client.exceptions.ResourceNotFoundException:
        return False`,
  },
  dynamodb_has_items: {
    modules: [],
    classes: ["DynamoDBHook"],
    source: `def dynamodb_has_items(table_name, aws_conn_id):
    """DynamoDBDataExists: true once the table holds at least one item."""
    client = DynamoDBHook(aws_conn_id=aws_conn_id).conn.meta.client
    try:
        return client.scan(TableName=table_name, Limit=1, Select="COUNT")["Count"] > 0
    except client.exceptions.ResourceNotFoundException:
        return False`,
  },
};
