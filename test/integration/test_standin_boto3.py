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


def _unknown_members(value, shape, path):
    """Keys in a raw JSON answer that the model's shape does not define (botocore's parser would drop them)."""
    problems = []
    if getattr(shape, "is_document_type", False):
        return problems  # free-form JSON (Airflow's own answer)
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key not in shape.members:
                problems.append("%s.%s" % (path, key))
            else:
                problems += _unknown_members(item, shape.members[key], "%s.%s" % (path, key))
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            problems += _unknown_members(item, shape.value, "%s[%s]" % (path, key))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            problems += _unknown_members(item, shape.member, "%s[%d]" % (path, index))
    return problems


def test_every_field_the_stand_in_answers_is_in_the_model():
    client = mwaa()
    raw = {}

    def keep_body(operation_model, response_dict, **kwargs):
        raw[operation_model.name] = json.loads(response_dict["body"])

    client.meta.events.register("before-parse.mwaa.*", keep_body)
    client.get_environment(Name=NAME)
    client.create_cli_token(Name=NAME)
    client.create_web_login_token(Name=NAME)
    client.invoke_rest_api(Name=NAME, Path="/version", Method="GET")
    model = client.meta.service_model
    for operation, body in raw.items():
        assert _unknown_members(body, model.operation_model(operation).output_shape, operation) == []
    assert set(raw) == {"GetEnvironment", "CreateCliToken", "CreateWebLoginToken", "InvokeRestApi"}


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


def test_web_login_token_parses_into_the_model_and_is_good_for_one_airflow_3_sign_in():
    airflow3 = INFO["airflow3"]["environmentName"]
    token = mwaa().create_web_login_token(Name=airflow3)
    assert token["WebServerHostname"] and token["WebToken"]
    assert token["AirflowIdentity"] == INFO["username"] and token["IamIdentity"].endswith(os.environ["AWS_ACCESS_KEY_ID"])
    # An Airflow 3 environment signs in at /pluginsv2/aws_mwaa/login; Airflow 2's route is not it.
    wrong_route = requests.post(
        "https://%s/aws_mwaa/login" % token["WebServerHostname"], data={"token": token["WebToken"]}, timeout=30
    )
    assert wrong_route.status_code == 404
    # The token went with that try: a token signs in once, within its 60 seconds.
    used = requests.post(
        "https://%s/pluginsv2/aws_mwaa/login" % token["WebServerHostname"], data={"token": token["WebToken"]}, timeout=30
    )
    assert used.status_code == 403
    unknown = mwaa()
    with pytest.raises(unknown.exceptions.ResourceNotFoundException):
        unknown.create_web_login_token(Name="no-such-environment")
    # Without a session, the web server passes nothing on to Airflow.
    assert requests.get("https://%s/api/v2/version" % token["WebServerHostname"], timeout=30).status_code == 401
