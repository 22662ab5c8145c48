"""The stack itself: ports from one base, PostgreSQL and moto reachable, clear failures."""

import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import psycopg2

import mwaa_local
from conftest import REPO_ROOT

STACK = str(REPO_ROOT / "local" / "stack.sh")


def test_status_reports_postgres_and_moto_up(stack):
    result = subprocess.run(["bash", STACK, "status"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "postgres  up" in result.stdout and "moto      up" in result.stdout


def test_ports_and_env_follow_the_port_base(stack):
    base = stack["port_base"]
    assert stack["ports"] == {
        "moto": base,
        "postgres": base + 1,
        "mwaa_standin": base + 2,
        "airflow_first": base + 10,
        "airflow_last": base + 19,
    }
    env = stack["env"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:%d" % base
    assert env["AWS_REGION"] == "us-east-1"
    env_sh = open(os.path.join(stack["state_dir"], "env.sh")).read()
    assert "export MWAA_LOCAL_PG_URL=postgresql://postgres@127.0.0.1:%d/postgres" % (base + 1) in env_sh
    for name, path in stack["venvs"].items():
        assert os.access(os.path.join(path, "bin", "python"), os.X_OK), name


def test_postgres_accepts_connections_on_loopback(stack):
    with psycopg2.connect(stack["postgres_url"]) as conn, conn.cursor() as cur:
        cur.execute("SHOW listen_addresses")
        assert cur.fetchone()[0] == "127.0.0.1"


def test_moto_serves_s3_kms_logs_iam_sts(stack):
    kwargs = dict(
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["aws_region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = "smoke-%s" % uuid.uuid4().hex[:8]
    s3 = boto3.client("s3", **kwargs)
    kms = boto3.client("kms", **kwargs)
    key_id = kms.create_key(Description="smoke")["KeyMetadata"]["KeyId"]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
    assert boto3.client("sts", **kwargs).get_caller_identity()["Account"] == "123456789012"
    role = boto3.client("iam", **kwargs).create_role(
        RoleName="smoke-%s" % bucket, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    assert role["Role"]["Arn"].startswith("arn:aws:iam::123456789012:role/")
    logs = boto3.client("logs", **kwargs)
    logs.create_log_group(logGroupName="smoke-" + bucket)
    assert logs.describe_log_groups(logGroupNamePrefix="smoke-" + bucket)["logGroups"]


def test_a_taken_port_fails_before_anything_starts(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    base = listener.getsockname()[1]
    try:
        env = dict(os.environ, MWAA_LOCAL_STATE_DIR=str(tmp_path / "state"), MWAA_LOCAL_PORT_BASE=str(base))
        env["MWAA_LOCAL_AIRFLOW_VERSIONS"] = "2.8.1"
        result = subprocess.run(["bash", STACK, "up"], env=env, capture_output=True, text=True, timeout=300)
    finally:
        listener.close()
    assert result.returncode != 0
    assert "port %d (moto = MWAA_LOCAL_PORT_BASE) is taken" % base in result.stderr
    assert not (tmp_path / "state" / "pg" / "postmaster.pid").exists()


def test_a_second_port_base_for_a_running_stack_is_refused(stack):
    env = dict(os.environ, MWAA_LOCAL_PORT_BASE=str(stack["port_base"] + 300))
    result = subprocess.run(["bash", STACK, "up"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "already runs on port base %d" % stack["port_base"] in result.stderr


def _free_port_base():
    """A base whose moto, PostgreSQL and first Airflow ports are all free right now."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
        probe.close()
        if base <= 65500 and not any(mwaa_local.stack.port_in_use(base + offset) for offset in (0, 1, 10)):
            return base
    raise RuntimeError("no free port base found")


def test_down_stops_airflow_moto_and_postgres_of_its_own_state_dir(stack):
    # Under local/.state so that the postgres OS user can reach the cluster directory.
    state = Path(stack["state_dir"]) / ("test-down-%s" % uuid.uuid4().hex[:8])
    env = dict(os.environ, MWAA_LOCAL_STATE_DIR=str(state), MWAA_LOCAL_PORT_BASE=str(_free_port_base()))
    env["MWAA_LOCAL_AIRFLOW_VERSIONS"] = "2.8.1"
    env["PYTHONPATH"] = str(REPO_ROOT / "local")
    try:
        subprocess.run(["bash", STACK, "up"], env=env, check=True, timeout=600)
        created = subprocess.run(
            [sys.executable, "-m", "mwaa_local", "create", "down-check", "2.8.1", "--start"],
            env=env,
            check=True,
            timeout=600,
            stdout=subprocess.PIPE,
            text=True,
        )
        airflow_port = json.loads(created.stdout)["port"]
        pids = {path.name: int(path.read_text()) for path in (state / "pids").glob("*.pid")}
        assert {"moto.pid", "airflow-down-check-scheduler.pid", "airflow-down-check-webserver.pid"} <= set(pids)
        info = json.loads((state / "env.json").read_text())
    finally:
        subprocess.run(["bash", STACK, "down"], env=env, check=False, timeout=300)
    for name, pid in pids.items():
        assert not _alive(pid), "%s (pid %d) still runs after down" % (name, pid)
    for port in (info["ports"]["moto"], info["ports"]["postgres"], airflow_port):
        assert not mwaa_local.stack.port_in_use(port), port
    assert not (state / "env.json").exists()
    shutil.rmtree(state, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as stat:
        return stat.read().split()[2] != "Z"
