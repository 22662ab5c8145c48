/**
 * Data Pipeline expressions (`#{...}` in field values) translated to Airflow's Jinja templates.
 *
 * What translates (everything else is an error naming the object and the field, never a guess):
 * - run-time fields `@scheduledStartTime`, `@scheduledEndTime`, `@actualStartTime`, `@actualEndTime`,
 *   `@pipelineId`, also through `node.` (the object a precondition or an alarm belongs to) and
 *   through a reference field (`input.@scheduledStartTime`);
 * - parameters (`myParam`): `params.myParam`, the DAG's params carrying the pipeline's values;
 * - field references: `input.directoryPath`, `output.tableName`, `node.name`, or a field of the
 *   object itself, replaced by that field's own translation;
 * - date-time functions: `format` (Joda-Time patterns become strftime's), `plus`/`minus` of
 *   Minutes/Hours/Days/Weeks/Months/Years, `midnight`, `firstOfMonth`, `sunday`, `makeDate`,
 *   `makeDateTime`, `inTimeZone`, and the parts `year`, `month`, `day`, `dayOfYear`, `hour`, `minute`;
 * - arithmetic on numbers (`+ - * / ^`) and text literals.
 *
 * Date arithmetic uses `macros.timedelta` and `macros.dateutil.relativedelta` rather than Pendulum's
 * own methods: they work on the context's Pendulum date-times and on plain ones alike.
 *
 * Fields that Airflow does not template (the schedule, retries, connection names) take a static
 * value: parameters resolve to their values, and a run-time value there is an error.
 */

import { DefinitionError, PipelineObject } from "./definition";
import { Pipeline } from "./objects";

// ---------------------------------------------------------------------------------------------
// Syntax

type Node =
  | { kind: "number"; value: string }
  | { kind: "text"; value: string }
  | { kind: "path"; segments: string[] }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "binary"; op: string; left: Node; right: Node }
  | { kind: "negate"; operand: Node };

type Token = { kind: "number" | "text" | "name" | "punct"; value: string };

function tokenize(source: string, fail: (why: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/\d/.test(c)) {
      const m = /^\d+(\.\d+)?/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: "number", value: m[0] });
      i += m[0].length;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = "";
      while (j < source.length && source[j] !== c) {
        if (source[j] === "\\" && j + 1 < source.length) j++;
        value += source[j++];
      }
      if (j >= source.length) fail(`unterminated text literal in ${JSON.stringify(source)}`);
      tokens.push({ kind: "text", value });
      i = j + 1;
    } else if (/[@A-Za-z_]/.test(c)) {
      const m = /^@?[A-Za-z_][A-Za-z0-9_]*(\.@?[A-Za-z_][A-Za-z0-9_]*)*/.exec(source.slice(i));
      if (!m) fail(`unexpected ${JSON.stringify(c)} in ${JSON.stringify(source)}`);
      tokens.push({ kind: "name", value: m[0] });
      i += m[0].length;
    } else if ("(),+-*/^".includes(c)) {
      tokens.push({ kind: "punct", value: c });
      i++;
    } else {
      fail(`unexpected ${JSON.stringify(c)} in ${JSON.stringify(source)}`);
    }
  }
  return tokens;
}

