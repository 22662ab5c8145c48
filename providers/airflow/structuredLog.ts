/**
 * Airflow 3's log endpoint (API v2) answers with structured lines, `{timestamp, level, event, ...}`, and keeps a
 * failed task's traceback out of `event`, in `error_detail`: a list of exceptions, each with its type, value
 * and frames. Rendered here as Python prints a traceback, so that the tail of a failed task's log says why.
 */

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === "object" ? (value as Json) : {});

function renderException(raw: unknown): string[] {
  const exception = asObject(raw);
  const frames = Array.isArray(exception.frames) ? exception.frames.map(asObject) : [];
  const lines = frames.length > 0 ? ["Traceback (most recent call last):"] : [];
  for (const frame of frames) {
    lines.push(`  File "${String(frame.filename)}", line ${String(frame.lineno)}, in ${String(frame.name)}`);
  }
  const value =
    exception.exc_value === undefined || exception.exc_value === "" ? "" : `: ${String(exception.exc_value)}`;
  lines.push(`${String(exception.exc_type ?? "Exception")}${value}`);
  return lines;
}

/** One structured log line as text: its event, followed by the traceback when it carries one. */
export function structuredLogLine(line: unknown): string {
  if (typeof line === "string") return line;
  const record = asObject(line);
  const head = String(record.event ?? JSON.stringify(line));
  if (!Array.isArray(record.error_detail) || record.error_detail.length === 0) return head;
  // Airflow lists the raised exception first and its causes after it; Python prints the cause first.
  const chain = [...record.error_detail].reverse().map(asObject);
  const lines = [head];
  chain.forEach((exception, index) => {
    if (index > 0) {
      lines.push(
        "",
        chain[index - 1].is_cause === true
          ? "The above exception was the direct cause of the following exception:"
          : "During handling of the above exception, another exception occurred:",
        "",
      );
    }
    lines.push(...renderException(exception));
  });
  return lines.join("\n");
}
