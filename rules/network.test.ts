import * as assert from "node:assert/strict";
import { interfaceEndpointServices, subnetIdProblems, subnetPlacementProblems, vpcLayout } from "./network";

describe("network rules", () => {
  it("lays out two zones of private subnets behind one NAT gateway, or isolated ones with endpoints", () => {
    const nat = vpcLayout("nat-gateway");
    assert.equal(nat.numberOfAvailabilityZones, 2);
    assert.deepEqual(
      nat.subnetSpecs.map((s) => s.type),
      ["Private", "Public"],
    );
    assert.deepEqual(
      [nat.natGateways.strategy, nat.environmentSubnets, nat.interfaceEndpoints],
      ["Single", "private", false],
    );
    const endpoints = vpcLayout("vpc-endpoints");
    assert.equal(endpoints.numberOfAvailabilityZones, 2);
    assert.deepEqual(
      endpoints.subnetSpecs.map((s) => s.type),
      ["Isolated"],
      "no public subnet, no route out",
    );
    assert.deepEqual(
      [endpoints.natGateways.strategy, endpoints.environmentSubnets, endpoints.interfaceEndpoints],
      ["None", "isolated", true],
    );
  });

  it("accepts two distinct subnet IDs", () => {
    assert.deepEqual(subnetIdProblems(["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"]), []);
  });

  it("rejects one or three subnets, naming the key and the count", () => {
    assert.match(subnetIdProblems(["subnet-0aaa1111"]).join(), /subnetIds has 1 subnet.*exactly two/);
    assert.match(
      subnetIdProblems(["subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333"]).join(),
      /subnetIds has 3 subnet/,
    );
  });

  it("rejects malformed and repeated IDs", () => {
    assert.match(
      subnetIdProblems(["subnet-0aaa1111", "sg-0bbb2222"]).join(),
      /"sg-0bbb2222", not subnet IDs/,
    );
    assert.match(subnetIdProblems(["subnet-0aaa1111", "subnet-0aaa1111"]).join(), /twice/);
  });

  it("requires distinct zones and one VPC", () => {
    const a = { id: "subnet-a", availabilityZone: "us-east-1a", vpcId: "vpc-1" };
    assert.deepEqual(
      subnetPlacementProblems([a, { ...a, id: "subnet-b", availabilityZone: "us-east-1b" }]),
      [],
    );
    assert.match(subnetPlacementProblems([a, { ...a, id: "subnet-b" }]).join(), /share an Availability Zone/);
    assert.match(
      subnetPlacementProblems([a, { id: "subnet-b", availabilityZone: "us-east-1b", vpcId: "vpc-2" }]).join(),
      /different VPCs/,
    );
  });

  it("lists the interface endpoints a private MWAA network needs", () => {
    const services = interfaceEndpointServices("eu-west-1");
    for (const s of ["airflow.api", "airflow.env", "airflow.ops", "sqs", "logs", "monitoring", "kms"]) {
      assert.ok(services.includes(`com.amazonaws.eu-west-1.${s}`), s);
    }
  });
});
