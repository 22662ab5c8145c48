"""Command line for callers outside Python (the rehearsal, provider tests):

    PYTHONPATH=local local/.state/venvs/tools/bin/python -m mwaa_local <command> ...

Every command prints one JSON object on stdout; progress and errors go to stderr."""

import argparse
import json
import sys
from typing import Any, Dict, List, Optional

from .airflow_env import AirflowEnv, AirflowEnvError, _http_role, new_fernet_key
from .seed import seed_history
from .stack import StackNotRunning, ensure_stack, stop_all


def describe(env: AirflowEnv) -> Dict[str, Any]:
    return {
        "name": env.name,
        "version": env.version,
        "url": env.url,
        "port": env.port,
        "admin_user": env.admin_user,
        "admin_password": env.admin_password,
        "sql_url": env.sql_url,
        "dsn": env.dsn,
        "fernet_key": env.fernet_key,
        "dags_folder": str(env.dags_folder),
        "home": str(env.home),
        "venv": str(env.venv),
        "log_group": env.log_group,
        "scheduler_running": env.running("scheduler"),
        # The process serving HTTP: the webserver on 2.x, the api-server on 3.x.
        "webserver_running": env.running(_http_role(env.version)),
    }


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mwaa_local", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the stack unless it runs; print env.json")
    up.add_argument("--airflow-versions", help="Airflow venvs to build ahead, e.g. 2.8.1,2.11.0")

    create = commands.add_parser("create", help="create (or recreate) an Airflow environment")
    create.add_argument("name")
    create.add_argument("version")
    create.add_argument("--fernet-key", help="default: a new random key")
    create.add_argument("--port", type=int, help="webserver port; default: a free one in base+10..19")
    create.add_argument("--dags-folder", help="default: <AIRFLOW_HOME>/dags")
    create.add_argument("--start", action="store_true", help="start scheduler + webserver and wait until healthy")

    seed = commands.add_parser("seed", help="run the seed DAGs in an environment; print the summary")
    seed.add_argument("name")
    seed.add_argument("--runs", type=int, default=30)
    seed.add_argument("--timeout", type=float, default=0, help="seconds; default grows with --runs")

    for name, help_text in (
        ("start", "start scheduler + webserver and wait until healthy"),
        ("stop", "stop scheduler + webserver"),
        ("info", "print an environment's URLs, paths and settings"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("name")

    stop = commands.add_parser("stop-all", help="stop every Airflow process; --stack also PostgreSQL and moto")
    stop.add_argument("--stack", action="store_true")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = _run(args)
    except (AirflowEnvError, StackNotRunning, ValueError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


def _run(args: argparse.Namespace) -> Dict[str, Any]:
    if args.command == "up":
        return ensure_stack(args.airflow_versions)
    if args.command == "stop-all":
        stop_all(stack=args.stack)
        return {"stopped": True}
    if args.command == "create":
        ensure_stack()
        env = AirflowEnv.create(
            args.name, args.version, args.fernet_key or new_fernet_key(), args.port, args.dags_folder
        )
        if args.start:
            env.start()
            env.wait_healthy()
        return describe(env)
    env = AirflowEnv.load(args.name)
    if args.command == "seed":
        return seed_history(env, runs=args.runs, timeout=args.timeout, progress=_progress)
    if args.command == "start":
        env.start()
        env.wait_healthy()
    elif args.command == "stop":
        env.stop()
    return describe(env)


if __name__ == "__main__":
    sys.exit(main())
