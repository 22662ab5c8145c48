"""The rehearsal's hands on the local stack: creates, seeds, inspects and stops the local Airflow
environments. Each command prints one JSON document on its last stdout line; messages go to stderr.

    envs.py create   <name> <version> <dag-bucket> [<plugins.zip> [<options json>]] [--account=<id>]
                                                      fresh env, started, healthy; its DAG bucket in moto
                                                      (MWAA_LOCAL_AWS_ENDPOINT_URL: its AWS calls go there);
                                                      plugins.zip unpacked and {"section.key": value} options
                                                      set before it starts, as MWAA does; --account puts it
                                                      in another account of moto (accounts.py); an Airflow 3
                                                      runs the FAB auth manager where its lock has it, as MWAA
                                                      does
    envs.py account  <id>                             that account made ready: its deployer role's ARN
    envs.py seed     <name> <runs>                    real history through the scheduler (mwaa_local.seed_history)
    envs.py snapshot <name>                           per DAG: runs and paused state; per table: migratable rows
    envs.py bucket   <bucket>                         the migration bucket and its KMS key in moto
    envs.py seed-aws <folder> [<name>]                what a rehearsed pipeline reads, into moto (into the
                                                      account of environment <name>, where it runs):
                                                      <folder>/s3/<bucket>/<key> files as objects and
                                                      <folder>/dynamodb/<table>.json as tables with items
    envs.py run-once <name> <folder> <cap s> <log> <dag id>...
                                                      each DAG of <folder> (inside the env's DAG folder) run once
                                                      with dag.test(), bounded by the cap (run_once.py); the
                                                      runs' output goes to <log>
    envs.py stop     <name> [<name> ...]              stops those environments' processes

Run from the tools venv with PYTHONPATH=local (rehearsal/processes.ts does).
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from mwaa_local import AirflowEnv, AirflowEnvError, new_fernet_key, stack_info
from mwaa_local.airflow_env import is_airflow3, locks_fab
from mwaa_local.accounts import airflow_keys, deployer_role

# The export's own rules for what it carries (own DAGs left out, finished runs, resumable task
# states), read from the payload so that the rehearsal counts exactly what the export should.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "payload"))
from mwaa_migration.spec import FINISHED_RUN_STATES, OWN_DAG_IDS, TABLES, UNFINISHED_TI_STATES  # noqa: E402


def emit(document: Any) -> None:
    sys.stdout.write(json.dumps(document, default=str) + "\n")
    sys.stdout.flush()


def say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _option_sections(options: Dict[str, str]) -> Dict[str, Dict[str, str]]:
    """MWAA's "section.key" options as {section: {key: value}}."""
    sections: Dict[str, Dict[str, str]] = {}
    for name, value in options.items():
        section, _, key = name.partition(".")
        if not key:
            raise AirflowEnvError("Airflow configuration option %r is not section.key" % name)
        sections.setdefault(section, {})[key] = value
    return sections


def create(
    name: str,
    version: str,
    dag_bucket: str,
    plugins_zip: Optional[str] = None,
    options: Optional[Dict[str, str]] = None,
    account_id: Optional[str] = None,
) -> Dict[str, Any]:
    """A started environment. plugins_zip is unpacked into its plugins folder and options set before it
    starts, as MWAA does with an environment's plugins.zip and airflowConfigurationOptions. With
    account_id, the environment and its DAG bucket and log group are in that account of moto."""
    say("creating Airflow %s environment %r (database, airflow db migrate, admin user) ..." % (version, name))
    # MWAA runs Airflow 3 with the FAB auth manager; a version whose lock has no FAB keeps the simple one.
    auth_manager = "fab" if is_airflow3(version) and locks_fab(version) else "simple"
    aws_account = None
    if account_id:
        aws_account = {"account_id": account_id, **airflow_keys(account_id)}
    env = AirflowEnv.create(
        name,
        version,
        new_fernet_key(),
        aws_endpoint_url=os.environ.get("MWAA_LOCAL_AWS_ENDPOINT_URL") or None,
        options=_option_sections(options or {}),
        aws_account=aws_account,
        auth_manager=auth_manager,
    )
    if plugins_zip:
        env.plugins_folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(plugins_zip) as archive:
            archive.extractall(env.plugins_folder)
    s3 = env.boto3_client("s3")
    try:
        s3.create_bucket(Bucket=dag_bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    # A fresh environment starts without DAGs: files an earlier rehearsal left in its bucket would
    # reach its DAG folder through the stand-in's mirror.
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=dag_bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=dag_bucket, Delete={"Objects": keys})
    say("starting %r (scheduler + webserver on %s) ..." % (name, env.url))
    env.start()
    env.wait_healthy(timeout=600)
    return describe(env, dag_bucket)


