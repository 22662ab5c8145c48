"""One local Airflow environment: its own PostgreSQL database, AIRFLOW_HOME and venv,
configured the way MWAA runs Airflow (LocalExecutor here, CloudWatch task logs in the
group `airflow-<name>-Task`, REST API v1 with basic auth).

Airflow 3 differs: no webserver but an api-server (REST API v2 with a JWT from /auth/token,
the simple auth manager, and the execution API its tasks report to), a separate
dag-processor, and a JWT secret shared by every process of the environment."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .stack import (
    LOCAL_DIR,
    LOGS_DIR,
    PIDS_DIR,
    STATE_DIR,
    dump_process_group_stacks,
    port_in_use,
    stack_info,
    stop_pidfile,
)

AIRFLOW_STATE_DIR = STATE_DIR / "airflow"
LOCKS_DIR = LOCAL_DIR / "locks"
MOTO_ACCOUNT_ID = "123456789012"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"
# Task logs go to CloudWatch; the local log server (a fixed port) is not needed.
SCHEDULER_ARGS = ["scheduler", "--skip-serve-logs"]
# Airflow calls a scheduler unhealthy 30 s after its last heartbeat; unhealthy this much longer means wedged.
SCHEDULER_STALL_SECONDS = 60

SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


class AirflowEnvError(RuntimeError):
    pass


class RestError(AirflowEnvError):
    def __init__(self, method: str, url: str, status: int, body: str):
        super().__init__("%s %s answered %d: %s" % (method, url, status, body[:2000]))
        self.status = status
        self.body = body


def new_fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _check_fernet_key(key: str) -> None:
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except Exception:
        raw = b""
    if len(raw) != 32:
        raise AirflowEnvError(
            "fernet_key %r is not a Fernet key (urlsafe base64 of 32 bytes); "
            "make one with mwaa_local.new_fernet_key()" % key
        )


def ensure_airflow_venv(version: str) -> Path:
    """The venv for Airflow <version>, built from local/locks/airflow-<version>.txt if missing."""
    lock = LOCKS_DIR / ("airflow-%s.txt" % version)
    if not lock.exists():
        known = sorted(p.stem[len("airflow-") :] for p in LOCKS_DIR.glob("airflow-*.txt"))
        raise AirflowEnvError(
            "no lock file for Airflow %s (local/locks/airflow-%s.txt); locked versions: %s"
            % (version, version, ", ".join(known))
        )
    script = 'source "$1" && mwaa_ensure_venv "$2" "$3"'
    result = subprocess.run(
        ["bash", "-c", script, "bash", str(LOCAL_DIR / "lib" / "venv.sh"), "airflow-" + version, str(lock)],
        stdout=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        raise AirflowEnvError("building the Airflow %s venv failed (messages above)" % version)
    return Path(result.stdout.strip())


def locks_fab(version: str) -> bool:
    """Whether Airflow <version>'s lock installs the FAB provider (every 2.x; on 3.x only where it is added)."""
    lock = LOCKS_DIR / ("airflow-%s.txt" % version)
    return lock.exists() and re.search(r"^apache-airflow-providers-fab==", lock.read_text(), re.M) is not None


def free_airflow_port() -> int:
    """The first port in the stack's Airflow range that nothing listens on."""
    ports = stack_info()["ports"]
    for port in range(ports["airflow_first"], ports["airflow_last"] + 1):
        if not port_in_use(port) and not _port_claimed(port):
            return port
    raise AirflowEnvError(
        "every Airflow port %d..%d is in use; stop an environment (AirflowEnv.stop) first"
        % (ports["airflow_first"], ports["airflow_last"])
    )


def _port_claimed(port: int) -> bool:
    for saved in AIRFLOW_STATE_DIR.glob("*/mwaa_local.json"):
        try:
            settings = json.loads(saved.read_text())
            if settings.get("port") == port:
                role = _http_role(settings.get("version", ""))
                return (PIDS_DIR / ("airflow-%s-%s.pid" % (saved.parent.name, role))).exists()
        except (OSError, ValueError):
            continue
    return False


def _version_tuple(version: str) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def is_airflow3(version: str) -> bool:
    return _version_tuple(version) >= (3,)


