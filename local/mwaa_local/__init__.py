"""Helpers for tests and the rehearsal to drive the local stack: PostgreSQL, moto and real
Airflow environments. Import with PYTHONPATH=local from the tools venv."""

from .airflow_env import (
    AirflowEnv,
    AirflowEnvError,
    RestError,
    ensure_airflow_venv,
    free_airflow_port,
    new_fernet_key,
)
from .migration_plugin import install_migration_plugin
from .seed import plan_runs, seed_history, table_counts
from .stack import StackNotRunning, client_env, ensure_stack, stack_info, stop_all

__all__ = [
    "AirflowEnv",
    "AirflowEnvError",
    "RestError",
    "StackNotRunning",
    "client_env",
    "ensure_airflow_venv",
    "ensure_stack",
    "free_airflow_port",
    "install_migration_plugin",
    "new_fernet_key",
    "plan_runs",
    "seed_history",
    "stack_info",
    "stop_all",
    "table_counts",
]
