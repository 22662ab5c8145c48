/**
 * The pack as the Pulumi CLI runs it: started through @pulumi/pulumi's run-policy-pack entry point
 * (TypeScript compiled and type-checked by ts-node with the pack's own tsconfig and node_modules),
 * serving the analyzer gRPC service on 127.0.0.1, and called with the engine's own messages.
 */
import * as assert from "assert";
import * as childProcess from "child_process";
import * as path from "path";
import type { PolicyResource } from "@pulumi/policy";
import { allPolicies } from "./policies";
import { resource } from "./test/engine";
import { ACCOUNT, doc, goodStack } from "./test/stackFixture";

const packDir = __dirname;
/* eslint-disable @typescript-eslint/no-explicit-any */
function resolveInPack(id: string, from = packDir): string {
  try {
    return require.resolve(id, { paths: [from] });
  } catch {
    throw new Error(
      `${id} not found from ${from}: run \`npm ci\` in policies/ (scripts/ensure-node-modules.sh does)`,
    );
  }
}
const fromPack = (id: string): any => require(resolveInPack(id));
const grpc = fromPack("@grpc/grpc-js");
const services = fromPack("@pulumi/pulumi/proto/analyzer_grpc_pb");
const messages = fromPack("@pulumi/pulumi/proto/analyzer_pb");
const protobufDir = path.dirname(resolveInPack("@pulumi/pulumi/proto/analyzer_pb"));
const { Struct } = require(resolveInPack("google-protobuf/google/protobuf/struct_pb", protobufDir));
const { Empty } = require(resolveInPack("google-protobuf/google/protobuf/empty_pb", protobufDir));

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"];

interface Diagnostic {
  policy: string;
  level: string;
  message: string;
  urn: string;
}

function options(r: PolicyResource): any {
  const o = new messages.AnalyzerResourceOptions();
  o.setProtect(false);
  if (r.opts.parent) o.setParent(r.opts.parent);
  return o;
}

function analyzerResource(r: PolicyResource): any {
  const m = new messages.AnalyzerResource();
  m.setType(r.type);
  m.setName(r.name);
  m.setUrn(r.urn);
  m.setProperties(Struct.fromJavaScript(r.props));
  m.setOptions(options(r));
  if (r.parent) m.setParent(r.parent.urn);
  m.setDependenciesList(r.dependencies.map((d) => d.urn));
  const deps = m.getPropertydependenciesMap();
  for (const [prop, list] of Object.entries(r.propertyDependencies)) {
    const entry = new messages.AnalyzerPropertyDependencies();
    entry.setUrnsList(list.map((d) => d.urn));
    deps.set(prop, entry);
  }
  return m;
}

function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

function diagnostics(response: any): Diagnostic[] {
  return response.getDiagnosticsList().map((d: any) => ({
    policy: d.getPolicyname(),
    level: LEVELS[d.getEnforcementlevel()],
    message: d.getMessage(),
    urn: d.getUrn(),
  }));
}

