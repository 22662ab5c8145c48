import * as assert from "node:assert/strict";
import fc from "fast-check";
import { executionRolePolicy } from "./permissions";
import {
  LEGACY_SECRETS_BACKENDS,
  SECRETS_MANAGER_BACKEND,
  readSecretsBackend,
  secretNamePrefixes,
  secretPrefixProblem,
  secretsBackendOptions,
  targetSecretsBackend,
} from "./secretsBackend";

const REGION = "eu-west-1";
const ACCOUNT = "123456789012";
const SECRETS_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1f2e3d4c-5b6a-7980-8a9b-0c1d2e3f4a5b`;
const LEGACY = "airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend";
const WHERE = "the source's options:";

describe("the Secrets Manager backend", () => {
  it("writes the backend class and kwargs as MWAA takes them, every kind named, null when off", () => {
    const options = secretsBackendOptions({
      prefixes: { connections: "airflow/connections", variables: "team-a/variables" },
      separator: "/",
    });
    assert.deepEqual(options, {
      "secrets.backend": SECRETS_MANAGER_BACKEND,
      "secrets.backend_kwargs":
        '{"connections_prefix":"airflow/connections","variables_prefix":"team-a/variables","config_prefix":null}',
    });
    assert.equal(typeof options["secrets.backend_kwargs"], "string", "MWAA takes option values as strings");
  });

  it("maps the 1.10 contrib class to the Amazon provider's, from one table", () => {
    assert.equal(LEGACY_SECRETS_BACKENDS[LEGACY], SECRETS_MANAGER_BACKEND);
  });

  it("reads a source's backend back to the same prefixes it was written from", () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            connections: fc.constantFrom("airflow/connections", "a/b/c", "conn"),
            variables: fc.constantFrom("airflow/variables", "vars.prod", "x_y"),
            config: fc.constantFrom("airflow/config", "cfg"),
          },
          { requiredKeys: [] },
        ),
        (prefixes) => {
          const options = secretsBackendOptions({ prefixes, separator: "/" });
          assert.deepEqual(readSecretsBackend(options, WHERE), {
            backend: { prefixes: { ...prefixes }, separator: "/" },
            problems: [],
          });
        },
      ),
    );
  });

  it("takes Airflow's default prefix for a kind the kwargs leave out, and none for null", () => {
    const reading = readSecretsBackend(
      {
        "secrets.backend": LEGACY,
        "secrets.backend_kwargs": '{"connections_prefix":"airflow/connections/","variables_prefix":null}',
      },
      WHERE,
    );
    assert.deepEqual(reading.problems, []);
    assert.deepEqual(reading.backend, {
      prefixes: { connections: "airflow/connections", config: "airflow/config" },
      separator: "/",
    });
    assert.deepEqual(
      readSecretsBackend({ "secrets.backend": SECRETS_MANAGER_BACKEND }, WHERE).backend?.prefixes,
      { connections: "airflow/connections", variables: "airflow/variables", config: "airflow/config" },
      "no kwargs at all: every default",
    );
  });

  it("keeps the kwargs' separator in the secret names it reaches", () => {
    const reading = readSecretsBackend(
      {
        "secrets.backend": SECRETS_MANAGER_BACKEND,
        "secrets.backend_kwargs":
          '{"connections_prefix":"conn","variables_prefix":null,"config_prefix":null,"sep":"-"}',
      },
      WHERE,
    );
    assert.deepEqual(secretNamePrefixes(reading.backend!), ["conn-"]);
  });

  it("ignores another backend class, and says unreadable kwargs or a wildcard prefix cannot be granted", () => {
    assert.deepEqual(
      readSecretsBackend(
        {
          "secrets.backend":
            "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
        },
        WHERE,
      ),
      {
        otherBackend:
          "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
        problems: [],
      },
    );
    assert.match(
      readSecretsBackend(
        { "secrets.backend": LEGACY, "secrets.backend_kwargs": "{connections_prefix" },
        WHERE,
      ).problems[0],
      /the source's options: secrets.backend_kwargs is not a JSON object.*set mwaa-migration:secretsConnectionsPrefix/,
    );
    assert.match(
      readSecretsBackend(
        { "secrets.backend": LEGACY, "secrets.backend_kwargs": '{"variables_prefix":"airflow/*"}' },
        WHERE,
      ).problems[0],
      /variables_prefix "airflow\/\*" contains a wildcard .* set mwaa-migration:secretsVariablesPrefix/,
    );
  });

  it("accepts Secrets Manager name prefixes and refuses what would widen or break the grant", () => {
    for (const good of ["airflow/connections", "team.a/conn_ids", "a+b=c@d-e"]) {
      assert.equal(secretPrefixProblem(good), undefined, good);
    }
    for (const bad of ["", "*", "airflow/*", "air?flow", "/airflow", "airflow//x", "air flow"]) {
      assert.ok(secretPrefixProblem(bad), bad);
    }
  });

  it("the target's backend: prefixes to grant and the key, or a problem for a key without a backend", () => {
    const options = secretsBackendOptions({
      prefixes: { connections: "airflow/connections" },
      separator: "/",
    });
    const resolved = targetSecretsBackend(options, SECRETS_KEY);
    assert.deepEqual(resolved.grant, { namePrefixes: ["airflow/connections/"], kmsKeyArn: SECRETS_KEY });
    assert.deepEqual(resolved.problems, []);
    assert.match(resolved.notes[0], /reads the secrets named airflow\/connections\/\*/);

    assert.deepEqual(targetSecretsBackend({}, undefined), { problems: [], notes: [] });
    assert.match(
      targetSecretsBackend({}, SECRETS_KEY).problems[0],
      /secretsKmsKeyArn is set, but the target runs no/,
    );
  });
});

describe("the execution role's grant for the backend", () => {
  const scope = { region: REGION, account: ACCOUNT, environmentName: "new", dagBucketName: "new-dags" };
  const statements = (secretsBackend?: { namePrefixes: string[]; kmsKeyArn?: string }) =>
    executionRolePolicy({ ...scope, ...(secretsBackend ? { secretsBackend } : {}) }).Statement;

  it("reads exactly the secrets under each prefix: GetSecretValue and DescribeSecret, never secret:*", () => {
    const read = statements({ namePrefixes: ["airflow/connections/", "airflow/variables/"] }).find(
      (s) => s.Sid === "ReadBackendSecrets",
    );
    assert.deepEqual(read, {
      Sid: "ReadBackendSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: [
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:airflow/connections/*`,
        `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:airflow/variables/*`,
      ],
    });
  });

  it("decrypts with the secrets' key through Secrets Manager in the region only", () => {
    const decrypt = statements({ namePrefixes: ["airflow/connections/"], kmsKeyArn: SECRETS_KEY }).find(
      (s) => s.Sid === "DecryptBackendSecrets",
    );
    assert.deepEqual(decrypt, {
      Sid: "DecryptBackendSecrets",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: SECRETS_KEY,
      Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } },
    });
  });

  it("has no secrets statement without a backend, and no KMS one without a key or with every prefix off", () => {
    const sids = (s: ReturnType<typeof statements>) => s.map((x) => x.Sid);
    assert.ok(!sids(statements()).some((sid) => /Backend/.test(sid)));
    assert.ok(!sids(statements({ namePrefixes: ["a/"] })).includes("DecryptBackendSecrets"));
    assert.ok(
      !sids(statements({ namePrefixes: [], kmsKeyArn: SECRETS_KEY })).some((sid) => /Backend/.test(sid)),
    );
  });

  it("names secrets in the region's partition", () => {
    const read = executionRolePolicy({
      ...scope,
      region: "cn-north-1",
      secretsBackend: { namePrefixes: ["airflow/connections/"] },
    }).Statement.find((s) => s.Sid === "ReadBackendSecrets");
    assert.deepEqual(read?.Resource, [
      `arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:airflow/connections/*`,
    ]);
  });
});
