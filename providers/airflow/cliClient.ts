import {
  AirflowApiError,
  AirflowClient,
  DagImportError,
  DagRunStatus,
  DagSummary,
  InFlightTaskInstance,
  RunRef,
  TriggerRequest,
  TriggerResult,
  WaitOptions,
  normaliseRunState,
  waitFor,
} from "./client";
import {
  cliCommand,
  cliCommands,
  cliFailure,
  escapeRegExp,
  pauseOutcome,
  jsonRowsFromStdout,
  parsePaused,
} from "./cliCommands";
import type { RegionalAccess } from "../framework/awsAccess";
import { mwaaSdkConfig } from "./endpoint";
import { DEFAULT_RETRY, RetryPolicy, isRetryableStatus, withRetry } from "./retry";

export interface MwaaCliOptions extends RegionalAccess {
  environmentName: string;
  /** The environment's Airflow version; a few commands changed their arguments in 3.x. */
  airflowVersion: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
}

export interface CliOutput {
  stdout: string;
  stderr: string;
}

/**
 * The Airflow CLI through MWAA: CreateCliToken (a token lives 60 s, so every command gets a fresh one), then the
 * command text POSTed to `https://{WebServerHostname}/aws_mwaa/cli`; the reply holds base64 stdout and stderr.
 * For environments where InvokeRestApi is unavailable. The CLI has no command that prints a task's log, so
 * `taskLogTail` points to the CloudWatch task log group instead.
 */
export class MwaaCliClient implements AirflowClient {
  readonly description: string;

  constructor(private readonly options: MwaaCliOptions) {
    this.description = `MWAA CLI token (${options.environmentName})`;
  }

  /**
   * Runs one command. The endpoint answers 200 whatever the command did and passes no exit status, so a command
   * counts as failed when its stdout does not show the expected result (`expect`), or is empty while stderr
   * has more than warnings.
   */
  async run(args: string[], expect?: RegExp): Promise<CliOutput> {
    const command = cliCommand(args);
    const output = await withRetry(() => this.runOnce(command), this.options.retry ?? DEFAULT_RETRY);
    const problem = cliFailure(output, expect);
    if (problem) {
      throw new AirflowApiError(
        `airflow ${command} via ${this.description} failed: ${problem}`,
        400,
        false,
        output,
      );
    }
    return output;
  }

