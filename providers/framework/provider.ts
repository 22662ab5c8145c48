/**
 * The one dynamic-provider shape every resource of this project follows. A resource type supplies its
 * typed inputs and outputs, its checks and its work; this module supplies the rules (DESIGN §5):
 * - `configure` takes the region from `aws:region`; credentials always come from the default chain;
 * - `check` fills defaults, checks the `airflow` input and the type's own inputs without side effects
 *   (it runs during preview, with unknown values), and derives inputs once all are known: what it
 *   returns is the typed inputs every later call receives;
 * - `diff` replaces on the inputs whose change means re-running the work, compares the `airflow` input
 *   without its login (a rotated password updates in place), and reports any other change in place;
 * - `read` returns the state as it is, and `delete` gets whatever an older version wrote.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { type Clock, realClock } from "../clock";
import { Failures, isUnknown, withDefaults } from "./checks";
import { changedInputs, sameValue } from "./diff";
import { airflowIdentity, checkAirflow, type AirflowTarget } from "./target";

/** What every call gets besides its inputs. */
export interface ProviderContext {
  /** The inputs' own region, else `airflow.region`, else the stack's `aws:region`. */
  regionOf(inputs: { region?: string; airflow?: AirflowTarget }): string | undefined;
  /** A progress line: dynamic providers have no engine connection, plain stdout reaches the CLI. */
  log(line: string): void;
  readonly clock: Clock;
}

/** Inputs every resource has: where Airflow is. */
export interface AirflowInputs {
  airflow: AirflowTarget;
  region?: string;
}

export interface ResourceType<I extends AirflowInputs, O> {
  /** The type name: its token is `pulumi-nodejs:dynamic/mwaa-migration:<name>`; progress lines start with it. */
  readonly name: string;
  readonly defaults: Partial<I>;
  /** Inputs whose change means the work runs again (a replacement). */
  readonly replacing: readonly (keyof I & string)[];
  /** Undo the old resource before the replacement runs (cutover switches). */
  readonly deleteBeforeReplace?: boolean;
  /** The type's own checks; `airflow` is checked for every type. Values may be unknown. */
  check(inputs: Record<string, unknown>, failures: Failures): void;
  /** Fills inputs that follow from others (e.g. the default exportId) once every input is known. */
  derive?(inputs: I): I;
  create(inputs: I, context: ProviderContext): Promise<{ id: string; outs: O }>;
  /** In place: new deadlines or credentials, or resuming work left in partial state. Default: keep. */
  update?(id: string, olds: I & O, news: I, context: ProviderContext): Promise<O>;
  /** What a refresh reads now, for a type whose outputs are observations; default: the state as it is. */
  refresh?(id: string, props: I & O, context: ProviderContext): Promise<O>;
  /** Props written by any version of this type: tolerate missing fields. */
  delete(id: string, props: Partial<I & O>, context: ProviderContext): Promise<void>;
}

type Props = Record<string, unknown>;

/** How the dynamic-provider host hands over a secret value: `{ [SECRET_SIGNATURE]: SECRET_MARK, value }`. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The value with every secret replaced by what it holds. The engine hands state back with the
 * outputs it keeps secret (the `airflow` input, for a self-managed login) still wrapped, and a
 * secret config value arrives wrapped in the inputs, so every call unwraps before it reads.
 */
export function revealSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(revealSecrets) as T;
  if (typeof value !== "object" || value === null) return value;
  const record = value as Props;
  if (record[SECRET_SIGNATURE] === SECRET_MARK) return revealSecrets(record.value) as T;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v)])) as T;
}

/** The login and transport part of an `airflow` input: a change there updates in place. */
function credentialsOf(airflow: unknown): unknown {
  if (typeof airflow !== "object" || airflow === null) return undefined;
  const { username, password, client } = airflow as Props;
  return { username, password, client };
}

/** Inputs with the `airflow` input reduced to which Airflow it is (no login). */
function withoutCredentials(inputs: Props): Props {
  return { ...inputs, airflow: airflowIdentity(inputs.airflow) };
}

/**
 * The provider of a resource type. Its callers (the engine, tests) hand it inputs nobody has checked
 * yet, so its face is untyped; from `check` on, the type's own code sees the typed inputs.
 */
export function resourceProvider<I extends AirflowInputs, O>(
  type: ResourceType<I, O>,
): dynamic.ResourceProvider {
  const settings: { region?: string } = {};
  // Not named `context`: the closure serializer leaves names that are globals where it runs
  // uncaptured, and mocha makes `context` a global.
  const callContext: ProviderContext = {
    regionOf: (inputs) => inputs.region ?? inputs.airflow?.region ?? settings.region,
    log: (line) => console.log(line),
    clock: realClock,
  };
  return {
    async configure(req: dynamic.ConfigureRequest) {
      settings.region = req.config.get("aws:region");
    },

    async check(_olds: I, news: I): Promise<dynamic.CheckResult<I>> {
      const failures: Failures = [];
      const inputs = withDefaults<Props>(revealSecrets(news) as unknown as Props, type.defaults as Props);
      checkAirflow(failures, "airflow", inputs.airflow);
      type.check(inputs, failures);
      const known = failures.length === 0 && !Object.values(inputs).some(isUnknown);
      const checked = inputs as unknown as I;
      return { inputs: known && type.derive ? type.derive(checked) : checked, failures };
    },

    async diff(_id: string, wrappedOlds: I & O, wrappedNews: I): Promise<dynamic.DiffResult> {
      const olds = revealSecrets(wrappedOlds);
      const news = revealSecrets(wrappedNews);
      const before = withoutCredentials(olds as unknown as Props);
      const after = withoutCredentials(news as unknown as Props);
      const replaces = changedInputs(before, after, type.replacing);
      const names = Object.keys(news as unknown as Props).filter((k) => (news as Props)[k] !== undefined);
      const changes =
        replaces.length > 0 ||
        changedInputs(before, after, names).length > 0 ||
        !sameValue(credentialsOf((olds as Props).airflow), credentialsOf((news as Props).airflow));
      return { changes, replaces, deleteBeforeReplace: type.deleteBeforeReplace ?? false };
    },

    async create(wrapped: I): Promise<dynamic.CreateResult<I & O>> {
      const inputs = revealSecrets(wrapped);
      const derived = type.derive ? type.derive(inputs) : inputs;
      const { id, outs } = await type.create(derived, callContext);
      return { id, outs: { ...derived, ...outs } };
    },

    async update(id: string, wrappedOlds: I & O, wrappedNews: I): Promise<dynamic.UpdateResult<I & O>> {
      const olds = revealSecrets(wrappedOlds);
      const news = revealSecrets(wrappedNews);
      if (!type.update) return { outs: { ...olds, ...news } };
      const outs = await type.update(id, olds, type.derive ? type.derive(news) : news, callContext);
      return { outs: { ...news, ...outs } };
    },

    async read(id: string, props?: I & O): Promise<dynamic.ReadResult<I & O>> {
      if (!type.refresh || !props) return { id, props };
      const outs = await type.refresh(id, revealSecrets(props), callContext);
      return { id, props: { ...props, ...outs } };
    },

    async delete(id: string, props: I & O): Promise<void> {
      await type.delete(id, revealSecrets(props), callContext);
    },
  };
}