function parseExpression(source: string, fail: (why: string) => never): Node {
  const tokens = tokenize(source, fail);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (value?: string): Token => {
    const token = tokens[pos];
    if (!token || (value !== undefined && token.value !== value)) {
      fail(`expected ${value ?? "more"} in ${JSON.stringify(source)}`);
    }
    pos++;
    return token;
  };
  const primary = (): Node => {
    const token = take();
    if (token.kind === "number") return { kind: "number", value: token.value };
    if (token.kind === "text") return { kind: "text", value: token.value };
    if (token.kind === "punct" && token.value === "(") {
      const inner = sum();
      take(")");
      return inner;
    }
    if (token.kind === "punct" && token.value === "-") return { kind: "negate", operand: primary() };
    if (token.kind === "name") {
      if (peek()?.value === "(") {
        take("(");
        const args: Node[] = [];
        if (peek()?.value !== ")") {
          args.push(sum());
          while (peek()?.value === ",") {
            take(",");
            args.push(sum());
          }
        }
        take(")");
        return { kind: "call", name: token.value, args };
      }
      return { kind: "path", segments: token.value.split(".") };
    }
    return fail(`unexpected ${JSON.stringify(token.value)} in ${JSON.stringify(source)}`);
  };
  const power = (): Node => {
    const left = primary();
    if (peek()?.value === "^") {
      take("^");
      return { kind: "binary", op: "^", left, right: power() };
    }
    return left;
  };
  const product = (): Node => {
    let left = power();
    while (peek()?.value === "*" || peek()?.value === "/") {
      const op = take().value;
      left = { kind: "binary", op, left, right: power() };
    }
    return left;
  };
  const sum = (): Node => {
    let left = product();
    while (peek()?.value === "+" || peek()?.value === "-") {
      const op = take().value;
      left = { kind: "binary", op, left, right: product() };
    }
    return left;
  };
  if (tokens.length === 0) fail("empty expression #{}");
  const node = sum();
  if (pos < tokens.length)
    fail(`unexpected ${JSON.stringify(tokens[pos].value)} in ${JSON.stringify(source)}`);
  return node;
}

export type Part = { literal: string } | { expression: string };

/** Splits a field value into literal text and `#{...}` expressions. */
export function splitExpressions(text: string, fail: (why: string) => never): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("#{", i);
    if (start < 0) {
      parts.push({ literal: text.slice(i) });
      break;
    }
    if (start > i) parts.push({ literal: text.slice(i, start) });
    let j = start + 2;
    let quote: string | null = null;
    while (j < text.length && (quote !== null || text[j] !== "}")) {
      if (quote === null && (text[j] === "'" || text[j] === '"')) quote = text[j];
      else if (quote !== null && text[j] === quote) quote = null;
      j++;
    }
    if (j >= text.length) fail(`unterminated expression in ${JSON.stringify(text)}`);
    parts.push({ expression: text.slice(start + 2, j) });
    i = j + 1;
  }
  return parts;
}

export function hasExpression(text: string): boolean {
  return text.includes("#{");
}

// ---------------------------------------------------------------------------------------------
// Parameters

export interface ParameterInfo {
  id: string;
  /** String, Integer, Double or AWS::S3::ObjectKey. */
  type: string;
  /** The value: parameterValues, else the parameter's default. Empty when neither exists. */
  values: string[];
  description?: string;
  optional: boolean;
  isArray: boolean;
  allowedValues: string[];
}

