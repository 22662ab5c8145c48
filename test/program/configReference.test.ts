import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_KEYS, CONFIG_NAMESPACE, parseConfig, rawConfigFromMap } from "../../rules/config";
import { PROJECT_ROOT, RecordedResource, loadDevConfig, runStack } from "../support/stackUnderMocks";

interface DeclaredKey {
  type: string;
  description: string;
  default: unknown;
  items?: { type: string };
  secret?: boolean;
}

/**
 * The Pulumi CLI's rule for a value of a declared type (sdk/go/common/workspace, ValidateConfigValue):
 * stack files may write integers and booleans as strings, as `pulumi config set` stores them.
 */
function fitsDeclaredType(spec: Pick<DeclaredKey, "type" | "items">, value: unknown): boolean {
  switch (spec.type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value) || (typeof value === "string" && /^[-+]?\d+$/.test(value));
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "array":
      return Array.isArray(value) && value.every((item) => fitsDeclaredType(spec.items!, item));
    default:
      return false;
  }
}

/** The stack config the CLI hands the program: the stack file, plus each declared default it leaves out. */
function withProjectDefaults(
  stack: Record<string, string>,
  declared: Record<string, DeclaredKey>,
): Record<string, string> {
  const merged = { ...stack };
  for (const [key, spec] of Object.entries(declared)) {
    const full = `${CONFIG_NAMESPACE}:${key}`;
    if (full in merged || spec.default === undefined) continue;
    // Primitives are passed as their text, lists as JSON (an object value).
    merged[full] = Array.isArray(spec.default) ? JSON.stringify(spec.default) : String(spec.default);
  }
  return merged;
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

  it("Pulumi.yaml declares exactly the keys of rules/config.ts, with the same type, default and description", () => {
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
    assert.equal(config.stage, "prepare");
    assert.deepEqual(config.network, { kind: "vpc", cidrBlock: "10.192.0.0/16", egress: "nat-gateway" });
    assert.equal(dev["aws:region"], "us-east-1");
  });

  it("passes the Pulumi CLI's checks: defaults and the dev stack's values fit their declared types", () => {
    const stackFile = (
      yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, unknown>;
      }
    ).config;
    for (const [key, spec] of Object.entries(declared)) {
      if (spec.type === "array") assert.ok(spec.items, `${key}: an array declares its items' type`);
      assert.ok(fitsDeclaredType(spec, spec.default), `${key}: default ${JSON.stringify(spec.default)}`);
      // The CLI requires a key declared secret to be encrypted in every stack, its default included, so
      // a secret that only self-managed sources need cannot be declared secret with a default.
      assert.ok(!(spec.secret && spec.default !== undefined), `${key}: secret with a default`);
      const value = stackFile[`${CONFIG_NAMESPACE}:${key}`];
      if (value !== undefined) assert.ok(fitsDeclaredType(spec, value), `${key}: ${JSON.stringify(value)}`);
    }
  });

  it("builds the same stack whether Pulumi.yaml's defaults come from the CLI or from the program", async () => {
    const dev = loadDevConfig();
    const filled = withProjectDefaults(dev, declared);
    assert.ok(
      Object.keys(filled).length > Object.keys(dev).length,
      "the dev stack leaves some keys to defaults",
    );
    const inputs = (resources: RecordedResource[]) =>
      Object.fromEntries(resources.filter((r) => !r.read).map((r) => [r.name, r.inputs]));
    assert.deepEqual(inputs(await runStack(filled)), inputs(await runStack(dev)));
  });
});
