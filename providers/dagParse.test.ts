import { strict as assert } from "assert";
import { dagFileKey, importErrorFinding, parseGateRefusal, parseParity, settleParity } from "./dagParse";

const TRACE = `Traceback (most recent call last):
  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed
  File "/usr/local/airflow/dags/etl/orders.py", line 4, in <module>
    from airflow.operators.dummy import DummyOperator
ModuleNotFoundError: No module named 'airflow.operators.dummy'
`;

describe("the target's parse against the source", () => {
  it("compares DAG files by their path inside the DAG folder, whichever folder each side has", () => {
    assert.equal(dagFileKey("/usr/local/airflow/dags/etl/orders.py"), "etl/orders.py");
    assert.equal(dagFileKey("/opt/airflow/dags/etl/orders.py"), "etl/orders.py");
    assert.equal(dagFileKey("etl/orders.py"), "etl/orders.py");
    assert.equal(dagFileKey("/srv/elsewhere/orders.py"), "orders.py");
  });

  it("reads an import error's file, its line in that file and the exception's last line", () => {
    assert.deepEqual(
      importErrorFinding({ filename: "/usr/local/airflow/dags/etl/orders.py", stackTrace: TRACE }),
      {
        file: "etl/orders.py",
        line: 4,
        error: "ModuleNotFoundError: No module named 'airflow.operators.dummy'",
      },
    );
    assert.deepEqual(importErrorFinding({ filename: "x.py", stackTrace: "SyntaxError: bad" }), {
      file: "x.py",
      line: 0,
      error: "SyntaxError: bad",
    });
  });

  const source = [
    { dagId: "orders", isPaused: false, fileloc: "/usr/local/airflow/dags/etl/orders.py" },
    { dagId: "sales", isPaused: false, fileloc: "/usr/local/airflow/dags/sales.py" },
    { dagId: "late", isPaused: false, fileloc: "/usr/local/airflow/dags/late.py" },
    { dagId: "old", isPaused: true, fileloc: "/usr/local/airflow/dags/old.py" },
    { dagId: "mwaa_migration_export", isPaused: false, fileloc: "/usr/local/airflow/dags/m.py" },
  ];
  const since = "2026-01-01T10:00:00+00:00";
  const observed = parseParity({
    sourceDags: source,
    targetDags: [
      { dagId: "sales", isPaused: true, lastParsedTime: "2026-01-01T10:00:30+00:00" },
      { dagId: "late", isPaused: true, lastParsedTime: "2026-01-01T09:59:00+00:00" },
      { dagId: "extra", isPaused: true, lastParsedTime: "2026-01-01T10:00:30+00:00" },
    ],
    targetImportErrors: [
      {
        filename: "/opt/airflow/dags/etl/orders.py",
        timestamp: "2026-01-01T10:00:20+00:00",
        stackTrace: TRACE,
      },
    ],
    parsedSince: since,
  });

  it("names the active source DAGs whose file fails on the target, and waits on those not parsed since", () => {
    assert.deepEqual(observed.sourceActiveDags, ["late", "orders", "sales"]);
    assert.deepEqual(observed.parsedDags, ["extra", "late", "sales"]);
    assert.deepEqual(observed.unparsed, [
      {
        dagId: "orders",
        file: "etl/orders.py",
        reason:
          "does not parse on the target: etl/orders.py:4 ModuleNotFoundError: No module named 'airflow.operators.dummy'",
      },
    ]);
    assert.deepEqual(observed.undecided, ["late"], "parsed only before the check started");
  });

  it("counts a DAG still undecided at the deadline as not on the target", () => {
    const settled = settleParity(observed, source);
    assert.deepEqual(
      settled.unparsed.map((d) => [d.dagId, d.file]),
      [
        ["late", "late.py"],
        ["orders", "etl/orders.py"],
      ],
    );
    assert.match(settled.unparsed[0].reason, /not on the target: the target does not list it/);
    assert.ok(!("undecided" in settled));
  });

  it("refuses history while an unparsed DAG is not accepted, naming each with its reason and the fix", () => {
    const settled = settleParity(observed, source);
    const refusal = parseGateRefusal(settled.unparsed, ["late"], "mwaa-migration:acceptUnparsedDags");
    assert.match(refusal ?? "", /1 DAG\(s\) active on the source do not parse on the target/);
    assert.match(
      refusal ?? "",
      /orders \(etl\/orders\.py\): does not parse on the target: etl\/orders\.py:4/,
    );
    assert.doesNotMatch(refusal ?? "", /late/);
    assert.match(refusal ?? "", /mwaa-migration:acceptUnparsedDags/);
    assert.equal(parseGateRefusal(settled.unparsed, ["late", "orders"], "k"), undefined);
  });
});
