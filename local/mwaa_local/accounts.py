"""Another AWS account on the local moto, for a target that lives apart from its source.

moto keeps IAM, CloudWatch Logs, KMS and DynamoDB per account and places a request in the account of the
key that signed it. The stack's own keys are in moto's default account; a first key of any other account
comes from assuming one of its roles, which moto grants while it does not enforce IAM. Each account gets:
- an IAM user whose keys the account's Airflow runs with, as an MWAA environment runs with its execution
  role: it writes the task logs into its own account and reads that account's buckets;
- the deployer role of the target's side, trusting the stack's account: what the program's
  `targetRoleArn` names, so the phases reach the account as that role.
"""

import json
from typing import Any, Dict

from .airflow_env import MOTO_ACCOUNT_ID, AirflowEnvError
from .stack import stack_info

DEPLOYER_ROLE = "mwaa-migration-deployer"
_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def airflow_user(account_id: str) -> str:
    # Unique across accounts: the MWAA stand-in places an IAM user's key in an account by the user's name.
    return "mwaa-local-airflow-%s" % account_id


def client_with_keys(service: str, keys: Dict[str, str]) -> Any:
    """A boto3 client of the local moto signing with `keys` (AccessKeyId, SecretAccessKey[, SessionToken])."""
    import boto3

    info = stack_info()
    return boto3.client(
        service,
        endpoint_url=info["aws_endpoint_url"],
        region_name=info["aws_region"],
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys.get("SessionToken"),
    )


def _setup_iam(account_id: str) -> Any:
    if account_id == MOTO_ACCOUNT_ID:
        raise AirflowEnvError("account %s is the stack's own account; give another 12-digit id" % account_id)
    info = stack_info()
    stack_keys = {"AccessKeyId": info["env"]["AWS_ACCESS_KEY_ID"], "SecretAccessKey": info["env"]["AWS_SECRET_ACCESS_KEY"]}
    setup = client_with_keys("sts", stack_keys).assume_role(
        RoleArn="arn:aws:iam::%s:role/mwaa-local-setup" % account_id, RoleSessionName="mwaa-local-setup"
    )["Credentials"]
    return client_with_keys("iam", {k: setup[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")})


def airflow_keys(account_id: str) -> Dict[str, str]:
    """A fresh key of the account's Airflow user (the user made when missing; its older keys deleted)."""
    iam = _setup_iam(account_id)
    user = airflow_user(account_id)
    try:
        iam.create_user(UserName=user)
    except iam.exceptions.EntityAlreadyExistsException:
        for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.put_user_policy(UserName=user, PolicyName="everything", PolicyDocument=json.dumps(_EVERYTHING))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


def deployer_role(account_id: str) -> str:
    """The ARN of the account's deployer role, made when missing, trusting the stack's own account."""
    iam = _setup_iam(account_id)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::%s:root" % MOTO_ACCOUNT_ID},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    try:
        role_arn = iam.create_role(RoleName=DEPLOYER_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role_arn = iam.get_role(RoleName=DEPLOYER_ROLE)["Role"]["Arn"]
    iam.put_role_policy(RoleName=DEPLOYER_ROLE, PolicyName="everything", PolicyDocument=json.dumps(_EVERYTHING))
    return role_arn