  private async runOnce(command: string): Promise<CliOutput> {
    const { MWAAClient, CreateCliTokenCommand } =
      require("@aws-sdk/client-mwaa") as typeof import("@aws-sdk/client-mwaa");
    const mwaa = new MWAAClient(mwaaSdkConfig(this.options));
    let token: { CliToken?: string; WebServerHostname?: string };
    try {
      token = await mwaa.send(new CreateCliTokenCommand({ Name: this.options.environmentName }));
    } finally {
      mwaa.destroy();
    }
    if (!token.CliToken || !token.WebServerHostname) {
      throw new Error(
        `CreateCliToken for ${this.options.environmentName} returned no token or webserver hostname`,
      );
    }
    const response = await fetch(`https://${token.WebServerHostname}/aws_mwaa/cli`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.CliToken}`, "content-type": "text/plain" },
      body: command,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new AirflowApiError(
        `airflow ${command} via ${this.description} failed: ${response.status} ${text.slice(0, 300)}`,
        response.status,
        isRetryableStatus(response.status),
      );
    }
    const reply = JSON.parse(text) as { stdout?: string; stderr?: string };
    const decode = (value?: string) => Buffer.from(value ?? "", "base64").toString("utf8");
    const output = { stdout: decode(reply.stdout), stderr: decode(reply.stderr) };
    return output;
  }

  async version(): Promise<string> {
    const { stdout } = await this.run(cliCommands.version());
    const match = /\d+\.\d+\.\d+\S*/.exec(stdout);
    if (!match) throw new Error(`"airflow version" printed no version: ${stdout.slice(0, 200)}`);
    return match[0];
  }

  async listDags(): Promise<DagSummary[]> {
    const { stdout } = await this.run(cliCommands.listDags());
    return jsonRowsFromStdout(stdout, "dags list").map((row) => ({
      dagId: String(row.dag_id),
      isPaused: parsePaused(row.paused ?? row.is_paused),
      ...(typeof row.fileloc === "string" ? { fileloc: row.fileloc } : {}),
      ...(typeof row.filepath === "string" ? { fileloc: row.filepath } : {}),
    }));
  }

  async importErrors(): Promise<DagImportError[]> {
    const { stdout } = await this.run(cliCommands.importErrors());
    // With no import errors the command prints "No data found" instead of an empty JSON list.
    if (!/[[{]/.test(stdout)) return [];
    return jsonRowsFromStdout(stdout, "dags list-import-errors").map((row) => ({
      filename: String(row.filepath ?? row.filename),
      stackTrace: String(row.error ?? row.stack_trace ?? ""),
    }));
  }

  async setPaused(dagId: string, paused: boolean): Promise<void> {
    const { stdout } = await this.run(cliCommands.setPaused(dagId, paused));
    const outcome = pauseOutcome(stdout, dagId);
    if (outcome === "changed") return;
    if (outcome === "nothing-matched") {
      const dag = (await this.listDags()).find((d) => d.dagId === dagId);
      if (dag && dag.isPaused === paused) return;
    }
    throw new AirflowApiError(
      `airflow dags ${paused ? "pause" : "unpause"} ${dagId} via ${this.description} did not change it: ${stdout.trim().slice(0, 300) || "no output"}`,
      outcome === "nothing-matched" ? 404 : 400,
      false,
    );
  }

  /**
   * `airflow dags list` gives no parse time, so a listed DAG has the empty one: a redelivered DAG is taken
   * for parsed as soon as it is listed (the CLI client cannot tell a stale listing from a fresh parse).
   */
  async lastParsedTime(dagId: string): Promise<string | undefined> {
    const dags = await this.listDags();
    return dags.some((dag) => dag.dagId === dagId) ? "" : undefined;
  }

  async waitUntilParsed(dagId: string, options: WaitOptions): Promise<void> {
    await waitFor(`the scheduler to parse DAG ${dagId}`, options, async () =>
      (await this.lastParsedTime(dagId)) !== undefined ? true : undefined,
    );
  }

  private async findRun(dagId: string, runId: string) {
    const { stdout } = await this.run(cliCommands.listRuns(dagId, this.options.airflowVersion));
    return jsonRowsFromStdout(stdout, "dags list-runs").find((row) => row.run_id === runId);
  }

  async trigger(request: TriggerRequest): Promise<TriggerResult> {
    if (await this.findRun(request.dagId, request.runId)) return { runId: request.runId, created: false };
    await this.run(
      cliCommands.trigger(request.dagId, request.runId, request.conf),
      new RegExp(escapeRegExp(request.runId)),
    );
    return { runId: request.runId, created: true };
  }

  async runStatus(dagId: string, runId: string): Promise<DagRunStatus> {
    const run = await this.findRun(dagId, runId);
    if (!run) throw new AirflowApiError(`DAG ${dagId} has no run ${runId} (${this.description})`, 404, false);
    const { stdout } = await this.run(cliCommands.taskStates(dagId, runId));
    const tasks = jsonRowsFromStdout(stdout, "tasks states-for-dag-run").map((row) => ({
      taskId: String(row.task_id),
      mapIndex: typeof row.map_index === "number" ? row.map_index : -1,
      state: typeof row.state === "string" && row.state !== "None" ? row.state : null,
      tryNumber: typeof row.try_number === "number" ? row.try_number : null,
    }));
    return { dagId, runId, state: normaliseRunState(run.state), tasks };
  }

  /** The CLI has no query across DAGs: each DAG's running runs, then their task states. */
  async unfinishedRuns(dagIds: readonly string[]): Promise<RunRef[]> {
    const found: RunRef[] = [];
    for (const dagId of dagIds) {
      const { stdout } = await this.run(cliCommands.listRuns(dagId, this.options.airflowVersion));
      for (const row of jsonRowsFromStdout(stdout, "dags list-runs"))
        if (row.state === "running" || row.state === "queued")
          found.push({ dagId, runId: String(row.run_id) });
    }
    return found;
  }

  async inFlightTaskInstances(dagIds: readonly string[]): Promise<InFlightTaskInstance[]> {
    const found: InFlightTaskInstance[] = [];
    for (const dagId of dagIds) {
      const { stdout } = await this.run(cliCommands.listRuns(dagId, this.options.airflowVersion));
      const running = jsonRowsFromStdout(stdout, "dags list-runs").filter((row) => row.state === "running");
      for (const run of running) {
        const status = await this.runStatus(dagId, String(run.run_id));
        for (const task of status.tasks) {
          if (task.state === "queued" || task.state === "running")
            found.push({
              dagId,
              runId: status.runId,
              taskId: task.taskId,
              mapIndex: task.mapIndex,
              state: task.state,
            });
        }
      }
    }
    return found;
  }

  async leafTaskIds(dagId: string): Promise<string[]> {
    throw this.noRunStateCommand(dagId);
  }

  async setRunState(dagId: string): Promise<void> {
    throw this.noRunStateCommand(dagId);
  }

  private noRunStateCommand(dagId: string): AirflowApiError {
    return new AirflowApiError(
      `the Airflow CLI has no command that marks a run of DAG ${dagId} finished; ` +
        `mark it in the Airflow UI, or use the client "mwaa-rest"`,
      501,
      false,
    );
  }

  async taskLogTail(dagId: string, runId: string, taskId: string): Promise<string> {
    throw new AirflowApiError(
      `the Airflow CLI cannot print task logs; read task ${taskId} of run ${runId} (DAG ${dagId}) from the ` +
        `environment's CloudWatch group airflow-${this.options.environmentName}-Task, or use the client "mwaa-rest"`,
      501,
      false,
    );
  }
}