export function pipelineParameters(pipeline: Pipeline): Map<string, ParameterInfo> {
  const result = new Map<string, ParameterInfo>();
  for (const parameter of pipeline.definition.parameters) {
    const a = parameter.attributes;
    const supplied = pipeline.definition.values[parameter.id];
    result.set(parameter.id, {
      id: parameter.id,
      type: a.type?.[0] ?? "String",
      values: supplied ?? a.default ?? [],
      description: a.description?.[0],
      optional: a.optional?.[0] === "true",
      isArray: a.isArray?.[0] === "true",
      allowedValues: a.allowedValues ?? [],
    });
  }
  for (const id of Object.keys(pipeline.definition.values)) {
    if (!result.has(id)) {
      throw new DefinitionError(
        id,
        "values",
        "a value is given for a parameter that the definition does not declare",
      );
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Translation

/** Jinja expressions for the run-time fields, which depend on the DAG's timetable. */
export interface TimeModel {
  scheduledStart: string;
  scheduledEnd: string;
}

export interface Scope {
  pipeline: Pipeline;
  parameters: Map<string, ParameterInfo>;
  time: TimeModel;
}

/**
 * Where a field is read. `node` is the object a precondition or an action belongs to; `callback`
 * marks an alarm's message, where `node` is the task the callback reports on.
 */
export interface FieldContext {
  node?: PipelineObject;
  callback?: boolean;
}

type Value =
  | { kind: "datetime"; jinja: string }
  | { kind: "number"; jinja: string }
  | { kind: "text"; jinja: string }
  /** Already a template: another field's translation, spliced in as it is. */
  | { kind: "template"; template: string };

/** DataPipeline's own text form of a date-time, as `#{@scheduledStartTime}` prints it. */
const DEFAULT_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S";

const JODA: [RegExp, string | null][] = [
  [/^yyyy|^YYYY/, "%Y"],
  [/^yy|^YY/, "%y"],
  [/^MMMM/, "%B"],
  [/^MMM/, "%b"],
  [/^MM/, "%m"],
  [/^M/, "%-m"],
  [/^dd/, "%d"],
  [/^d/, "%-d"],
  [/^DDD/, "%j"],
  [/^HH/, "%H"],
  [/^H/, "%-H"],
  [/^hh/, "%I"],
  [/^h/, "%-I"],
  [/^mm/, "%M"],
  [/^m/, "%-M"],
  [/^ss/, "%S"],
  [/^s/, "%-S"],
  [/^a/, "%p"],
  [/^EEEE/, "%A"],
  [/^EEE?/, "%a"],
  [/^ZZ?/, "%z"],
  [/^z+/, "%Z"],
  [/^S+/, null],
];

/** A Joda-Time pattern as a strftime format; undefined for what strftime cannot print (fractions). */
export function jodaToStrftime(pattern: string): string | undefined {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const rest = pattern.slice(i);
    if (rest[0] === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end).replace(/%/g, "%%");
      i = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(rest[0])) {
      const rule = JODA.find(([re]) => re.test(rest));
      if (!rule || rule[1] === null) return undefined;
      out += rule[1];
      i += (rest.match(rule[0]) as RegExpMatchArray)[0].length;
      continue;
    }
    out += rest[0] === "%" ? "%%" : rest[0];
    i++;
  }
  return out;
}

function pyString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
}

const UNIT_FUNCTIONS: Record<string, string> = {
  Minutes: "minutes",
  Hours: "hours",
  Days: "days",
  Weeks: "weeks",
  Months: "months",
  Years: "years",
};

export class Translator {
  /** Parameters that appear in templates: the DAG's params. */
  readonly templatedParameters = new Set<string>();
  /** Parameters whose values were used as they are (the schedule, names, array values). */
  readonly fixedParameters = new Set<string>();

  constructor(private readonly scope: Scope) {}

  /** The Jinja template for a field value; text without expressions comes back as it is. */
  template(object: PipelineObject, field: string, text: string, context: FieldContext = {}): string {
    return this.templateOf(object, field, text, context, []);
  }

  private templateOf(
    object: PipelineObject,
    field: string,
    text: string,
    context: FieldContext,
    visiting: string[],
  ): string {
    const fail = (why: string): never => {
      throw new DefinitionError(object.id, field, why);
    };
    return splitExpressions(text, fail)
      .map((part) => {
        if ("literal" in part) return escapeLiteral(part.literal);
        const value = this.evaluate(
          object,
          field,
          parseExpression(part.expression, fail),
          context,
          visiting,
          fail,
        );
        if (value.kind === "template") return value.template;
        const shown =
          value.kind === "datetime" ? `${value.jinja}.strftime('${DEFAULT_DATETIME_FORMAT}')` : value.jinja;
        return `{{ ${shown} }}`;
      })
      .join("");
  }

  /**
   * The value of a field where Airflow takes no template: parameters resolve to their values,
   * anything that needs a run is an error naming the object and field.
   */
  static(object: PipelineObject, field: string, text: string): string {
    const fail = (why: string): never => {
      throw new DefinitionError(object.id, field, why);
    };
    return splitExpressions(text, fail)
      .map((part) => ("literal" in part ? part.literal : this.staticOf(object, part.expression, fail)))
      .join("");
  }

  /** Values of a list field; an array parameter standing alone expands into its values. */
  staticList(object: PipelineObject, field: string, texts: string[]): string[] {
    return texts.flatMap(
      (text) => this.expandArray(object, field, text) ?? [this.static(object, field, text)],
    );
  }