def _http_role(version: str) -> str:
    """The process that serves HTTP: the webserver on 2.x, the api-server on 3.x."""
    return "api-server" if is_airflow3(version) else "webserver"


def _roles(version: str) -> Sequence[str]:
    """Every long-running process of an environment, in the order they are stopped."""
    if is_airflow3(version):
        return ("scheduler", "dag-processor", "api-server")
    return ("scheduler", "webserver")


class AirflowEnv:
    """A local Airflow environment. Make one with AirflowEnv.create(), or AirflowEnv.load(name)
    for one created earlier (by another process, say)."""

    def __init__(self, settings: Dict[str, Any]):
        self._settings = settings
        self.name: str = settings["name"]
        self.version: str = settings["version"]
        self.fernet_key: str = settings["fernet_key"]
        self.port: int = settings["port"]
        self.home = Path(settings["home"])
        self.venv = Path(settings["venv"])
        self.dags_folder = Path(settings["dags_folder"])
        self.database: str = settings["database"]
        self.log_group: str = settings["log_group"]
        self.admin_user: str = settings["admin_user"]
        self.admin_password: str = settings["admin_password"]

    # --- creation -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str,
        version: str,
        fernet_key: str,
        port: Optional[int] = None,
        dags_folder: Optional[str] = None,
        aws_endpoint_url: Optional[str] = None,
        options: Optional[Dict[str, Dict[str, str]]] = None,
        users: Optional[Dict[str, Tuple[str, str]]] = None,
        aws_account: Optional[Dict[str, str]] = None,
        auth_manager: str = "simple",
    ) -> "AirflowEnv":
        """A fresh environment: database dropped and recreated, AIRFLOW_HOME emptied, the log
        group recreated in moto, `airflow db migrate` run and an Admin user created.
        aws_endpoint_url sends this Airflow's AWS calls (tasks, remote logging) somewhere other
        than the stack's moto, e.g. through a proxy that injects faults. options adds Airflow
        configuration ({section: {key: value}}, as MWAA's airflowConfigurationOptions do).
        users adds Airflow 3 simple auth manager users besides the Admin: {name: (role, password)},
        role one of VIEWER, USER, OP, ADMIN. aws_account puts the environment in another AWS account
        of moto ({"account_id", "access_key_id", "secret_access_key"}, from accounts.other_account): its
        processes, log group and DAG bucket are that account's. auth_manager "fab" runs an Airflow 3
        with the FAB auth manager (roles, the FAB provider's role API) instead of the simple one; its
        users besides the Admin are added with add_fab_user once their roles exist."""
        if not _NAME_PATTERN.match(name):
            raise AirflowEnvError(
                "environment name %r must be lowercase letters, digits and '-', starting with a letter, "
                "at most 40 characters" % name
            )
        _check_fernet_key(fernet_key)
        info = stack_info()
        home = AIRFLOW_STATE_DIR / name
        existing = home / "mwaa_local.json"
        if existing.exists():
            cls.load(name).stop()
        if port is None:
            port = free_airflow_port()
        elif port_in_use(port):
            raise AirflowEnvError(
                "port %d for Airflow environment %r is taken by another process; pass another port "
                "(the stack's Airflow range is %d..%d)"
                % (port, name, info["ports"]["airflow_first"], info["ports"]["airflow_last"])
            )
        venv = ensure_airflow_venv(version)
        if home.exists():
            shutil.rmtree(home)
        home.mkdir(parents=True)
        own_dags = home / "dags"
        own_dags.mkdir()
        (home / "plugins").mkdir()
        settings = {
            "name": name,
            "version": version,
            "fernet_key": fernet_key,
            "port": port,
            "home": str(home),
            "venv": str(venv),
            "dags_folder": str(Path(dags_folder).resolve()) if dags_folder else str(own_dags),
            "database": "airflow_" + name.replace("-", "_"),
            "log_group": "airflow-%s-Task" % name,
            "admin_user": ADMIN_USER,
            "admin_password": ADMIN_PASSWORD,
            "secret_key": base64.b64encode(os.urandom(16)).decode("ascii"),
        }
        if aws_endpoint_url:
            settings["aws_endpoint_url"] = aws_endpoint_url
        if aws_account:
            settings["aws_account"] = dict(aws_account)
        if options:
            settings["options"] = options
        if auth_manager not in ("simple", "fab"):
            raise AirflowEnvError("auth_manager must be 'simple' or 'fab', got %r" % auth_manager)
        if auth_manager == "fab":
            if not is_airflow3(version):
                raise AirflowEnvError("auth_manager 'fab' is for Airflow 3; Airflow %s always runs FAB" % version)
            settings["auth_manager"] = "fab"
        if users:
            if not is_airflow3(version) or auth_manager == "fab":
                raise AirflowEnvError(
                    "extra users at creation are for Airflow 3's simple auth manager; with FAB use add_fab_user"
                )
            settings["users"] = {name: list(entry) for name, entry in users.items()}
        if is_airflow3(version):
            settings["jwt_secret"] = base64.b64encode(os.urandom(32)).decode("ascii")
        env = cls(settings)
        env._recreate_log_group()
        env.save()
        if not env._copy_template_database():
            env._recreate_database()
            env.airflow("db", "migrate", timeout=600)
            if env.runs_fab:
                env.airflow("users", "create", *_admin_user_args())
            env._save_as_template_database()
        if is_airflow3(version) and not env.runs_fab:
            # The simple auth manager keeps its users' passwords in this file and only generates
            # passwords for users missing from it.
            passwords = {ADMIN_USER: ADMIN_PASSWORD}
            passwords.update({name: entry[1] for name, entry in settings.get("users", {}).items()})
            env.passwords_file.write_text(json.dumps(passwords) + "\n")
        return env

    @classmethod
    def load(cls, name: str) -> "AirflowEnv":
        saved = AIRFLOW_STATE_DIR / name / "mwaa_local.json"
        if not saved.exists():
            raise AirflowEnvError(
                "no local Airflow environment %r (%s missing); create it with AirflowEnv.create" % (name, saved)
            )
        return cls(json.loads(saved.read_text()))

    def save(self) -> None:
        (self.home / "mwaa_local.json").write_text(json.dumps(self._settings, indent=2, sort_keys=True))
        lines = ["# environment of the local Airflow %r; source it to use its CLI" % self.name]
        for key, value in sorted(self.env_vars().items()):
            lines.append("export %s=%s" % (key, _shell_quote(value)))
        lines.append('export PATH="%s/bin:$PATH"' % self.venv)
        (self.home / "env.sh").write_text("\n".join(lines) + "\n")

    def _recreate_database(self) -> None:
        conn = self._admin_connection()
        try:
            with conn.cursor() as cur:
                cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.database)
                cur.execute("CREATE DATABASE \"%s\" ENCODING 'UTF8' TEMPLATE template0" % self.database)
        finally:
            conn.close()

    @property
    def runs_fab(self) -> bool:
        """Whether FAB is the auth manager: always on 2.x, when asked for on 3.x."""
        return not is_airflow3(self.version) or self._settings.get("auth_manager") == "fab"

    @property
    def _template_database(self) -> str:
        """A freshly migrated database (with the Admin user under FAB), one per Airflow virtualenv and
        auth manager: it holds nothing of a particular environment (no secret, no DAG), so every later
        environment of that Airflow starts as a copy of it instead of running `airflow db migrate` again."""
        fab = "_fab" if is_airflow3(self.version) and self.runs_fab else ""
        return "template_" + Path(self.venv).name.replace("-", "_").replace(".", "_") + fab

    def _admin_connection(self) -> Any:
        import psycopg2

        conn = psycopg2.connect(stack_info()["postgres_url"])
        conn.autocommit = True
        return conn

    def _copy_template_database(self) -> bool:
        conn = self._admin_connection()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self._template_database,))
                if cur.fetchone() is None:
                    return False
                cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.database)
                cur.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (self.database, self._template_database))
                return True
        finally:
            conn.close()

    def _save_as_template_database(self) -> None:
        import psycopg2.errors

        conn = self._admin_connection()
        try:
            with conn.cursor() as cur:
                try:
                    cur.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (self._template_database, self.database))
                except (psycopg2.errors.DuplicateDatabase, psycopg2.errors.ObjectInUse):
                    return  # another environment of this version made it first, or is being made
                # Nobody connects to it, so copying from it is never refused for a connection.
                cur.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false' % self._template_database)
        finally:
            conn.close()

    def _recreate_log_group(self) -> None:
        logs = self.boto3_client("logs")
        try:
            logs.delete_log_group(logGroupName=self.log_group)
        except logs.exceptions.ResourceNotFoundException:
            pass
        logs.create_log_group(logGroupName=self.log_group)

    # --- configuration --------------------------------------------------------------

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    @property
    def plugins_folder(self) -> Path:
        """The Airflow plugins folder (on MWAA: what plugins.zip unpacks to)."""
        return self.home / "plugins"

    def set_options(self, options: Dict[str, Dict[str, str]]) -> None:
        """Adds or replaces Airflow configuration options; processes started later read them
        (restart with stop() and start() to apply them to running ones)."""
        merged = {section: dict(keys) for section, keys in self._settings.get("options", {}).items()}
        for section, keys in options.items():
            merged.setdefault(section, {}).update(keys)
        self._settings["options"] = merged
        self.save()

    @property
    def passwords_file(self) -> Path:
        """Airflow 3: the simple auth manager's users and passwords."""
        return self.home / "simple_auth_manager_passwords.json"

    @property
    def sql_url(self) -> str:
        """SQLAlchemy URL of the metadata database (what Airflow itself uses)."""
        return "postgresql+psycopg2://postgres@127.0.0.1:%d/%s" % (
            stack_info()["ports"]["postgres"],
            self.database,
        )

    @property
    def dsn(self) -> str:
        """libpq URL of the metadata database (psycopg2.connect, psql)."""
        return "postgresql://postgres@127.0.0.1:%d/%s" % (stack_info()["ports"]["postgres"], self.database)

    @property
    def account_id(self) -> str:
        return self._settings.get("aws_account", {}).get("account_id", MOTO_ACCOUNT_ID)

    @property
    def log_group_arn(self) -> str:
        return "arn:aws:logs:%s:%s:log-group:%s" % (stack_info()["aws_region"], self.account_id, self.log_group)

    def _aws_keys(self) -> Dict[str, str]:
        """The keys this environment calls AWS with: its account's, or the stack's own."""
        account = self._settings.get("aws_account")
        if account:
            return {"AWS_ACCESS_KEY_ID": account["access_key_id"], "AWS_SECRET_ACCESS_KEY": account["secret_access_key"]}
        env = stack_info()["env"]
        return {"AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": env["AWS_SECRET_ACCESS_KEY"]}

    def env_vars(self) -> Dict[str, str]:
        """Airflow's configuration for this environment, as AIRFLOW__* variables."""
        info = stack_info()
        endpoint = self._settings.get("aws_endpoint_url") or info["aws_endpoint_url"]
        if _version_tuple(self.version) >= (2, 9):
            basic_auth = "airflow.providers.fab.auth_manager.api.auth.backend.basic_auth"
        else:
            basic_auth = "airflow.api.auth.backend.basic_auth"
        aws_conn = {"conn_type": "aws", "extra": {"region_name": info["aws_region"], "endpoint_url": endpoint}}
        env = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.plugins_folder),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__FERNET_KEY": self.fernet_key,
            # Fork instead of a new interpreter per task: far cheaper on a small machine.
            "AIRFLOW__CORE__EXECUTE_TASKS_NEW_PYTHON_INTERPRETER": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.sql_url,
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "6",
            "AIRFLOW__SCHEDULER__PARSING_PROCESSES": "1",
            "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__API__AUTH_BACKENDS": basic_auth + ",airflow.api.auth.backend.session",
            "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(self.port),
            "AIRFLOW__WEBSERVER__BASE_URL": self.url,
            "AIRFLOW__WEBSERVER__WORKERS": "2",
            "AIRFLOW__WEBSERVER__WEB_SERVER_WORKER_TIMEOUT": "300",
            "AIRFLOW__WEBSERVER__SECRET_KEY": self._settings["secret_key"],
            "AIRFLOW__WEBSERVER__WARN_DEPLOYMENT_EXPOSURE": "False",
            "AIRFLOW__LOGGING__REMOTE_LOGGING": "True",
            "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER": "cloudwatch://" + self.log_group_arn,
            "AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID": "aws_default",
            "AIRFLOW__LOGGING__ENCRYPT_S3_LOGS": "False",
            "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(aws_conn),
            "AWS_ENDPOINT_URL": endpoint,
            **self._aws_keys(),
            # No usage telemetry from a test stack.
            "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
            "SCARF_ANALYTICS": "false",
            "DO_NOT_TRACK": "true",
        }
        if is_airflow3(self.version):
            self._airflow3_config(env)
        for section, keys in self._settings.get("options", {}).items():
            for key, value in keys.items():
                env["AIRFLOW__%s__%s" % (section.upper(), key.upper())] = str(value)
        return env

    def _airflow3_config(self, env: Dict[str, str]) -> None:
        """Rewrites the 2.x settings into Airflow 3's sections (webserver -> api, scheduler's DAG
        parsing -> dag_processor, auth backends -> simple auth manager and JWT)."""
        for key in [k for k in env if k.startswith("AIRFLOW__WEBSERVER__")] + [
            "AIRFLOW__API__AUTH_BACKENDS",
            "AIRFLOW__SCHEDULER__PARSING_PROCESSES",
            "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL",
        ]:
            del env[key]
        env.update(
            {
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": self._settings["secret_key"],
                # Tasks report their state to the api-server's execution API with a JWT that the
                # scheduler signs: every process must share the secret.
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": self.url + "/execution/",
                "AIRFLOW__API_AUTH__JWT_SECRET": self._settings["jwt_secret"],
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            }
        )
        if self.runs_fab:
            env["AIRFLOW__CORE__AUTH_MANAGER"] = FAB_AUTH_MANAGER
            return
        env.update(
            {
                "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                    ["%s:admin" % self.admin_user]
                    + ["%s:%s" % (name, entry[0].lower()) for name, entry in sorted(self._settings.get("users", {}).items())]
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            }
        )

    def process_env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """The full environment for a process of this Airflow: os.environ without any other
        Airflow or venv settings, plus the stack's AWS endpoint and this env's config."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AIRFLOW", "PYTHON")) and key not in ("VIRTUAL_ENV",)
        }
        env.update(stack_info()["env"])
        env.update(self.env_vars())
        env["PATH"] = "%s/bin:%s" % (self.venv, env.get("PATH", "/usr/bin:/bin"))
        env["VIRTUAL_ENV"] = str(self.venv)
        if extra:
            env.update(extra)
        return env

    # --- commands -------------------------------------------------------------------

    def airflow(
        self, *args: str, check: bool = True, timeout: Optional[float] = 300, env: Optional[Dict[str, str]] = None
    ) -> "subprocess.CompletedProcess[str]":
        """Runs the Airflow CLI of this environment; raises on a non-zero exit when check."""
        return self._run([str(self.venv / "bin" / "airflow")] + list(args), check, timeout, env)

    def python(
        self,
        args: Sequence[str],
        check: bool = True,
        timeout: Optional[float] = 600,
        env: Optional[Dict[str, str]] = None,
        input: Optional[str] = None,
    ) -> "subprocess.CompletedProcess[str]":
        """Runs this environment's Python (e.g. ["-m", "some.module", ...]) with its config."""
        return self._run([str(self.venv / "bin" / "python")] + list(args), check, timeout, env, input)

    def _run(
        self,
        argv: List[str],
        check: bool,
        timeout: Optional[float],
        env: Optional[Dict[str, str]],
        input: Optional[str] = None,
    ) -> "subprocess.CompletedProcess[str]":
        result = subprocess.run(
            argv,
            env=self.process_env(env),
            cwd=str(self.home),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
        if check and result.returncode != 0:
            raise AirflowEnvError(
                "%s (Airflow %s, env %r) exited %d:\n%s"
                % (
                    " ".join(argv[-6:]),
                    self.version,
                    self.name,
                    result.returncode,
                    (result.stderr or result.stdout)[-4000:],
                )
            )
        return result

    # --- processes ------------------------------------------------------------------

    def _pidfile(self, role: str) -> Path:
        return PIDS_DIR / ("airflow-%s-%s.pid" % (self.name, role))

    def log_file(self, role: str) -> Path:
        return LOGS_DIR / ("airflow-%s-%s.log" % (self.name, role))

    def running(self, role: str) -> bool:
        pidfile = self._pidfile(role)
        if not pidfile.exists():
            return False
        try:
            os.kill(int(pidfile.read_text().strip()), 0)
            return True
        except (OSError, ValueError):
            return False

    def start(self, scheduler: bool = True, webserver: bool = True) -> None:
        """Starts the scheduler and webserver in the background (no-op for those running).
        On Airflow 3 `webserver` means the api-server, and the dag-processor starts with the scheduler."""
        PIDS_DIR.mkdir(parents=True, exist_ok=True)
        LOGS_DIR.mkdir(parents=True, exist_ok=True)
        if is_airflow3(self.version):
            self._start_airflow3(scheduler, webserver)
            return
        if webserver and not self.running("webserver"):
            if port_in_use(self.port):
                raise AirflowEnvError(
                    "port %d for the webserver of %r is taken by another process" % (self.port, self.name)
                )
            self._spawn("webserver", ["webserver"])
        if scheduler and not self.running("scheduler"):
            self._spawn("scheduler", SCHEDULER_ARGS)

    def _start_airflow3(self, scheduler: bool, api_server: bool) -> None:
        if api_server and not self.running("api-server"):
            if port_in_use(self.port):
                raise AirflowEnvError(
                    "port %d for the api-server of %r is taken by another process" % (self.port, self.name)
                )
            self._spawn("api-server", ["api-server"])
        if scheduler:
            if not self.running("dag-processor"):
                self._spawn("dag-processor", ["dag-processor"])
            if not self.running("scheduler"):
                self._spawn("scheduler", SCHEDULER_ARGS)

    def _spawn(self, role: str, args: List[str]) -> None:
        with open(self.log_file(role), "ab") as log:
            process = subprocess.Popen(
                [str(self.venv / "bin" / "airflow")] + args,
                env=self.process_env(),
                cwd=str(self.home),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._pidfile(role).write_text(str(process.pid))

    def stop(self) -> None:
        """Stops the scheduler and webserver (their whole process groups); on Airflow 3 the
        scheduler, dag-processor and api-server."""
        for role in _roles(self.version):
            pidfile = self._pidfile(role)
            if pidfile.exists():
                stop_pidfile(pidfile)

    def wait_healthy(
        self,
        timeout: float = 300,
        scheduler: Optional[bool] = None,
        stall_seconds: float = SCHEDULER_STALL_SECONDS,
    ) -> Dict[str, Any]:
        """Waits until /health reports the metadatabase (and the scheduler, when it runs) healthy.

        A scheduler whose process is alive but that Airflow calls unhealthy for
        stall_seconds is wedged: its stacks are saved for diagnosis and it is
        restarted once. A second stall fails with the scheduler log's tail."""
        import requests

        if scheduler is None:
            scheduler = self.running("scheduler")
        http_role = _http_role(self.version)
        health_url = self.url + ("/api/v2/monitor/health" if is_airflow3(self.version) else "/health")
        deadline = time.monotonic() + timeout
        last = "no answer"
        stalled_since: Optional[float] = None
        restarted = False
        while time.monotonic() < deadline:
            for role in (http_role,) + (("scheduler",) if scheduler else ()):
                if self._pidfile(role).exists() and not self.running(role):
                    raise AirflowEnvError("the %s of %r exited; see %s" % (role, self.name, self.log_file(role)))
            try:
                response = requests.get(health_url, timeout=5)
                if response.status_code == 200:
                    health = response.json()
                    db_ok = health.get("metadatabase", {}).get("status") == "healthy"
                    sched_state = health.get("scheduler", {}).get("status")
                    if db_ok and (sched_state == "healthy" or not scheduler):
                        return health
                    last = json.dumps(health)
                    if scheduler and sched_state == "unhealthy":
                        stalled_since = stalled_since or time.monotonic()
                    else:
                        stalled_since = None
                else:
                    last = "HTTP %d" % response.status_code
            except requests.RequestException as error:
                last = str(error)
            if stalled_since is not None and time.monotonic() - stalled_since > stall_seconds:
                if restarted:
                    break
                self._restart_wedged_scheduler(stall_seconds)
                restarted, stalled_since = True, None
            time.sleep(1)
        raise AirflowEnvError(
            "Airflow %r on %s not healthy after %.0f s (last: %s); see %s%s"
            % (self.name, self.url, timeout, last, self.log_file(http_role), self._scheduler_log_tail())
        )

    def _restart_wedged_scheduler(self, stalled_for: float) -> None:
        stacks = self.log_file("scheduler-stacks")
        dump_process_group_stacks(self._pidfile("scheduler"), stacks)
        print(
            "[airflow %s] scheduler alive but not heartbeating for %d s; its stacks are in %s; restarting it"
            % (self.name, stalled_for, stacks),
            file=sys.stderr,
            flush=True,
        )
        stop_pidfile(self._pidfile("scheduler"))
        self._spawn("scheduler", SCHEDULER_ARGS)

    def _scheduler_log_tail(self, lines: int = 25) -> str:
        path = self.log_file("scheduler")
        if not path.exists():
            return ""
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- last %d lines of %s ---\n%s" % (len(tail), path, "\n".join(tail))

    # --- clients --------------------------------------------------------------------

    def rest(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Optional[Dict[str, Any]] = None,
        expect: Sequence[int] = (200,),
    ) -> Any:
        """A REST API call as the Admin user; path relative to /api/v1 ("/dags"), or /api/v2 with a
        JWT on Airflow 3; a path under /api/ or /auth/ (the FAB auth manager's API, "/auth/fab/v1/roles")
        is taken as it is. Returns the decoded JSON body (None when empty); raises RestError otherwise."""
        import requests

        airflow3 = is_airflow3(self.version)
        if not path.startswith(("/api/", "/auth/")):
            path = ("/api/v2" if airflow3 else "/api/v1") + (path if path.startswith("/") else "/" + path)
        url = self.url + path
        credentials: Dict[str, Any] = (
            {"headers": {"Authorization": "Bearer " + self.jwt()}}
            if airflow3
            else {"auth": (self.admin_user, self.admin_password)}
        )
        response = requests.request(method.upper(), url, json=json, params=params, timeout=60, **credentials)
        if response.status_code not in expect:
            raise RestError(method.upper(), url, response.status_code, response.text)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def add_fab_user(self, name: str, role: str, password: str) -> None:
        """A user of the FAB auth manager with one role (built-in or custom; it must exist)."""
        if not self.runs_fab:
            raise AirflowEnvError("%r runs the simple auth manager: give its users to create()" % self.name)
        self.airflow(
            "users", "create", "--username=" + name, "--password=" + password, "--role=" + role,
            "--email=%s@example.com" % name, "--firstname=" + name, "--lastname=Local",
        )
        self._settings.setdefault("users", {})[name] = [role, password]
        self.save()

    def jwt(self, user: Optional[str] = None) -> str:
        """Airflow 3: an access token from the api-server's /auth/token, for the Admin user or
        another user (given to create(), or add_fab_user)."""
        import requests

        url = self.url + "/auth/token"
        password = self.admin_password if user in (None, self.admin_user) else self._settings["users"][user][1]
        response = requests.post(
            url, json={"username": user or self.admin_user, "password": password}, timeout=60
        )
        if response.status_code not in (200, 201):
            raise RestError("POST", url, response.status_code, response.text)
        return response.json()["access_token"]

    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> List[tuple]:
        """Rows of a read-only SQL query against the metadata database."""
        import psycopg2

        conn = psycopg2.connect(self.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def boto3_client(self, service: str) -> Any:
        import boto3

        info = stack_info()
        return boto3.client(
            service,
            endpoint_url=info["aws_endpoint_url"],
            region_name=info["aws_region"],
            aws_access_key_id=self._aws_keys()["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self._aws_keys()["AWS_SECRET_ACCESS_KEY"],
        )

    def __repr__(self) -> str:
        return "AirflowEnv(name=%r, version=%r, url=%r)" % (self.name, self.version, self.url)


def _admin_user_args() -> List[str]:
    return [
        "--username=" + ADMIN_USER,
        "--password=" + ADMIN_PASSWORD,
        "--role=Admin",
        "--email=admin@example.com",
        "--firstname=Local",
        "--lastname=Admin",
    ]


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)
