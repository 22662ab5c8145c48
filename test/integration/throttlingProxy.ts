/**
 * CloudWatch Logs' GetLogEvents quota in front of moto: calls beyond `quotaPerSecond` in any one-second
 * window, and every `throttleEvery`-th call besides, are answered with ThrottlingException the way the
 * service answers (awsJson1_1, HTTP 400). A fault proxy with one rule armed.
 */
import { startFaultProxy } from "../support/faultProxy";

export interface ThrottlingProxy {
  url: string;
  readonly stats: { getLogEvents: number; throttled: number; forwarded: number };
  close(): Promise<void>;
}

export async function startThrottlingProxy(
  upstream: string,
  options: { quotaPerSecond: number; throttleEvery?: number },
): Promise<ThrottlingProxy> {
  const proxy = await startFaultProxy(upstream);
  proxy.arm({
    operation: "GetLogEvents",
    perSecond: options.quotaPerSecond,
    every: options.throttleEvery,
    fault: { kind: "error", status: 400, code: "ThrottlingException" },
  });
  return {
    url: proxy.url,
    get stats() {
      const { matched, faulted, forwarded } = proxy.counts;
      return { getLogEvents: matched, throttled: faulted, forwarded };
    },
    close: () => proxy.close(),
  };
}
