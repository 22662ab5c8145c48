/**
 * Runs @pulumi/pulumi's own dynamic-provider host (cmd/dynamic-provider) as a child process with
 * plain node, the way the engine starts it, and talks to it over gRPC with the generated stubs.
 * Providers are serialized exactly as dynamic.Resource serializes them for its `__provider`
 * property (runtime/closure serializeFunction of `() => provider`, secrets allowed).
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";

const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const provrpc = require(path.join(PULUMI_DIR, "proto/provider_grpc_pb"));
const provproto = require(path.join(PULUMI_DIR, "proto/provider_pb"));
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const statusproto = require(path.join(PULUMI_DIR, "proto/status_pb"));
const PROVIDER_KEY = "__provider";

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

function decodeInitFailure(error: grpc.ServiceError): InitFailure | undefined {
  const raw = error.metadata?.get("grpc-status-details-bin")?.[0];
  if (!raw) return undefined;
  const status = statusproto.Status.deserializeBinary(new Uint8Array(raw as Buffer));
  for (const detail of status.getDetailsList()) {
    const failure = detail.unpack(
      provproto.ErrorResourceInitFailed.deserializeBinary,
      "pulumirpc.ErrorResourceInitFailed",
    );
    if (failure) {
      return {
        message: error.details,
        id: failure.getId(),
        properties: failure.getProperties().toJavaScript(),
        reasons: failure.getReasonsList(),
      };
    }
  }
  return undefined;
}

export class ProviderHost {
  readonly output: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: grpc.Client & Record<string, (...args: unknown[]) => unknown>,
  ) {}

  /** Starts the host in `cwd` (where the serialized provider's `require`s resolve). */
  static async start(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<ProviderHost> {
    const entry = path.join(PULUMI_DIR, "cmd/dynamic-provider/index.js");
    // The engine passes its own address; the host only needs it to exist as an argument.
    const child = spawn(process.execPath, [entry, "127.0.0.1:1"], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = "";
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString();
        const newline = buffered.indexOf("\n");
        if (newline >= 0) {
          child.stdout!.off("data", onData);
          resolve(Number(buffered.slice(0, newline).trim()));
          output.push(
            ...buffered
              .slice(newline + 1)
              .split("\n")
              .filter(Boolean),
          );
          child.stdout!.on("data", (more: Buffer) =>
            output.push(...more.toString().split("\n").filter(Boolean)),
          );
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", (chunk: Buffer) =>
        output.push(...chunk.toString().split("\n").filter(Boolean)),
      );
      child.once("exit", (code) =>
        reject(
          new Error(
            `dynamic-provider host exited with ${code} before printing its port:\n${output.join("\n")}`,
          ),
        ),
      );
    });
    // The partial state of a failed create travels in the grpc-status-details-bin header, with the
    // serialized provider in it: far above grpc-js's 8 KiB default, and well within what the engine accepts.
    const client = new provrpc.ResourceProviderClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
      {
        "grpc.max_metadata_size": 64 * 1024 * 1024,
      },
    );
    const host = new ProviderHost(child, client);
    child.stdout!.removeAllListeners("data");
    child.stderr!.removeAllListeners("data");
    host.output.push(...output);
    child.stdout!.on("data", (more: Buffer) =>
      host.output.push(...more.toString().split("\n").filter(Boolean)),
    );
    child.stderr!.on("data", (more: Buffer) =>
      host.output.push(...more.toString().split("\n").filter(Boolean)),
    );
    return host;
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method](request, (error: grpc.ServiceError | null, response: T) => {
        if (error) reject(new HostError(error.details || error.message, decodeInitFailure(error)));
        else resolve(response);
      });
    });
  }

  async configure(variables: Props): Promise<void> {
    const request = new provproto.ConfigureRequest();
    request.setArgs(structproto.Struct.fromJavaScript(variables));
    await this.call("configure", request);
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
    }>("check", request);
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
    const response = await this.call<{ getChanges(): number; getReplacesList(): string[] }>("diff", request);
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
      "create",
      request,
    );
    return { id: response.getId(), properties: response.getProperties().toJavaScript() };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<Props> {
    const request = new provproto.UpdateRequest();
    request.setUrn(urn);
    request.setId(id);
    request.setOlds(structproto.Struct.fromJavaScript(olds));
    request.setNews(structproto.Struct.fromJavaScript(news));
    const response = await this.call<{ getProperties(): { toJavaScript(): Props } }>("update", request);
    return response.getProperties().toJavaScript();
  }

  async delete(urn: string, id: string, properties: Props): Promise<void> {
    const request = new provproto.DeleteRequest();
    request.setUrn(urn);
    request.setId(id);
    request.setProperties(structproto.Struct.fromJavaScript(properties));
    await this.call("delete", request);
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

/** Inputs plus the serialized provider, as the engine sends them for a dynamic resource. */
export function withProvider(serialized: string, inputs: Props): Props {
  return { ...inputs, [PROVIDER_KEY]: serialized };
}

export function urnFor(type: string, name: string): string {
  return `urn:pulumi:test::mwaa-migration::${type}::${name}`;
}
