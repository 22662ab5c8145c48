/**
 * Network rules: MWAA needs exactly two private subnets in two different Availability Zones
 * (CreateEnvironment rejects one or three), and its security group must allow traffic to itself.
 */

export const SUBNET_ID_PATTERN = /^subnet-[0-9a-f]{8,17}$/;

/** Checks the shape of given subnet IDs before any lookup: count, format and duplicates. */
export function subnetIdProblems(subnetIds: readonly string[]): string[] {
  const problems: string[] = [];
  if (subnetIds.length !== 2) {
    problems.push(
      `mwaa-migration:subnetIds has ${subnetIds.length} subnet(s); MWAA needs exactly two private subnets ` +
        `in different Availability Zones: give two IDs, or leave it empty to have this stack build a VPC.`,
    );
  }
  const malformed = subnetIds.filter((id) => !SUBNET_ID_PATTERN.test(id));
  if (malformed.length > 0) {
    problems.push(
      `mwaa-migration:subnetIds has ${malformed.map((id) => JSON.stringify(id)).join(", ")}, not subnet IDs ` +
        `(subnet-0123abcd...); copy them from the VPC console or \`aws ec2 describe-subnets\`.`,
    );
  }
  if (new Set(subnetIds).size !== subnetIds.length) {
    problems.push(`mwaa-migration:subnetIds lists a subnet twice; give two different subnets.`);
  }
  return problems;
}

export interface SubnetPlacement {
  readonly id: string;
  readonly availabilityZone: string;
  readonly vpcId: string;
}

/** Checks looked-up subnets: distinct Availability Zones, one VPC. */
export function subnetPlacementProblems(subnets: readonly SubnetPlacement[]): string[] {
  const problems: string[] = [];
  const zones = new Set(subnets.map((s) => s.availabilityZone));
  if (zones.size !== subnets.length) {
    problems.push(
      `mwaa-migration:subnetIds ${subnets.map((s) => `${s.id} (${s.availabilityZone})`).join(" and ")} ` +
        `share an Availability Zone; MWAA needs the two subnets in different zones: pick one subnet per zone.`,
    );
  }
  const vpcs = new Set(subnets.map((s) => s.vpcId));
  if (vpcs.size > 1) {
    problems.push(
      `mwaa-migration:subnetIds are in different VPCs (${[...vpcs].join(", ")}); pick two subnets of one VPC.`,
    );
  }
  return problems;
}

export type NetworkEgress = "nat-gateway" | "vpc-endpoints";

/**
 * Interface endpoints an MWAA environment needs when its private subnets have no route to the
 * internet (MWAA "private network" setup); S3 is a gateway endpoint.
 */
export function interfaceEndpointServices(region: string): string[] {
  return [
    "airflow.api",
    "airflow.env",
    "airflow.ops",
    "sqs",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "kms",
  ].map((service) => `com.amazonaws.${region}.${service}`);
}
