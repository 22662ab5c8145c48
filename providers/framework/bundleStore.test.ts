import { strict as assert } from "assert";
import { bundleFormatProblem, streamColumns } from "../../contract";
import { CsvRecords, isoTimestamp, streamValue } from "./bundleStore";

function records(chunks: string[]): (string | null)[][] {
  const found: (string | null)[][] = [];
  const parser = new CsvRecords((record) => found.push(record));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return found;
}

describe("table streams as the providers read them", () => {
  it("splits PostgreSQL CSV into records, NULL apart from the empty text, whatever the chunks", () => {
    const text = 'dag_id,note,n\n"a,b","say ""hi""\nagain",1\netl,"",\n';
    const expected = [
      ["dag_id", "note", "n"],
      ["a,b", 'say "hi"\nagain', "1"],
      ["etl", "", null],
    ];
    assert.deepEqual(records([text]), expected);
    // Every split point, a doubled quote and a line break across chunks among them.
    for (let i = 1; i < text.length; i++)
      assert.deepEqual(records([text.slice(0, i), text.slice(i)]), expected);
    assert.deepEqual(records(["a,b"]), [["a", "b"]]);
    assert.throws(() => records(['a,"open']), /inside a quoted field/);
  });

  it("types values by the manifest's portable types, timestamps as ISO 8601 as JSON had them", () => {
    assert.equal(isoTimestamp("2024-05-01 06:00:00.123456+00"), "2024-05-01T06:00:00.123456+00:00");
    assert.equal(isoTimestamp("2024-05-01 06:00:00+00:00"), "2024-05-01T06:00:00+00:00");
    assert.equal(isoTimestamp("infinity"), "infinity");
    assert.equal(streamValue("3", "integer"), 3);
    assert.equal(streamValue("t", "boolean"), true);
    assert.equal(streamValue("f", "boolean"), false);
    assert.equal(streamValue(null, "integer"), null);
    assert.equal(streamValue("2024-05-01 06:00:00+00", "timestamp"), "2024-05-01T06:00:00+00:00");
    assert.equal(streamValue("07", "text"), "07");
  });

  it("reads the columns from the manifest and refuses a bundle of another format version", () => {
    const manifest = {
      formatVersion: 2,
      tables: { dag_run: { columns: [{ name: "run_id", type: "text", nullable: false }] } },
    };
    assert.deepEqual(streamColumns(manifest, "dag_run"), [{ name: "run_id", type: "text" }]);
    assert.deepEqual(streamColumns(manifest, "task_instance"), []);
    assert.equal(bundleFormatProblem(manifest), undefined);
    assert.match(
      bundleFormatProblem({ formatVersion: 1 }) ?? "",
      /format version 1; .* reads version 2 .*export again/,
    );
  });
});
