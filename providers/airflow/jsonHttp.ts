/**
 * One HTTP call to an Airflow server that speaks JSON: the answer's status and body, parsed when it is JSON.
 * Plain-text answers (an HTML error page from a proxy, a text log) are passed on as text; network failures
 * reject, Airflow's own error statuses are returned for the caller to judge.
 */
export async function jsonRequest(
  url: URL | string,
  options: { method: string; authorization: string; body?: unknown; timeoutMs: number },
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: options.method,
    headers: {
      authorization: options.authorization,
      accept: "application/json",
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: passed on as text
  }
  return { status: response.status, body };
}
