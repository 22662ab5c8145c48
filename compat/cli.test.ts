import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultSource, lockedVersions, main, parseArgs, UsageError } from "./cli";

describe("check-dags: the command line", () => {
  let dir: string;
  let dags: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-dags-cli-"));
    dags = path.join(dir, "dags");
    fs.mkdirSync(dags);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the locked Airflow versions, oldest first, and picks the newest 2.x as a 3.x target's source", () => {
    const locked = lockedVersions();
    assert.ok(locked.includes("3.3.2"));
    assert.deepEqual(
      locked,
      [...locked].sort((a, b) => a.localeCompare(b, "en", { numeric: true })),
    );
    assert.equal(defaultSource("3.3.2", ["2.8.1", "2.11.0", "2.10.3", "3.3.2"].sort()), "2.11.0");
    assert.equal(defaultSource("3.3.2", ["2.8.1", "2.10.3", "2.11.0", "3.3.2"]), "2.11.0");
    assert.equal(defaultSource("2.11.0", ["2.8.1", "2.11.0"]), "2.11.0");
  });

  it("parses the flags, options from --config, a JSON file and a stack's config", () => {
    const json = path.join(dir, "options.json");
    fs.writeFileSync(json, JSON.stringify({ "core.dag_concurrency": 16 }));
    const stack = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(
      stack,
      'config:\n  mwaa-migration:airflowConfigurationOptions: \'{"webserver.web_server_port":"8080"}\'\n',
    );
    const options = parseArgs([
      "--target-version",
      "3.3.2",
      "--dags",
      dags,
      "--source-version",
      "2.10.3",
      "--config",
      "scheduler.dag_dir_list_interval=60",
      "--config-file",
      json,
      "--stack-config",
      stack,
      "--json",
      "out.json",
    ]);
    assert.notEqual(options, "help");
    if (options === "help") return;
    assert.equal(options.targetVersion, "3.3.2");
    assert.equal(options.sourceVersion, "2.10.3");
    assert.deepEqual(options.config, {
      "scheduler.dag_dir_list_interval": "60",
      "core.dag_concurrency": "16",
      "webserver.web_server_port": "8080",
    });
    assert.deepEqual(options.configOrigin, {
      "scheduler.dag_dir_list_interval": "--config",
      "core.dag_concurrency": "options.json",
      "webserver.web_server_port": "Pulumi.prod.yaml",
    });
    assert.equal(options.json, "out.json");
  });

  it("takes the target, the files and the options from a stack's config where the flags leave them out", () => {
    const project = path.join(dir, "project");
    fs.mkdirSync(path.join(project, "airflow", "dags"), { recursive: true });
    fs.writeFileSync(path.join(project, "airflow", "requirements.txt"), "boto3\n");
    const stack = path.join(project, "Pulumi.prod.yaml");
    fs.writeFileSync(
      stack,
      [
        "config:",
        "  aws:region: us-east-1",
        "  mwaa-migration:targetAirflowVersion: 3.3.2",
        "  mwaa-migration:sourceAirflowVersion: 2.10.3",
        "  mwaa-migration:dagsFolder: airflow/dags",
        "  mwaa-migration:requirementsFile: airflow/requirements.txt",
        "  mwaa-migration:pluginsZip: ''",
        '  mwaa-migration:airflowConfigurationOptions: \'{"core.dag_concurrency":"8"}\'',
        "",
      ].join("\n"),
    );
    const options = parseArgs(["--stack-config", stack]);
    assert.notEqual(options, "help");
    if (options === "help") return;
    assert.equal(options.targetVersion, "3.3.2");
    assert.equal(options.sourceVersion, "2.10.3");
    assert.equal(options.dags, path.join(project, "airflow", "dags"));
    assert.equal(options.requirements, path.join(project, "airflow", "requirements.txt"));
    assert.equal(options.plugins, undefined);
    assert.deepEqual(options.config, { "core.dag_concurrency": "8" });
    const overridden = parseArgs(["--stack-config", stack, "--target-version", "2.11.0", "--dags", dags]);
    assert.ok(overridden !== "help" && overridden.targetVersion === "2.11.0" && overridden.dags === dags);
    fs.writeFileSync(stack, "config:\n  mwaa-migration:airflowConfigurationOptions: 'not json'\n");
    assert.throws(() => parseArgs(["--stack-config", stack]), /is not a JSON object of options/);
  });

  it("refuses what it cannot check, naming the flag", () => {
    const cases: [string[], RegExp][] = [
      [["--dags", "x"], /--target-version is required/],
      [["--target-version", "3.3.2"], /--dags <folder> is required/],
      [
        ["--target-version", "9.9.9", "--dags", "x"],
        /no lock file local\/locks\/airflow-9\.9\.9\.txt \(locked: .*3\.3\.2/,
      ],
      [["--target-version", "3", "--dags", "x"], /expected a version like 3\.3\.2/],
      [["--target-version", "3.3.2", "--dags", path.join(dir, "missing")], /not a folder/],
      [["--target-version", "3.3.2", "--dags", "x", "--config", "nodot=1"], /--config nodot=1/],
      [["--target-version"], /--target-version needs a value/],
      [["--bogus"], /unknown option --bogus/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => parseArgs(argv),
        (error: Error) => error instanceof UsageError && message.test(error.message),
      );
    }
  });

  it("prints the usage for --help and exits 2 on a usage error", async () => {
    const out: string[] = [];
    const err: string[] = [];
    assert.equal(await main(["--help"], (l) => out.push(l)), 0);
    assert.match(out.join("\n"), /usage: npm run check-dags/);
    assert.equal(
      await main(
        ["--dags", dags],
        (l) => out.push(l),
        (l) => err.push(l),
      ),
      2,
    );
    assert.match(err.join("\n"), /--target-version is required/);
  });
});
