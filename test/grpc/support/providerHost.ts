/**
 * Runs @pulumi/pulumi's own dynamic-provider host (cmd/dynamic-provider) as a child process with
 * plain node, the way the engine starts it, and calls it over gRPC through grpc-go, the engine's
 * gRPC implementation (./enginecall), with requests and responses encoded by @pulumi/pulumi's
 * generated messages. grpc-js cannot be the caller: a failed create's partial state arrives in one
 * trailer of about 100 KiB, which Node's HTTP/2 rejects with COMPRESSION_ERROR, and the grpc-js call
 * then never settles. Providers are serialized exactly as dynamic.Resource serializes them for its
 * `__provider` property (runtime/closure serializeFunction of `() => provider`, secrets allowed).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";

const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const provproto = require(path.join(PULUMI_DIR, "proto/provider_pb"));
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const statusproto = require(path.join(PULUMI_DIR, "proto/status_pb"));
const PROVIDER_KEY = "__provider";
const ENGINECALL_DIR = path.join(__dirname, "enginecall");
const SERVICE = "/pulumirpc.ResourceProvider";
/** Longer than any create in these tests; a call that outlives it fails instead of hanging the suite. */
const CALL_TIMEOUT_SECONDS = 240;

/** The text dynamic.Resource puts into `__provider` for this provider object. */
export async function serializeProvider(provider: object): Promise<string> {
  const closure = require("@pulumi/pulumi/runtime/closure/serializeClosure");
  const serialized = await closure.serializeFunction(() => provider, { allowSecrets: true });
  return serialized.text;
}

type Props = Record<string, unknown>;

export interface InitFailure {
  message: string;
  id: string;
  properties: Props;
  reasons: string[];
}

/** A create/update rejected by the host; `partial` is set when it carried ErrorResourceInitFailed. */
export class HostError extends Error {
  constructor(
    message: string,
    readonly partial?: InitFailure,
  ) {
    super(message);
  }
}

function decodeInitFailure(statusBytes: Buffer): InitFailure | undefined {
  const status = statusproto.Status.deserializeBinary(new Uint8Array(statusBytes));
  for (const detail of status.getDetailsList()) {
    const failure = detail.unpack(
      provproto.ErrorResourceInitFailed.deserializeBinary,
      "pulumirpc.ErrorResourceInitFailed",
    );
    if (failure) {
      return {
        message: status.getMessage(),
        id: failure.getId(),
        properties: failure.getProperties().toJavaScript(),
        reasons: failure.getReasonsList(),
      };
    }
  }
  return undefined;
}

interface EngineAnswer {
  id: number;
  code: number;
  message: string;
  response?: string;
  status?: string;
}

/** Builds the grpc-go caller into local/.state/bin (gitignored); Go's build cache makes repeats quick. */
function buildEngineCall(projectDir: string): string {
  const binary = path.join(projectDir, "local", ".state", "bin", "enginecall");
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  try {
    execFileSync("go", ["build", "-o", binary, "."], { cwd: ENGINECALL_DIR, stdio: "pipe" });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(
      `cannot build ${ENGINECALL_DIR} (needs Go and its module download): ${(e as Error).message}\n${stderr}`,
    );
  }
  return binary;
}

/** Waits for the host to print its port on the first stdout line, the handshake the engine reads. */
function hostPort(child: ChildProcess, output: string[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    let port: number | undefined;
    lines.on("line", (line) => {
      if (port === undefined) {
        port = Number(line.trim());
        resolve(port);
      } else if (line) output.push(line);
    });
    child.once("exit", (code) =>
      reject(
        new Error(
          `dynamic-provider host exited with ${code} before printing its port:\n${output.join("\n")}`,
        ),
      ),
    );
  });
}

export class ProviderHost {
  private readonly pending = new Map<number, (answer: EngineAnswer) => void>();
  private nextId = 1;

  private constructor(
    private readonly child: ChildProcess,
    private readonly caller: ChildProcess,
    readonly output: string[],
  ) {
    readline.createInterface({ input: caller.stdout! }).on("line", (line) => {
      const answer = JSON.parse(line) as EngineAnswer;
      this.pending.get(answer.id)?.(answer);
      this.pending.delete(answer.id);
    });
    caller.stderr!.on("data", (chunk: Buffer) =>
      output.push(...chunk.toString().split("\n").filter(Boolean)),
    );
    caller.once("exit", (code) => {
      for (const settle of this.pending.values()) {
        settle({ id: 0, code: 2, message: `enginecall exited with ${code}` });
      }
      this.pending.clear();
    });
  }

