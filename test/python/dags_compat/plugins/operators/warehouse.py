"""A custom operator and its hook, kept in plugins.zip."""

from airflow.hooks.base import BaseHook
from airflow.models import BaseOperator


class WarehouseHook(BaseHook):
    def __init__(self, conn_id="warehouse_default"):
        super().__init__()
        self.conn_id = conn_id


class WarehouseLoadOperator(BaseOperator):
    def __init__(self, table, **kwargs):
        super().__init__(**kwargs)
        self.table = table

    def execute(self, context):
        WarehouseHook()
        return self.table


class PartitionedLoadOperator(WarehouseLoadOperator):
    """A subclass of a custom operator is a custom operator too."""
