import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  BUCKET_PREFIX_MAX_LENGTH,
  bucketNamePrefix,
  dagBucketNamePrefix,
  environmentNameProblems,
  isValidEnvironmentName,
} from "./names";

const letter = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split(""));
const nameChar = fc.constantFrom(
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".split(""),
);
const validName = fc
  .tuple(letter, fc.array(nameChar, { maxLength: 79 }))
  .map(([first, rest]) => first + rest.join(""));

describe("environment names", () => {
  it("accepts every name MWAA's pattern accepts, up to 80 characters", () => {
    fc.assert(
      fc.property(validName, (name) => {
        assert.ok(isValidEnvironmentName(name));
        assert.deepEqual(environmentNameProblems(name), []);
      }),
    );
  });

  it("rejects names longer than 80 characters", () => {
    fc.assert(
      fc.property(validName, fc.array(nameChar, { minLength: 1, maxLength: 20 }), (name, extra) => {
        const long = (name + "x".repeat(80)).slice(0, 80) + extra.join("");
        assert.ok(!isValidEnvironmentName(long));
        assert.match(environmentNameProblems(long).join(), /at most 80/);
      }),
    );
  });

  it("rejects a first character that is not a letter and says so", () => {
    fc.assert(
      fc.property(fc.constantFrom(..."0123456789-_".split("")), validName, (first, rest) => {
        assert.ok(!isValidEnvironmentName(first + rest));
        assert.match(environmentNameProblems(first + rest).join(), /start with a letter/);
      }),
    );
  });

  it("names each character MWAA does not allow", () => {
    fc.assert(
      fc.property(validName, fc.constantFrom(..." ./:@!é".split("")), (name, bad) => {
        const problems = environmentNameProblems(name + bad).join();
        assert.ok(problems.includes(JSON.stringify(bad)), problems);
      }),
    );
  });

  it("the problem list is empty exactly when the name is valid", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (name) => {
        assert.equal(environmentNameProblems(name).length === 0, isValidEnvironmentName(name));
      }),
    );
  });
});

describe("bucket name prefixes", () => {
  it("are lower case, S3-safe and leave room for a suffix", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.string({ maxLength: 20 }), (a, b) => {
        const prefix = bucketNamePrefix(a, b);
        assert.match(prefix, /^[a-z0-9-]*-$/);
        assert.ok(prefix.length <= BUCKET_PREFIX_MAX_LENGTH);
      }),
    );
  });
});

describe("DAG bucket name prefixes", () => {
  it("start with airflow- and fit the provider's prefix limit for every valid environment name", () => {
    fc.assert(
      fc.property(validName, (name) => {
        const prefix = dagBucketNamePrefix(name);
        assert.match(prefix, /^airflow[a-z0-9-]*-$/);
        assert.ok(prefix.length <= BUCKET_PREFIX_MAX_LENGTH, prefix);
      }),
    );
    assert.equal(dagBucketNamePrefix("airflow-2-11"), "airflow-2-11-dags-");
    assert.equal(dagBucketNamePrefix("Analytics"), "airflow-analytics-dags-");
  });
});
