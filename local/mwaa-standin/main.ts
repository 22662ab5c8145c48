/**
 * Starts the MWAA stand-in:
 *   ts-node local/mwaa-standin/main.ts --config envs.json --api-port 56002 --web-port 56003 \
 *     --tls-cert cert.pem --tls-key key.pem [--sync-interval-ms 2000]
 * Credentials for signature checks come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; the DAG sync reads S3
 * through the standard endpoint settings (AWS_ENDPOINT_URL). Binds 127.0.0.1 only.
 */
import { readFileSync } from "node:fs";
import { loadStandinConfig } from "./config";
import { DagSyncer } from "./dagSync";
import { MwaaStandin } from "./server";

function argument(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

function main(): void {
  const config = loadStandinConfig(argument("config"));
  const apiPort = Number(argument("api-port"));
  const webPort = Number(argument("web-port"));
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: the stand-in checks signatures against them",
    );
  }
  const standin = new MwaaStandin({
    config,
    credentials: { accessKeyId, secretAccessKey },
    webServerHostname: `127.0.0.1:${webPort}`,
  });
  const api = standin.apiServer();
  const web = standin.webServer({
    cert: readFileSync(argument("tls-cert")),
    key: readFileSync(argument("tls-key")),
  });
  const syncer = new DagSyncer(
    Object.entries(config.environments).map(([name, env]) => ({
      name,
      bucket: env.sourceBucketArn.replace(/^arn:aws:s3:::/, ""),
      prefix: env.dagS3Path,
      dagsFolder: env.dagsFolder,
    })),
    config.region,
    (line) => console.log(line),
  );
  api.listen(apiPort, "127.0.0.1", () => console.log(`mwaa stand-in: API on http://127.0.0.1:${apiPort}`));
  web.listen(webPort, "127.0.0.1", () =>
    console.log(`mwaa stand-in: webserver on https://127.0.0.1:${webPort}`),
  );
  syncer.start(Number(argument("sync-interval-ms", "2000")));
  const stop = () => {
    syncer.stop();
    api.close();
    web.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
