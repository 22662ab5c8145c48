import * as assert from "node:assert/strict";
import { DEFAULT_TARGET_SETTINGS, resolveTargetSettings } from "./targetSettings";

const noExplicit = { airflowConfigurationOptions: {} };

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
});
