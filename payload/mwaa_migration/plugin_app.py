"""The import as an HTTP app in an Airflow 3 API server (an Airflow plugin's FastAPI app).

Airflow 3 tasks cannot open the metadata database; its API server can. Mounted at
URL_PREFIX:

    GET  /health              the plugin's version, the Airflow version, the configured bundle location
    POST /imports/{run_id}    body: the import's run parameters (contract/bundle.json runConf.import);
                              starts the import, or reports the run of that id (a repeated call
                              finds the same import)
    GET  /imports/{run_id}    state and progress; with ?bucket=&prefix=&exportId= also the
                              outcome of a finished run (from import-report.json)

Airflow does not authenticate plugin apps, so every request is checked here: the JWT the
API server issued (Bearer header, or the UI's `_token` cookie) through Airflow's own auth
manager, and the user must be an Admin. Bundles are read only under the location the
target's configuration names ([mwaa_migration] bundle_location).
"""

import logging
from typing import Any, Dict, Optional

from .plugin_access import (
    CONFIG_KEY,
    CONFIG_OPTION,
    CONFIG_SECTION,
    BundleLocation,
    bearer_token,
    bundle_refusal,
    is_admin,
    parse_bundle_location,
    run_id_refusal,
    user_name,
)

URL_PREFIX = "/mwaa-migration"
# Bump when the plugin's HTTP interface changes; the provider checks it.
PLUGIN_API_VERSION = 1
JWT_COOKIE = "_token"

log = logging.getLogger("mwaa_migration.plugin")


def configured_location() -> BundleLocation:
    from airflow.configuration import conf as airflow_conf

    return parse_bundle_location(airflow_conf.get(CONFIG_SECTION, CONFIG_KEY, fallback=None))


def _default_runs() -> Any:
    import airflow

    from . import bundle, db
    from .importer import run_import
    from .plugin_runs import Runs
    from .secrets import airflow_fernet_keys

    return Runs(
        connect=lambda: db.connect(db.airflow_database_url()),
        s3_client=bundle.s3_client,
        airflow_version=airflow.__version__,
        fernet_keys=airflow_fernet_keys,
        work=run_import,
        log=log.info,
    )


async def _user_from_token(token: str) -> Any:
    from airflow.api_fastapi.app import get_auth_manager

    return await get_auth_manager().get_user_from_token(token)


def create_app(runs: Any = None, location: Any = None, user_from_token: Any = None) -> Any:
    """The FastAPI app; the parameters replace the Airflow-bound parts (tests)."""
    from fastapi import Body, Depends, FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse
    from jwt import ExpiredSignatureError, InvalidTokenError

    from .plugin_runs import RunRefused

    state: Dict[str, Any] = {"runs": runs}
    locate = location or configured_location
    resolve_user = user_from_token or _user_from_token

    def the_runs() -> Any:
        if state["runs"] is None:
            state["runs"] = _default_runs()
        return state["runs"]

    app = FastAPI(
        title="MWAA migration",
        description="Imports an export bundle of the MWAA migration into this Airflow's metadata database.",
        docs_url=None,
        redoc_url=None,
    )

    async def admin(request: Request) -> Any:
        token = bearer_token(request.headers.get("authorization"), request.cookies.get(JWT_COOKIE))
        if not token:
            raise HTTPException(401, "not authenticated: send the Airflow API server's JWT as a Bearer token")
        try:
            user = await resolve_user(token)
        except ExpiredSignatureError:
            raise HTTPException(401, "the JWT has expired: get a new one") from None
        except InvalidTokenError:
            raise HTTPException(403, "the JWT is not valid for this Airflow") from None
        if not is_admin(user):
            log.warning("refused %s %s for %s: not an Admin", request.method, request.url.path, user_name(user))
            raise HTTPException(403, "user %s is not an Admin; the migration's import needs the Admin role" % user_name(user))
        return user

    def allowed_location() -> BundleLocation:
        try:
            return locate()
        except ValueError as error:
            raise HTTPException(403, "no bundle location is configured, so no bundle may be read: %s" % error) from None

    @app.get("/health")
    def health(_user: Any = Depends(admin)) -> Dict[str, Any]:
        import airflow

        try:
            where: Optional[str] = locate().uri()
            problem = None
        except ValueError as error:
            where, problem = None, str(error)
        return {
            "plugin": "mwaa_migration",
            "apiVersion": PLUGIN_API_VERSION,
            "airflowVersion": airflow.__version__,
            "bundleLocation": where,
            "configOption": CONFIG_OPTION,
            "problem": problem,
        }

    @app.post("/imports/{run_id}")
    def start_import(run_id: str, params: Dict[str, Any] = Body(...), user: Any = Depends(admin)) -> Any:
        refusal = run_id_refusal(run_id)
        if refusal:
            raise HTTPException(400, refusal)
        allowed = allowed_location()
        try:
            status, created = the_runs().start(run_id, params, allowed)
        except RunRefused as refused:
            raise HTTPException(refused.status, str(refused)) from None
        if created:
            log.info("import %s of export %s started by %s", run_id, params.get("exportId"), user_name(user))
        return JSONResponse(status.document(created=created), status_code=202 if created else 200)

    @app.get("/imports/{run_id}")
    def import_status(
        run_id: str,
        bucket: Optional[str] = None,
        prefix: Optional[str] = None,
        exportId: Optional[str] = None,  # noqa: N803 - the run parameter's own name
        _user: Any = Depends(admin),
    ) -> Dict[str, Any]:
        refusal = run_id_refusal(run_id)
        if refusal:
            raise HTTPException(400, refusal)
        where = None
        if bucket is not None or exportId is not None:
            refused = bundle_refusal(allowed_location(), bucket, prefix or "", exportId)
            if refused:
                raise HTTPException(403, refused)
            where = (bucket, prefix or "", exportId)
        runs = the_runs()
        return runs.status(run_id, where).document(log=runs.log_tail(run_id))

    return app
