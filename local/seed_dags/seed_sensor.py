"""Scheduled history with a sensor in reschedule mode: it gives its slot back between
pokes, so every run leaves task_reschedule rows."""

from airflow.decorators import task
from airflow.models.taskreschedule import TaskReschedule
from airflow.sensors.python import PythonSensor
from airflow.utils.session import create_session

from seed_settings import catch_up_dag


def _ready(ti, **_):
    # Ready on the third poke: after two reschedules of this task instance.
    with create_session() as session:
        reschedules = (
            session.query(TaskReschedule)
            .filter(
                TaskReschedule.dag_id == ti.dag_id,
                TaskReschedule.task_id == ti.task_id,
                TaskReschedule.run_id == ti.run_id,
                TaskReschedule.map_index == ti.map_index,
            )
            .count()
        )
    return reschedules >= 2


with catch_up_dag("seed_sensor", max_active_runs=5) as dag:
    wait = PythonSensor(
        task_id="wait_for_partition",
        python_callable=_ready,
        mode="reschedule",
        poke_interval=2,
        timeout=120,
    )

    @task
    def consume():
        return "partition consumed"

    wait >> consume()
