/**
 * Serves a local stand-in of one AWS service and points the SDK at it (`AWS_ENDPOINT_URL_<SERVICE>`, with
 * placeholder credentials when none are set); `stop` closes it and restores the environment.
 */
import type * as http from "http";
import type { AddressInfo } from "net";

export async function serveAsEndpoint(
  server: http.Server,
  endpointVariable: string,
): Promise<() => Promise<void>> {
  const variables = [endpointVariable, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const saved = Object.fromEntries(variables.map((key) => [key, process.env[key]]));
  process.env[endpointVariable] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID ?? "stub";
  process.env.AWS_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY ?? "stub";
  return async () => {
    for (const key of variables) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
