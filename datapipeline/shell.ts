/** Shell text for the commands a DAG runs: quoting that keeps Jinja templates intact. */

/**
 * A shell word. Text is single-quoted; a word holding a Jinja template is double-quoted (the template
 * itself uses single quotes) with the shell's special characters escaped outside the template, so
 * the rendered value arrives as one argument.
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(value)) return value;
  if (!value.includes("{{")) return `'${value.replace(/'/g, `'\\''`)}'`;
  const parts = value.split(/(\{\{[\s\S]*?\}\})/);
  return `"${parts.map((part) => (part.startsWith("{{") ? part : part.replace(/["$`\\]/g, "\\$&"))).join("")}"`;
}

/** BashOperator reads a command ending in .sh or .bash as a template file; a trailing space stops that. */
export function bashCommand(command: string): string {
  return /\.(sh|bash)$/.test(command) ? `${command} ` : command;
}
