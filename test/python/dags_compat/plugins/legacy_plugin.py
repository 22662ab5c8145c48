"""A 1.10-era plugin: it registers its operator and sensor with AirflowPlugin, so DAGs imported them
from airflow.operators.legacy_plugin and airflow.sensors.legacy_plugin."""

from airflow.plugins_manager import AirflowPlugin

from operators.warehouse import WarehouseLoadOperator
from sensors.partition import PartitionSensor


class LegacyPlugin(AirflowPlugin):
    name = "legacy_plugin"
    operators = [WarehouseLoadOperator]
    sensors = [PartitionSensor]
