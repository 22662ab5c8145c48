import { IncomingMessage, Server, ServerResponse, createServer, request as httpRequest } from "node:http";
import { AddressInfo } from "node:net";

/**
 * A proxy in front of moto that plays CloudWatch Logs' GetLogEvents quota: calls beyond `quotaPerSecond` in
 * any one-second window, and every `throttleEvery`-th call besides, are answered with ThrottlingException the
 * way the service answers (awsJson1_1, HTTP 400). Everything else goes to moto unchanged.
 */
export interface ThrottlingProxy {
  url: string;
  stats: { getLogEvents: number; throttled: number; forwarded: number };
  close(): Promise<void>;
}

export async function startThrottlingProxy(
  upstream: string,
  options: { quotaPerSecond: number; throttleEvery?: number },
): Promise<ThrottlingProxy> {
  const target = new URL(upstream);
  const recent: number[] = [];
  const stats = { getLogEvents: 0, throttled: 0, forwarded: 0 };

  const shouldThrottle = (): boolean => {
    const now = Date.now();
    while (recent.length > 0 && recent[0] <= now - 1000) recent.shift();
    stats.getLogEvents++;
    if (options.throttleEvery && stats.getLogEvents % options.throttleEvery === 0) return true;
    if (recent.length >= options.quotaPerSecond) return true;
    recent.push(now);
    return false;
  };

  const handle = (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      if (incoming.headers["x-amz-target"] === "Logs_20140328.GetLogEvents" && shouldThrottle()) {
        stats.throttled++;
        const text = JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" });
        response.writeHead(400, {
          "content-type": "application/x-amz-json-1.1",
          "x-amzn-errortype": "ThrottlingException",
        });
        response.end(text);
        return;
      }
      stats.forwarded++;
      const forward = httpRequest(
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
      forward.on("error", (error) => {
        response.writeHead(502);
        response.end(String(error));
      });
      forward.end(body);
    });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