  /** Templates of a list field; an array parameter standing alone expands into its values. */
  templateList(object: PipelineObject, field: string, texts: string[]): string[] {
    return texts.flatMap(
      (text) =>
        this.expandArray(object, field, text)?.map(escapeLiteral) ?? [this.template(object, field, text)],
    );
  }

  private expandArray(object: PipelineObject, field: string, text: string): string[] | undefined {
    const match = /^#\{\s*(my[A-Za-z0-9_]*)\s*\}$/.exec(text);
    const parameter = match && this.scope.parameters.get(match[1]);
    if (!parameter || !parameter.isArray) return undefined;
    if (parameter.values.length === 0 && !parameter.optional) {
      throw new DefinitionError(object.id, field, `parameter ${parameter.id} has no value and no default`);
    }
    this.fixedParameters.add(parameter.id);
    return parameter.values;
  }

  private staticOf(object: PipelineObject, source: string, fail: (why: string) => never): string {
    const node = parseExpression(source, fail);
    const value = (n: Node): string | number => {
      switch (n.kind) {
        case "number":
          return Number(n.value);
        case "text":
          return n.value;
        case "negate":
          return -Number(value(n.operand));
        case "binary": {
          const l = value(n.left);
          const r = value(n.right);
          if (n.op === "+" && (typeof l === "string" || typeof r === "string")) return `${l}${r}`;
          const [a, b] = [Number(l), Number(r)];
          return n.op === "+"
            ? a + b
            : n.op === "-"
              ? a - b
              : n.op === "*"
                ? a * b
                : n.op === "/"
                  ? a / b
                  : a ** b;
        }
        case "path": {
          const parameter = this.scope.parameters.get(n.segments[0]);
          if (parameter && n.segments.length === 1) {
            if (parameter.values.length === 0 && !parameter.optional) {
              fail(`parameter ${parameter.id} has no value and no default`);
            }
            this.fixedParameters.add(parameter.id);
            const raw = parameter.values[0] ?? "";
            return parameter.type === "Integer" || parameter.type === "Double" ? Number(raw) : raw;
          }
          if (n.segments.length === 1 && n.segments[0] === "id") return object.id;
          if (n.segments.length === 1 && n.segments[0] === "name") return object.name;
          return fail(
            `#{${source}} needs a value that only exists when the pipeline runs, and this field cannot take an Airflow template`,
          );
        }
        case "call":
          return fail(
            `#{${source}} calls ${n.name}(), which needs the pipeline's run, and this field cannot take an Airflow template`,
          );
      }
    };
    return String(value(node));
  }

  private evaluate(
    object: PipelineObject,
    field: string,
    node: Node,
    context: FieldContext,
    visiting: string[],
    fail: (why: string) => never,
  ): Value {
    const sub = (n: Node) => this.evaluate(object, field, n, context, visiting, fail);
    const datetime = (n: Node, fn: string): string => {
      const v = sub(n);
      if (v.kind !== "datetime") fail(`${fn}() takes a date-time, such as @scheduledStartTime`);
      return (v as { jinja: string }).jinja;
    };
    const number = (n: Node, fn: string): string => {
      const v = sub(n);
      if (v.kind !== "number") fail(`${fn}() takes a number here`);
      return (v as { jinja: string }).jinja;
    };
    switch (node.kind) {
      case "number":
        return { kind: "number", jinja: node.value };
      case "text":
        return { kind: "text", jinja: pyString(node.value) };
      case "negate":
        return { kind: "number", jinja: `-${number(node.operand, "-")}` };
      case "binary": {
        const l = sub(node.left);
        const r = sub(node.right);
        if (
          l.kind === "template" ||
          r.kind === "template" ||
          l.kind === "datetime" ||
          r.kind === "datetime"
        ) {
          return fail(`the operator ${node.op} takes numbers or text, not a date-time or another field`);
        }
        const op = node.op === "^" ? "**" : node.op;
        const kind = l.kind === "text" || r.kind === "text" ? "text" : "number";
        if (kind === "text" && node.op !== "+") fail(`the operator ${node.op} does not apply to text`);
        return { kind, jinja: `(${l.jinja} ${kind === "text" ? "~" : op} ${r.jinja})` };
      }
      case "path":
        return this.path(object, field, node.segments, context, visiting, fail);
      case "call":
        return this.call(node, sub, datetime, number, fail);
    }
  }

