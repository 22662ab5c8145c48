import * as assert from "node:assert/strict";
import { ConfigurationError, type ExplicitTargetSettings } from "./config";
import { DEFAULT_TARGET_SETTINGS, resolveTargetSettings } from "./targetSettings";

const noExplicit: ExplicitTargetSettings = { airflowConfigurationOptions: {}, airflowVersion: "2.11.0" };

/** The problems resolving refuses, one per setting MWAA would refuse. */
function refusals(explicit: Partial<ExplicitTargetSettings>, cloned?: object): string[] {
  try {
    resolveTargetSettings({ ...noExplicit, ...explicit }, cloned);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, String(error));
    return [...error.problems];
  }
  assert.fail("the settings were accepted");
}

describe("target settings", () => {
  it("uses the defaults without a source: private webserver, paused new DAGs, INFO task logs", () => {
    const { settings } = resolveTargetSettings(noExplicit, undefined);
    assert.deepEqual(settings, DEFAULT_TARGET_SETTINGS);
    assert.equal(settings.webserverAccessMode, "PRIVATE_ONLY");
    assert.equal(settings.airflowConfigurationOptions["core.dags_are_paused_at_creation"], "True");
  });

  it("takes cloned values over defaults and explicit values over cloned ones", () => {
    const { settings } = resolveTargetSettings(
      {
        ...noExplicit,
        environmentClass: "mw1.large",
        airflowConfigurationOptions: { "core.default_timezone": "utc" },
      },
      {
        environmentClass: "mw1.medium",
        maxWorkers: 8,
        webserverAccessMode: "PUBLIC_ONLY",
        airflowConfigurationOptions: {
          "core.default_timezone": "Europe/Paris",
          "celery.worker_autoscale": "5,5",
        },
      },
    );
    assert.equal(settings.environmentClass, "mw1.large");
    assert.equal(settings.maxWorkers, 8);
    assert.equal(settings.webserverAccessMode, "PUBLIC_ONLY");
    assert.deepEqual(settings.airflowConfigurationOptions, {
      "core.dags_are_paused_at_creation": "True",
      "core.default_timezone": "utc",
      "celery.worker_autoscale": "5,5",
    });
  });

  it("raises cloned task logs coarser than INFO and says so", () => {
    const { settings, notes } = resolveTargetSettings(noExplicit, {
      logLevels: { taskLogs: "ERROR", workerLogs: "ERROR" },
    });
    assert.equal(settings.logLevels.taskLogs, "INFO");
    assert.equal(settings.logLevels.workerLogs, "ERROR");
    assert.match(notes.join(), /task logs raised from ERROR/);
  });

  it("keeps an explicit worker bound when the cloned one contradicts it", () => {
    const { settings } = resolveTargetSettings(
      { ...noExplicit, minWorkers: 6 },
      { minWorkers: 1, maxWorkers: 4 },
    );
    assert.equal(settings.minWorkers, 6);
    assert.equal(settings.maxWorkers, 6);
  });

  describe("newer settings", () => {
    it("passes the webserver counts, the worker replacement strategy and endpoint management through", () => {
      const { settings } = resolveTargetSettings(
        {
          ...noExplicit,
          maxWebservers: 4,
          workerReplacementStrategy: "GRACEFUL",
          endpointManagement: "CUSTOMER",
        },
        { minWebservers: 2, maxWebservers: 3 },
      );
      assert.equal(settings.minWebservers, 2, "cloned");
      assert.equal(settings.maxWebservers, 4, "explicit over cloned");
      assert.equal(settings.workerReplacementStrategy, "GRACEFUL");
      assert.equal(settings.endpointManagement, "CUSTOMER");
    });

    it("leaves webservers, worker replacement and endpoint management to MWAA when nothing sets them", () => {
      const { settings } = resolveTargetSettings(noExplicit, { environmentClass: "mw1.large" });
      for (const key of [
        "minWebservers",
        "maxWebservers",
        "workerReplacementStrategy",
        "endpointManagement",
      ]) {
        assert.ok(!(key in settings), key);
      }
    });

    it("keeps an explicit webserver bound when the cloned one or MWAA's default contradicts it", () => {
      const raised = resolveTargetSettings({ ...noExplicit, minWebservers: 4 }, { maxWebservers: 3 });
      assert.equal(raised.settings.maxWebservers, 4);
      assert.match(raised.notes.join(), /webservers adjusted to min 4 \/ max 4/);
      const lowered = resolveTargetSettings({ ...noExplicit, maxWebservers: 2 }, { minWebservers: 3 });
      assert.equal(lowered.settings.minWebservers, 2);
      const alone = resolveTargetSettings({ ...noExplicit, minWebservers: 3 }, undefined);
      assert.equal(alone.settings.maxWebservers, 3, "MWAA's default maximum (2) is below it");
    });

    it("takes PUBLIC_AND_PRIVATE on Airflow 3.2 and later", () => {
      for (const airflowVersion of ["3.2.1", "3.3.1"]) {
        const { settings } = resolveTargetSettings(
          { ...noExplicit, airflowVersion },
          {
            webserverAccessMode: "PUBLIC_AND_PRIVATE",
          },
        );
        assert.equal(settings.webserverAccessMode, "PUBLIC_AND_PRIVATE", airflowVersion);
      }
    });

    it("refuses PUBLIC_AND_PRIVATE cloned to a target older than 3.2, saying it came from the source", () => {
      const [problem, ...others] = refusals(
        { airflowVersion: "3.0.6" },
        { webserverAccessMode: "PUBLIC_AND_PRIVATE" },
      );
      assert.deepEqual(others, []);
      assert.match(
        problem,
        /^mwaa-migration:webserverAccessMode is PUBLIC_AND_PRIVATE \(cloned from the source environment\)/,
      );
      assert.match(problem, /MWAA offers on Airflow 3\.2 and later only/);
      assert.match(problem, /the target runs Airflow 3\.0\.6 \(mwaa-migration:targetAirflowVersion\)/);
      assert.match(
        problem,
        /set mwaa-migration:webserverAccessMode to PRIVATE_ONLY or PUBLIC_ONLY to override the source's value/,
      );
      assert.match(problem, /or set mwaa-migration:targetAirflowVersion to 3\.2\.1 or 3\.3\.1\.$/);
    });

    it("takes an explicit access mode over a cloned PUBLIC_AND_PRIVATE the target cannot run", () => {
      const { settings } = resolveTargetSettings(
        { ...noExplicit, webserverAccessMode: "PRIVATE_ONLY" },
        { webserverAccessMode: "PUBLIC_AND_PRIVATE" },
      );
      assert.equal(settings.webserverAccessMode, "PRIVATE_ONLY");
    });
  });

  describe("mw1.micro: one scheduler and one webserver", () => {
    it("defaults to one scheduler on mw1.micro and two on the other classes", () => {
      const micro = resolveTargetSettings({ ...noExplicit, environmentClass: "mw1.micro" }, undefined);
      assert.equal(micro.settings.schedulers, 1);
      const cloned = resolveTargetSettings(noExplicit, { environmentClass: "mw1.micro" });
      assert.equal(cloned.settings.schedulers, 1);
      const small = resolveTargetSettings(noExplicit, undefined);
      assert.equal(small.settings.schedulers, 2);
    });

    it("takes a micro source's single scheduler and webserver with its class", () => {
      const { settings } = resolveTargetSettings(noExplicit, {
        environmentClass: "mw1.micro",
        schedulers: 1,
        minWebservers: 1,
        maxWebservers: 1,
      });
      assert.deepEqual(
        [settings.environmentClass, settings.schedulers, settings.minWebservers, settings.maxWebservers],
        ["mw1.micro", 1, 1, 1],
      );
    });

    it("refuses cloned counts that do not fit an explicit mw1.micro, with the key and the override", () => {
      const found = refusals(
        { environmentClass: "mw1.micro" },
        { environmentClass: "mw1.medium", schedulers: 2, minWebservers: 2, maxWebservers: 3 },
      );
      assert.equal(found.length, 3, found.join("\n"));
      for (const [key, value, noun] of [
        ["schedulers", 2, "scheduler"],
        ["minWebservers", 2, "webserver"],
        ["maxWebservers", 3, "webserver"],
      ]) {
        const problem = found.find((p) => p.startsWith(`mwaa-migration:${key} `)) ?? "";
        assert.match(
          problem,
          new RegExp(`is ${value} \\(cloned from the source environment\\)`),
          key as string,
        );
        assert.match(
          problem,
          new RegExp(`mw1\\.micro \\(mwaa-migration:environmentClass\\) runs exactly 1 ${noun};`),
        );
        assert.match(problem, new RegExp(`set mwaa-migration:${key} to 1 to override the source's value`));
      }
    });

    it("refuses a micro source's single scheduler cloned into a larger explicit class", () => {
      const [problem] = refusals(
        { environmentClass: "mw1.small" },
        { environmentClass: "mw1.micro", schedulers: 1 },
      );
      assert.match(problem, /^mwaa-migration:schedulers is 1 \(cloned from the source environment\)/);
      assert.match(
        problem,
        /mw1\.small \(mwaa-migration:environmentClass\) runs 2 to 5 schedulers \(1 only on mw1\.micro\)/,
      );
      assert.match(
        problem,
        /set mwaa-migration:schedulers to a number from 2 to 5 to override the source's value/,
      );
    });

    it("refuses an explicit count that does not fit a cloned class, naming where the class came from", () => {
      const [problem] = refusals({ schedulers: 3 }, { environmentClass: "mw1.micro" });
      assert.match(
        problem,
        /^mwaa-migration:schedulers is 3, but mw1\.micro \(mwaa-migration:environmentClass, cloned from the source environment\) runs exactly 1 scheduler; set mwaa-migration:schedulers to 1,/,
      );
      const [webserver] = refusals({ minWebservers: 1, maxWebservers: 1 }, undefined);
      assert.match(
        webserver,
        /mw1\.small \(the default; mwaa-migration:environmentClass is empty\) runs 2 to 5 webservers/,
      );
    });
  });
});
