import * as assert from "assert";
import {
  configFindings,
  constraintFindings,
  importErrorFinding,
  parseLock,
  parseOptionAssignment,
  parseRequirements,
  pluginFindings,
  removedContextKeys,
  requirementFindings,
  ruffFindings,
  ruffRules,
  satisfies,
  templateFindings,
} from "./checks";

describe("check-dags: ruff's AIR rules", () => {
  it("selects the Airflow 3 rules for a move from 2.x, and AIR321 only across 3.1", () => {
    assert.deepEqual(ruffRules("3.0.6", "2.10.3"), [
      "AIR301",
      "AIR302",
      "AIR303",
      "AIR304",
      "AIR311",
      "AIR312",
    ]);
    assert.ok(ruffRules("3.3.2", "2.10.3").includes("AIR321"));
    assert.deepEqual(ruffRules("3.3.2", "3.0.6"), ["AIR321"]);
    assert.deepEqual(ruffRules("3.3.2", "3.2.1"), []);
    assert.deepEqual(ruffRules("2.11.0", "2.8.1"), []);
  });

  it("takes a 3.x target without a source version to come from 2.x", () => {
    assert.ok(ruffRules("3.3.2").includes("AIR301"));
    assert.deepEqual(ruffRules("2.11.0"), []);
  });

  it("turns ruff's JSON into findings: relative file, line, rule, message and suggested fix", () => {
    const findings = ruffFindings(
      [
        {
          code: "AIR301",
          message: "`schedule_interval` is removed in Airflow 3.0",
          filename: "/dags/team/etl.py",
          location: { row: 10, column: 5 },
          fix: { message: "Use `schedule` instead", applicability: "safe" },
        },
        {
          code: "AIR312",
          message: "`airflow.operators.bash.BashOperator` is deprecated and moved into `standard` provider;",
          filename: "/dags/etl.py",
          location: { row: 3, column: 1 },
          fix: null,
        },
        { code: null, message: "syntax error", filename: "/dags/x.py", location: null, fix: null },
      ],
      "/dags",
    );
    assert.equal(findings.length, 2);
    assert.deepEqual(findings[0], {
      category: "upgrade rules",
      severity: "blocks",
      file: "team/etl.py",
      line: 10,
      rule: "AIR301",
      message: "`schedule_interval` is removed in Airflow 3.0",
      fix: "Use `schedule` instead (ruff --fix applies it)",
    });
    assert.equal(findings[1].severity, "warns");
    assert.equal(findings[1].fix, undefined);
    assert.ok(!findings[1].message.endsWith(";"));
  });
});

