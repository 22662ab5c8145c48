/**
 * Airflow's AWS Secrets Manager backend, the one home of the concept: its class paths (the Amazon
 * provider's, and the 1.10 `airflow.contrib` one a clone rewrites), the two Airflow configuration options
 * MWAA takes it as, reading a source's options back into prefixes, and which secrets the prefixes reach.
 *
 * Why the prefixes matter for IAM: the backend looks a connection up as the secret named
 * `<connections_prefix><sep><conn_id>` (a variable or a config option likewise), so the execution role
 * needs the secrets under each prefix it reads and nothing else. A prefix set to `null` in the kwargs
 * stops the backend asking Secrets Manager for that kind; a prefix left out takes Airflow's default
 * (`airflow/connections`, ...), which the role must then be able to read too.
 */

export const SECRETS_BACKEND_OPTION = "secrets.backend";
export const SECRETS_BACKEND_KWARGS_OPTION = "secrets.backend_kwargs";

/** The backend class in the Amazon provider (Airflow 2 and later). */
export const SECRETS_MANAGER_BACKEND =
  "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend";

/**
 * Airflow 1.10 shipped its AWS secrets backends under `airflow.contrib`; Airflow 2 moved them to the
 * Amazon provider. The migration guide's environments often still carry the old path, which Airflow 2+
 * cannot import (the scheduler then fails to start), so a cloned option is rewritten.
 */
export const LEGACY_SECRETS_BACKENDS: Readonly<Record<string, string>> = {
  "airflow.contrib.secrets.aws_secrets_manager.SecretsManagerBackend": SECRETS_MANAGER_BACKEND,
  "airflow.contrib.secrets.aws_systems_manager.SystemsManagerParameterStoreBackend":
    "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
};

export function rewriteLegacySecretsBackend(options: Record<string, string>): {
  options: Record<string, string>;
  rewritten?: { from: string; to: string };
} {
  const current = options[SECRETS_BACKEND_OPTION]?.trim();
  const replacement = current === undefined ? undefined : LEGACY_SECRETS_BACKENDS[current];
  if (current === undefined || replacement === undefined) return { options: { ...options } };
  return {
    options: { ...options, [SECRETS_BACKEND_OPTION]: replacement },
    rewritten: { from: current, to: replacement },
  };
}

/** The kinds of lookups the backend serves, each with its own prefix kwarg (`<kind>_prefix`). */
export const SECRET_KINDS = ["connections", "variables", "config"] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** What Airflow's backend uses for a prefix kwarg that is left out. */
export const AIRFLOW_DEFAULT_PREFIXES: Readonly<Record<SecretKind, string>> = {
  connections: "airflow/connections",
  variables: "airflow/variables",
  config: "airflow/config",
};

/** The Secrets Manager backend as the target runs it. */
export interface SecretsManagerBackend {
  /** The prefix of each kind the backend looks up; a kind left out is never asked for. */
  readonly prefixes: Readonly<Partial<Record<SecretKind, string>>>;
  /** What joins a prefix and an id in a secret's name (`sep`, "/" unless the kwargs say otherwise). */
  readonly separator: string;
}

/**
 * What a prefix must be for the grant on it to be exactly the secrets the backend reads: a Secrets
 * Manager name part (letters, digits, `/_+=.@-`), not starting or ending with `/`, without IAM's
 * wildcards `*` and `?` (which would widen `secret:<prefix>/*` past the prefix).
 */
export function secretPrefixProblem(prefix: string): string | undefined {
  if (prefix === "") return "is empty";
  if (/[*?]/.test(prefix))
    return "contains a wildcard (* or ?), which would grant secrets outside the prefix";
  if (/^\/|\/$/.test(prefix)) return "starts or ends with /";
  if (!/^[A-Za-z0-9/_+=.@-]+$/.test(prefix))
    return "has characters a Secrets Manager name cannot (letters, digits and /_+=.@- only)";
  if (prefix.includes("//")) return "has an empty path segment (//)";
  return undefined;
}

/**
 * The two Airflow configuration options that turn the backend on, as MWAA takes them: strings, the
 * kwargs a JSON object. Every kind is written out, `null` for a kind without a prefix, so Airflow never
 * falls back to its default prefix, which the execution role would not be granted.
 */
export function secretsBackendOptions(backend: SecretsManagerBackend): Record<string, string> {
  const kwargs: Record<string, string | null> = {};
  for (const kind of SECRET_KINDS) kwargs[`${kind}_prefix`] = backend.prefixes[kind] ?? null;
  if (backend.separator !== "/") kwargs.sep = backend.separator;
  return {
    [SECRETS_BACKEND_OPTION]: SECRETS_MANAGER_BACKEND,
    [SECRETS_BACKEND_KWARGS_OPTION]: JSON.stringify(kwargs),
  };
}

export interface BackendReading {
  /** The Secrets Manager backend the options configure; undefined when they configure none. */
  readonly backend?: SecretsManagerBackend;
  /** Another backend class (e.g. Parameter Store): the stack grants nothing for it. */
  readonly otherBackend?: string;
  readonly problems: string[];
}