  private call(
    node: Extract<Node, { kind: "call" }>,
    sub: (n: Node) => Value,
    datetime: (n: Node, fn: string) => string,
    number: (n: Node, fn: string) => string,
    fail: (why: string) => never,
  ): Value {
    const { name, args } = node;
    const arity = (n: number) => {
      if (args.length !== n) fail(`${name}() takes ${n} argument${n === 1 ? "" : "s"}, found ${args.length}`);
    };
    const shift = /^(plus|minus)(Minutes|Hours|Days|Weeks|Months|Years)$/.exec(name);
    if (shift) {
      arity(2);
      const base = datetime(args[0], name);
      const amount = number(args[1], name);
      const unit = UNIT_FUNCTIONS[shift[2]];
      const delta =
        unit === "months" || unit === "years"
          ? `macros.dateutil.relativedelta.relativedelta(${unit}=${amount})`
          : `macros.timedelta(${unit}=${amount})`;
      return { kind: "datetime", jinja: `(${base} ${shift[1] === "plus" ? "+" : "-"} ${delta})` };
    }
    switch (name) {
      case "format": {
        arity(2);
        const base = datetime(args[0], name);
        const pattern = args[1];
        if (pattern.kind !== "text")
          return fail("format() takes its pattern as a text literal, e.g. 'YYYY-MM-dd'");
        const strftime = jodaToStrftime(pattern.value);
        if (strftime === undefined) {
          return fail(`format() pattern ${JSON.stringify(pattern.value)} has parts strftime cannot print`);
        }
        return { kind: "text", jinja: `${base}.strftime(${pyString(strftime)})` };
      }
      case "midnight":
        arity(1);
        return {
          kind: "datetime",
          jinja: `${datetime(args[0], name)}.replace(hour=0, minute=0, second=0, microsecond=0)`,
        };
      case "firstOfMonth":
        arity(1);
        return { kind: "datetime", jinja: `${datetime(args[0], name)}.replace(day=1)` };
      case "sunday": {
        arity(1);
        const base = datetime(args[0], name);
        return { kind: "datetime", jinja: `(${base} - macros.timedelta(days=(${base}.weekday() + 1) % 7))` };
      }
      case "year":
      case "month":
      case "day":
      case "hour":
      case "minute":
        arity(1);
        return { kind: "number", jinja: `${datetime(args[0], name)}.${name}` };
      case "dayOfYear":
        arity(1);
        return { kind: "number", jinja: `${datetime(args[0], name)}.timetuple().tm_yday` };
      case "makeDate":
      case "makeDateTime": {
        arity(name === "makeDate" ? 3 : 5);
        const parts = args.map((a) => number(a, name)).join(", ");
        return { kind: "datetime", jinja: `macros.datetime(${parts}, tzinfo=macros.dateutil.tz.UTC)` };
      }
      case "inTimeZone": {
        arity(2);
        const zone = sub(args[1]);
        if (zone.kind !== "text") fail("inTimeZone() takes a time zone name as text");
        return {
          kind: "datetime",
          jinja: `${datetime(args[0], name)}.astimezone(macros.dateutil.tz.gettz(${(zone as { jinja: string }).jinja}))`,
        };
      }
      default:
        return fail(`unknown function ${name}() in an expression`);
    }
  }