describe("check-dags: DagBag import errors", () => {
  const traceback = [
    "Traceback (most recent call last):",
    '  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed',
    '  File "/dags/factory.py", line 20, in <module>',
    "    operator_class(task['operator'])",
    '  File "/dags/factory.py", line 16, in operator_class',
    "    return getattr(importlib.import_module(module), name)",
    '  File "/venv/lib/python3.11/importlib/__init__.py", line 126, in import_module',
    "ModuleNotFoundError: No module named 'airflow.operators.dummy'",
    "",
  ].join("\n");

  it("names the deepest frame in the DAG file and the exception's last line", () => {
    const finding = importErrorFinding("/dags", "/dags/factory.py", traceback, "3.3.2");
    assert.equal(finding.file, "factory.py");
    assert.equal(finding.line, 16);
    assert.equal(finding.rule, "ModuleNotFoundError");
    assert.equal(finding.message, "ModuleNotFoundError: No module named 'airflow.operators.dummy'");
    assert.equal(finding.severity, "blocks");
    assert.match(finding.fix ?? "", /Airflow 3\.3\.2 has no such module/);
  });

  it("reads a SyntaxError's location, and says a third-party module may come from requirements.txt", () => {
    const syntax = importErrorFinding(
      "/dags",
      "/dags/x.py",
      '  File "/dags/x.py", line 2\n    def broken(:\n               ^\nSyntaxError: invalid syntax\n',
      "3.3.2",
    );
    assert.equal(syntax.line, 2);
    assert.equal(syntax.message, "SyntaxError: invalid syntax");
    const missing = importErrorFinding(
      "/dags",
      "/dags/y.py",
      "ModuleNotFoundError: No module named 'snowflake'",
      "3.3.2",
    );
    assert.equal(missing.line, undefined);
    const database = importErrorFinding(
      "/dags",
      "/dags/z.py",
      "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) no such table: slot_pool\n" +
        "(Background on this error at: https://sqlalche.me/e/14/e3q8)\n",
      "2.11.0",
    );
    assert.equal(database.rule, "OperationalError");
    assert.match(database.message, /^sqlalchemy\.exc\.OperationalError: /);
    assert.match(missing.fix ?? "", /snowflake is not in the target's lock/);
  });
});

describe("check-dags: template context keys", () => {
  const removed = removedContextKeys(
    ["ds", "execution_date", "logical_date", "next_ds", "prev_ds", "conf"],
    ["ds", "logical_date"],
  );

  it("removed keys are the source's minus the target's", () => {
    assert.deepEqual(removed, ["conf", "execution_date", "next_ds", "prev_ds"]);
  });

  it("finds removed keys in templates and in context reads, with the line and the replacement", () => {
    const text = [
      "x = 1",
      'bash_command="echo {{ execution_date }} {{ ds }} {{ next_ds }}",',
      'sql="{% if prev_ds %}select 1{% endif %}"',
      'print(context["execution_date"], kwargs.get("prev_ds"))',
      'print("{{ dag_run.execution_date }} {{ params.prev_ds }} {{ dag_run.conf }}")',
      'logical = "{{ logical_date }}"',
    ].join("\n");
    const found = templateFindings("etl.py", text, removed).map((f) => `${f.line}:${f.rule}`);
    assert.deepEqual(found, [
      "2:execution_date",
      "2:next_ds",
      "3:prev_ds",
      "4:execution_date",
      "4:prev_ds",
      "5:execution_date",
    ]);
    const first = templateFindings("etl.py", text, removed)[0];
    assert.equal(first.fix, "use logical_date");
    assert.equal(first.severity, "blocks");
  });

  it("reads only templates in a template file, and nothing when no key was removed", () => {
    const sql = "select * from t where d = '{{ prev_ds }}' and k = \"execution_date\"";
    assert.deepEqual(
      templateFindings("q.sql", sql, removed).map((f) => f.rule),
      ["prev_ds"],
    );
    assert.deepEqual(templateFindings("etl.py", "{{ execution_date }}", []), []);
  });
});

describe("check-dags: requirements against the target's lock", () => {
  const lock = parseLock(
    [
      "# comment",
      "apache-airflow==3.3.2",
      "Apache_Airflow.Providers-Amazon==9.36.0",
      "pendulum==3.2.0 \\",
      "requests==2.34.2",
    ].join("\n"),
  );

  it("reads a lock with normalized names", () => {
    assert.equal(lock["apache-airflow-providers-amazon"], "9.36.0");
    assert.equal(lock["pendulum"], "3.2.0");
  });

  it("reads requirement lines, leaving out options and URLs", () => {
    const parsed = parseRequirements(
      "--constraint x\n-r other.txt\nfoo[extra]>=1.0,<2 ; python_version>'3'\nbar @ https://x/bar.whl\n\nbaz # c\n",
    );
    assert.deepEqual(
      parsed.requirements.map((r) => [r.line, r.name, r.specifiers]),
      [
        [
          3,
          "foo",
          [
            [">=", "1.0"],
            ["<", "2"],
          ],
        ],
        [6, "baz", []],
      ],
    );
    assert.deepEqual(
      parsed.unchecked.map((r) => r.line),
      [4],
    );
  });

  it("compares versions as PEP 440 releases, and says when it cannot", () => {
    assert.equal(satisfies("3.2.0", "<", "3"), false);
    assert.equal(satisfies("3.2.0", ">=", "3.2"), true);
    assert.equal(satisfies("9.36.0", "~=", "9.0"), true);
    assert.equal(satisfies("10.0.0", "~=", "9.0"), false);
    assert.equal(satisfies("2.34.2", "==", "2.34.*"), true);
    assert.equal(satisfies("2.34.2", "!=", "2.34.*"), false);
    assert.equal(satisfies("1.0rc1", ">=", "1.0"), undefined);
  });

  it("blocks pins that exclude the lock's version and an Airflow pin; warns on unlocked providers", () => {
    const text = [
      "apache-airflow==2.10.3",
      "apache-airflow-providers-amazon==9.0.0",
      "apache-airflow-providers-snowflake==5.8.0",
      "pendulum<3",
      "requests>=2.31",
      "unknown-package==1.0",
    ].join("\n");
    const findings = requirementFindings("requirements.txt", text, lock, "3.3.2", "airflow-3.3.2.txt", true);
    assert.deepEqual(
      findings.map((f) => [f.line, f.rule, f.severity]),
      [
        [1, "apache-airflow", "blocks"],
        [2, "apache-airflow-providers-amazon", "blocks"],
        [3, "apache-airflow-providers-snowflake", "warns"],
        [4, "pendulum", "blocks"],
      ],
    );
    assert.match(findings[1].fix ?? "", /apache-airflow-providers-amazon==9\.36\.0/);
    assert.deepEqual(
      requirementFindings("r.txt", "apache-airflow-providers-snowflake==5.8.0", lock, "3.3.2", "l", false),
      [],
    );
  });

  it("blocks a constraint file of another Airflow release", () => {
    const url = "https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt";
    assert.equal(constraintFindings("requirements.txt", [url], "3.3.2")[0].severity, "blocks");
    assert.deepEqual(constraintFindings("requirements.txt", [url], "2.10.3"), []);
  });
});

describe("check-dags: configuration options", () => {
  it("parses section.option=value", () => {
    assert.deepEqual(parseOptionAssignment("Core.Dag_Concurrency=16"), ["core.dag_concurrency", "16"]);
    assert.deepEqual(parseOptionAssignment("core.x=a=b"), ["core.x", "a=b"]);
    assert.throws(() => parseOptionAssignment("dag_concurrency=16"), /section\.option=value/);
  });

  it("blocks renamed and removed options with the replacement; warns on default changes and deprecated names", () => {
    const findings = configFindings(
      {
        changes: {
          "core.dag_concurrency": {
            message: "`dag_concurrency` configuration parameter renamed to `max_active_tasks_per_dag`",
            renamed_to: "core.max_active_tasks_per_dag",
            removed: false,
            breaking: false,
            default_change: false,
            suggestion: "",
          },
          "core.check_slas": {
            message: "Removed deprecated `check_slas` configuration parameter from `core` section.",
            renamed_to: null,
            removed: true,
            breaking: false,
            default_change: false,
            suggestion: "The SLA feature is removed in Airflow 3.0",
          },
          "scheduler.catchup_by_default": {
            message: "Changed default value of `catchup_by_default`",
            renamed_to: null,
            removed: false,
            breaking: true,
            default_change: true,
            suggestion: "",
          },
        },
        deprecated: { "core.sql_alchemy_conn": { renamed_to: "database.sql_alchemy_conn", since: "2.3.0" } },
        unknown: ["core.no_such_option"],
      },
      "3.3.2",
      { "core.dag_concurrency": "Pulumi.dev.yaml" },
    );
    assert.deepEqual(
      findings.map((f) => [f.rule, f.severity, f.fix]),
      [
        ["core.dag_concurrency", "blocks", "set core.max_active_tasks_per_dag instead"],
        ["core.check_slas", "blocks", "The SLA feature is removed in Airflow 3.0"],
        ["scheduler.catchup_by_default", "warns", undefined],
        ["core.sql_alchemy_conn", "warns", "set database.sql_alchemy_conn instead"],
        ["core.no_such_option", "warns", "check the name, or that a provider in requirements.txt defines it"],
      ],
    );
    assert.equal(findings[0].file, "Pulumi.dev.yaml");
  });
});

describe("check-dags: plugins.zip", () => {
  it("blocks AirflowPlugin operator lists and names the move for custom classes", () => {
    const findings = pluginFindings(
      [
        {
          file: "legacy.py",
          line: 12,
          kind: "plugin-operators",
          name: "LegacyPlugin",
          plugin: "legacy",
          members: ["LoadOperator"],
        },
        { file: "ops/load.py", line: 3, kind: "operator", name: "LoadOperator" },
        {
          file: "bad.py",
          line: 1,
          kind: "unreadable",
          name: null,
          message: "not valid Python: invalid syntax",
        },
      ],
      "plugins.zip",
    );
    assert.deepEqual(
      findings.map((f) => [f.file, f.line, f.severity]),
      [
        ["plugins.zip:legacy.py", 12, "blocks"],
        ["plugins.zip:ops/load.py", 3, "warns"],
        ["plugins.zip:bad.py", 1, "blocks"],
      ],
    );
    assert.match(findings[0].message, /airflow\.operators\.legacy/);
    assert.match(findings[0].fix ?? "", /move LoadOperator into the DAG folder/);
    assert.match(findings[1].fix ?? "", /dags\/ops\/load\.py/);
  });
});
