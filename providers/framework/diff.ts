/**
 * Diffs for resources whose create does work (an export, an import) rather than describing
 * something that exists. Changing an input that shapes that work has to re-run it, so those
 * inputs are reported as replacements; the rest (deadlines, poll interval, purge flag) update in
 * place. `providerVersion` is always a replacing input, so a change to the provider's code
 * shows up in the preview instead of silently applying to the next run only.
 */
import { isUnknown } from "./checks";

/** Deep equality for JSON-shaped values (what inputs and state are). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bKeys = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Inputs (top-level names) whose value differs; an unknown new value counts as a change. */
export function changedInputs(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  names: readonly string[],
): string[] {
  return names.filter((name) => isUnknown(news[name]) || !sameValue(olds[name], news[name]));
}
