"""Direct mode: the export or import as a command against a metadata database URL.

    python -m mwaa_migration export --db-url postgresql://... --bucket B --prefix P --export-id ID
    python -m mwaa_migration import --db-url postgresql://... --bucket B --prefix P --export-id ID

Run it in a virtualenv with the environment's Airflow version (for Fernet and
the DAG timetables). The Fernet key comes from --fernet-key or, as in Airflow,
from AIRFLOW__CORE__FERNET_KEY. AWS access uses the default credential chain.
"""

import argparse
import json
import os
import sys
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
        p.add_argument("--fernet-key", help="defaults to AIRFLOW__CORE__FERNET_KEY")
        p.add_argument("--airflow-version", help="defaults to the installed Airflow's version")
    exp = sub.choices["export"]
    exp.add_argument("--phase", default="full", choices=list(EXPORT_PHASES))
    exp.add_argument("--watermark")
    exp.add_argument("--pause-active", action="store_true")
    exp.add_argument("--deadline-seconds", type=float, default=1800.0)
    exp.add_argument("--poll-seconds", type=float, default=10.0)
    imp = sub.choices["import"]
    imp.add_argument("--conflict-policy", default="skip", choices=list(CONFLICT_POLICIES))
    imp.add_argument("--import-orphan-history", action="store_true")
    imp.add_argument("--no-continue-schedules", action="store_true")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
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
            manifest = run_export(conn, s3, conf.export_options(params, version, fernet), log)
            print(json.dumps({"watermark": manifest["watermark"], "tables": len(manifest["tables"])}))
        else:
            params.update(
                conflictPolicy=args.conflict_policy,
                importOrphanHistory=args.import_orphan_history,
                continueSchedules=not args.no_continue_schedules,
            )
            report = run_import(conn, s3, conf.import_options(params, version, fernet), log)
            print(json.dumps({"status": report["status"]}))
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
