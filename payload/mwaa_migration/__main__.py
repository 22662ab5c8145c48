"""Direct mode: the export or import as a command against a metadata database URL.

    python -m mwaa_migration export --db-url postgresql://... --bucket B --prefix P --export-id ID
    python -m mwaa_migration import --db-url postgresql://... --bucket B --prefix P --export-id ID

Run it in a virtualenv with the environment's Airflow version (for Fernet and
the DAG timetables). The Fernet key comes from --fernet-key or, as in Airflow,
from AIRFLOW__CORE__FERNET_KEY. AWS access uses the default credential chain.
A failure prints one line saying what went wrong and exits 1 (--debug: with the
traceback).
"""

import argparse
import json
import os
import sys
import traceback
from typing import List, Optional

from . import bundle, conf, db
from .contract import CONFLICT_POLICIES, EXPORT_PHASES
from .export import run_export
from .importer import run_import


def _airflow_version() -> Optional[str]:
    # Read from the package metadata: importing Airflow itself costs ~100 MiB.
    from importlib import metadata

    try:
        return metadata.version("apache-airflow")
    except metadata.PackageNotFoundError:
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mwaa_migration", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("export", "import"):
        p = sub.add_parser(name)
        p.add_argument("--db-url", required=True, help="the metadata database (sql_alchemy_conn form accepted)")
        p.add_argument("--bucket", required=True)
        p.add_argument("--prefix", default="")
        p.add_argument("--export-id", required=True)
        p.add_argument("--tables", help="comma-separated subset of tables")
        p.add_argument("--kms-key-id", help="KMS key for SSE-KMS on every object written")
        p.add_argument("--airflow-version", help="defaults to the installed Airflow's version")
        p.add_argument("--debug", action="store_true", help="print the traceback of a failure")
    exp = sub.choices["export"]
    exp.add_argument("--fernet-key", help="the source's [core] fernet_key; defaults to AIRFLOW__CORE__FERNET_KEY")
    exp.add_argument("--phase", default="full", choices=list(EXPORT_PHASES))
    exp.add_argument("--watermark")
    exp.add_argument("--pause-active", action="store_true")
    exp.add_argument("--deadline-seconds", type=float, default=1800.0)
    exp.add_argument("--poll-seconds", type=float, default=10.0)
    exp.add_argument(
        "--allow-secrets-without-kms-key",
        action="store_true",
        help="export variables and connections without --kms-key-id (under the bucket's default key)",
    )
    imp = sub.choices["import"]
    keys = imp.add_mutually_exclusive_group()
    keys.add_argument("--fernet-key", help="the target's [core] fernet_key; defaults to AIRFLOW__CORE__FERNET_KEY")
    keys.add_argument(
        "--no-fernet-key",
        action="store_true",
        help="the target has no Fernet key configured: store variables and connections unencrypted",
    )
    imp.add_argument("--conflict-policy", default="skip", choices=list(CONFLICT_POLICIES))
    imp.add_argument("--import-orphan-history", action="store_true")
    imp.add_argument("--no-continue-schedules", action="store_true")
    imp.add_argument(
        "--skip-unstorable-rows",
        action="store_true",
        help="leave out (and report) rows holding a value the target cannot store, instead of failing",
    )
    return parser


def _run(args: argparse.Namespace) -> None:
    version = args.airflow_version or _airflow_version()
    fernet = args.fernet_key or os.environ.get("AIRFLOW__CORE__FERNET_KEY") or None
    params = {"bucket": args.bucket, "prefix": args.prefix, "exportId": args.export_id}
    if args.tables:
        params["tables"] = args.tables
    if args.kms_key_id:
        params["kmsKeyId"] = args.kms_key_id
    log = lambda line: print(line, flush=True)  # noqa: E731
    conn = db.connect(args.db_url)
    try:
        s3 = bundle.s3_client()
        if args.command == "export":
            params.update(
                phase=args.phase,
                pauseActive=args.pause_active,
                deadlineSeconds=args.deadline_seconds,
                pollSeconds=args.poll_seconds,
            )
            if args.watermark:
                params["watermark"] = args.watermark
            options = conf.export_options(
                params, version, fernet, kms_key_required_for_secrets=not args.allow_secrets_without_kms_key
            )
            manifest = run_export(conn, s3, options, log)
            print(json.dumps({"watermark": manifest["watermark"], "tables": len(manifest["tables"])}))
        else:
            params.update(
                conflictPolicy=args.conflict_policy,
                importOrphanHistory=args.import_orphan_history,
                continueSchedules=not args.no_continue_schedules,
                skipUnstorableRows=args.skip_unstorable_rows,
            )
            options = conf.import_options(params, version, fernet, no_fernet_key=args.no_fernet_key)
            report = run_import(conn, s3, options, log)
            print(json.dumps({"status": report["status"]}))
    finally:
        conn.close()


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except Exception as error:  # noqa: BLE001 - one clear line; the traceback only when asked
        if args.debug:
            traceback.print_exc()
        # Database errors span lines (ERROR, DETAIL, CONTEXT): one line reads better in a log.
        message = " ".join(str(error).split()) or type(error).__name__
        print("mwaa_migration %s failed: %s" % (args.command, message), file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
