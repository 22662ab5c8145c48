/**
 * A proxy in front of moto that injects the faults AWS can answer with, for the requests a rule picks:
 * an error status in the service's own shape (S3's XML, CloudWatch Logs' JSON), or a delay before the
 * request goes through. Everything else reaches moto unchanged. The fault matrix points the
 * Airflows and the providers at it (AWS_ENDPOINT_URL) and arms one rule at a time.
 */
import { IncomingMessage, Server, ServerResponse, createServer, request as httpRequest } from "node:http";
import { AddressInfo } from "node:net";

export type Fault =
  | { kind: "error"; status: number; code: string }
  /** Holds the request this long, then lets it through (keeps a caller busy at a known point). */
  | { kind: "delay"; ms: number };

export interface FaultRule {
  /** AWS service from the request's SigV4 scope: "s3", "logs", ... */
  service?: string;
  method?: RegExp;
  /** Matched against the path and query, e.g. /\/tables\// for a bundle's table streams. */
  path?: RegExp;
  /** Matched against the operation of JSON protocols (the end of x-amz-target), e.g. "GetLogEvents". */
  operation?: string;
  /** Matched against the User-Agent: /Boto3|Botocore/i for the payload inside Airflow. */
  userAgent?: RegExp;
  fault: Fault;
  /** Fault every n-th matching request (default 1: each one). */
  every?: number;
  /** Besides `every`: fault a matching request beyond this many in any one second (a service quota). */
  perSecond?: number;
  /** At most this many faults (default: no limit). */
  limit?: number;
}

export interface FaultProxy {
  url: string;
  /** Replaces the armed rule; its counters start at zero. */
  arm(rule: FaultRule): void;
  disarm(): void;
  /** Requests the armed rule matched, how many it faulted, and every request sent on to moto. */
  readonly counts: { matched: number; faulted: number; forwarded: number };
  close(): Promise<void>;
}

const SIGV4_SCOPE = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;

function serviceOf(incoming: IncomingMessage): string | undefined {
  return SIGV4_SCOPE.exec(String(incoming.headers.authorization ?? ""))?.[1];
}

function matches(rule: FaultRule, incoming: IncomingMessage): boolean {
  if (rule.service && serviceOf(incoming) !== rule.service) return false;
  if (rule.method && !rule.method.test(incoming.method ?? "")) return false;
  if (rule.path && !rule.path.test(incoming.url ?? "")) return false;
  if (rule.operation && !String(incoming.headers["x-amz-target"] ?? "").endsWith(`.${rule.operation}`))
    return false;
  if (rule.userAgent && !rule.userAgent.test(String(incoming.headers["user-agent"] ?? ""))) return false;
  return true;
}

/** The error as the service would send it: S3 speaks XML, the JSON-protocol services a typed body. */
function sendError(
  response: ServerResponse,
  service: string | undefined,
  fault: { status: number; code: string },
) {
  const message = `injected ${fault.code}`;
  if (service === "s3") {
    response.writeHead(fault.status, { "content-type": "application/xml" });
    response.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>${message}</Message></Error>`,
    );
    return;
  }
  response.writeHead(fault.status, {
    "content-type": "application/x-amz-json-1.1",
    "x-amzn-errortype": fault.code,
  });
  response.end(JSON.stringify({ __type: fault.code, message }));
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let rule: FaultRule | undefined;
  const counts = { matched: 0, faulted: 0, forwarded: 0 };
  // When the matching requests that went through were answered: the window of the per-second quota.
  let recent: number[] = [];

  const due = (armed: FaultRule): boolean => {
    if (armed.limit !== undefined && counts.faulted >= armed.limit) return false;
    if (armed.every !== undefined && counts.matched % armed.every === 0) return true;
    if (armed.perSecond !== undefined) {
      const now = Date.now();
      recent = recent.filter((at) => at > now - 1000);
      if (recent.length >= armed.perSecond) return true;
      recent.push(now);
      return false;
    }
    return armed.every === undefined;
  };

  const forward = (incoming: IncomingMessage, body: Buffer, response: ServerResponse) => {
    counts.forwarded++;
    const outgoing = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on("error", (e) => {
      response.writeHead(502);
      response.end(String(e));
    });
    outgoing.end(body);
  };

  const handle = (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      const armed = rule;
      if (armed && matches(armed, incoming)) {
        counts.matched++;
        if (due(armed)) {
          counts.faulted++;
          if (armed.fault.kind === "error") {
            sendError(response, serviceOf(incoming), armed.fault);
            return;
          }
          setTimeout(() => forward(incoming, body, response), armed.fault.ms);
          return;
        }
      }
      forward(incoming, body, response);
    });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    arm(next) {
      rule = next;
      counts.matched = 0;
      counts.faulted = 0;
      recent = [];
    },
    disarm() {
      rule = undefined;
    },
    get counts() {
      return { ...counts };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
