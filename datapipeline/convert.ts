/**
 * One pipeline definition to one DAG plan: the schedule, a task (or a few) per activity, a sensor per
 * precondition, EMR clusters set up and torn down around their steps, and the dependencies Data
 * Pipeline implies (dependsOn, and an activity reading a data node another one writes).
 *
 * Every object of the definition gets an outcome: converted, approximated (with why), or not converted
 * (an activity then becomes a task that fails with the original object, so a run cannot pass over it
 * silently). A definition that is wrong as written (see DefinitionError) converts to nothing.
 */

import { AIRFLOW_VERSIONS, isAirflow3 } from "./airflow";
import { activityBuilder } from "./activities";
import { DefinitionError, objectAsFileJson, PipelineDefinition, PipelineObject } from "./definition";
import { FieldContext, ParameterInfo, pipelineParameters, TimeModel, Translator } from "./expressions";
import { Pipeline } from "./objects";
import {
  call,
  code,
  ConnectionPlan,
  DagPlan,
  dict,
  list,
  num,
  Outcome,
  ParamPlan,
  Py,
  snakeName,
  Status,
  str,
  TaskPlan,
  timedelta,
} from "./plan";
import { preconditionSensor } from "./preconditions";
import {
  airflowSchedule,
  describePeriod,
  formatDateTime,
  parseDateTime,
  parseDuration,
  parsePeriod,
  Period,
  pipelineRuns,
  PipelineSchedule,
  ScheduleType,
} from "./schedule";

export type ShellRunner = "worker" | "ssm" | "ecs";
export const SHELL_RUNNERS: readonly ShellRunner[] = ["worker", "ssm", "ecs"];

export interface ConvertOptions {
  airflowVersion: string;
  /** The pipeline's name (a file's base name, or the name Data Pipeline gives it). */
  pipelineName: string;
  /** Where the definition came from, for the DAG's header. */
  source: string;
  description?: string;
  /** Where ShellCommandActivity on an Ec2Resource runs. */
  shellRunner: ShellRunner;
  ecsCluster: string;
  ecsTaskDefinition: string;
  ecsContainer: string;
  /** SSM targets instances with this tag, valued with the Ec2Resource's id. */
  ssmTargetTag: string;
  /** The Airflow connection for AWS calls; a role may map to another one. */
  awsConnId: string;
  roleConnections: Record<string, string>;
  /** For `startAt: FIRST_ACTIVATION_DATE_TIME`: when the DAG starts. */
  activationTime?: Date;
}

export const DEFAULT_OPTIONS = {
  airflowVersion: "2.11.0",
  shellRunner: "worker" as ShellRunner,
  ecsCluster: "datapipeline-shell",
  ecsTaskDefinition: "datapipeline-shell",
  ecsContainer: "shell",
  ssmTargetTag: "DataPipelineResource",
  awsConnId: "aws_default",
  roleConnections: {},
};

/** What an activity builder produced. */
export interface ActivityTasks {
  /** Every task of the activity (retries, timeouts and alarms apply to these). */
  tasks: string[];
  /** The tasks that wait for the activity's upstream. */
  entry: string[];
  /** The tasks its downstream waits for. */
  exit: string[];
  status: Status;
  detail: string;
  /** Tasks whose retries Data Pipeline's retry would mean (default: all). */
  retried?: string[];
  /** EMR step sensors, where attemptTimeout becomes the wait's timeout. */
  waits?: string[];
}

interface EmrClusterTasks {
  create: string;
  terminate: string;
  cluster: PipelineObject;
  activities: string[];
  waits: string[];
}

export class Converter {
  readonly pipeline: Pipeline;
  readonly parameters: Map<string, ParameterInfo>;
  readonly translator: Translator;
  readonly v3: boolean;
  readonly schedule: PipelineSchedule;
  readonly tasks: TaskPlan[] = [];
  readonly edges: [string, string][] = [];
  readonly helpers = new Set<string>();
  readonly connections = new Map<string, ConnectionPlan>();
  readonly notConverted: Record<string, unknown> = {};
  readonly emrClusters = new Map<string, EmrClusterTasks>();
  /** Notes on objects that are not tasks (resources, data formats): extra detail for their outcomes. */
  readonly notes = new Map<string, { status: Status; detail: string; about: string[] }[]>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly taskIds = new Set<string>();
  private readonly sensorTasks = new Map<string, string>();
  private readonly scheduleNote: { status: Status; detail: string };

