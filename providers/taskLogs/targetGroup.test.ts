import * as assert from "node:assert/strict";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { fakeClock } from "../../test/support/fakeClock";
import { listStreamNames, targetStreamWriter } from "./targetGroup";

const throttling = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

/** A client that answers each command by its class name, from a script of answers or errors. */
function scriptedClient(script: Record<string, (input: Record<string, unknown>) => unknown>) {
  const calls: string[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      calls.push(name);
      const answer = script[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    },
  };
  return { client: client as unknown as CloudWatchLogsClient, calls };
}

describe("task-log target group", () => {
  it("lists every page of stream names, waiting out throttling on the way", async () => {
    let throttles = 2;
    const { client } = scriptedClient({
      DescribeLogStreamsCommand: (input) => {
        if (throttles-- > 0) throw throttling();
        return input.nextToken
          ? { logStreams: [{ logStreamName: "c" }] }
          : { logStreams: [{ logStreamName: "a" }, { logStreamName: "b" }], nextToken: "p2" };
      },
    });
    const clock = fakeClock();
    assert.deepEqual([...(await listStreamNames(client, "g", clock))], ["a", "b", "c"]);
    assert.deepEqual(clock.slept, [400, 800]);
  });

  it("creates a stream before its first batch only, and gives up on PutLogEvents after 8 throttled attempts", async () => {
    let failing = false;
    const { client, calls } = scriptedClient({
      CreateLogStreamCommand: () => ({}),
      PutLogEventsCommand: () => {
        if (failing) throw throttling();
        return {};
      },
    });
    const clock = fakeClock();
    const writer = targetStreamWriter(client, "g", "s", false, clock);
    await writer.put([{ timestamp: 1, message: "a" }]);
    await writer.put([{ timestamp: 2, message: "b" }]);
    assert.deepEqual(calls, ["CreateLogStreamCommand", "PutLogEventsCommand", "PutLogEventsCommand"]);
    failing = true;
    await assert.rejects(writer.put([{ timestamp: 3, message: "c" }]), /Rate exceeded/);
    assert.equal(calls.filter((call) => call === "PutLogEventsCommand").length, 2 + 8);
    assert.deepEqual(clock.slept, [400, 800, 1600, 3200, 5000, 5000, 5000]);
  });
});
