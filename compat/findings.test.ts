import * as assert from "assert";
import { categoryTable, collapseWarnings, Finding, isBlocked, reportText } from "./findings";

const DAG_MOVED: Omit<Finding, "file" | "line"> = {
  category: "upgrade rules",
  severity: "warns",
  rule: "AIR311",
  message: "`airflow.DAG` is removed in Airflow 3.0",
  fix: "use airflow.sdk.DAG",
};

const FINDINGS: Finding[] = [
  { ...DAG_MOVED, file: "b.py", line: 7 },
  { ...DAG_MOVED, file: "a.py", line: 3 },
  {
    category: "upgrade rules",
    severity: "blocks",
    file: "a.py",
    line: 10,
    rule: "AIR301",
    message: "`schedule_interval` is removed",
    fix: "Use `schedule` instead",
  },
  {
    category: "parse",
    severity: "blocks",
    file: "a.py",
    line: 7,
    rule: "TypeError",
    message: "TypeError: boom",
  },
];

describe("check-dags: the report", () => {
  it("collapses a warning repeated in several places into one row, blocking rows first", () => {
    const rows = collapseWarnings(FINDINGS.filter((f) => f.category === "upgrade rules"));
    assert.deepEqual(
      rows.map((r) => [r.finding.rule, r.places]),
      [
        ["AIR301", ["a.py:10"]],
        ["AIR311", ["b.py:7", "a.py:3"]],
      ],
    );
  });

  it("prints a table per category with location, result, rule, message and fix", () => {
    const table = categoryTable("upgrade rules", FINDINGS, {
      category: "upgrade rules",
      note: "ruff 0.17.6",
    });
    const lines = table.split("\n");
    assert.equal(lines[0], "== upgrade rules (ruff 0.17.6)");
    assert.match(lines[2], /^a\.py:10 +blocks +AIR301 +`schedule_interval` is removed$/);
    assert.match(lines[3], /^ +-> Use `schedule` instead$/);
    assert.match(table, /2 places +warns +AIR311/);
    assert.match(table, /at a\.py:3, b\.py:7/);
    assert.equal(lines[lines.length - 1], "1 blocking, 2 warnings");
    assert.equal(categoryTable("plugins", FINDINGS), "== plugins\nnothing found");
    assert.equal(
      categoryTable("plugins", FINDINGS, { category: "plugins", note: "no --plugins", skipped: true }),
      "== plugins (no --plugins)",
    );
  });

  it("blocks when any finding blocks, and says so at the end", () => {
    assert.equal(isBlocked(FINDINGS), true);
    assert.equal(isBlocked(FINDINGS.filter((f) => f.severity === "warns")), false);
    const text = reportText({
      targetVersion: "3.3.2",
      sourceVersion: "2.10.3",
      dagsFolder: "dags",
      notes: [],
      dags: { "a.py": ["a"], "c.py": ["c1", "c2"] },
      findings: FINDINGS,
      blocked: true,
    });
    assert.match(text, /^check-dags: dags for Airflow 3\.3\.2 \(from 2\.10\.3\)/);
    assert.match(text, /3 DAG\(s\) in 2 file\(s\) parsed on Airflow 3\.3\.2/);
    assert.match(text, /BLOCKED: 2 finding\(s\) to fix before moving to Airflow 3\.3\.2, 2 warning\(s\)$/);
  });
});
