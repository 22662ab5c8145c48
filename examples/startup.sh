#!/bin/sh
# Runs on every MWAA container before Airflow starts.
export ENVIRONMENT_STAGE="migration-target"