  constructor(
    definition: PipelineDefinition,
    readonly options: ConvertOptions,
  ) {
    if (!(AIRFLOW_VERSIONS as readonly string[]).includes(options.airflowVersion)) {
      throw new Error(
        `Airflow ${options.airflowVersion} is not a conversion target; choose ${AIRFLOW_VERSIONS.join(" or ")}`,
      );
    }
    this.v3 = isAirflow3(options.airflowVersion);
    this.pipeline = new Pipeline(definition);
    this.parameters = pipelineParameters(this.pipeline);
    const bare = new Translator({
      pipeline: this.pipeline,
      parameters: this.parameters,
      time: this.timeModel("cron"),
    });
    const { schedule, note } = this.readSchedule(bare);
    this.schedule = schedule;
    this.scheduleNote = note;
    this.translator = new Translator({
      pipeline: this.pipeline,
      parameters: this.parameters,
      time: this.timeModel(schedule.scheduleType, schedule.period),
    });
    for (const id of bare.fixedParameters) this.translator.fixedParameters.add(id);
  }

  // -------------------------------------------------------------------------------------------
  // Values

  /** The Jinja template of a field's first value (undefined when the field is not set). */
  template(object: PipelineObject, field: string, context: FieldContext = {}): string | undefined {
    const text = this.pipeline.string(object, field);
    return text === undefined ? undefined : this.translator.template(object, field, text, context);
  }

  requiredTemplate(object: PipelineObject, field: string, context: FieldContext = {}): string {
    const value = this.template(object, field, context);
    if (value === undefined) throw new DefinitionError(object.id, field, "this field is required here");
    return value;
  }

  templates(object: PipelineObject, field: string): string[] {
    return this.translator.templateList(object, field, this.pipeline.strings(object, field));
  }

  /** A field's value where Airflow takes no template. */
  static(object: PipelineObject, field: string): string | undefined {
    const text = this.pipeline.string(object, field);
    return text === undefined ? undefined : this.translator.static(object, field, text);
  }

  /** A duration field ("10 minutes") in seconds. */
  duration(object: PipelineObject, field: string): number | undefined {
    const text = this.static(object, field);
    return text === undefined ? undefined : parseDuration(text, object.id, field);
  }

