"""moto's server as the local stack runs it, plus the one thing AWS's own services know and moto does not say:
who a key belongs to. `GET /mwaa-local/identities/<access key id>` answers with the key's secret, its session
token (an assumed role's) and its account, or 404 for a key moto never issued. The MWAA stand-in asks it to
check a request signed with keys moto issued (another account's role, assumed through STS), as MWAA asks IAM.

    python moto_server.py -H 127.0.0.1 -p 24000
"""

import argparse
import json
import os
from typing import Any, Callable, Dict, Iterable, Optional

IDENTITIES_PATH = "/mwaa-local/identities/"


def identity_of(access_key_id: str) -> Optional[Dict[str, str]]:
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    # As moto places a request in an account: the IAM backend whose keys hold the access key.
    for account_id, account in list(iam_backends.items()):
        for partition in list(account.keys()):
            key = account[partition].access_keys.get(access_key_id)
            if key is None:
                continue
            identity = {"accountId": account_id, "secretAccessKey": key.secret_access_key}
            assumed = sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key_id)
            if assumed is not None:
                identity["sessionToken"] = assumed.session_token
            return identity
    return None


def with_identities(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def serve(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(IDENTITIES_PATH) or environ.get("REQUEST_METHOD") != "GET":
            return app(environ, start_response)
        identity = identity_of(path[len(IDENTITIES_PATH):])
        body = json.dumps(identity or {"message": "no such access key"}).encode()
        start_response("200 OK" if identity else "404 Not Found", [("Content-Type", "application/json")])
        return [body]

    return serve


def main() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.server import MotoRequestHandler
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto's own server: URLs it hands out name it
    run_simple(
        args.host,
        args.port,
        with_identities(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
