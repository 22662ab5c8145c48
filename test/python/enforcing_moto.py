"""A moto server of a test's own that enforces IAM, and the grant documents the program builds.

The server starts open (moto's INITIAL_NO_AUTH_ACTION_COUNT=inf) so that a test can create its
bucket, key, IAM users and their policies; `enforce()` then switches authorisation on for every
later request (POST /moto-api/reset-auth), so each call must be signed with an IAM user's access
key and is allowed only by that user's policies.
"""

import copy
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

from mwaa_local import stack_info
from mwaa_local.stack import LOGS_DIR

ROOT = Path(__file__).resolve().parents[2]
GRANT_DOCUMENTS = Path(__file__).resolve().parent / "grant-documents.ts"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def grant_documents(bucket: str, prefix: str, key_arn: str) -> Dict[str, Any]:
    """{"export": ..., "import": ...} from rules/permissions.ts itself (through ts-node)."""
    argv = [
        "node",
        "-r",
        "ts-node/register/transpile-only",
        str(GRANT_DOCUMENTS),
        "--bucket",
        bucket,
        "--prefix",
        prefix,
        "--key-arn",
        key_arn,
    ]
    result = subprocess.run(argv, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(
            "printing the grant documents failed (is node_modules installed? run npm ci):\n" + result.stderr[-3000:]
        )
    return json.loads(result.stdout)


def without_statement(document: Dict[str, Any], sid: str) -> Dict[str, Any]:
    """The policy document minus the statement named sid (which must be there)."""
    kept = [s for s in document["Statement"] if s.get("Sid") != sid]
    if len(kept) == len(document["Statement"]):
        names = [s.get("Sid") for s in document["Statement"]]
        raise KeyError("no statement %r in the grant (its statements: %s)" % (sid, ", ".join(names)))
    reduced = copy.deepcopy(document)
    reduced["Statement"] = kept
    return reduced


def without_action(document: Dict[str, Any], action: str) -> Dict[str, Any]:
    """The policy document with action taken out of every statement (it must be in one)."""
    reduced = copy.deepcopy(document)
    found = False
    for statement in reduced["Statement"]:
        if action in statement["Action"]:
            statement["Action"] = [a for a in statement["Action"] if a != action]
            found = True
    if not found:
        raise KeyError("no statement of the grant allows %s" % action)
    reduced["Statement"] = [s for s in reduced["Statement"] if s["Action"]]
    return reduced


class EnforcingMoto:
    def __init__(self) -> None:
        info = stack_info()
        self.region: str = info["aws_region"]
        self.port = free_loopback_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.log_file = LOGS_DIR / ("moto-iam-%d.log" % self.port)
        self._moto_server = Path(info["venvs"]["tools"]) / "bin" / "moto_server"
        self._process: Optional["subprocess.Popen[bytes]"] = None

    def start(self, timeout: float = 30) -> "EnforcingMoto":
        LOGS_DIR.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self._process = subprocess.Popen(
                [str(self._moto_server), "-H", "127.0.0.1", "-p", str(self.port)],
                env={"PATH": "/usr/bin:/bin", "INITIAL_NO_AUTH_ACTION_COUNT": "inf"},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError("moto server exited at start; see %s" % self.log_file)
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/data.json", timeout=2).read()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto server on %s did not answer; see %s" % (self.endpoint, self.log_file))
                time.sleep(0.2)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

    def enforce(self) -> None:
        """From now on every request must be signed by an IAM user and allowed by its policies."""
        # A form content type (urllib's default) would leave the body to the form parser, and moto reads none.
        request = urllib.request.Request(
            self.endpoint + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
        )
        urllib.request.urlopen(request, timeout=10).read()

    def client(self, service: str, keys: Optional[Dict[str, str]] = None) -> Any:
        """A boto3 client for this server; with keys, signed as that IAM user."""
        import boto3

        keys = keys or {"AccessKeyId": "testing", "SecretAccessKey": "testing"}
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
        )

    def user_with_policy(
        self, name: str, document: Dict[str, Any], creator: Optional[Dict[str, str]] = None
    ) -> Dict[str, str]:
        """An IAM user whose only permissions are document (inline); returns its access key.
        Once IAM is enforced, creator must be the keys of a user allowed to manage IAM users."""
        iam = self.client("iam", creator)
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName=name + "-grant", PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}

    def aws_env(self, keys: Dict[str, str]) -> Dict[str, str]:
        """Environment for a process (the payload's default AWS chain) signing as that user here."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }



OPERATIONS_SCRIPT = ROOT / "test" / "python" / "deployer-operations.ts"


def deployer_operations(*args: str, env: Optional[Dict[str, str]] = None) -> Any:
    """Runs deployer-operations.ts (the deployer policy, or the providers' own operations) and reads its JSON."""
    argv = ["node", "-r", "ts-node/register/transpile-only", str(OPERATIONS_SCRIPT), *args]
    result = subprocess.run(argv, cwd=str(ROOT), capture_output=True, text=True, timeout=300, env=env)
    if result.returncode != 0:
        raise RuntimeError("deployer-operations.ts %s failed:\n%s" % (args[0], result.stderr[-4000:]))
    return json.loads(result.stdout)


def failed_operations(outcomes: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    """The operations that failed, each with its error and message."""
    return {name: "%s: %s" % (o["error"], o["message"]) for name, o in outcomes.items() if not o["ok"]}

def as_moto_judges(policy: Dict[str, Any]) -> Dict[str, Any]:
    """The policy as moto can authorise it: Logs statements and the IAM policy reads on "*", DeleteObject
    statements with their buckets."""
    adapted = copy.deepcopy(policy)
    for statement in adapted["Statement"]:
        actions = statement["Action"]
        if all(a.startswith("logs:") for a in actions) or statement["Sid"] == "ReadPoliciesForSourceWebUi":
            statement["Resource"] = "*"
        elif "s3:DeleteObject" in actions:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            buckets = sorted({r.split("/", 1)[0] for r in resources})
            statement["Resource"] = resources + [b for b in buckets if b not in resources]
    return adapted
