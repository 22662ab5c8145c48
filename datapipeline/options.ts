/**
 * The converter's choices a stack makes once for all its pipelines (`mwaa-migration:pipelineConversionOptions`):
 * where shell commands run and which Airflow connections the AWS calls use. The command line takes the
 * same choices as flags (cli.ts).
 */
import { DEFAULT_OPTIONS, SHELL_RUNNERS, type ConvertOptions, type ShellRunner } from "./convert";

export type ConversionChoices = Pick<
  ConvertOptions,
  | "shellRunner"
  | "ssmTargetTag"
  | "ecsCluster"
  | "ecsTaskDefinition"
  | "ecsContainer"
  | "awsConnId"
  | "roleConnections"
>;

const KEY = "mwaa-migration:pipelineConversionOptions";
const NAMED_CHOICES = [
  "ssmTargetTag",
  "ecsCluster",
  "ecsTaskDefinition",
  "ecsContainer",
  "awsConnId",
] as const;
const EXAMPLE = '{"shellRunner":"ssm","roleConnections":{"DataPipelineDefaultRole":"aws_etl"}}';

export const DEFAULT_CHOICES: ConversionChoices = { ...DEFAULT_OPTIONS, roleConnections: {} };

export const isShellRunner = (value: string): value is ShellRunner =>
  (SHELL_RUNNERS as readonly string[]).includes(value);

/** An Airflow connection id as Airflow accepts one (letters, digits, and - _ .). */
const CONNECTION_ID = /^[A-Za-z0-9_.-]{1,250}$/;

/** The JSON object of the config key: the defaults with what it sets, or the problems, each naming the field. */
export function parseConversionOptions(text: string): { choices: ConversionChoices; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim() || "{}");
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return { choices: DEFAULT_CHOICES, problems: [`${KEY} is not a JSON object; set it like ${EXAMPLE}.`] };
  const given = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const choices: ConversionChoices = { ...DEFAULT_CHOICES, roleConnections: {} };
  for (const [field, value] of Object.entries(given)) {
    if (field === "shellRunner") {
      if (typeof value === "string" && isShellRunner(value)) choices.shellRunner = value;
      else
        problems.push(
          `${KEY}.shellRunner is ${JSON.stringify(value)}; choose ${SHELL_RUNNERS.join(", ")} (where ShellCommandActivity on an Ec2Resource runs).`,
        );
    } else if ((NAMED_CHOICES as readonly string[]).includes(field)) {
      if (typeof value === "string" && value.trim() !== "")
        choices[field as (typeof NAMED_CHOICES)[number]] = value.trim();
      else problems.push(`${KEY}.${field} is ${JSON.stringify(value)}; give a non-empty name.`);
    } else if (field === "roleConnections") {
      const entries =
        typeof value === "object" && value !== null && !Array.isArray(value)
          ? Object.entries(value)
          : undefined;
      if (!entries) {
        problems.push(
          `${KEY}.roleConnections is not an object; map IAM role names to Airflow connection ids, e.g. {"DataPipelineDefaultRole":"aws_etl"}.`,
        );
        continue;
      }
      for (const [role, connection] of entries) {
        if (typeof connection === "string" && CONNECTION_ID.test(connection))
          choices.roleConnections[role] = connection;
        else
          problems.push(
            `${KEY}.roleConnections.${role} is ${JSON.stringify(connection)}; give an Airflow connection id (letters, digits, - _ .).`,
          );
      }
    } else {
      problems.push(
        `${KEY} has ${field}; it takes shellRunner, ${NAMED_CHOICES.join(", ")} and roleConnections.`,
      );
    }
  }
  if (!CONNECTION_ID.test(choices.awsConnId))
    problems.push(
      `${KEY}.awsConnId "${choices.awsConnId}" is not an Airflow connection id (letters, digits, - _ .).`,
    );
  return { choices, problems };
}