def describe(env: AirflowEnv, dag_bucket: str) -> Dict[str, Any]:
    return {
        "name": env.name,
        "airflowVersion": env.version,
        "url": env.url,
        "username": env.admin_user,
        "password": env.admin_password,
        "dagsFolder": str(env.dags_folder),
        "dagBucket": dag_bucket,
        "logGroup": env.log_group,
        "account": env.account_id,
        # Whether its roles are FAB's (2.x, and 3.x under the FAB auth manager): where custom roles can be made.
        "fabRoles": env.runs_fab,
        "dsn": env.dsn,
        "cli": {"command": str(env.venv / "bin" / "airflow"), "env": env.process_env()},
        "region": stack_info()["aws_region"],
    }


def seed(name: str, runs: int) -> Dict[str, Any]:
    try:
        from mwaa_local import seed_history
    except ImportError:
        raise AirflowEnvError(
            "mwaa_local.seed_history is missing from local/mwaa_local; the rehearsal needs the local stack's "
            "history seeding (local/seed_dags)"
        )
    env = AirflowEnv.load(name)
    say("seeding %r with about %d DAG runs, run for real by its scheduler ..." % (name, runs))
    return seed_history(env, runs=runs, progress=say)


def snapshot(name: str) -> Dict[str, Any]:
    """What the report compares: runs and paused state per DAG, and the rows the migration
    carries per table, counted with the export's own rules (finished runs, finished task instances)."""
    env = AirflowEnv.load(name)
    own = list(OWN_DAG_IDS)
    dags: Dict[str, Dict[str, Any]] = {}
    for dag_id, is_paused in env.query("SELECT dag_id, is_paused FROM dag WHERE dag_id <> ALL(%s)", (own,)):
        dags[dag_id] = {"isPaused": bool(is_paused), "runs": 0, "finishedRuns": 0}
    for dag_id, total, finished in env.query(
        "SELECT dag_id, count(*), count(*) FILTER (WHERE state = ANY(%s)) FROM dag_run"
        " WHERE dag_id <> ALL(%s) GROUP BY dag_id",
        (list(FINISHED_RUN_STATES), own),
    ):
        entry = dags.setdefault(dag_id, {"isPaused": None, "runs": 0, "finishedRuns": 0})
        entry["runs"] = int(total)
        entry["finishedRuns"] = int(finished)
    tables = {
        "dag_run": _count(
            env, "SELECT count(*) FROM dag_run WHERE dag_id <> ALL(%s) AND state = ANY(%s)", (own, list(FINISHED_RUN_STATES))
        ),
        "task_instance": _count(
            env,
            "SELECT count(*) FROM task_instance t JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id"
            " WHERE r.dag_id <> ALL(%s) AND r.state = ANY(%s) AND (t.state IS NULL OR t.state <> ALL(%s))",
            (own, list(FINISHED_RUN_STATES), list(UNFINISHED_TI_STATES)),
        ),
        "variable": _count(env, "SELECT count(*) FROM variable", None),
        "connection": _count(env, "SELECT count(*) FROM connection", None),
        "slot_pool": _count(env, "SELECT count(*) FROM slot_pool WHERE pool <> 'default_pool'", None),
    }
    return {
        "name": env.name,
        "airflowVersion": env.version,
        "dags": dags,
        "tables": tables,
        "duplicates": duplicates(env),
    }


def duplicates(env: AirflowEnv) -> Dict[str, int]:
    """Per migrated table, the rows that repeat another row's natural key (the key columns this
    Airflow has): what importing the same history twice would leave behind."""
    found: Dict[str, int] = {}
    for spec in TABLES:
        if spec.lookup_only:
            continue
        columns = {
            row[0]
            for row in env.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (spec.name,)
            )
        }
        key = [column for column in spec.natural_key if column in columns]
        if not key:
            continue
        found[spec.name] = _count(
            env,
            "SELECT count(*) - count(DISTINCT ROW(%s)) FROM %s" % (", ".join(key), spec.name),
            None,
        )
    return found


def _count(env: AirflowEnv, sql: str, params: Any) -> int:
    return int(env.query(sql, params)[0][0])


def _stack_client(service: str) -> Any:
    session, endpoint = _stack_session()
    return session.client(service, endpoint_url=endpoint)


