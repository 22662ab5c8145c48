/**
 * The progress display: every line prefixed with the time since start and the current stage.
 * The providers write their progress (table, rows, task-log streams) as plain console lines, as
 * they do under the Pulumi CLI; the display routes those through the same prefix.
 */

export function progressPrefix(elapsedMs: number, stage: string): string {
  const seconds = Math.floor(elapsedMs / 1000);
  const clock = `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
  return `[${clock}] ${stage.padEnd(8)} |`;
}

export class Display {
  private stage = "setup";
  private readonly startedAt = Date.now();
  private readonly write: (line: string) => void;

  constructor(write: (line: string) => void = (line) => process.stdout.write(line + "\n")) {
    this.write = write;
  }

  enter(stage: string, what: string): void {
    this.stage = stage;
    this.line(`== ${what}`);
  }

  line(text: string): void {
    for (const part of text.split("\n"))
      this.write(`${progressPrefix(Date.now() - this.startedAt, this.stage)} ${part}`);
  }

  /**
   * Sends console.log/console.error (the providers' progress lines) through the display, and
   * process warnings as one line each (the AWS SDK's notice about future Node versions is
   * several lines long and says nothing about the rehearsal).
   */
  captureConsole(): void {
    console.log = (...args: unknown[]) => this.line(args.map(String).join(" "));
    console.error = (...args: unknown[]) => this.line(args.map(String).join(" "));
    process.removeAllListeners("warning");
    process.on("warning", (warning: Error) => {
      if (!`${warning.name} ${warning.message}`.includes("NodeVersionSupportWarning"))
        this.line(`warning: ${warning.name}: ${warning.message}`);
    });
  }
}