describe("the policy pack served as the Pulumi CLI runs it", function () {
  this.timeout(120_000);
  let pack: childProcess.ChildProcess;
  let client: any;

  before(async () => {
    const runner = resolveInPack("@pulumi/pulumi/cmd/run-policy-pack");
    pack = childProcess.spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
      cwd: packDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    pack.stderr?.on("data", (d) => (stderr += d));
    const port = await new Promise<string>((resolve, reject) => {
      pack.stdout?.once("data", (d) => resolve(String(d).trim()));
      pack.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    pack?.kill();
  });

  it("announces every policy with its enforcement level and config schema", async () => {
    const info = await call<any>(client, "getAnalyzerInfo", new Empty());
    assert.strictEqual(info.getName(), "mwaa-migration");
    const served = info
      .getPoliciesList()
      .map((p: any) => [p.getName(), LEVELS[p.getEnforcementlevel()], !!p.getConfigschema()]);
    assert.deepStrictEqual(
      served,
      allPolicies.map((p) => [p.name, p.enforcementLevel, true]),
    );
  });

  it("passes the compliant stack", async () => {
    const request = new messages.AnalyzeStackRequest();
    request.setResourcesList(goodStack().resources.map(analyzerResource));
    assert.deepStrictEqual(diagnostics(await call(client, "analyzeStack", request)), []);
  });

  it("stops a bad stack with messages naming the resource, the statement and the fix", async () => {
    const stack = goodStack();
    const role = stack.byName("target-execution-role");
    role.props.inlinePolicies = [
      {
        name: "convenience",
        policy: doc({ Sid: "AllOfS3", Effect: "Allow", Action: "s3:*", Resource: "*" }),
      },
    ];
    const admin = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "admin", {
      role: role.props.name,
      policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
    });
    stack.byName("export-grant").props.policy = doc({
      Sid: "ExportEverything",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
      Resource: `arn:aws:s3:::*`,
    });
    const request = new messages.AnalyzeStackRequest();
    request.setResourcesList([...stack.resources, admin].map(analyzerResource));
    const found = diagnostics(await call(client, "analyzeStack", request));
    const by = (policy: string) => found.filter((d) => d.policy === policy);

    const [wildcard] = by("mwaa-execution-role-actions").filter((d) => d.message.includes("AllOfS3"));
    assert.strictEqual(wildcard.level, "mandatory");
    assert.strictEqual(wildcard.urn, role.urn);
    assert.match(
      wildcard.message,
      /\nRole "target-execution-role": inlinePolicies "convenience" statement AllOfS3 .*s3:\*.* Fix: /,
    );

    const [administrator] = by("mwaa-execution-role-actions").filter((d) =>
      d.message.includes("AdministratorAccess"),
    );
    assert.strictEqual(administrator.urn, admin.urn);
    assert.match(
      administrator.message,
      /Fix: grant the environment's needs in a policy defined in this stack/,
    );

    const [star] = by("mwaa-execution-role-resource-star");
    assert.match(star.message, /statement AllOfS3 .*Resource "\*"/);

    const [exportGrant] = by("migration-export-grant-write-only");
    assert.strictEqual(exportGrant.urn, stack.byName("export-grant").urn);
    assert.match(
      exportGrant.message,
      /RolePolicy "export-grant": policy statement ExportEverything .*grants s3:GetObject, s3:DeleteObject.* Fix: the export grant is write-only/,
    );

    const deletes = by("migration-bucket-no-delete").map((d) => d.urn);
    assert.ok(deletes.includes(stack.byName("export-grant").urn), "the export grant's delete is reported");
    assert.ok(deletes.includes(role.urn), "the execution role's s3:* is reported");
    assert.ok(found.every((d) => d.level === "mandatory"));
    assert.strictEqual(found.filter((d) => d.urn === "").length, 0, "every violation names its resource");
  });

  it("reports a policy it cannot run on values unknown during preview as advisory, not as passed", async () => {
    const stack = goodStack();
    // The engine's encoding of a value that is not known yet (e.g. a policy built from a new bucket's ARN).
    stack.byName("export-grant").props.policy = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const request = new messages.AnalyzeStackRequest();
    request.setResourcesList(stack.resources.map(analyzerResource));
    const found = diagnostics(await call(client, "analyzeStack", request));
    const exportGrant = found.find((d) => d.policy === "migration-export-grant-write-only");
    assert.ok(exportGrant, "the export-grant policy reports that it could not run");
    assert.strictEqual(exportGrant.level, "advisory");
    assert.match(exportGrant.message, /can't run policy 'migration-export-grant-write-only'.*during preview/);
  });

  it("stops a violation among known values during a preview in which other values are unknown", async () => {
    const stack = goodStack();
    for (const name of ["export-grant", "import-grant", "target-execution-policy", "migration-bucket-tls"])
      stack.byName(name).props.policy = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    stack.byName("target-execution-role").props.arn = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    stack.byName("target-execution-role").props.inlinePolicies = [
      {
        name: "known",
        policy: doc({ Sid: "PassAny", Effect: "Allow", Action: "iam:PassRole", Resource: "*" }),
      },
    ];
    const request = new messages.AnalyzeStackRequest();
    request.setResourcesList(stack.resources.map(analyzerResource));
    const found = diagnostics(await call(client, "analyzeStack", request));
    const mandatory = found.filter((d) => d.level === "mandatory");
    // The statement is judged on its own merits (its action, and its Resource "*"), nothing else is
    // reported as violated, and policies that met unknowns only say they could not run.
    assert.deepStrictEqual(mandatory.map((d) => d.policy).sort(), [
      "mwaa-execution-role-actions",
      "mwaa-execution-role-resource-star",
    ]);
    for (const d of mandatory) assert.match(d.message, /inlinePolicies "known" statement PassAny /);
    const actions = mandatory.find((d) => d.policy === "mwaa-execution-role-actions");
    assert.match(actions?.message ?? "", /allows iam:PassRole/);
    const notRun = found.filter((d) => d.level === "advisory").map((d) => d.message);
    assert.ok(notRun.length > 0 && notRun.every((m) => /can't run policy .* during preview/.test(m)));
  });

  it("checks an environment's inputs before it is created", async () => {
    const env = goodStack().byName("target");
    const request = new messages.AnalyzeRequest();
    request.setType(env.type);
    request.setName(env.name);
    request.setUrn(env.urn);
    request.setProperties(
      Struct.fromJavaScript({ ...env.props, webserverAccessMode: "PUBLIC_ONLY", airflowVersion: "2.4.3" }),
    );
    request.setOptions(options(env));
    const found = diagnostics(await call(client, "analyze", request));
    assert.deepStrictEqual(found.map((d) => d.policy).sort(), [
      "mwaa-airflow-version-supported",
      "mwaa-webserver-private",
    ]);
  });

  it("reads an account-wide trust in the engine's encoding", async () => {
    const stack = goodStack();
    stack.byName("target-execution-role").props.assumeRolePolicy = doc({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root`, Service: "airflow.amazonaws.com" },
      Action: "sts:AssumeRole",
    });
    const request = new messages.AnalyzeStackRequest();
    request.setResourcesList(stack.resources.map(analyzerResource));
    const found = diagnostics(await call(client, "analyzeStack", request));
    assert.deepStrictEqual(
      found.map((d) => d.policy),
      ["mwaa-execution-role-trust"],
    );
  });
});