  integer(object: PipelineObject, field: string): number | undefined {
    const text = this.static(object, field);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text.trim()))
      throw new DefinitionError(object.id, field, `expected a whole number, found ${JSON.stringify(text)}`);
    return Number(text);
  }

  bool(object: PipelineObject, field: string): boolean | undefined {
    const text = this.static(object, field);
    return text === undefined ? undefined : text.trim().toLowerCase() === "true";
  }

  /** The Airflow AWS connection that stands for the object's role. */
  awsConn(object: PipelineObject): string {
    const role = this.static(object, "role");
    return (role && this.options.roleConnections[role]) || this.options.awsConnId;
  }

  // -------------------------------------------------------------------------------------------
  // Building

  private uniqueId(base: string): string {
    let id = base;
    for (let n = 2; this.taskIds.has(id); n++) id = `${base}_${n}`;
    this.taskIds.add(id);
    return id;
  }

  addTask(task: Omit<TaskPlan, "taskId"> & { name: string }): string {
    const { name, ...rest } = task;
    const taskId = this.uniqueId(snakeName(name));
    this.tasks.push({ taskId, ...rest, args: [["task_id", str(taskId)], ...rest.args] });
    return taskId;
  }

  task(taskId: string): TaskPlan {
    return this.tasks.find((t) => t.taskId === taskId) as TaskPlan;
  }

  /** Sets a task argument, replacing an earlier value of it. */
  setArg(taskId: string, key: string, value: Py): void {
    const task = this.task(taskId);
    const at = task.args.findIndex(([k]) => k === key);
    if (at >= 0) task.args[at] = [key, value];
    else task.args.push([key, value]);
  }

  edge(upstream: string, downstream: string): void {
    if (upstream === downstream) return;
    if (!this.edges.some(([u, d]) => u === upstream && d === downstream))
      this.edges.push([upstream, downstream]);
  }

  useHelper(name: string): string {
    this.helpers.add(name);
    return name;
  }

  /**
   * Records what became of an object that is not a task of its own (a resource, an alarm, a format);
   * the same detail about several objects is said once, naming them: "not needed for: A, B".
   */
  note(object: PipelineObject, status: Status, detail: string, about?: string): void {
    const list = this.notes.get(object.id) ?? [];
    let entry = list.find((n) => n.detail === detail && n.status === status);
    if (!entry) {
      entry = { status, detail, about: [] };
      list.push(entry);
    }
    if (about && !entry.about.includes(about)) entry.about.push(about);
    this.notes.set(object.id, list);
  }

  /** The Airflow connection a database object (or a MySqlDataNode) becomes. */
  databaseConn(object: PipelineObject): string {
    const connId = snakeName(object.name);
    if (this.connections.has(connId)) return connId;
    const type = this.pipeline.type(object) ?? "";
    const connectionString = this.static(object, "connectionString") ?? "";
    let connType = "generic";
    if (type === "RedshiftDatabase" || /^jdbc:redshift:/.test(connectionString)) connType = "redshift";
    else if (/^jdbc:mysql:/.test(connectionString) || type === "MySqlDataNode") connType = "mysql";
    else if (/^jdbc:postgresql:/.test(connectionString)) connType = "postgres";
    else if (type === "RdsDatabase") connType = "postgres or mysql (the RDS instance's engine)";
    const parts = [
      connectionString && `connectionString ${connectionString}`,
      this.static(object, "rdsInstanceId") && `RDS instance ${this.static(object, "rdsInstanceId")}`,
      this.static(object, "clusterId") && `Redshift cluster ${this.static(object, "clusterId")}`,
      this.static(object, "databaseName") && `database ${this.static(object, "databaseName")}`,
      this.static(object, "username") && `user ${this.static(object, "username")}`,
    ].filter(Boolean);
    this.connections.set(connId, {
      connId,
      connType,
      fromObject: object.id,
      detail: `${parts.join(", ")}; the password is not in the definition`,
    });
    return connId;
  }

  /**
   * A task that fails on purpose with the original object, for an activity the converter cannot
   * translate; `todo` says what to build instead.
   */
  notConvertedTask(object: PipelineObject, why: string, todo: string): ActivityTasks {
    this.notConverted[object.id] = objectAsFileJson(object);
    const resource = this.pipeline.ref(object, "runsOn");
    if (resource)
      this.note(resource, "not converted", "runs only activities that are not converted", object.id);
    const taskId = this.addTask({
      name: object.name,
      operator: "PythonOperator",
      args: [
        ["python_callable", code(this.useHelper("fail_not_converted"))],
        ["op_args", list([str(object.id)])],
        ["retries", num(0)],
      ],
      comments: [`NOT CONVERTED: ${why}`, `To do: ${todo}`],
      sourceIds: [object.id],
      status: "not converted",
    });
    return { tasks: [taskId], entry: [taskId], exit: [taskId], status: "not converted", detail: why };
  }

  /** The sensor task for a precondition on `owner` (shared by every activity that waits for it). */
  sensorFor(precondition: PipelineObject, owner: PipelineObject): string {
    const key = `${precondition.id}@${owner.id}`;
    const existing = this.sensorTasks.get(key);
    if (existing) return existing;
    const owners = this.pipeline.objects.filter((o) =>
      this.pipeline.refs(o, "precondition").includes(precondition),
    );
    const sensor = preconditionSensor(this, precondition, owner, owners.length > 1);
    this.sensorTasks.set(key, sensor);
    return sensor;
  }

  emrCluster(cluster: PipelineObject): EmrClusterTasks {
    const existing = this.emrClusters.get(cluster.id);
    if (existing) return existing;
    throw new Error(`EMR cluster ${cluster.id} was not set up`);
  }

  registerEmrCluster(cluster: PipelineObject, create: string, terminate: string): EmrClusterTasks {
    const tasks = { create, terminate, cluster, activities: [], waits: [] };
    this.emrClusters.set(cluster.id, tasks);
    return tasks;
  }

  // -------------------------------------------------------------------------------------------
  // Schedule

  private readSchedule(translator: Translator): {
    schedule: PipelineSchedule;
    note: { status: Status; detail: string };
  } {
    const pipeline = this.pipeline;
    const activities = pipeline.ofCategory("activity");
    const typeOwner = pipeline.defaultObject ?? activities[0];
    const typeText = typeOwner && pipeline.string(typeOwner, "scheduleType");
    const scheduleType = (
      typeText ? translator.static(typeOwner, "scheduleType", typeText) : "timeseries"
    ).toLowerCase();
    if (!["cron", "timeseries", "ondemand"].includes(scheduleType)) {
      throw new DefinitionError(
        typeOwner?.id ?? "Default",
        "scheduleType",
        `unknown schedule type ${JSON.stringify(typeText)}: cron, timeseries or ondemand`,
      );
    }
    if (scheduleType === "ondemand") {
      return {
        schedule: { scheduleType: "ondemand", startsAtActivation: false },
        note: { status: "converted", detail: "on demand: no schedule, a run per trigger" },
      };
    }
    const used = new Map<string, PipelineObject[]>();
    for (const activity of activities) {
      const schedule = pipeline.ref(activity, "schedule");
      if (!schedule) {
        throw new DefinitionError(
          activity.id,
          "schedule",
          `a ${scheduleType} pipeline's activities need a schedule`,
        );
      }
      if (pipeline.type(schedule) !== "Schedule") {
        throw new DefinitionError(
          activity.id,
          "schedule",
          `refers to ${schedule.id}, which is not a Schedule`,
        );
      }
      used.set(schedule.id, [...(used.get(schedule.id) ?? []), activity]);
    }
    const [main] = [...used.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [
      pipeline.defaultObject && pipeline.ref(pipeline.defaultObject, "schedule")?.id,
    ];
    const scheduleObject = main ? pipeline.byId.get(main) : undefined;
    if (!scheduleObject) {
      throw new DefinitionError("Default", "schedule", "the pipeline has no schedule and is not on demand");
    }
    const value = (field: string) => {
      const text = pipeline.string(scheduleObject, field);
      return text === undefined ? undefined : translator.static(scheduleObject, field, text);
    };
    const periodText = value("period");
    if (periodText === undefined)
      throw new DefinitionError(scheduleObject.id, "period", "a Schedule needs a period");
    const period: Period = parsePeriod(periodText, scheduleObject.id);
    const startAt = value("startAt");
    const startText = value("startDateTime");
    let start: Date;
    let startsAtActivation = false;
    if (startAt !== undefined) {
      if (startAt !== "FIRST_ACTIVATION_DATE_TIME") {
        throw new DefinitionError(
          scheduleObject.id,
          "startAt",
          `expected FIRST_ACTIVATION_DATE_TIME, found ${JSON.stringify(startAt)}`,
        );
      }
      if (startText !== undefined) {
        throw new DefinitionError(
          scheduleObject.id,
          "startAt",
          "a Schedule has startAt or startDateTime, not both",
        );
      }
      startsAtActivation = true;
      const activation = this.options.activationTime ?? new Date();
      start = new Date(Math.floor(activation.getTime() / 60000) * 60000);
    } else if (startText !== undefined) {
      start = parseDateTime(startText, scheduleObject.id, "startDateTime");
    } else {
      throw new DefinitionError(
        scheduleObject.id,
        "startDateTime",
        "a Schedule needs startDateTime or startAt",
      );
    }
    const endText = value("endDateTime");
    const end = endText === undefined ? undefined : parseDateTime(endText, scheduleObject.id, "endDateTime");
    if (end && end <= start)
      throw new DefinitionError(scheduleObject.id, "endDateTime", "ends before it starts");
    const occurrencesText = value("occurrences");
    let occurrences: number | undefined;
    if (occurrencesText !== undefined) {
      if (!/^\d+$/.test(occurrencesText) || Number(occurrencesText) === 0) {
        throw new DefinitionError(
          scheduleObject.id,
          "occurrences",
          `expected a positive whole number, found ${JSON.stringify(occurrencesText)}`,
        );
      }
      occurrences = Number(occurrencesText);
    }
    const schedule: PipelineSchedule = {
      scheduleId: scheduleObject.id,
      scheduleType: scheduleType as ScheduleType,
      period,
      start,
      startsAtActivation,
      end,
      occurrences,
    };
    const reasons: string[] = [];
    if (startsAtActivation) {
      reasons.push(
        `startAt FIRST_ACTIVATION_DATE_TIME: the DAG starts at ${formatDateTime(start)} (the activation time given to the converter, or the time of conversion) without catch-up`,
      );
    }
    const others = [...used.keys()].filter((id) => id !== scheduleObject.id);
    if (others.length > 0) {
      reasons.push(
        `the activities on ${others.join(", ")} run on ${scheduleObject.id}'s schedule (a DAG has one)`,
      );
    }
    const airflow = airflowSchedule(schedule);
    if (airflow.approximation) reasons.push(airflow.approximation);
    return {
      schedule,
      note:
        reasons.length > 0
          ? { status: "approximated", detail: reasons.join("; ") }
          : { status: "converted", detail: `${scheduleType} every ${describePeriod(period)}` },
    };
  }

  /**
   * The Jinja for @scheduledStartTime and @scheduledEndTime. A data-interval timetable's interval is
   * the period; a trigger timetable's interval is empty, so the end is the start plus a period. An
   * on-demand run on Airflow 3 may have no logical date, so its time is `dag_run.run_after`.
   */
  private timeModel(scheduleType: ScheduleType, period?: Period): TimeModel {
    if (scheduleType === "timeseries")
      return { scheduledStart: "data_interval_start", scheduledEnd: "data_interval_end" };
    if (scheduleType === "ondemand") {
      const start = this.v3 ? "dag_run.run_after" : "data_interval_start";
      return { scheduledStart: start, scheduledEnd: start };
    }
    const p = period ?? { count: 1, unit: "days" };
    const delta =
      p.unit === "months" || p.unit === "years"
        ? `macros.dateutil.relativedelta.relativedelta(${p.unit}=${p.count})`
        : `macros.timedelta(${p.unit}=${p.count})`;
    return { scheduledStart: "data_interval_start", scheduledEnd: `(data_interval_start + ${delta})` };
  }

  // -------------------------------------------------------------------------------------------
  // The whole pipeline

  convert(): DagPlan {
    const pipeline = this.pipeline;
    this.checkCycles();
    const built = new Map<string, ActivityTasks>();
    for (const activity of pipeline.ofCategory("activity")) {
      const result = activityBuilder(pipeline.type(activity) as string)(this, activity);
      built.set(activity.id, result);
      for (const precondition of pipeline.refs(activity, "precondition")) {
        const sensor = this.sensorFor(precondition, activity);
        for (const entry of result.entry) this.edge(sensor, entry);
      }
      this.applyTaskSettings(activity, result);
    }
    // Data flow and dependsOn.
    for (const activity of pipeline.ofCategory("activity")) {
      const tasks = built.get(activity.id) as ActivityTasks;
      const upstream: string[] = [];
      for (const before of pipeline.refs(activity, "dependsOn")) {
        upstream.push(...(built.get(before.id)?.exit ?? []));
      }
      for (const node of pipeline.refs(activity, "input")) {
        const producers = pipeline
          .ofCategory("activity")
          .filter((a) => a !== activity && pipeline.refs(a, "output").includes(node));
        const sensors = pipeline.refs(node, "precondition").map((p) => this.sensorFor(p, node));
        for (const producer of producers) {
          for (const exit of built.get(producer.id)?.exit ?? []) {
            if (sensors.length === 0) upstream.push(exit);
            for (const sensor of sensors) this.edge(exit, sensor);
          }
        }
        upstream.push(...sensors);
      }
      for (const u of upstream) for (const entry of tasks.entry) this.edge(u, entry);
    }
    this.wireEmrClusters();
    const dagArgs = this.lateAlarms(built);
    const scheduleOutcome = this.scheduleNote;
    const airflow = airflowSchedule(this.schedule);
    return {
      dagId: snakeName(this.options.pipelineName),
      pipelineName: this.options.pipelineName,
      source: this.options.source,
      airflowVersion: this.options.airflowVersion,
      description: this.options.description,
      schedule: airflow,
      pipelineSchedule: this.schedule,
      scheduleComment: this.scheduleComment(),
      expectedRuns: pipelineRuns(this.schedule, 5),
      params: this.paramPlans(),
      fixedParameters: this.fixedParameters(),
      defaultArgs: this.defaultArgs(),
      dagArgs,
      tasks: this.tasks,
      edges: this.edges,
      outcomes: this.collectOutcomes(built, scheduleOutcome),
      connections: [...this.connections.values()],
      helpers: [...this.helpers].sort(),
      notConverted: this.notConverted,
      shellRunner: this.options.shellRunner,
    };
  }

  private scheduleComment(): string {
    const s = this.schedule;
    if (s.scheduleType === "ondemand" || !s.period) return "on demand: runs when triggered";
    const when = s.scheduleType === "cron" ? "at the start of each period" : "at the end of each period";
    return `${s.scheduleId}: every ${describePeriod(s.period)}, ${s.scheduleType} (runs ${when})`;
  }

  /** dependsOn cycles (data flow included) are errors: Data Pipeline would never run them. */
  private checkCycles(): void {
    const pipeline = this.pipeline;
    const activities = pipeline.ofCategory("activity");
    const next = new Map<string, { id: string; field: string }[]>();
    for (const activity of activities) {
      const upstream = pipeline.refs(activity, "dependsOn").map((o) => ({ id: o.id, field: "dependsOn" }));
      for (const node of pipeline.refs(activity, "input")) {
        for (const producer of activities) {
          if (producer !== activity && pipeline.refs(producer, "output").includes(node)) {
            upstream.push({ id: producer.id, field: "input" });
          }
        }
      }
      for (const u of upstream) {
        next.set(u.id, [...(next.get(u.id) ?? []), { id: activity.id, field: u.field }]);
      }
      for (const before of pipeline.refs(activity, "dependsOn")) {
        if (pipeline.category(before) !== "activity") {
          throw new DefinitionError(
            activity.id,
            "dependsOn",
            `refers to ${before.id}, which is not an activity`,
          );
        }
      }
    }
    const state = new Map<string, "visiting" | "done">();
    const path: { id: string; field: string }[] = [];
    const visit = (id: string, field: string) => {
      if (state.get(id) === "visiting") {
        // The edge that closes the cycle belongs to `id`: its dependsOn (or input) names the last one.
        const start = path.findIndex((p) => p.id === id);
        const cycle = [...path.slice(start).map((p) => p.id), id];
        throw new DefinitionError(
          id,
          field,
          `activities depend on each other in a cycle: ${cycle.join(" -> ")}`,
        );
      }
      if (state.get(id) === "done") return;
      state.set(id, "visiting");
      path.push({ id, field });
      for (const n of next.get(id) ?? []) visit(n.id, n.field);
      path.pop();
      state.set(id, "done");
    };
    for (const activity of activities) visit(activity.id, "dependsOn");
  }

  /** Retries, retry delay, attempt timeout, alarms and concurrency, from the activity to its tasks. */
  private applyTaskSettings(activity: PipelineObject, built: ActivityTasks): void {
    if (built.status === "not converted") return;
    const defaults = this.defaultSettings();
    const retries = this.integer(activity, "maximumRetries");
    const retryDelay = this.duration(activity, "retryDelay");
    const timeout = this.duration(activity, "attemptTimeout");
    const maxActive = this.integer(activity, "maxActiveInstances");
    for (const taskId of built.retried ?? built.tasks) {
      if (retries !== undefined && retries !== defaults.retries) this.setArg(taskId, "retries", num(retries));
      if (retryDelay !== undefined && retryDelay !== defaults.retryDelay)
        this.setArg(taskId, "retry_delay", timedelta(retryDelay));
    }
    if (timeout !== undefined) {
      for (const taskId of built.waits ?? built.tasks) {
        if (built.waits) this.setArg(taskId, "timeout", timedelta(timeout));
        else if (timeout !== defaults.attemptTimeout)
          this.setArg(taskId, "execution_timeout", timedelta(timeout));
      }
    }
    if (maxActive !== undefined) {
      for (const taskId of built.tasks) this.setArg(taskId, "max_active_tis_per_dag", num(maxActive));
    }
    for (const [field, argument] of [
      ["onFail", "on_failure_callback"],
      ["onSuccess", "on_success_callback"],
    ] as const) {
      const notifiers: Py[] = [];
      for (const action of this.pipeline.refs(activity, field)) {
        const type = this.pipeline.type(action);
        if (type === "SnsAlarm") {
          notifiers.push(this.snsNotifier(action, activity, true));
          this.note(action, "converted", `an SnsNotifier as the ${argument} of`, activity.id);
        } else if (type === "Terminate") {
          this.note(
            action,
            "approximated",
            `in ${field}: a failed or finished task has nothing left to cancel`,
            activity.id,
          );
        } else {
          throw new DefinitionError(
            activity.id,
            field,
            `refers to ${action.id}, which is not an action (SnsAlarm or Terminate)`,
          );
        }
      }
      if (notifiers.length > 0) {
        for (const taskId of built.tasks)
          this.setArg(taskId, argument, notifiers.length === 1 ? notifiers[0] : list(notifiers));
      }
    }
  }

  /** The Default object's retries, retry delay and timeout: the DAG's default_args. */
  private defaultSettings(): { retries?: number; retryDelay?: number; attemptTimeout?: number } {
    const d = this.pipeline.defaultObject;
    if (!d) return {};
    return {
      retries: this.integer(d, "maximumRetries"),
      retryDelay: this.duration(d, "retryDelay"),
      attemptTimeout: this.duration(d, "attemptTimeout"),
    };
  }

  private defaultArgs(): [string, Py][] {
    const d = this.defaultSettings();
    const args: [string, Py][] = [];
    if (d.retries !== undefined) args.push(["retries", num(d.retries)]);
    if (d.retryDelay !== undefined) args.push(["retry_delay", timedelta(d.retryDelay)]);
    if (d.attemptTimeout !== undefined) args.push(["execution_timeout", timedelta(d.attemptTimeout)]);
    return args;
  }

  /** An SnsNotifier for an SnsAlarm, its message translated for the task it reports on. */
  snsNotifier(alarm: PipelineObject, owner: PipelineObject, callback: boolean): Py {
    const context: FieldContext = callback ? { callback: true } : { node: owner };
    return call("SnsNotifier", [
      ["aws_conn_id", str(this.awsConn(alarm))],
      ["target_arn", str(this.requiredTemplate(alarm, "topicArn", context))],
      ["subject", str(this.requiredTemplate(alarm, "subject", context))],
      ["message", str(this.requiredTemplate(alarm, "message", context))],
    ]);
  }

  /**
   * lateAfterTimeout with an onLateAction: Airflow 2 has task SLAs and a DAG-level callback for their
   * misses; Airflow 3 has deadline alerts on the DAG run. Terminate becomes the task's timeout.
   */
  private lateAlarms(built: Map<string, ActivityTasks>): [string, Py][] {
    const dagArgs: [string, Py][] = [];
    const slaCallbacks: Py[] = [];
    const deadlines: Py[] = [];
    for (const activity of this.pipeline.ofCategory("activity")) {
      const actions = this.pipeline.refs(activity, "onLateAction");
      const late = this.duration(activity, "lateAfterTimeout");
      const tasks = built.get(activity.id);
      if (actions.length === 0 || !tasks || tasks.status === "not converted") continue;
      if (late === undefined) {
        throw new DefinitionError(activity.id, "onLateAction", "an onLateAction needs a lateAfterTimeout");
      }
      for (const action of actions) {
        const type = this.pipeline.type(action);
        if (type === "Terminate") {
          for (const taskId of tasks.tasks) {
            if (!this.task(taskId).args.some(([k]) => k === "execution_timeout"))
              this.setArg(taskId, "execution_timeout", timedelta(late));
          }
          this.note(
            action,
            "approximated",
            "in onLateAction: each task's execution_timeout is lateAfterTimeout, counted from the task's start rather than the scheduled start",
            activity.id,
          );
          continue;
        }
        if (type !== "SnsAlarm") {
          throw new DefinitionError(
            activity.id,
            "onLateAction",
            `refers to ${action.id}, which is not an action`,
          );
        }
        const notifier = this.lateNotifier(action, activity);
        if (this.v3) {
          deadlines.push(
            call("DeadlineAlert", [
              ["reference", code("DeadlineReference.DAGRUN_QUEUED_AT")],
              ["interval", timedelta(late)],
              [
                "callback",
                call("AsyncCallback", [
                  ["callback_callable", code("SnsNotifier")],
                  ["kwargs", dict(notifier)],
                ]),
              ],
            ]),
          );
          this.note(
            action,
            "approximated",
            "in onLateAction: a deadline alert on the DAG run (lateAfterTimeout after it is queued), not on the activity alone",
            activity.id,
          );
        } else {
          for (const taskId of tasks.exit) this.setArg(taskId, "sla", timedelta(late));
          slaCallbacks.push(call("SnsNotifier", notifier));
          this.note(
            action,
            "approximated",
            "in onLateAction: a task SLA (counted from the run's scheduled time) with the DAG's sla_miss_callback",
            activity.id,
          );
        }
      }
    }
    if (deadlines.length > 0)
      dagArgs.push(["deadline", deadlines.length === 1 ? deadlines[0] : list(deadlines)]);
    if (slaCallbacks.length > 0)
      dagArgs.push(["sla_miss_callback", slaCallbacks.length === 1 ? slaCallbacks[0] : list(slaCallbacks)]);
    return dagArgs;
  }

  /** A late alarm's notifier arguments: no task context exists then, so only static values translate. */
  private lateNotifier(alarm: PipelineObject, activity: PipelineObject): [string, Py][] {
    const text = (field: string) => {
      const raw = this.pipeline.string(alarm, field) ?? "";
      try {
        return this.translator.static(alarm, field, raw.replace(/#\{\s*node\.name\s*\}/g, activity.name));
      } catch {
        return raw;
      }
    };
    return [
      ["aws_conn_id", str(this.awsConn(alarm))],
      ["target_arn", str(text("topicArn"))],
      ["subject", str(text("subject"))],
      ["message", str(text("message"))],
    ];
  }

  /**
   * EMR clusters are the steps' setup and teardown: created when the first of their activities can
   * start, terminated when the last one is done (also after a failure, as a teardown).
   */
  private wireEmrClusters(): void {
    for (const cluster of this.emrClusters.values()) {
      const descendants = this.descendants(cluster.create);
      const upstream = new Set<string>();
      for (const [u, d] of this.edges) {
        if (cluster.activities.includes(d) && !descendants.has(u) && u !== cluster.create) upstream.add(u);
      }
      for (const u of upstream) this.edge(u, cluster.create);
      for (const wait of cluster.waits) this.edge(wait, cluster.terminate);
      this.edge(cluster.create, cluster.terminate);
      this.task(cluster.terminate).teardownOf = cluster.create;
    }
  }

  private descendants(taskId: string): Set<string> {
    const seen = new Set<string>();
    const stack = [taskId];
    while (stack.length > 0) {
      const current = stack.pop() as string;
      for (const [u, d] of this.edges) {
        if (u === current && !seen.has(d)) {
          seen.add(d);
          stack.push(d);
        }
      }
    }
    return seen;
  }

  /** The DAG's params: the parameters its templates read, valued as the pipeline's values are. */
  private paramPlans(): ParamPlan[] {
    return [...this.parameters.values()]
      .filter((p) => this.translator.templatedParameters.has(p.id))
      .map((p) => {
        const numeric = p.type === "Integer" || p.type === "Double";
        const one = (v: string): Py => (numeric ? num(Number(v)) : str(v));
        return {
          id: p.id,
          value: p.values.length > 0 ? one(p.values[0]) : { py: "none" },
          type: p.type === "Integer" ? "integer" : p.type === "Double" ? "number" : "string",
          description: p.description,
          enum: p.allowedValues.length > 0 ? p.allowedValues : undefined,
        };
      });
  }

  /** Parameters used with their values at conversion, where Airflow takes no template. */
  private fixedParameters(): { id: string; values: string[] }[] {
    return [...this.parameters.values()]
      .filter(
        (p) => this.translator.fixedParameters.has(p.id) && !this.translator.templatedParameters.has(p.id),
      )
      .map((p) => ({ id: p.id, values: p.values }));
  }

  private collectOutcomes(
    built: Map<string, ActivityTasks>,
    scheduleNote: { status: Status; detail: string },
  ): Outcome[] {
    const pipeline = this.pipeline;
    const outcomes: Outcome[] = [];
    const tasksOf = (id: string) => this.tasks.filter((t) => t.sourceIds.includes(id)).map((t) => t.taskId);
    for (const object of pipeline.objects) {
      const type = object === pipeline.defaultObject ? "Default" : (pipeline.type(object) ?? "(no type)");
      const notes = this.notes.get(object.id) ?? [];
      let status: Status = "converted";
      let detail: string;
      const activity = built.get(object.id);
      if (activity) {
        status = activity.status;
        detail = activity.detail;
      } else if (object === pipeline.defaultObject) {
        detail = this.defaultDetail(object);
        if (pipeline.has(object, "pipelineLogUri")) {
          status = "approximated";
          detail +=
            "; pipelineLogUri: task logs go to the environment's CloudWatch logs (EMR clusters still log there)";
        }
        if (
          pipeline.has(object, "failureAndRerunMode") &&
          this.static(object, "failureAndRerunMode")?.toUpperCase() === "NONE"
        ) {
          status = "approximated";
          detail +=
            "; failureAndRerunMode NONE: in Airflow a failed task's downstream tasks do not run (as CASCADE)";
        }
      } else if (object.id === this.schedule.scheduleId) {
        status = scheduleNote.status;
        detail = scheduleNote.detail;
      } else {
        detail = this.objectDetail(object, type);
      }
      for (const note of notes) {
        if (note.status === "not converted" || (note.status === "approximated" && status === "converted"))
          status = note.status;
      }
      if (type === "HttpProxy") {
        status = "not converted";
        detail = `Airflow's AWS connections take a proxy in their extra ({"config_kwargs": {"proxies": {...}}}); set it on the connection the tasks use`;
      }
      const said = notes.map((n) => (n.about.length > 0 ? `${n.detail}: ${n.about.join(", ")}` : n.detail));
      const details = (
        notes.length > 0 &&
        !activity &&
        object !== pipeline.defaultObject &&
        object.id !== this.schedule.scheduleId
          ? said
          : [detail, ...said]
      ).filter(Boolean);
      outcomes.push({
        objectId: object.id,
        name: object.name,
        type,
        status,
        detail: details.join("; "),
        tasks: tasksOf(object.id),
      });
      const own = this.outcomes.get(object.id);
      if (own) outcomes[outcomes.length - 1] = own;
    }
    return outcomes;
  }

  private defaultDetail(object: PipelineObject): string {
    const parts = [`DAG settings: schedule type ${this.schedule.scheduleType}`];
    const role = this.static(object, "role");
    if (role) parts.push(`role ${role} -> connection ${this.awsConn(object)}`);
    const resourceRole = this.static(object, "resourceRole");
    if (resourceRole) parts.push(`resourceRole ${resourceRole} -> EMR instance profile`);
    return parts.join(", ");
  }

  private objectDetail(object: PipelineObject, type: string): string {
    const pipeline = this.pipeline;
    const users = pipeline.objects.filter((o) =>
      Object.values(o.fields).some((values) => values.some((v) => "ref" in v && v.ref === object.id)),
    );
    const category = pipeline.category(object);
    if (users.length === 0 && category !== "abstract") return "not used by any object: nothing to run";
    switch (category) {
      case "dataNode":
        return `data of ${users.map((u) => u.id).join(", ")}`;
      case "database":
        return `connection ${this.databaseConn(object)}`;
      case "schedule":
        return `schedule of ${users.map((u) => u.id).join(", ")}`;
      case "abstract":
        return "parent of other objects: its fields are inherited";
      default:
        return `${type} used by ${users.map((u) => u.id).join(", ")}`;
    }
  }

  /** Replaces the computed outcome of an object (resources decide theirs once every user is built). */
  setOutcome(object: PipelineObject, status: Status, detail: string): void {
    this.outcomes.set(object.id, {
      objectId: object.id,
      name: object.name,
      type: this.pipeline.type(object) ?? "",
      status,
      detail,
      tasks: this.tasks.filter((t) => t.sourceIds.includes(object.id)).map((t) => t.taskId),
    });
  }
}

/** Converts one definition with the given options. */
export function convertDefinition(definition: PipelineDefinition, options: ConvertOptions): DagPlan {
  return new Converter(definition, options).convert();
}
