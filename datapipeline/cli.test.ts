import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, parseArgs, UsageError } from "./cli";
import { FIXTURES } from "./fixtures/load";
import { fixtureNames } from "./fixtures/load";

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("datapipeline command line", () => {
  it("parses the options, with the defaults the usage text states", () => {
    const options = parseArgs([
      "a.json",
      "df-0123456789ABCDEFGHIJ",
      "--out",
      "dags",
      "--role-connection",
      "R=aws_r",
    ]);
    assert.ok(options !== "help");
    assert.deepStrictEqual(options.inputs, ["a.json", "df-0123456789ABCDEFGHIJ"]);
    assert.strictEqual(options.convert.airflowVersion, "2.11.0");
    assert.strictEqual(options.convert.shellRunner, "worker");
    assert.deepStrictEqual(options.convert.roleConnections, { R: "aws_r" });
    const activated = parseArgs(["a.json", "--out", "d", "--activation-time", "2025-03-01T12:00:00"]);
    assert.ok(activated !== "help");
    assert.strictEqual(activated.convert.activationTime?.toISOString(), "2025-03-01T12:00:00.000Z");
    assert.strictEqual(parseArgs(["--help"]), "help");
  });

  it("refuses what it cannot do, saying what would work", () => {
    assert.throws(() => parseArgs(["a.json"]), /--out <folder> is required/);
    assert.throws(() => parseArgs(["--out", "d"]), /no definition or pipeline id/);
    assert.throws(
      () => parseArgs(["a.json", "--out", "d", "--airflow-version", "2.8.1"]),
      /choose 2.11.0 or 3.3.2/,
    );
    assert.throws(() => parseArgs(["a.json", "--out", "d", "--shell-runner", "lambda"]), /worker, ssm, ecs/);
    assert.throws(() => parseArgs(["a.json", "--out", "d", "--bogus"]), UsageError);
  });

  it("converts a folder: one DAG file per pipeline and a table per pipeline", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "dp-cli-"));
    const result = await run([
      FIXTURES,
      "--out",
      out,
      "--activation-time",
      "2025-01-01T00:00:00",
      "--report",
      path.join(out, "plans.json"),
    ]);
    assert.strictEqual(result.code, 0, result.err);
    const written = fs.readdirSync(out).filter((f) => f.endsWith(".py"));
    assert.strictEqual(written.length, fixtureNames().length);
    assert.match(
      result.out,
      /== s3_copy_daily \(file .*s3-copy-daily.json\) -> .*s3_copy_daily.py, Airflow 2.11.0/,
    );
    assert.match(result.out, /object\s+type\s+result\s+tasks: detail/);
    assert.match(
      result.out,
      /CopyProfiles\s+CopyActivity\s+not converted\s+copy_profiles: CopyActivity copies between S3/,
    );
    assert.match(result.out, /\d+ converted, \d+ approximated, \d+ not converted/);
    assert.match(result.out, /connection to create: warehouse \(postgres\)/);
    assert.strictEqual(
      JSON.parse(fs.readFileSync(path.join(out, "plans.json"), "utf8")).length,
      written.length,
    );
  });

  it("reports each broken definition with its object and field, converts the rest, and exits 1", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "dp-cli-"));
    const result = await run([
      path.join(FIXTURES, "broken", "bad-period.json"),
      path.join(FIXTURES, "s3-copy-daily.json"),
      "--out",
      out,
    ]);
    assert.strictEqual(result.code, 1);
    assert.match(
      result.err,
      /bad-period.json: broken definition: object "Fortnightly", field "period": bad period "1 fortnight"/,
    );
    assert.deepStrictEqual(fs.readdirSync(out), ["s3_copy_daily.py"]);
    const usage = await run(["--out", out]);
    assert.strictEqual(usage.code, 2);
  });
});
