import { strict as assert } from "assert";
import { pauseOutcome } from "./cliCommands";

describe("what `airflow dags pause|unpause` printed", () => {
  it("reads Airflow 2.8's one-line answer", () => {
    assert.equal(pauseOutcome("Dag: seed_etl, paused: False\n", "seed_etl"), "changed");
  });

  it("reads the table that Airflow 2.9 and later print, for that DAG only", () => {
    const table = "dag_id         | is_paused\n===============+==========\npage_probe_007 | False\n";
    assert.equal(pauseOutcome(table, "page_probe_007"), "changed");
    assert.equal(pauseOutcome(table, "page_probe_00"), "unknown");
  });

  it("tells 'nothing matched' apart, so the caller can check the DAG's state", () => {
    assert.equal(pauseOutcome("No paused DAGs were found\n", "seed_etl"), "nothing-matched");
    assert.equal(pauseOutcome("No unpaused DAGs were found\n", "seed_etl"), "nothing-matched");
    assert.equal(pauseOutcome("Traceback (most recent call last):\n", "seed_etl"), "unknown");
  });
});