def _stack_session() -> Tuple[Any, str]:
    """A boto3 session with the stack's credentials and region, and moto's endpoint."""
    import boto3

    info = stack_info()
    return boto3.session.Session(
        aws_access_key_id=info["env"]["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=info["env"]["AWS_SECRET_ACCESS_KEY"],
        region_name=info["aws_region"],
    ), info["aws_endpoint_url"]


def seed_aws(folder: str, name: Optional[str] = None) -> Dict[str, Any]:
    """The S3 objects and DynamoDB tables under `folder` put into moto, in the account of environment
    `name` when given (DynamoDB tables are an account's own). A table file holds what
    `aws dynamodb create-table` takes for its key (KeySchema, AttributeDefinitions) and the Items to put,
    in DynamoDB's JSON; a table already there is made anew, so a second rehearsal sees only these items."""
    client = AirflowEnv.load(name).boto3_client if name else _stack_client
    root = Path(folder)
    objects = sorted(p for p in (root / "s3").rglob("*") if p.is_file()) if (root / "s3").is_dir() else []
    s3 = client("s3")
    for bucket in sorted({p.relative_to(root / "s3").parts[0] for p in objects}):
        try:
            s3.create_bucket(Bucket=bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
    seeded = 0
    for path in objects:
        bucket, *key = path.relative_to(root / "s3").parts
        if key:
            s3.put_object(Bucket=bucket, Key="/".join(key), Body=path.read_bytes())
            seeded += 1
    tables: Dict[str, int] = {}
    dynamodb = client("dynamodb")
    for path in sorted((root / "dynamodb").glob("*.json")) if (root / "dynamodb").is_dir() else []:
        try:
            spec = json.loads(path.read_text())
            key_schema, definitions, items = spec["KeySchema"], spec["AttributeDefinitions"], spec["Items"]
        except (ValueError, KeyError, TypeError) as error:
            raise AirflowEnvError(
                "%s: give a JSON object with KeySchema and AttributeDefinitions (as `aws dynamodb create-table` "
                "takes them) and Items (in DynamoDB's JSON); %s" % (path, error)
            )
        table = path.stem
        if table in dynamodb.list_tables()["TableNames"]:
            dynamodb.delete_table(TableName=table)
        dynamodb.create_table(TableName=table, KeySchema=key_schema, AttributeDefinitions=definitions,
                              BillingMode="PAY_PER_REQUEST")
        for item in items:
            dynamodb.put_item(TableName=table, Item=item)
        tables[table] = len(items)
    return {"s3Objects": seeded, "dynamodbTables": tables}


def migration_bucket(bucket: str) -> Dict[str, Any]:
    """The bucket the bundles go to, and the customer-managed key they are encrypted with."""
    session, endpoint = _stack_session()
    s3 = session.client("s3", endpoint_url=endpoint)
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    kms = session.client("kms", endpoint_url=endpoint)
    alias = "alias/%s" % bucket
    for entry in kms.list_aliases()["Aliases"]:
        if entry["AliasName"] == alias and entry.get("TargetKeyId"):
            return {"bucket": bucket, "kmsKeyId": entry["TargetKeyId"]}
    key_id = kms.create_key(Description="migration bundles in %s" % bucket)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return {"bucket": bucket, "kmsKeyId": key_id}


def run_once(name: str, folder: str, cap: int, log: str, dag_ids: List[str]) -> Dict[str, Any]:
    env = AirflowEnv.load(name)
    runner = Path(__file__).resolve().parent / "run_once.py"
    output = Path(log).with_suffix(".json")
    say("running %d DAGs once each on %r (every wait within %d s) ..." % (len(dag_ids), name, cap))
    # Each task waits at most the cap, one after another; twenty such waits per DAG is far beyond any
    # run that is not stuck.
    budget = 120 + cap * 20 * len(dag_ids)
    try:
        result = env.python(
            [str(runner), str(Path(env.dags_folder) / folder), str(cap), str(output)] + dag_ids,
            check=False,
            timeout=budget,
        )
    except subprocess.TimeoutExpired as expired:
        Path(log).write_text(str(expired.stdout or "") + str(expired.stderr or ""))
        raise AirflowEnvError("the runs on %r took over %d s; their output is in %s" % (name, budget, log))
    Path(log).write_text(result.stdout + result.stderr)
    if result.returncode != 0 or not output.exists():
        raise AirflowEnvError(
            "the runs on %r ended with exit code %d; their output is in %s" % (name, result.returncode, log)
        )
    return json.loads(output.read_text())


def stop(names: List[str]) -> Dict[str, Any]:
    stopped = []
    for name in names:
        try:
            AirflowEnv.load(name).stop()
            stopped.append(name)
        except AirflowEnvError:
            pass
    return {"stopped": stopped}


def main(argv: List[str]) -> int:
    if not argv:
        say(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    try:
        if command == "create":
            accounts = [a.split("=", 1)[1] for a in args if a.startswith("--account=")]
            args = [a for a in args if not a.startswith("--account=")]
            plugins_zip = args[3] if len(args) > 3 and args[3] else None
            options = json.loads(args[4]) if len(args) > 4 else None
            emit(create(args[0], args[1], args[2], plugins_zip, options, accounts[-1] if accounts else None))
        elif command == "account":
            emit({"accountId": args[0], "deployerRoleArn": deployer_role(args[0])})
        elif command == "seed":
            emit(seed(args[0], int(args[1])))
        elif command == "snapshot":
            emit(snapshot(args[0]))
        elif command == "bucket":
            emit(migration_bucket(args[0]))
        elif command == "seed-aws":
            emit(seed_aws(args[0], args[1] if len(args) > 1 else None))
        elif command == "run-once":
            emit(run_once(args[0], args[1], int(args[2]), args[3], args[4:]))
        elif command == "stop":
            emit(stop(args))
        else:
            say("unknown command %r\n%s" % (command, __doc__))
            return 2
    except AirflowEnvError as error:
        say("error: %s" % error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