const isSecretsManagerClass = (name: string) =>
  name === SECRETS_MANAGER_BACKEND || LEGACY_SECRETS_BACKENDS[name] === SECRETS_MANAGER_BACKEND;

/**
 * Reads the backend that Airflow configuration options configure (a cloned source's, or the target's
 * once resolved), with its prefixes as Airflow would use them: a kwarg left out takes Airflow's default,
 * `null` switches the kind off. `where` names the options in problems (e.g. "the source's options").
 */
export function readSecretsBackend(options: Readonly<Record<string, string>>, where: string): BackendReading {
  const backendClass = options[SECRETS_BACKEND_OPTION]?.trim();
  if (!backendClass) return { problems: [] };
  if (!isSecretsManagerClass(backendClass)) return { otherBackend: backendClass, problems: [] };
  const kwargsText = options[SECRETS_BACKEND_KWARGS_OPTION]?.trim() ?? "";
  let kwargs: Record<string, unknown> = {};
  if (kwargsText !== "") {
    try {
      const parsed: unknown = JSON.parse(kwargsText);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      kwargs = parsed as Record<string, unknown>;
    } catch {
      return {
        problems: [
          `${where} ${SECRETS_BACKEND_KWARGS_OPTION} is not a JSON object, so the prefixes of its Secrets Manager ` +
            `backend (and the secrets the execution role needs) cannot be told; set ` +
            `mwaa-migration:secretsConnectionsPrefix and secretsVariablesPrefix to the prefixes it uses.`,
        ],
      };
    }
  }
  const problems: string[] = [];
  const separator = typeof kwargs.sep === "string" && kwargs.sep !== "" ? kwargs.sep : "/";
  const prefixes: Partial<Record<SecretKind, string>> = {};
  for (const kind of SECRET_KINDS) {
    const key = `${kind}_prefix`;
    const value = key in kwargs ? kwargs[key] : AIRFLOW_DEFAULT_PREFIXES[kind];
    if (value === null) continue;
    const prefix = typeof value === "string" ? value.replace(/\/+$/, "") : undefined;
    const problem = prefix === undefined ? "is not a string" : secretPrefixProblem(prefix);
    if (problem || prefix === undefined) {
      problems.push(
        `${where} ${SECRETS_BACKEND_KWARGS_OPTION} ${key} ${JSON.stringify(value)} ${problem}; ` +
          `set mwaa-migration:secrets${kind[0].toUpperCase()}${kind.slice(1)}Prefix to the prefix instead.`,
      );
      continue;
    }
    prefixes[kind] = prefix;
  }
  return { backend: { prefixes, separator }, problems };
}

/** The secret-name prefixes the execution role reads under, once each (`<prefix><sep>`). */
export function secretNamePrefixes(backend: SecretsManagerBackend): string[] {
  const names = SECRET_KINDS.map((kind) => backend.prefixes[kind])
    .filter((p): p is string => p !== undefined)
    .map((p) => `${p}${backend.separator}`);
  return [...new Set(names)];
}

/** What the execution role is granted for the backend (rules/permissionTable's SecretsBackendScope). */
export interface SecretsBackendGrant {
  readonly namePrefixes: readonly string[];
  readonly kmsKeyArn?: string;
}

/**
 * The backend the target ends up with, read from its resolved options (the config's prefixes, or the
 * source's backend carried by the clone), as the grant the execution role needs. Problems name the fix;
 * notes say what was decided, for the preview log.
 */
export function targetSecretsBackend(
  options: Readonly<Record<string, string>>,
  kmsKeyArn: string | undefined,
): { grant?: SecretsBackendGrant; problems: string[]; notes: string[] } {
  const reading = readSecretsBackend(options, "the target's airflowConfigurationOptions (given or cloned):");
  const problems = [...reading.problems];
  const notes: string[] = [];
  if (reading.otherBackend)
    notes.push(
      `secrets.backend is ${reading.otherBackend}, not Secrets Manager's: the execution role is granted nothing for it.`,
    );
  if (!reading.backend) {
    if (kmsKeyArn)
      problems.push(
        `mwaa-migration:secretsKmsKeyArn is set, but the target runs no Secrets Manager backend (the source has ` +
          `none to clone): set mwaa-migration:secretsConnectionsPrefix or secretsVariablesPrefix, or clear secretsKmsKeyArn.`,
      );
    return { problems, notes };
  }
  const namePrefixes = secretNamePrefixes(reading.backend);
  notes.push(
    namePrefixes.length > 0
      ? `Secrets Manager backend: the execution role reads the secrets named ${namePrefixes.map((p) => `${p}*`).join(", ")}.`
      : "Secrets Manager backend with every prefix off: the execution role reads no secret.",
  );
  return { grant: { namePrefixes, ...(kmsKeyArn ? { kmsKeyArn } : {}) }, problems, notes };
}
