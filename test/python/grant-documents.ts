/**
 * Prints the migration grants exactly as the program builds them, as JSON on stdout:
 *   node -r ts-node/register/transpile-only test/python/grant-documents.ts \
 *     --bucket B --prefix P --key-arn arn:aws:kms:...
 *   => {"export": <export grant policy>, "import": <import grant policy>}
 * test_grants_enforced.py attaches them to IAM users on a moto server that enforces IAM, so the Python
 * payload is checked against the real grant documents rather than a copy of them.
 */
import { exportGrantPolicy, importGrantPolicy } from "../../rules/permissions";

const FLAGS = ["bucket", "prefix", "key-arn"] as const;
type Flag = (typeof FLAGS)[number];

function parseGrantArguments(argv: readonly string[]): Record<Flag, string> {
  const values: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "") as Flag;
    const value = argv[i + 1];
    if (!FLAGS.includes(name) || value === undefined) {
      throw new Error(`unexpected argument ${argv[i]}: give each of --${FLAGS.join(", --")} with a value`);
    }
    values[name] = value;
  }
  const missing = FLAGS.filter((flag) => values[flag] === undefined);
  if (missing.length > 0) throw new Error(`missing --${missing.join(", --")}`);
  return values as Record<Flag, string>;
}

function main(): void {
  const args = parseGrantArguments(process.argv.slice(2));
  const scope = { bucketName: args.bucket, prefix: args.prefix, keyArn: args["key-arn"] };
  const grants = {
    export: exportGrantPolicy(scope),
    import: importGrantPolicy(scope),
  };
  process.stdout.write(JSON.stringify(grants, null, 2) + "\n");
}

if (require.main === module) main();
