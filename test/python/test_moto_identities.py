"""The local moto says who a key it issued belongs to (local/mwaa_local/moto_server.py): what the MWAA
stand-in checks another account's signatures with. Runs against the stack's own moto."""

import json
import urllib.error
import urllib.request

import pytest

OTHER_ACCOUNT = "210987654321"


def identity(stack, access_key_id):
    url = "%s/mwaa-local/identities/%s" % (stack["aws_endpoint_url"], access_key_id)
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def client(stack, service, keys=None):
    from mwaa_local.accounts import client_with_keys

    keys = keys or {"AccessKeyId": stack["env"]["AWS_ACCESS_KEY_ID"], "SecretAccessKey": stack["env"]["AWS_SECRET_ACCESS_KEY"]}
    return client_with_keys(service, keys)


def test_an_assumed_roles_key_is_in_the_roles_account_with_its_token(stack):
    role = client(stack, "sts").assume_role(
        RoleArn="arn:aws:iam::%s:role/identities-test" % OTHER_ACCOUNT, RoleSessionName="identities-test"
    )["Credentials"]
    assert identity(stack, role["AccessKeyId"]) == {
        "accountId": OTHER_ACCOUNT,
        "secretAccessKey": role["SecretAccessKey"],
        "sessionToken": role["SessionToken"],
    }
    # moto agrees: the key is placed in that account.
    assert client(stack, "sts", role).get_caller_identity()["Account"] == OTHER_ACCOUNT


def test_an_iam_users_key_is_in_the_users_account_without_a_token(stack):
    role = client(stack, "sts").assume_role(
        RoleArn="arn:aws:iam::%s:role/identities-test" % OTHER_ACCOUNT, RoleSessionName="identities-test"
    )["Credentials"]
    iam = client(stack, "iam", role)
    try:
        iam.create_user(UserName="identities-test")
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    key = iam.create_access_key(UserName="identities-test")["AccessKey"]
    try:
        assert identity(stack, key["AccessKeyId"]) == {
            "accountId": OTHER_ACCOUNT,
            "secretAccessKey": key["SecretAccessKey"],
        }
    finally:
        iam.delete_access_key(UserName="identities-test", AccessKeyId=key["AccessKeyId"])


@pytest.mark.parametrize("key", ["AKIANEVERISSUED0000", "testing"])
def test_a_key_moto_never_issued_is_not_found(stack, key):
    assert identity(stack, key) is None
