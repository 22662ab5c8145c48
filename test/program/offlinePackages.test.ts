import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readZip } from "../../providers/framework/zip";
import { StackRun, loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";

const REQUIREMENTS = "test/support/fixtures/offline-requirements.txt";
// The pins our Airflow 2.11.0 virtualenv installs from, in the constraint file's format.
const CONSTRAINTS = "local/locks/airflow-2.11.0.txt";
const OFFLINE = {
  "mwaa-migration:networkEgress": "vpc-endpoints",
  "mwaa-migration:requirementsFile": REQUIREMENTS,
  "mwaa-migration:constraintsFile": CONSTRAINTS,
};

const upload = (run: StackRun, key: string) =>
  run.resources.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2" && r.inputs.key === key)!
    .inputs;
const pluginsZip = (run: StackRun) => readZip(fs.readFileSync(upload(run, "plugins.zip").source.file));
const uploadedRequirements = (run: StackRun): string =>
  fs.readFileSync(upload(run, "requirements.txt").source.file, "utf8");

describe("requirements for an environment without an internet route", function () {
  this.timeout(300_000);

  it("builds the wheels into plugins.zip, and the uploaded requirements.txt installs from them offline", async () => {
    const run = await runStackWithOutputs({ ...loadDevConfig(), ...OFFLINE });
    const names = pluginsZip(run).map((entry) => entry.name);
    assert.ok(names.includes("constraints.txt"));
    const wheels = names.filter((n) => n.endsWith(".whl")).map((n) => n.split("-").slice(0, 2).join("-"));
    // The versions the constraint file pins, the dependencies included; psutil's wheel is compiled, and
    // python-nvd3 publishes only a source archive: its pure-Python wheel is built here.
    assert.deepEqual(wheels.map((w) => w.toLowerCase()).sort(), [
      "jinja2-3.1.6",
      "markupsafe-3.0.2",
      "psutil-7.0.0",
      "python_nvd3-0.16.0",
      "python_slugify-8.0.4",
      "tabulate-0.9.0",
      "text_unidecode-1.3",
    ]);
    const requirements = uploadedRequirements(run);
    assert.match(requirements, /^--no-index$/m);
    assert.match(requirements, /^--find-links \/usr\/local\/airflow\/plugins$/m);
    assert.doesNotMatch(requirements, /https?:\/\//);
    assert.match(
      String(run.outputs.requirementsSource),
      /^requirements.txt is installed without an index from 7 wheels/,
    );

    // A worker of the target (CPython 3.11, Linux x86_64) with plugins.zip unpacked and no index at all.
    const worker = fs.mkdtempSync(path.join(os.tmpdir(), "offline-worker-"));
    try {
      const plugins = path.join(worker, "plugins");
      fs.mkdirSync(plugins);
      for (const entry of pluginsZip(run)) fs.writeFileSync(path.join(plugins, entry.name), entry.data);
      fs.writeFileSync(
        path.join(worker, "requirements.txt"),
        requirements.replaceAll("/usr/local/airflow/plugins", plugins),
      );
      const sh = (cmd: string, args: string[]) => {
        const result = spawnSync(cmd, args, {
          encoding: "utf8",
          env: { ...process.env, PIP_CONFIG_FILE: "/dev/null" },
        });
        assert.equal(result.status, 0, `${cmd} ${args.join(" ")}: ${result.stderr}`);
        return result.stdout;
      };
      sh("python3.11", ["-m", "venv", path.join(worker, "venv")]);
      const python = path.join(worker, "venv", "bin", "python");
      sh(python, [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-r",
        path.join(worker, "requirements.txt"),
      ]);
      const versions = sh(python, [
        "-c",
        "import tabulate, slugify, psutil, nvd3; print(tabulate.__version__, psutil.__version__)",
      ]);
      assert.equal(versions.trim(), "0.9.0 7.0.0");
    } finally {
      fs.rmSync(worker, { recursive: true, force: true });
    }
  });

  it("installs from a private repository's index, with the constraint file shipped in plugins.zip", async () => {
    const index = "https://pypi.internal.example/simple/";
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      ...OFFLINE,
      "mwaa-migration:packageSource": index,
    });
    assert.deepEqual(
      pluginsZip(run).map((e) => e.name),
      ["constraints.txt"],
    );
    const constraints = pluginsZip(run)[0].data.toString("utf8");
    assert.equal(constraints, fs.readFileSync(CONSTRAINTS, "utf8"));
    assert.deepEqual(
      uploadedRequirements(run)
        .split("\n")
        .filter((l) => l !== "" && !l.startsWith("#")),
      [
        `--index-url ${index}`,
        "--constraint /usr/local/airflow/plugins/constraints.txt",
        "tabulate",
        "python-slugify",
        "psutil",
        "python-nvd3",
      ],
    );
    assert.match(
      String(run.outputs.requirementsSource),
      /private repository https:\/\/pypi.internal.example\/simple\//,
    );
  });

  it("leaves requirements.txt as written where the built VPC has a NAT gateway", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      ...OFFLINE,
      "mwaa-migration:networkEgress": "nat-gateway",
    });
    assert.equal(upload(run, "requirements.txt").source.file, path.resolve(REQUIREMENTS));
    assert.match(String(run.outputs.requirementsSource), /installed as written/);
  });

  it("refuses packageSource pypi without an internet route, naming what pip would fetch", async () => {
    await assert.rejects(
      runStackWithOutputs({
        ...loadDevConfig(),
        "mwaa-migration:networkEgress": "vpc-endpoints",
        "mwaa-migration:packageSource": "pypi",
      }),
      /mwaa-migration:networkEgress is vpc-endpoints, so the environment has no internet route, but mwaa-migration:requirementsFile \S*examples\/requirements.txt needs one: pip would fetch the constraint file https:\/\/raw.githubusercontent.com\/apache\/airflow\/constraints-2.11.0\/constraints-3.11.txt; apache-airflow-providers-amazon from PyPI/,
    );
  });

  it("refuses a package pip cannot find, and a constraint file it cannot read", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "offline-reqs-"));
    try {
      const unknown = path.join(work, "requirements.txt");
      fs.writeFileSync(unknown, `${fs.readFileSync(REQUIREMENTS, "utf8")}no-such-package-anywhere\n`);
      await assert.rejects(
        runStackWithOutputs({ ...loadDevConfig(), ...OFFLINE, "mwaa-migration:requirementsFile": unknown }),
        /requirementsFile \S+requirements.txt cannot be installed without the internet: pip found no complete set of wheels for CPython 3.11 on manylinux x86_64 .*no-such-package-anywhere.*set mwaa-migration:packageSource to a private repository's index URL/,
      );
      await assert.rejects(
        runStackWithOutputs({ ...loadDevConfig(), ...OFFLINE, "mwaa-migration:constraintsFile": "" }),
        /could not download the constraint file https:\/\/raw.githubusercontent.com\/apache\/airflow\/constraints-2.11.0\/constraints-3.11.txt that \S+offline-requirements.txt pins \(.+\); download it where you can and set mwaa-migration:constraintsFile to its path/,
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
