/**
 * A local stand-in for the three IAM reads of `cloneWebUiAccess` (ListPolicies, GetPolicyVersion,
 * ListEntitiesForPolicy; IAM's query protocol, XML answers) over a fixed set of customer-managed policies,
 * for a program test that reads them through the real SDK. `stop` restores the environment.
 */
import * as http from "http";
import { serveAsEndpoint } from "./stubEndpoint";

export interface StubPolicy {
  readonly name: string;
  readonly document: unknown;
  readonly roles?: readonly string[];
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
}

const xml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const members = (tag: string, names: readonly string[] = []) =>
  `<${tag}>${names.map((n) => `<member><${tag.replace(/^Policy|s$/g, "")}Name>${xml(n)}</${tag.replace(/^Policy|s$/g, "")}Name></member>`).join("")}</${tag}>`;

export async function startIamPoliciesStub(account: string, policies: readonly StubPolicy[]) {
  const calls: string[] = [];
  const arnOf = (p: StubPolicy) => `arn:aws:iam::${account}:policy/${p.name}`;
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      const form = new URLSearchParams(body);
      const action = form.get("Action") ?? "";
      calls.push(action);
      const policy = policies.find((p) => arnOf(p) === form.get("PolicyArn"));
      const reply = (status: number, inner: string) => {
        response.writeHead(status, { "content-type": "text/xml" });
        response.end(`<${action}Response><${action}Result>${inner}</${action}Result></${action}Response>`);
      };
      if (action === "ListPolicies")
        return reply(
          200,
          `<IsTruncated>false</IsTruncated><Policies>${policies
            .map(
              (p) =>
                `<member><Arn>${arnOf(p)}</Arn><PolicyName>${p.name}</PolicyName><DefaultVersionId>v1</DefaultVersionId></member>`,
            )
            .join("")}</Policies>`,
        );
      if (action === "GetPolicyVersion" && policy)
        return reply(
          200,
          `<PolicyVersion><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion><Document>${xml(
            encodeURIComponent(JSON.stringify(policy.document)),
          )}</Document></PolicyVersion>`,
        );
      if (action === "ListEntitiesForPolicy" && policy)
        return reply(
          200,
          `<IsTruncated>false</IsTruncated>${members("PolicyRoles", policy.roles)}${members("PolicyUsers", policy.users)}${members("PolicyGroups", policy.groups)}`,
        );
      response.writeHead(400, { "content-type": "text/xml" });
      response.end(
        `<ErrorResponse><Error><Code>InvalidAction</Code><Message>${xml(action)} is not served here</Message></Error></ErrorResponse>`,
      );
    });
  });
  const stop = await serveAsEndpoint(server, "AWS_ENDPOINT_URL_IAM");
  return { calls, stop };
}
