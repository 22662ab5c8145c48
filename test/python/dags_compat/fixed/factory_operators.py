"""Operator classes by dotted name, for dag_factory.py: a module beside the DAG files, imported the way
the DAG processor allows (the DAG folder is on the path)."""

import importlib


def operator_class(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