  /** Starts the host in `cwd` (where the serialized provider's `require`s resolve). */
  static async start(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<ProviderHost> {
    const enginecall = buildEngineCall(cwd);
    const entry = path.join(PULUMI_DIR, "cmd/dynamic-provider/index.js");
    // The engine passes its own address; the host only needs it to exist as an argument.
    const child = spawn(process.execPath, [entry, "127.0.0.1:1"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    child.stderr!.on("data", (chunk: Buffer) => output.push(...chunk.toString().split("\n").filter(Boolean)));
    const port = await hostPort(child, output);
    const caller = spawn(enginecall, [`127.0.0.1:${port}`], { stdio: ["pipe", "pipe", "pipe"] });
    return new ProviderHost(child, caller, output);
  }

  private call<T>(
    method: string,
    request: { serializeBinary(): Uint8Array },
    decode: (b: Uint8Array) => T,
  ): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, (answer) => {
        if (answer.code === 0) {
          resolve(decode(new Uint8Array(Buffer.from(answer.response ?? "", "base64"))));
        } else {
          const partial = answer.status ? decodeInitFailure(Buffer.from(answer.status, "base64")) : undefined;
          reject(new HostError(answer.message, partial));
        }
      });
      const line = {
        id,
        method: `${SERVICE}/${method}`,
        request: Buffer.from(request.serializeBinary()).toString("base64"),
        timeoutSeconds: CALL_TIMEOUT_SECONDS,
      };
      this.caller.stdin!.write(`${JSON.stringify(line)}\n`);
    });
  }

  async configure(variables: Props): Promise<void> {
    const request = new provproto.ConfigureRequest();
    request.setArgs(structproto.Struct.fromJavaScript(variables));
    await this.call("Configure", request, provproto.ConfigureResponse.deserializeBinary);
  }

  async check(
    urn: string,
    olds: Props,
    news: Props,
  ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const request = new provproto.CheckRequest();
    request.setUrn(urn);
    request.setOlds(structproto.Struct.fromJavaScript(olds));
    request.setNews(structproto.Struct.fromJavaScript(news));
    const response = await this.call<{
      getInputs(): { toJavaScript(): Props };
      getFailuresList(): { getProperty(): string; getReason(): string }[];
    }>("Check", request, provproto.CheckResponse.deserializeBinary);
    return {
      inputs: response.getInputs().toJavaScript(),
      failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(
    urn: string,
    id: string,
    olds: Props,
    news: Props,
  ): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[] }> {
    const request = new provproto.DiffRequest();
    request.setUrn(urn);
    request.setId(id);
    request.setOlds(structproto.Struct.fromJavaScript(olds));
    request.setNews(structproto.Struct.fromJavaScript(news));
    const response = await this.call<{ getChanges(): number; getReplacesList(): string[] }>(
      "Diff",
      request,
      provproto.DiffResponse.deserializeBinary,
    );
    const changes = provproto.DiffResponse.DiffChanges;
    const kind =
      response.getChanges() === changes.DIFF_SOME
        ? "some"
        : response.getChanges() === changes.DIFF_NONE
          ? "none"
          : "unknown";
    return { changes: kind, replaces: response.getReplacesList() };
  }

  async create(
    urn: string,
    properties: Props,
    timeoutSeconds = 0,
  ): Promise<{ id: string; properties: Props }> {
    const request = new provproto.CreateRequest();
    request.setUrn(urn);
    request.setProperties(structproto.Struct.fromJavaScript(properties));
    request.setTimeout(timeoutSeconds);
    const response = await this.call<{ getId(): string; getProperties(): { toJavaScript(): Props } }>(
      "Create",
      request,
      provproto.CreateResponse.deserializeBinary,
    );
    return { id: response.getId(), properties: response.getProperties().toJavaScript() };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<Props> {
    const request = new provproto.UpdateRequest();
    request.setUrn(urn);
    request.setId(id);
    request.setOlds(structproto.Struct.fromJavaScript(olds));
    request.setNews(structproto.Struct.fromJavaScript(news));
    const response = await this.call<{ getProperties(): { toJavaScript(): Props } }>(
      "Update",
      request,
      provproto.UpdateResponse.deserializeBinary,
    );
    return response.getProperties().toJavaScript();
  }

  async delete(urn: string, id: string, properties: Props): Promise<void> {
    const request = new provproto.DeleteRequest();
    request.setUrn(urn);
    request.setId(id);
    request.setProperties(structproto.Struct.fromJavaScript(properties));
    await this.call("Delete", request, (bytes) => bytes);
  }

  async stop(): Promise<void> {
    await Promise.all([this.caller, this.child].map(stopProcess));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Inputs plus the serialized provider, as the engine sends them for a dynamic resource. */
export function withProvider(serialized: string, inputs: Props): Props {
  return { ...inputs, [PROVIDER_KEY]: serialized };
}

export function urnFor(type: string, name: string): string {
  return `urn:pulumi:test::mwaa-migration::${type}::${name}`;
}
