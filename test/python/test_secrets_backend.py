"""The Secrets Manager backend as the stack configures it, on real Airflow 2.11.0 and 3.3.2 against moto.

The stack writes `secrets.backend` and `secrets.backend_kwargs` from the connections and variables prefixes
(rules/secretsBackend.ts) and grants the execution role the secrets under them (ReadBackendSecrets,
rules/permissionTable.ts); secrets-backend-documents.ts prints both as the program builds them. Here an
Airflow takes those options (as MWAA passes them: AIRFLOW__SECRETS__*), a connection and a variable are
stored in moto's Secrets Manager under the prefixes, and Airflow's own CLI reads them back, every field as
it was stored. moto records the requests meanwhile: every secret Airflow asked for must be one the
statement grants, and the kind the stack turned off (config) must not be asked for at all.

moto authorises Secrets Manager calls against "*", so the statement's scoping cannot be enforced here;
checking Airflow's requests against the statement's resources is what stands in for it.
"""

import base64
import fnmatch
import json
import subprocess
import urllib.request

import boto3
import pytest

from enforcing_moto import ROOT
from mwaa_local import AirflowEnv, new_fernet_key

DOCUMENTS = ROOT / "test" / "python" / "secrets-backend-documents.ts"
PREFIXES = {"connections": "mwaa/connections", "variables": "mwaa/variables"}
CONNECTION = {
    "conn_type": "postgres",
    "host": "warehouse.internal.example.com",
    "login": "etl",
    "password": "p@ss/w%rd:with#chars",
    "schema": "analytics",
    "port": 5439,
    "extra": {"sslmode": "require", "options": "-c search_path=etl"},
}
VARIABLE = '{"regions": ["eu-west-1", "us-east-1"], "note": "ümlaut"}'


def documents(stack):
    request = {"prefixes": PREFIXES, "region": stack["aws_region"], "account": "123456789012"}
    argv = ["node", "-r", "ts-node/register/transpile-only", str(DOCUMENTS), json.dumps(request)]
    result = subprocess.run(argv, cwd=str(ROOT), capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def recorder(stack, action):
    request = urllib.request.Request(stack["aws_endpoint_url"] + "/moto-api/recorder/" + action, data=b"", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


def requested_secret_ids(stack):
    with urllib.request.urlopen(stack["aws_endpoint_url"] + "/moto-api/recorder/download-recording", timeout=10) as r:
        lines = r.read().decode().splitlines()
    asked = []
    for line in lines:
        entry = json.loads(line)
        if entry.get("headers", {}).get("X-Amz-Target") == "secretsmanager.GetSecretValue":
            asked.append(json.loads(base64.b64decode(entry["body"]))["SecretId"])
    return asked


@pytest.fixture(scope="module")
def stored(stack):
    secrets = boto3.client(
        "secretsmanager", endpoint_url=stack["aws_endpoint_url"], region_name=stack["aws_region"],
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    values = {
        "mwaa/connections/warehouse": json.dumps(CONNECTION),
        "mwaa/variables/regions": VARIABLE,
        # Under Airflow's default config prefix: the stack turns the config kind off, so it is never read.
        "airflow/config/sql_alchemy_conn": "postgresql://nobody@nowhere/none",
    }
    for name, value in values.items():
        try:
            secrets.create_secret(Name=name, SecretString=value)
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=name, SecretString=value)
    return values


@pytest.mark.parametrize("version", ["2.11.0", "3.3.2"])
def test_airflow_reads_what_the_stack_grants_through_the_backend_it_configures(stack, stored, version):
    made = documents(stack)
    options = made["options"]
    env = AirflowEnv.create("secrets-%s" % version.replace(".", ""), version, new_fernet_key())
    backend = {
        "AIRFLOW__SECRETS__BACKEND": options["secrets.backend"],
        "AIRFLOW__SECRETS__BACKEND_KWARGS": options["secrets.backend_kwargs"],
    }
    recorder(stack, "reset-recording")
    recorder(stack, "start-recording")
    try:
        connection = env.airflow("connections", "get", "warehouse", "-o", "json", env=backend)
        variable = env.airflow("variables", "get", "regions", env=backend)
    finally:
        recorder(stack, "stop-recording")

    listed = json.loads(connection.stdout[connection.stdout.index("[") :])
    (got,) = listed
    assert (got["conn_type"], got["host"], got["login"], got["password"], got["schema"], int(got["port"])) == (
        CONNECTION["conn_type"], CONNECTION["host"], CONNECTION["login"], CONNECTION["password"],
        CONNECTION["schema"], CONNECTION["port"],
    )
    extra = got["extra_dejson"] if "extra_dejson" in got else json.loads(got["extra"])
    assert extra == CONNECTION["extra"], got
    assert variable.stdout.strip().splitlines()[-1] == VARIABLE

    asked = requested_secret_ids(stack)
    assert "mwaa/connections/warehouse" in asked and "mwaa/variables/regions" in asked, asked
    granted = [arn.split(":secret:", 1)[1] for arn in made["readSecrets"]["Resource"]]
    outside = [name for name in asked if not any(fnmatch.fnmatchcase(name, pattern) for pattern in granted)]
    assert outside == [], "Airflow asked for secrets the execution role is not granted: %s" % outside
    assert not any(name.startswith("airflow/") for name in asked), asked
