/**
 * Local stand-ins for what the program's AWS components create (the AWS provider plugin cannot run
 * here): the migration bucket and key, the grants, and the target's workflow assets, as dynamic
 * resources on moto and the local Airflows. The rehearsal builds them next to the real phase
 * resources, which depend on them as they depend on the AWS resources in the program.
 */
export { LocalMigrationBucket } from "./bucket";
export { LocalGrants } from "./grants";
export { LocalWorkflowAssets } from "./workflowAssets";
