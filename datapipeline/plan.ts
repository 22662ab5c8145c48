/**
 * The DAG a pipeline becomes, as data: tasks with their operators and arguments, dependencies, the
 * schedule and what became of each pipeline object. The converter builds it, the renderer prints it
 * as Python, and the tests check it (and, through Airflow's DagBag, that the printed file says the
 * same).
 */

import { AirflowSchedule, PipelineRun, PipelineSchedule } from "./schedule";

/** A Python value as the DAG file spells it. */
export type Py =
  | { py: "str"; value: string }
  | { py: "num"; value: number }
  | { py: "bool"; value: boolean }
  | { py: "none" }
  | { py: "list"; items: Py[] }
  | { py: "dict"; entries: [string, Py][] }
  /** A call with keyword arguments: `SnsNotifier(target_arn=..., message=...)`. */
  | { py: "call"; fn: string; args: [string, Py][] }
  /** Python source as it is: a name, `timedelta(minutes=5)`, `create_cluster.output`. */
  | { py: "code"; code: string };

export const str = (value: string): Py => ({ py: "str", value });
export const num = (value: number): Py => ({ py: "num", value });
export const bool = (value: boolean): Py => ({ py: "bool", value });
export const none: Py = { py: "none" };
export const list = (items: Py[]): Py => ({ py: "list", items });
export const dict = (entries: [string, Py | undefined][]): Py => ({
  py: "dict",
  entries: entries.filter((e): e is [string, Py] => e[1] !== undefined),
});
export const code = (source: string): Py => ({ py: "code", code: source });
export const call = (fn: string, args: [string, Py | undefined][]): Py => ({
  py: "call",
  fn,
  args: args.filter((a): a is [string, Py] => a[1] !== undefined),
});

export function timedelta(seconds: number): Py {
  return code(renderTimedelta(seconds));
}

/** `timedelta(hours=2)` rather than `timedelta(seconds=7200)`: the largest unit that divides it. */
export function renderTimedelta(seconds: number): string {
  for (const [unit, size] of [
    ["weeks", 604800],
    ["days", 86400],
    ["hours", 3600],
    ["minutes", 60],
  ] as const) {
    if (seconds > 0 && seconds % size === 0) return `timedelta(${unit}=${seconds / size})`;
  }
  return `timedelta(seconds=${seconds})`;
}

export type Status = "converted" | "approximated" | "not converted";

export interface TaskPlan {
  taskId: string;
  /** The operator or sensor class (its import comes from the version's table). */
  operator: string;
  args: [string, Py][];
  /** Comment lines printed above the task. */
  comments: string[];
  /** The pipeline objects it comes from. */
  sourceIds: string[];
  status: Status;
  /** Set up and torn down around other tasks (an EMR cluster). */
  teardownOf?: string;
}

export interface Outcome {
  objectId: string;
  name: string;
  type: string;
  status: Status;
  /** What it became, or why it is approximated or not converted. */
  detail: string;
  tasks: string[];
}

export interface ParamPlan {
  id: string;
  value: Py;
  /** JSON-schema type for Airflow's Param. */
  type: string;
  description?: string;
  enum?: string[];
}

/** A connection the DAG expects to exist in Airflow, and what to create it from. */
export interface ConnectionPlan {
  connId: string;
  connType: string;
  fromObject: string;
  detail: string;
}

export interface DagPlan {
  dagId: string;
  pipelineName: string;
  /** Where the definition came from: a file or a pipeline id. */
  source: string;
  airflowVersion: string;
  description?: string;
  schedule: AirflowSchedule;
  pipelineSchedule: PipelineSchedule;
  /** Comment printed beside the schedule argument. */
  scheduleComment: string;
  /** The pipeline's first runs, for checking the timetable against. */
  expectedRuns: PipelineRun[];
  params: ParamPlan[];
  /** Parameters whose values the file holds as they were at conversion (schedule, array values). */
  fixedParameters: { id: string; values: string[] }[];
  defaultArgs: [string, Py][];
  /** Further DAG arguments (deadline alerts, the SLA callback). */
  dagArgs: [string, Py][];
  tasks: TaskPlan[];
  /** Edges upstream -> downstream, by task id. */
  edges: [string, string][];
  outcomes: Outcome[];
  connections: ConnectionPlan[];
  /** Module-level helper functions the tasks call, by name. */
  helpers: string[];
  /** Original objects of not-converted activities, by object id, in the definition-file shape. */
  notConverted: Record<string, unknown>;
  /** How ShellCommandActivity runs. */
  shellRunner: string;
}

/** A task id (and Python name) from a pipeline object's name: lower snake case, a letter first. */
export function snakeName(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const safe = snake === "" ? "task" : /^[0-9]/.test(snake) ? `task_${snake}` : snake;
  return PYTHON_RESERVED.has(safe) ? `${safe}_` : safe;
}

/** Python keywords and the names a DAG file uses at module level. */
const PYTHON_RESERVED = new Set([
  "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
  "except", "false", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "none",
  "nonlocal", "not", "or", "pass", "raise", "return", "true", "try", "while", "with", "yield",
  "dag", "pendulum", "timedelta", "datetime", "relativedelta", "params", "task", "macros",
]); // prettier-ignore
