"""Run by the Python of an Airflow virtualenv (not imported): the parts of `npm run check-dags` that need
Airflow itself. Each command writes one JSON document to <out> (Airflow logs to stdout).

    python compat/probe.py dagbag <dag folder> <out.json>       DAGs and import errors per file (DagBag)
    python compat/probe.py context-keys <out.json>              the template context keys of this version
    python compat/probe.py config <options.json> <out.json>     configuration options against this version
    python compat/probe.py plugins <plugins.zip> <out.json>     operators, sensors and hooks in a plugins.zip

No database is needed: DagBag parses files, and the configuration is read from the environment.
"""

import ast
import json
import os
import sys
import time
import warnings
import zipfile

warnings.simplefilter("ignore")


def write(out, document):
    with open(out, "w") as handle:
        json.dump(document, handle, indent=1, sort_keys=True, default=str)


def dagbag(folder, *rest):
    """The DAGs of <folder> per file and the import errors, as the target's DAG processor sees them; a
    plugins.zip given before <out> is unpacked into the plugins folder first, which is on the DAGs' path."""
    *plugins_zip, out = rest
    if plugins_zip:
        with zipfile.ZipFile(plugins_zip[0]) as archive:
            archive.extractall(os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"])
    try:  # Airflow 3
        from airflow.dag_processing.dagbag import DagBag

        options = {}
    except ImportError:  # Airflow 2: some operators read the database while the file loads (SubDagOperator
        # its pools), so the throwaway AIRFLOW_HOME gets a SQLite one, as the scheduler would have.
        from airflow.models.dagbag import DagBag
        from airflow.utils import db

        db.upgradedb(reserialize_dags=False)
        options = {"include_examples": False}
    # The DAG processor puts the DAG folder on the path (Airflow 3 does it in the processor, not at start),
    # so a DAG file may import a module beside it.
    if folder not in sys.path:
        sys.path.insert(0, folder)
    started = time.monotonic()
    # Safe mode as the target's configuration has it (on by default): files that mention neither
    # "airflow" nor "dag" are helpers, not DAG files, for the scheduler too.
    bag = DagBag(dag_folder=folder, **options)
    files = {}
    for dag in bag.dags.values():
        if getattr(dag, "parent_dag", None) is not None:  # a 2.x SubDAG: its parent is the DAG
            continue
        files.setdefault(dag.fileloc, []).append(dag.dag_id)
    write(
        out,
        {
            "seconds": round(time.monotonic() - started, 3),
            "dags": {path: sorted(ids) for path, ids in files.items()},
            "import_errors": dict(bag.import_errors),
        },
    )


def context_keys(out):
    try:  # Airflow 3: the Task SDK's context
        from airflow.sdk.definitions.context import KNOWN_CONTEXT_KEYS
    except ImportError:  # Airflow 2
        from airflow.utils.context import KNOWN_CONTEXT_KEYS
    write(out, sorted(KNOWN_CONTEXT_KEYS))


def config(options_file, out):
    """Every option given ("section.option": value) against this version's own data: the Airflow 3
    upgrade lint's changes (`airflow config lint`), the options this version renamed (deprecated names it
    still reads), and whether this version knows the option at all."""
    with open(options_file) as handle:
        options = json.load(handle)
    # The lint reads values through `conf`: give it the options as the environment would.
    for key, value in options.items():
        section, _, option = key.partition(".")
        os.environ["AIRFLOW__%s__%s" % (section.upper(), option.upper())] = str(value)
    from airflow.configuration import conf

    changes = {}
    try:
        from airflow.cli.commands.config_command import CONFIGS_CHANGES
    except ImportError:  # Airflow 2: no upgrade lint
        CONFIGS_CHANGES = []
    for change in CONFIGS_CHANGES:
        key = "%s.%s" % (change.config.section, change.config.option)
        if key not in options:
            continue
        try:
            message = change.message
        except Exception as error:  # a value the lint cannot read: say so rather than fail
            message = "%s (the lint could not read the value: %s)" % (key, error)
        if message is None:
            continue
        changes[key] = {
            "message": " ".join(message.split()),
            "renamed_to": (
                "%s.%s" % (change.renamed_to.section, change.renamed_to.option) if change.renamed_to else None
            ),
            "removed": bool(change.was_removed and not change.renamed_to and not change.default_change),
            "breaking": bool(change.breaking),
            "default_change": bool(change.default_change),
            "suggestion": " ".join((change.suggestion or "").split()),
        }
    deprecated = {}
    for (new_section, new_option), (old_section, old_option, since) in conf.deprecated_options.items():
        deprecated["%s.%s" % (old_section, old_option)] = {
            "renamed_to": "%s.%s" % (new_section, new_option),
            "since": since,
        }
    known = set()
    for section, entries in conf.configuration_description.items():
        for option in entries.get("options", {}):
            known.add("%s.%s" % (section, option))
    write(
        out,
        {
            "changes": changes,
            "deprecated": {key: value for key, value in deprecated.items() if key in options},
            "unknown": sorted(key for key in options if key not in known and key not in deprecated),
        },
    )


# The base classes whose subclasses a plugins.zip may define, by kind.
BASES = {
    "BaseOperator": "operator",
    "BaseSensorOperator": "sensor",
    "BaseHook": "hook",
    "DbApiHook": "hook",
    "AwsBaseHook": "hook",
}
# The AirflowPlugin lists Airflow 2.0 stopped importing (airflow.operators.<plugin> and the like).
PLUGIN_LISTS = ("operators", "sensors", "hooks")


def _name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _scan_module(path, source, found):
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as error:
        found.append({"file": path, "line": error.lineno, "kind": "unreadable", "name": None,
                      "message": "not valid Python: %s" % error.msg})
        return
    classes = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            classes[node.name] = node
    kinds = {}

    def kind_of(name, seen=()):
        if name in kinds:
            return kinds[name]
        node = classes.get(name)
        if node is None or name in seen:
            return BASES.get(name)
        kind = None
        for base in node.bases:
            base_name = _name(base)
            if base_name in BASES:
                kind = BASES[base_name]
            elif base_name in classes:
                kind = kind_of(base_name, seen + (name,))
            elif base_name and base_name.endswith("Sensor"):
                kind = "sensor"
            elif base_name and base_name.endswith("Hook"):
                kind = "hook"
            elif base_name and base_name.endswith("Operator"):
                kind = "operator"
            if kind:
                break
        kinds[name] = kind
        return kind

    for name, node in classes.items():
        bases = [_name(base) for base in node.bases]
        if "AirflowPlugin" in bases:
            plugin_name = None
            for statement in node.body:
                if (isinstance(statement, ast.Assign) and any(_name(t) == "name" for t in statement.targets)
                        and isinstance(statement.value, ast.Constant)):
                    plugin_name = statement.value.value
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                for target in statement.targets:
                    attr = _name(target)
                    listed = isinstance(statement.value, (ast.List, ast.Tuple)) and statement.value.elts
                    if attr in PLUGIN_LISTS and listed:
                        members = [_name(element) or ast.unparse(element) for element in statement.value.elts]
                        found.append({"file": path, "line": statement.lineno, "kind": "plugin-" + attr,
                                      "name": name, "plugin": plugin_name, "members": members})
            continue
        kind = kind_of(name)
        if kind:
            found.append({"file": path, "line": node.lineno, "kind": kind, "name": name})


def plugins(zip_path, out):
    found = []
    with zipfile.ZipFile(zip_path) as archive:
        for info in sorted(archive.infolist(), key=lambda item: item.filename):
            if info.is_dir() or not info.filename.endswith(".py"):
                continue
            _scan_module(info.filename, archive.read(info).decode("utf-8", "replace"), found)
    write(out, found)


COMMANDS = {"dagbag": dagbag, "context-keys": context_keys, "config": config, "plugins": plugins}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