  private path(
    object: PipelineObject,
    field: string,
    segments: string[],
    context: FieldContext,
    visiting: string[],
    fail: (why: string) => never,
  ): Value {
    const [head, ...rest] = segments;
    const time = this.scope.time;
    if (rest.length === 0) {
      switch (head) {
        case "@scheduledStartTime":
          return { kind: "datetime", jinja: time.scheduledStart };
        case "@scheduledEndTime":
          return { kind: "datetime", jinja: time.scheduledEnd };
        case "@actualStartTime":
          return { kind: "datetime", jinja: "ti.start_date" };
        case "@actualEndTime":
          if (!context.callback)
            return fail("@actualEndTime is only known once the object has finished (in an alarm)");
          return { kind: "datetime", jinja: "ti.end_date" };
        case "@pipelineId":
          return { kind: "text", jinja: "dag.dag_id" };
        case "id":
        case "@id":
          return { kind: "text", jinja: pyString(object.id) };
        case "name":
          return { kind: "text", jinja: pyString(object.name) };
      }
      const parameter = this.scope.parameters.get(head);
      if (parameter) {
        if (parameter.values.length === 0 && !parameter.optional) {
          fail(`parameter ${parameter.id} has no value and no default`);
        }
        if (parameter.isArray) fail(`array parameter ${parameter.id} can only stand alone in a list field`);
        const numeric = parameter.type === "Integer" || parameter.type === "Double";
        this.templatedParameters.add(parameter.id);
        return { kind: numeric ? "number" : "text", jinja: `params.${head}` };
      }
      if (head.startsWith("my"))
        return fail(`unknown parameter ${head} (parameters are declared in "parameters")`);
      const own = this.scope.pipeline.values(object, head);
      if (head !== field && own.length > 0 && own.every((v) => "string" in v)) {
        return this.fieldReference(object, head, context, visiting, fail);
      }
      return fail(`unknown name ${head} in an expression`);
    }
    if (head === "node") {
      if (context.callback) return this.callbackNode(rest, fail);
      if (!context.node) return fail("node. is only known in a precondition or an action");
      return this.path(
        context.node,
        `${field} -> node ${context.node.id}`,
        rest,
        { ...context, node: undefined },
        visiting,
        fail,
      );
    }
    const pipeline = this.scope.pipeline;
    const values = pipeline.values(object, head);
    if (values.length === 0 || !("ref" in values[0])) {
      return fail(`${segments.join(".")}: ${head} is not a reference field of ${object.id}`);
    }
    const target = pipeline.byId.get(values[0].ref) as PipelineObject;
    return this.path(target, `${field} -> ${target.id}`, rest, context, visiting, fail);
  }

  private fieldReference(
    object: PipelineObject,
    name: string,
    context: FieldContext,
    visiting: string[],
    fail: (why: string) => never,
  ): Value {
    const key = `${object.id}.${name}`;
    if (visiting.includes(key))
      fail(`expressions refer to each other in a cycle: ${[...visiting, key].join(" -> ")}`);
    const text = this.scope.pipeline.string(object, name);
    if (text === undefined) return fail(`${object.id} has no field ${name}`);
    return { kind: "template", template: this.templateOf(object, name, text, context, [...visiting, key]) };
  }

  private callbackNode(rest: string[], fail: (why: string) => never): Value {
    const time = this.scope.time;
    switch (rest.join(".")) {
      case "name":
      case "id":
      case "@id":
        return { kind: "text", jinja: "ti.task_id" };
      case "@scheduledStartTime":
        return { kind: "datetime", jinja: time.scheduledStart };
      case "@scheduledEndTime":
        return { kind: "datetime", jinja: time.scheduledEnd };
      case "@actualStartTime":
        return { kind: "datetime", jinja: "ti.start_date" };
      case "@actualEndTime":
        return { kind: "datetime", jinja: "ti.end_date" };
      case "errorMessage":
      case "errorStackTrace":
      case "errorId":
        return { kind: "text", jinja: "exception" };
      case "@status":
        return { kind: "text", jinja: "ti.state" };
      default:
        return fail(`node.${rest.join(".")} is not known in an alarm's message`);
    }
  }
}

/** Literal text that Jinja would read as its own syntax is wrapped in a string expression. */
export function escapeLiteral(text: string): string {
  if (!/\{\{|\{%|\{#/.test(text)) return text;
  return `{{ ${pyString(text)} }}`;
}
