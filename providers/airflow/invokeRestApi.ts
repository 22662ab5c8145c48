import { AirflowApiError } from "./client";
import { mwaaEnvEndpoint } from "./endpoint";
import { INVOKE_REST_API_MAX_PATH, RestApiVersion } from "./restPaths";
import { RestRequest, RestResponse, RestTransport } from "./restClient";
import { type RegionalAccess, credentialsFor } from "../framework/awsAccess";
import { signRequest } from "./sigv4";

export interface InvokeRestApiOptions extends RegionalAccess {
  environmentName: string;
  apiVersion: RestApiVersion;
  /** Client-side wait for one call; MWAA itself gives the webserver 10 s. */
  timeoutMs?: number;
}

/** InvokeRestApi's response limit: larger answers are refused by the service, so pages are kept small. */
export const INVOKE_REST_API_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** The error type of an AWS rest-json error: the `x-amzn-errortype` header, else `__type`/`code` in the body. */
export function awsErrorType(header: string | null, body: Record<string, unknown>): string {
  const raw = header ?? String(body.__type ?? body.code ?? body.Code ?? "");
  return raw.split(":")[0].split("#").pop() ?? "";
}

/**
 * The MWAA `InvokeRestApi` operation (POST /restapi/{Name}, rest-json, SigV4 signing name `airflow`), signed by
 * hand because the @aws-sdk/client-mwaa available here (3.523.0) predates the operation.
 */
export class InvokeRestApiTransport implements RestTransport {
  readonly description: string;
  readonly apiVersion: RestApiVersion;
  readonly maxPathLength = INVOKE_REST_API_MAX_PATH;

  constructor(private readonly options: InvokeRestApiOptions) {
    this.description = `MWAA InvokeRestApi (${options.environmentName})`;
    this.apiVersion = options.apiVersion;
  }

  async send(request: RestRequest): Promise<RestResponse> {
    const { environmentName, region } = this.options;
    const url = `${mwaaEnvEndpoint(region)}/restapi/${encodeURIComponent(environmentName)}`;
    const payload: Record<string, unknown> = { Path: request.path, Method: request.method };
    if (request.query) {
      payload.QueryParameters = Object.fromEntries(
        Object.entries(request.query).map(([k, v]) => [k, String(v)]),
      );
    }
    if (request.body !== undefined) payload.Body = request.body;
    const body = JSON.stringify(payload);
    const headers = await signRequest({
      url,
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      region,
      service: "airflow",
      credentials: credentialsFor(this.options),
    });
    const response = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    if (response.ok) {
      return { status: Number(parsed.RestApiStatusCode ?? 200), body: parsed.RestApiResponse };
    }
    const type = awsErrorType(response.headers.get("x-amzn-errortype"), parsed);
    if (type === "RestApiClientException" || type === "RestApiServerException") {
      // Airflow itself answered with an error status; the client decides what it means (404, 409, ...).
      return { status: Number(parsed.RestApiStatusCode ?? response.status), body: parsed.RestApiResponse };
    }
    const message = String(parsed.message ?? parsed.Message ?? "");
    const retryable = type === "ThrottlingException" || response.status === 429 || response.status >= 500;
    throw new AirflowApiError(
      `MWAA InvokeRestApi ${request.method} ${request.path} on environment ${environmentName} failed: ` +
        `${response.status} ${type} ${message}`.trim() +
        hintFor(type, environmentName),
      response.status,
      retryable,
      parsed,
    );
  }
}

function hintFor(type: string, environmentName: string): string {
  if (type === "AccessDeniedException") {
    return (
      ` (the deployer needs airflow:InvokeRestApi on arn:aws:airflow:<region>:<account>:role/` +
      `${environmentName}/Admin)`
    );
  }
  if (type === "ResourceNotFoundException") return ` (check the environment name and region)`;
  return "";
}
