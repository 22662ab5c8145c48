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

/** The MWAA environment's subnets lie in this many Availability Zones, one subnet in each. */
export const MWAA_AVAILABILITY_ZONES = 2;

/** How the stack's own VPC is laid out: the awsx arguments that depend on the egress choice. */
export interface VpcLayout {
  readonly numberOfAvailabilityZones: number;
  /** awsx creates one subnet of each spec per zone. */
  readonly subnetSpecs: { type: "Private" | "Public" | "Isolated"; name: string }[];
  readonly natGateways: { strategy: "None" | "Single" };
  /** Which of the VPC's subnet groups the environment (and any interface endpoint) uses. */
  readonly environmentSubnets: "private" | "isolated";
  readonly interfaceEndpoints: boolean;
}

/**
 * With a NAT gateway, private subnets (one per zone) route out through one NAT gateway in a public
 * subnet. With VPC endpoints, the subnets are isolated (no route to the internet at all) and reach AWS
 * through interface endpoints and the S3 gateway endpoint.
 */
export function vpcLayout(egress: NetworkEgress): VpcLayout {
  if (egress === "vpc-endpoints") {
    return {
      numberOfAvailabilityZones: MWAA_AVAILABILITY_ZONES,
      subnetSpecs: [{ type: "Isolated", name: "mwaa" }],
      natGateways: { strategy: "None" },
      environmentSubnets: "isolated",
      interfaceEndpoints: true,
    };
  }
  return {
    numberOfAvailabilityZones: MWAA_AVAILABILITY_ZONES,
    subnetSpecs: [
      { type: "Private", name: "mwaa" },
      { type: "Public", name: "egress" },
    ],
    natGateways: { strategy: "Single" },
    environmentSubnets: "private",
    interfaceEndpoints: false,
  };
}

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
