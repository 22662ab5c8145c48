import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_KEYS, CONFIG_NAMESPACE, parseConfig, rawConfigFromMap } from "../../../components/config";
import { PROJECT_ROOT, loadDevConfig } from "../../support/stackUnderMocks";

interface DeclaredKey {
  type: string;
  description: string;
  default: unknown;
  items?: { type: string };
}

function readmeTable(): Map<string, { type: string; default: string; description: string }> {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("## Configuration reference");
  assert.ok(start >= 0, "README has no Configuration reference section");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const rows = new Map<string, { type: string; default: string; description: string }>();
  for (const line of section.split("\n")) {
    const match = /^\| `([A-Za-z0-9]+)` \| (\w+) \| `(.*?)` \| (.*) \|$/.exec(line);
    if (match)
      rows.set(match[1], { type: match[2], default: match[3], description: match[4].replace(/\\\|/g, "|") });
  }
  return rows;
}

const asCell = (value: unknown) =>
  value === "" ? '""' : typeof value === "string" ? value : JSON.stringify(value);

describe("configuration reference", () => {
  const declared = (
    yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, DeclaredKey>;
    }
  ).config;

  it("Pulumi.yaml declares exactly the keys of components/config.ts, with the same type, default and description", () => {
    assert.deepEqual(Object.keys(declared).sort(), Object.keys(CONFIG_KEYS).sort());
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      assert.equal(declared[key].type, spec.type, key);
      assert.deepEqual(declared[key].default, spec.default, key);
      assert.equal(declared[key].description, spec.description, key);
      if (spec.type === "array") assert.deepEqual(declared[key].items, { type: "string" }, key);
    }
  });

  it("the README's table lists exactly those keys, with the same type, default and description", () => {
    const rows = readmeTable();
    assert.deepEqual([...rows.keys()].sort(), Object.keys(CONFIG_KEYS).sort());
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      const row = rows.get(key)!;
      assert.equal(row.type, spec.type, key);
      assert.equal(row.default, asCell(spec.default), key);
      assert.equal(row.description, spec.description, key);
    }
  });

  it("Pulumi.dev.yaml sets only declared keys and is a valid configuration", () => {
    const dev = loadDevConfig();
    for (const key of Object.keys(dev)) {
      if (key.startsWith("aws:")) continue;
      assert.ok(key.startsWith(`${CONFIG_NAMESPACE}:`), key);
      assert.ok(key.slice(CONFIG_NAMESPACE.length + 1) in CONFIG_KEYS, `${key} is not declared`);
    }
    const config = parseConfig(rawConfigFromMap(dev));
    assert.deepEqual(config.source, { kind: "mwaa", environmentName: "legacy-airflow" });
    assert.equal(config.targetAirflowVersion, "2.11.0");
    assert.equal(dev["aws:region"], "us-east-1");
  });
});
