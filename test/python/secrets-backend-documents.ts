/**
 * Prints, as JSON on stdout, what the program writes for a Secrets Manager backend with the given prefixes:
 *   node -r ts-node/register/transpile-only test/python/secrets-backend-documents.ts \
 *     '{"prefixes": {"connections": "mwaa/connections"}, "region": "us-east-1", "account": "123456789012"}'
 *   => {"options": <the target's Airflow configuration options>, "readSecrets": <the execution role's
 *       ReadBackendSecrets statement>}
 * test_secrets_backend.py gives the options to a real Airflow and checks what it reads against the statement.
 */
import { executionRolePolicy } from "../../rules/permissions";
import { type SecretKind, secretNamePrefixes, secretsBackendOptions } from "../../rules/secretsBackend";

interface Request {
  prefixes: Partial<Record<SecretKind, string>>;
  region: string;
  account: string;
}

function main(): void {
  const request = JSON.parse(process.argv[2]) as Request;
  const backend = { prefixes: request.prefixes, separator: "/" };
  const policy = executionRolePolicy({
    region: request.region,
    account: request.account,
    environmentName: "secrets-test",
    dagBucketName: "secrets-test-dags",
    secretsBackend: { namePrefixes: secretNamePrefixes(backend) },
  });
  const readSecrets = policy.Statement.find((s) => s.Sid === "ReadBackendSecrets");
  process.stdout.write(
    JSON.stringify({ options: secretsBackendOptions(backend), readSecrets }, null, 2) + "\n",
  );
}

if (require.main === module) main();
