"""Converted Data Pipeline DAGs run once each on real Airflow 2.11.0 against moto: an S3 copy behind
an S3KeyExists precondition, an S3 prefix copy behind S3PrefixNotEmpty, a DynamoDB export behind
DynamoDBTableExists and DynamoDBDataExists, an SnsAlarm on a failing activity, and an EMR flow (cluster
created, steps added, cluster terminated; moto never finishes a step, so the step waits are marked
successful instead of run).

The runs use `dag.test()` in one process (datapipeline_run.py): the tasks run as they would on a
worker, against a metadata database of their own, with no scheduler.
"""

import json
from pathlib import Path

import boto3
import pytest

from mwaa_local import AirflowEnv, new_fernet_key
from test_datapipeline_dags import FIXTURES, convert

RUNNER = Path(__file__).resolve().parent / "datapipeline_run.py"
VERSION = "2.11.0"
RUNS = [
    {"dag_id": "s3_copy_daily"},
    {"dag_id": "s3_prefix_copy_hourly"},
    {"dag_id": "dynamodb_export"},
    {"dag_id": "late_alarms"},
    {"dag_id": "emr_steps", "mark_success": "wait_for_.*"},
]


# An item with the values a float or a plain JSON dump would change: 23 significant digits, bytes, a set.
SESSION_ITEM = {
    "id": {"S": "s-1"},
    "user": {"S": "ada"},
    "score": {"N": "12345678901234567890.125"},
    "token": {"B": bytes([0, 1, 2, 255])},
    "tags": {"SS": ["early", "beta"]},
}


def aws(stack, service):
    return boto3.client(service, endpoint_url=stack["aws_endpoint_url"], region_name=stack["aws_region"],
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def seed(stack):
    """What the pipelines read: the data their preconditions wait for, and where they write. Buckets
    are emptied and the table and queue made anew, so a second run on the same moto sees only its own."""
    s3 = aws(stack, "s3")
    existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    for bucket in ("example-raw-logs", "example-archive", "example-clicks-raw", "example-clicks-archive",
                   "example-backups"):
        if bucket in existing:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
        else:
            s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="example-raw-logs", Key="2024-01-01/_SUCCESS", Body=b"")
    s3.put_object(Bucket="example-raw-logs", Key="2024-01-01/events.csv", Body=b"id,event\n1,click\n")
    for name in ("part-0000.gz", "part-0001.gz"):
        s3.put_object(Bucket="example-clicks-raw", Key="clicks/2024-03-01-00/" + name, Body=b"clicks")
    dynamodb = aws(stack, "dynamodb")
    if "user-sessions" in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName="user-sessions")
    dynamodb.create_table(TableName="user-sessions", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    dynamodb.put_item(TableName="user-sessions", Item=SESSION_ITEM)
    topic = aws(stack, "sns").create_topic(Name="ops")["TopicArn"]
    sqs = aws(stack, "sqs")
    queue = sqs.create_queue(QueueName="ops-alarms")["QueueUrl"]
    sqs.purge_queue(QueueUrl=queue)
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws(stack, "sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return queue


@pytest.fixture(scope="module")
def runs(stack, tmp_path_factory):
    queue = seed(stack)
    clusters_before = {c["Id"] for c in aws(stack, "emr").list_clusters()["Clusters"]}
    out = tmp_path_factory.mktemp("dags-run")
    names = [FIXTURES / ("%s.json" % run["dag_id"].replace("_", "-")) for run in RUNS]
    convert([*map(str, names), "--out", str(out), "--airflow-version", VERSION])
    env = AirflowEnv.create("dp-run", VERSION, new_fernet_key(), dags_folder=str(out))
    runs_file, result_file = out / ".runs.json", out / ".result.json"
    runs_file.write_text(json.dumps(RUNS))
    try:
        env.python([str(RUNNER), str(out), str(runs_file), str(result_file)], timeout=900)
    finally:
        env.stop()
    return {"result": json.loads(result_file.read_text()), "queue": queue, "clusters_before": clusters_before}


def test_an_s3_copy_waits_for_its_key_and_copies_the_runs_object(runs, stack):
    run = runs["result"]["s3_copy_daily"]
    assert run["state"] == "success", run
    copied = aws(stack, "s3").get_object(Bucket="example-archive", Key="logs/2023/12/31/events.csv")
    assert copied["Body"].read() == b"id,event\n1,click\n"


def test_an_s3_prefix_copy_waits_for_the_prefix_and_copies_every_object(runs, stack):
    run = runs["result"]["s3_prefix_copy_hourly"]
    assert run["state"] == "success", run
    listed = aws(stack, "s3").list_objects_v2(Bucket="example-clicks-archive", Prefix="clicks/2024/03/01/00/")
    assert sorted(o["Key"] for o in listed.get("Contents", [])) == [
        "clicks/2024/03/01/00/part-0000.gz",
        "clicks/2024/03/01/00/part-0001.gz",
    ]


def test_a_dynamodb_export_waits_for_the_table_and_its_data(runs, stack):
    run = runs["result"]["dynamodb_export"]
    assert run["state"] == "success", run
    s3 = aws(stack, "s3")
    listed = s3.list_objects_v2(Bucket="example-backups", Prefix="dynamodb/user-sessions/2024-08-15-22-00-00")
    assert listed.get("KeyCount", 0) >= 1, listed
    # Every value as the table holds it: a number with more digits than a float keeps, a binary, a set.
    lines = [
        json.loads(line)
        for item in listed["Contents"]
        for line in s3.get_object(Bucket="example-backups", Key=item["Key"])["Body"].read().decode().splitlines()
    ]
    assert len(lines) == 1, lines
    item = lines[0]["Item"]
    assert item["score"] == {"N": "12345678901234567890.125"} and item["token"] == {"B": "AAEC/w=="}, item
    assert sorted(item["tags"]["SS"]) == ["beta", "early"] and item["id"] == {"S": "s-1"}, item


def test_a_failing_activity_sends_its_sns_alarm(runs, stack):
    run = runs["result"]["late_alarms"]
    assert run["state"] == "failed" and run["tasks"] == {"poll": "failed"}, run
    sqs = aws(stack, "sqs")
    messages = sqs.receive_message(QueueUrl=runs["queue"], MaxNumberOfMessages=10, WaitTimeSeconds=2)
    subjects = [json.loads(m["Body"]).get("Subject") for m in messages.get("Messages", [])]
    assert "Poll failed" in subjects, subjects


def test_an_emr_flow_creates_the_cluster_adds_the_steps_and_terminates_it(runs, stack):
    run = runs["result"]["emr_steps"]
    assert run["state"] == "success", run
    emr = aws(stack, "emr")
    clusters = [c for c in emr.list_clusters()["Clusters"] if c["Id"] not in runs["clusters_before"]]
    assert [c["Name"] for c in clusters] == ["SparkCluster"], clusters
    assert clusters[0]["Status"]["State"] in ("TERMINATING", "TERMINATED"), clusters[0]["Status"]
    steps = emr.list_steps(ClusterId=clusters[0]["Id"])["Steps"]
    assert {step["Name"].split(" ")[0] for step in steps} == {"Sessionise", "Aggregate"}, steps
