import { strict as assert } from "assert";
import { escapeHtml, formatSeconds, renderHtml, renderJson, renderTerminal, textTable } from "./render";
import type { Report } from "./report";

const report = (overrides: Partial<Report> = {}): Report => ({
  formatVersion: 1,
  mode: "rehearsal",
  startedAt: "2026-01-01T10:00:00.000Z",
  finishedAt: "2026-01-01T10:12:00.000Z",
  source: { airflowVersion: "2.8.1", seededRuns: 300 },
  target: { airflowVersion: "2.11.0" },
  stages: [
    { stage: "bulk", seconds: 75.2, ok: true },
    { stage: "cutover", seconds: 48, ok: true },
  ],
  tables: [
    {
      table: "task_instance",
      exported: 12345,
      imported: 12000,
      skipped: 345,
      notHeld: 0,
      exportSeconds: 1.5,
      importSeconds: 4,
    },
    {
      table: "sla_miss",
      exported: 3,
      imported: 0,
      skipped: 0,
      notHeld: 3,
      notHeldReason: "Airflow 3 has no SLA misses",
      exportSeconds: 0,
      importSeconds: 0,
    },
  ],
  dags: [
    {
      dagId: "seed_etl",
      runsBefore: 180,
      runsAfter: 180,
      pausedOnSourceBefore: false,
      pausedOnSourceAfter: true,
      pausedOnTarget: false,
    },
  ],
  logs: {
    streams: 900,
    copied: 900,
    alreadyThere: 0,
    missing: 2,
    eventsCopied: 15000,
    eventsArchived: 0,
    archiveLocation: null,
  },
  freezeWindowSeconds: 52.4,
  refusedDags: [],
  reconciled: true,
  problems: [],
  ...overrides,
});

