/**
 * plugins.zip with the migration plugin: what it holds, a user's archive kept, a stale copy of the plugin
 * replaced, and the same bytes for the same files (so an upload changes only when a file does).
 */
import { strict as assert } from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_PAYLOAD_DIR } from "./resource";
import { bundleLocationOption, migrationPluginFiles, pluginsZipWithMigrationPlugin } from "./pluginPackage";
import { crc32, readZip, writeZip } from "./zip";

const names = (zip: Buffer) => readZip(zip).map((entry) => entry.name);

describe("plugins.zip with the migration plugin", () => {
  it("holds the plugin module, its .airflowignore, the library and the contract", () => {
    const keys = migrationPluginFiles(DEFAULT_PAYLOAD_DIR).map((file) => file.key);
    for (const key of [
      "mwaa_migration_plugin.py",
      ".airflowignore",
      "mwaa_migration/plugin_app.py",
      "mwaa_migration/importer.py",
      "mwaa_migration/contract_data/bundle.json",
      "mwaa_migration/contract_data/airflowVersions.json",
    ])
      assert.ok(keys.includes(key), key);
    assert.ok(!keys.some((key) => key.includes("__pycache__") || key.endsWith("mwaa_migration_import.py")));
  });

  it("keeps a user's plugins, replaces an older copy of ours, and merges .airflowignore", () => {
    const user = writeZip([
      { name: "my_plugin.py", data: Buffer.from("# mine\n") },
      { name: ".airflowignore", data: Buffer.from("scratch/\n") },
      { name: "mwaa_migration/stale.py", data: Buffer.from("# an older release\n") },
    ]);
    const zip = pluginsZipWithMigrationPlugin(DEFAULT_PAYLOAD_DIR, user);
    const entries = readZip(zip);
    assert.ok(names(zip).includes("my_plugin.py"));
    assert.ok(!names(zip).includes("mwaa_migration/stale.py"));
    const ignore = entries.find((entry) => entry.name === ".airflowignore")!.data.toString();
    assert.deepEqual(ignore.trim().split("\n"), ["scratch/", "mwaa_migration/"]);
    const plugin = entries.find((entry) => entry.name === "mwaa_migration_plugin.py")!;
    assert.match(plugin.data.toString(), /fastapi_apps/);
  });

  it("is the same bytes for the same files", () => {
    assert.ok(
      pluginsZipWithMigrationPlugin(DEFAULT_PAYLOAD_DIR).equals(
        pluginsZipWithMigrationPlugin(DEFAULT_PAYLOAD_DIR),
      ),
    );
  });

  it("refuses a folder without the plugin, naming it", () => {
    assert.throws(
      () => migrationPluginFiles(path.join(DEFAULT_PAYLOAD_DIR, "mwaa_migration")),
      /has no plugins\//,
    );
  });

  it("names the bundle location the plugin reads", () => {
    assert.deepEqual(bundleLocationOption("migration-bucket", "/migration/"), {
      "mwaa_migration.bundle_location": "s3://migration-bucket/migration",
    });
  });
});

describe("ZIP", () => {
  it("round-trips entries and computes the standard CRC-32", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    const entries = [
      { name: "a.py", data: Buffer.from("print('ä')\n") },
      { name: "dir/empty.txt", data: Buffer.alloc(0) },
    ];
    assert.deepEqual(readZip(writeZip(entries)), entries);
    assert.throws(() => readZip(Buffer.from("not a zip")), /not a ZIP archive/);
  });

  it("stores wheels as they are and deflates the rest, in an archive Python's zipfile checks clean", () => {
    const wheel = crypto.randomBytes(64 * 1024);
    const entries = [
      { name: "tabulate-0.9.0-py3-none-any.whl", data: wheel },
      { name: "constraints.txt", data: Buffer.from("tabulate==0.9.0\n".repeat(200)) },
    ];
    const zip = writeZip(entries);
    assert.deepEqual(readZip(zip), entries);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zip-")), "plugins.zip");
    fs.writeFileSync(file, zip);
    const checked = childProcess.execFileSync(
      "python3",
      [
        "-c",
        "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; " +
          "print(' '.join('%s=%d' % (i.filename, i.compress_type) for i in z.infolist()))",
        file,
      ],
      { encoding: "utf8" },
    );
    assert.equal(checked.trim(), "tabulate-0.9.0-py3-none-any.whl=0 constraints.txt=8");
    assert.ok(zip.length < wheel.length + 2000, "the constraint file is deflated");
  });
});
