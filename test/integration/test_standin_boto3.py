"""The MWAA stand-in as boto3's own `mwaa` client sees it: botocore builds, signs and parses every call from the
service model, so the stand-in is held to the model and not only to this project's TypeScript client.

Needs the stand-in running (scripts/test-integration.sh starts it) and MWAA_IT_INFO pointing at its it.json.
"""

import base64
import json
import os

import boto3
import botocore.exceptions
import pytest
import requests
from botocore.config import Config

INFO = json.load(open(os.environ["MWAA_IT_INFO"]))
ENDPOINT = os.environ["AWS_ENDPOINT_URL_MWAA"]
NAME = INFO["environmentName"]


def mwaa(secret=None):
    return boto3.client(
        "mwaa",
        endpoint_url=ENDPOINT,
        region_name=INFO["region"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or os.environ["AWS_SECRET_ACCESS_KEY"],
        # A configured endpoint is the whole URL: the model's `env.`/`api.` host prefixes are not added to it.
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_get_environment_parses_into_the_model():
    env = mwaa().get_environment(Name=NAME)["Environment"]
    assert env["Name"] == NAME
    assert env["Status"] == "AVAILABLE"
    assert env["AirflowVersion"] == INFO["airflowVersion"]
    assert env["SourceBucketArn"] == "arn:aws:s3:::" + INFO["dagBucket"]
    assert env["DagS3Path"] == INFO["dagPrefix"]
    assert env["LoggingConfiguration"]["TaskLogs"]["CloudWatchLogGroupArn"].endswith(":" + INFO["taskLogGroup"])
    assert env["CreatedAt"].year >= 2024  # a timestamp botocore parsed, not a raw number


def test_unknown_environment_is_resource_not_found():
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        mwaa().get_environment(Name="no-such-environment")
    assert error_of(excinfo) == "ResourceNotFoundException"


def test_a_wrongly_signed_request_is_refused_as_aws_would():
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        mwaa(secret="not-the-secret").get_environment(Name=NAME)
    assert error_of(excinfo) == "InvalidSignatureException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_invoke_rest_api_forwards_to_airflow():
    answer = mwaa().invoke_rest_api(Name=NAME, Path="/version", Method="GET")
    assert answer["RestApiStatusCode"] == 200
    assert answer["RestApiResponse"]["version"] == INFO["airflowVersion"]
    listed = mwaa().invoke_rest_api(Name=NAME, Path="/dags", Method="GET", QueryParameters={"limit": 1})
    assert "total_entries" in listed["RestApiResponse"]


def test_airflow_errors_come_back_as_rest_api_client_exception_with_the_status():
    client = mwaa()
    with pytest.raises(client.exceptions.RestApiClientException) as excinfo:
        client.invoke_rest_api(Name=NAME, Path="/dags/no_such_dag", Method="GET")
    assert excinfo.value.response["RestApiStatusCode"] == 404
    assert excinfo.value.response["RestApiResponse"]["status"] == 404


def test_a_path_over_64_characters_is_a_validation_error():
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        mwaa().invoke_rest_api(Name=NAME, Path="/dags/" + "x" * 59, Method="GET")
    assert error_of(excinfo) == "ValidationException"


def test_cli_token_runs_the_airflow_cli_and_expires_with_use_of_a_wrong_token():
    token = mwaa().create_cli_token(Name=NAME)
    assert token["WebServerHostname"]
    answer = requests.post(
        "https://%s/aws_mwaa/cli" % token["WebServerHostname"],
        headers={"Authorization": "Bearer " + token["CliToken"], "Content-Type": "text/plain"},
        data="version",
        timeout=120,
    )
    assert answer.status_code == 200
    assert base64.b64decode(answer.json()["stdout"]).decode().strip() == INFO["airflowVersion"]
    refused = requests.post(
        "https://%s/aws_mwaa/cli" % token["WebServerHostname"],
        headers={"Authorization": "Bearer not-a-token"},
        data="version",
        timeout=30,
    )
    assert refused.status_code == 403