describe("rehearsal report rendering", () => {
  it("prints the verdict, stage times, freeze window, per-table and per-DAG counts and task logs in the terminal", () => {
    const text = renderTerminal(report());
    assert.match(text, /Airflow 2\.8\.1 -> 2\.11\.0/);
    assert.match(text, /RECONCILED/);
    assert.match(text, /bulk\s+1 min 15 s\s+ok/);
    assert.match(text, /Freeze window .*52\.4 s/);
    const parted = renderTerminal(
      report({
        freezeWindowParts: [
          { part: "pause and quiesce", seconds: 3.1 },
          { part: "delta export", seconds: 20 },
        ],
        stagedBeforePauseSeconds: 21.5,
      }),
    );
    assert.match(parted, /pause and quiesce 3\.1 s · delta export 20(\.0)? s/);
    assert.match(parted, /staged and parsed in 21\.5 s/);
    assert.match(text, /task_instance\s+12,345\s+12,000\s+345\s+0/);
    assert.match(text, /sla_miss\s+3\s+0\s+0\s+3/);
    assert.match(text, /sla_miss: 3 rows not held by the target: Airflow 3 has no SLA misses/);
    assert.match(text, /seed_etl\s+180\s+180\s+active -> paused\s+active/);
    assert.match(
      text,
      /900 streams, 900 copied, 0 already on the target, 2 missing at the source; 15,000 events copied/,
    );
  });

  it("shows what check-dags found in the source's DAGs for the target, blocking findings first", () => {
    const dagCompatibility = {
      targetVersion: "3.3.2",
      sourceVersion: "2.10.3",
      dagsFolder: "/dags",
      notes: [],
      dags: { "etl.py": ["etl"] },
      blocked: true,
      findings: [
        {
          category: "upgrade rules" as const,
          severity: "warns" as const,
          file: "etl.py",
          line: 3,
          rule: "AIR311",
          message: "`airflow.DAG` moved",
        },
        {
          category: "parse" as const,
          severity: "blocks" as const,
          file: "old.py",
          line: 7,
          rule: "ModuleNotFoundError",
          message: "No module named 'airflow.operators.dummy'",
        },
      ],
    };
    const text = renderTerminal(report({ dagCompatibility }));
    assert.match(
      text,
      /DAG compatibility \(check-dags, Airflow 3\.3\.2 from 2\.10\.3\): 1 blocking, 1 warnings/,
    );
    assert.match(
      text,
      /old\.py:7\s+blocks\s+ModuleNotFoundError\s+No module named 'airflow\.operators\.dummy'/,
    );
    assert.match(renderHtml(report({ dagCompatibility })), /<h2>DAG compatibility<\/h2><pre>/);
    assert.match(
      renderTerminal(report({ dagCompatibility: { error: "no lock" } })),
      /could not run: no lock/,
    );
  });

  it("shows a bundle's DAGs with the paused state its manifest recorded", () => {
    const row = { ...report().dags[0], pausedOnSourceAfter: null, pausedOnTarget: null };
    const text = renderTerminal(report({ mode: "bundle", dags: [row], refusedDags: ["old_dag"] }));
    assert.match(text, /Bundle import rehearsal into Airflow 2\.11\.0/);
    assert.match(text, /seed_etl\s+180\s+180\s+active\s+absent/);
    assert.match(text, /History refused \(DAGs the target does not have\): old_dag/);
  });

  it("shows each converted pipeline's run on the target, its tasks, and what the run bounded", () => {
    const withPipelines = report({
      pipelines: {
        capSeconds: 60,
        log: "/tmp/reports/pipeline-runs.log",
        runs: [
          {
            definition: "nightly-log-archive.json",
            dagId: "nightly_log_archive",
            dagFile: "datapipeline/nightly_log_archive.py",
            converted: 6,
            approximated: 1,
            notConverted: 0,
            state: "success",
            seconds: 4.2,
            tasks: { wait_for_raw_logs: "success", archive_logs: "success" },
            bounded: { archive_logs: ["retries 3 -> 0"] },
          },
          {
            definition: "<orders>.json",
            dagId: "orders",
            dagFile: "datapipeline/orders.py",
            converted: 2,
            approximated: 0,
            notConverted: 1,
            state: "failed",
            tasks: { load: "failed" },
            bounded: {},
          },
        ],
      },
    });
    const text = renderTerminal(withPipelines);
    assert.match(text, /Data Pipeline pipelines: 1 of 2 converted DAGs ran to success on the target/);
    assert.match(
      text,
      /nightly-log-archive\.json +nightly_log_archive +6 +1 +0 +success in 4\.2 s +2 of 2 tasks succeeded/,
    );
    assert.match(text, /0 of 1 tasks succeeded; failed: load/);
    assert.match(text, /every wait within 60 s; bounded: nightly_log_archive\.archive_logs: retries 3 -> 0/);
    const html = renderHtml(withPipelines);
    assert.match(html, /&lt;orders&gt;\.json/);
    assert.doesNotMatch(renderTerminal(report()), /Data Pipeline pipelines/);
  });

  it("shows the target's parse check: its import errors and the source's active DAGs it does not parse", () => {
    const parsed = report({
      targetParse: {
        parsedDags: ["seed_etl"],
        importErrors: [
          {
            file: "dags/legacy.py",
            line: 3,
            error: "ModuleNotFoundError: No module named 'airflow.contrib'",
          },
        ],
        sourceActiveDags: ["seed_etl", "legacy"],
        unparsed: [
          {
            dagId: "legacy",
            file: "dags/legacy.py",
            reason: "does not parse on the target: dags/legacy.py:3",
          },
        ],
      },
    });
    const text = renderTerminal(parsed);
    assert.match(text, /DAG parse on the target\n  the target parses 1 DAGs; 1 files fail to import/);
    assert.match(text, /dags\/legacy\.py:3 ModuleNotFoundError: No module named 'airflow\.contrib'/);
    assert.match(
      text,
      /1 of 2 DAGs active on the source do not parse on the target:\n    legacy: does not parse/,
    );
    assert.match(
      renderHtml(parsed),
      /<h2>DAG parse on the target<\/h2><pre>[^<]*No module named &#39;airflow\.contrib&#39;/,
    );
    assert.doesNotMatch(renderTerminal(report()), /DAG parse on the target/);
  });

  it("says which account each side was in when the target is in another, and as whom it was reached", () => {
    const twoAccounts = report({
      source: { airflowVersion: "2.8.1", seededRuns: 300, account: "123456789012" },
      target: {
        airflowVersion: "2.11.0",
        account: "210987654321",
        reachedAs: "arn:aws:iam::210987654321:role/mwaa-migration-deployer",
      },
    });
    const line =
      "source in account 123456789012, target in account 210987654321 " +
      "(reached as arn:aws:iam::210987654321:role/mwaa-migration-deployer)";
    assert.ok(renderTerminal(twoAccounts).split("\n").includes(line));
    assert.ok(renderHtml(twoAccounts).includes(line));
    const oneAccount = report({
      source: { airflowVersion: "2.8.1", seededRuns: 300, account: "123456789012" },
      target: { airflowVersion: "2.11.0", account: "123456789012" },
    });
    assert.doesNotMatch(renderTerminal(oneAccount), /in account/);
  });

  it("names the custom web UI role made on the target, or why none was made", () => {
    const made = report({ webUiRole: { name: "RehearsalViewer", dags: ["seed_etl"], permissions: 11 } });
    const line = "Custom web UI role on the target: RehearsalViewer, 11 permissions, its DAGs seed_etl";
    assert.ok(renderTerminal(made).split("\n").includes(line));
    assert.ok(renderHtml(made).includes(line));
    const none = report({ webUiRole: { skipped: "Airflow 3.0.6 runs the simple auth manager here" } });
    assert.match(
      renderTerminal(none),
      /Custom web UI role: none made \(Airflow 3\.0\.6 runs the simple auth manager here\)/,
    );
    assert.doesNotMatch(renderTerminal(report({})), /web UI role/);
  });

  it("lists the problems when the counts do not reconcile", () => {
    const text = renderTerminal(
      report({ reconciled: false, problems: ["dag_run: the source has 6, the target gained 5"] }),
    );
    assert.match(
      text,
      /NOT RECONCILED \(1 problems\):\n {2}- dag_run: the source has 6, the target gained 5/,
    );
  });

  it("renders a self-contained HTML page with the same numbers, escaping what came from the databases", () => {
    const html = renderHtml(report({ dags: [{ ...report().dags[0], dagId: "<script>x</script>" }] }));
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.doesNotMatch(html, /<script>|<link|src=|https?:\/\//);
    assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
    assert.match(html, /12,345/);
    assert.match(html, /52\.4 s/);
    assert.match(html, /Reconciled/);
  });

  it("shows where the time went: a bar per stage, the freeze window inside the cutover, rows per second per table", () => {
    const html = renderHtml(report());
    assert.match(html, /<h2>Where the time went<\/h2>/);
    // bulk 75.2 s then cutover 48 s; the 52.4 s window is longer than the cutover, so it fills it.
    assert.match(html, /class="bar" style="left:0\.00%;width:61\.04%" title="bulk: 1 min 15 s"/);
    assert.match(html, /class="bar freeze" style="left:61\.04%;width:38\.96%"/);
    assert.match(
      html,
      /<td>task_instance<\/td><td class="num">12,345<\/td><td[^>]*>1\.5 s<\/td><td class="num">8,230<\/td>/,
    );
    assert.match(html, /<td class="num">12,345<\/td><td[^>]*>4\.0 s<\/td><td class="num">3,086<\/td>/);
    const timeSection = html.slice(
      html.indexOf("Where the time went"),
      html.indexOf("<h2>", html.indexOf("Where the time went")),
    );
    assert.doesNotMatch(timeSection, /sla_miss/, "a table with no time has no rate row");
  });

  it("writes JSON that reads back as the same report", () => {
    assert.deepEqual(JSON.parse(renderJson(report())), report());
  });

  it("aligns text columns and right-aligns numbers", () => {
    assert.deepEqual(
      textTable(
        ["t", "n"],
        [
          ["a", "5"],
          ["bb", "1,234"],
        ],
      ),
      ["t       n", "--  -----", "a       5", "bb  1,234"],
    );
  });

  it("formats durations and escapes HTML", () => {
    assert.equal(formatSeconds(9.95), "9.9 s");
    assert.equal(formatSeconds(125), "2 min 5 s");
    assert.equal(formatSeconds(null), "n/a");
    assert.equal(escapeHtml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&#39;");
  });
});
