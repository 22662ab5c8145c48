/**
 * Data Pipeline schedules and their Airflow equivalents.
 *
 * Data Pipeline: a `Schedule` has a `period` ("N minutes|hours|days|weeks|months|years", at least 15
 * minutes), a start (`startDateTime`, UTC, or `startAt: FIRST_ACTIVATION_DATE_TIME`) and an optional
 * end (`endDateTime`, exclusive, or a number of `occurrences`). The k-th instance's scheduled start is
 * start + k periods (months and years in calendar arithmetic, a month end clamped as Joda-Time does).
 * `scheduleType` decides when it runs: `cron` at its scheduled start, `timeseries` (the default) at its
 * scheduled end, `ondemand` once per activation, without a schedule.
 *
 * Airflow: `cron` becomes a trigger timetable (a run at each scheduled start, data interval of length
 * zero) and `timeseries` a data-interval timetable (a run at the end of each interval, which is the
 * Data Pipeline period), so `data_interval_start` is always `@scheduledStartTime`. A cron expression
 * is used when it fires at exactly the pipeline's times (readable, and what people write); otherwise a
 * delta timetable anchored at the start date, which is exact for fixed-length periods. Only months and
 * years started on the 29th or 30th (and February 29th) have no exact equivalent.
 */

import { DefinitionError } from "./definition";

export const PERIOD_UNITS = ["minutes", "hours", "days", "weeks", "months", "years"] as const;
export type PeriodUnit = (typeof PERIOD_UNITS)[number];

export interface Period {
  count: number;
  unit: PeriodUnit;
}

const PERIOD = /^\s*(\d+)\s*(minute|hour|day|week|month|year)s?\s*$/i;

/** Parses a Data Pipeline period such as "15 minutes" or "1 day"; at least 15 minutes, as the service requires. */
export function parsePeriod(text: string, objectId: string, field = "period"): Period {
  const match = PERIOD.exec(text);
  if (!match) {
    throw new DefinitionError(
      objectId,
      field,
      `bad period ${JSON.stringify(text)}: expected "<N> minutes|hours|days|weeks|months|years", e.g. "1 day"`,
    );
  }
  const count = Number(match[1]);
  const unit = `${match[2].toLowerCase()}s` as PeriodUnit;
  if (count === 0)
    throw new DefinitionError(objectId, field, `bad period ${JSON.stringify(text)}: it is zero`);
  if (unit === "minutes" && count < 15) {
    throw new DefinitionError(
      objectId,
      field,
      `bad period ${JSON.stringify(text)}: Data Pipeline's shortest is 15 minutes`,
    );
  }
  return normalisePeriod({ count, unit });
}

const DURATION = /^\s*(\d+)\s*(second|minute|hour|day|week)s?\s*$/i;
const DURATION_SECONDS: Record<string, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  week: 604800,
};

/** A duration field (retryDelay, attemptTimeout, lateAfterTimeout, ...) in seconds: "10 minutes", "2 hours". */
export function parseDuration(text: string, objectId: string, field: string): number {
  const match = DURATION.exec(text);
  if (!match) {
    throw new DefinitionError(
      objectId,
      field,
      `bad duration ${JSON.stringify(text)}: expected "<N> seconds|minutes|hours|days|weeks", e.g. "10 minutes"`,
    );
  }
  return Number(match[1]) * DURATION_SECONDS[match[2].toLowerCase()];
}

/** 60 minutes is 1 hour, 24 hours 1 day, 7 days 1 week, 12 months 1 year: one spelling per length. */
function normalisePeriod(period: Period): Period {
  const { count, unit } = period;
  if (unit === "minutes" && count % 60 === 0) return normalisePeriod({ count: count / 60, unit: "hours" });
  if (unit === "hours" && count % 24 === 0) return normalisePeriod({ count: count / 24, unit: "days" });
  if (unit === "days" && count % 7 === 0) return { count: count / 7, unit: "weeks" };
  if (unit === "months" && count % 12 === 0) return { count: count / 12, unit: "years" };
  return period;
}

export function describePeriod(period: Period): string {
  return `${period.count} ${period.count === 1 ? period.unit.slice(0, -1) : period.unit}`;
}

const FIXED_SECONDS: Partial<Record<PeriodUnit, number>> = {
  minutes: 60,
  hours: 3600,
  days: 86400,
  weeks: 604800,
};

/** The period in seconds, for fixed-length units (not months or years). */
export function periodSeconds(period: Period): number | undefined {
  const unit = FIXED_SECONDS[period.unit];
  return unit === undefined ? undefined : unit * period.count;
}

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/** `start` plus `times` periods; months and years clamp the day to the month's last, as Joda-Time does. */
export function addPeriods(start: Date, period: Period, times: number): Date {
  const seconds = periodSeconds(period);
  if (seconds !== undefined) return new Date(start.getTime() + seconds * 1000 * times);
  const months = (period.unit === "years" ? 12 : 1) * period.count * times;
  const total = start.getUTCMonth() + months;
  const year = start.getUTCFullYear() + Math.floor(total / 12);
  const monthIndex = ((total % 12) + 12) % 12;
  const day = Math.min(start.getUTCDate(), daysInMonth(year, monthIndex));
  return new Date(
    Date.UTC(year, monthIndex, day, start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds()),
  );
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z?$/;

/** A Data Pipeline date-time, "2012-09-01T00:00:00", in UTC. */
export function parseDateTime(text: string, objectId: string, field: string): Date {
  const match = DATE_TIME.exec(text.trim());
  const date = match
    ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6]))
    : undefined;
  if (!match || !date || date.getUTCDate() !== +match[3] || date.getUTCHours() !== +match[4]) {
    throw new DefinitionError(
      objectId,
      field,
      `bad date-time ${JSON.stringify(text)}: expected "YYYY-MM-DDTHH:MM:SS" (UTC)`,
    );
  }
  return date;
}

export function formatDateTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, "");
}

export type ScheduleType = "cron" | "timeseries" | "ondemand";

export interface PipelineSchedule {
  /** The Schedule object's id, or undefined for an on-demand pipeline. */
  scheduleId?: string;
  scheduleType: ScheduleType;
  period?: Period;
  /** The first instance's scheduled start. */
  start?: Date;
  /** True when the start is the pipeline's first activation, which the definition cannot know. */
  startsAtActivation: boolean;
  /** endDateTime: instances start before it. */
  end?: Date;
  occurrences?: number;
}

export interface PipelineRun {
  /** @scheduledStartTime of the instance. */
  scheduledStart: Date;
  /** When Data Pipeline starts it: the scheduled start (cron) or end (timeseries). */
  runsAt: Date;
}

/** The first `count` instances Data Pipeline creates for the schedule (fewer when it ends sooner). */
export function pipelineRuns(schedule: PipelineSchedule, count: number): PipelineRun[] {
  const { start, period } = schedule;
  if (schedule.scheduleType === "ondemand" || !start || !period) return [];
  const runs: PipelineRun[] = [];
  for (let k = 0; runs.length < count; k++) {
    if (schedule.occurrences !== undefined && k >= schedule.occurrences) break;
    const scheduledStart = addPeriods(start, period, k);
    if (schedule.end && scheduledStart >= schedule.end) break;
    const runsAt = schedule.scheduleType === "cron" ? scheduledStart : addPeriods(start, period, k + 1);
    runs.push({ scheduledStart, runsAt });
  }
  return runs;
}

/** The last instance's scheduled start, when the schedule ends; it becomes Airflow's (inclusive) end_date. */
export function lastScheduledStart(schedule: PipelineSchedule): Date | undefined {
  const { start, period } = schedule;
  if (!start || !period || (schedule.end === undefined && schedule.occurrences === undefined))
    return undefined;
  let last: Date | undefined;
  let lo = 0;
  let hi = schedule.occurrences !== undefined ? schedule.occurrences - 1 : Number.MAX_SAFE_INTEGER;
  if (schedule.end !== undefined) {
    // The largest k with start + k periods < end, by bisection: a 15-minute period over years is long.
    const before = (k: number) => addPeriods(start, period, k) < (schedule.end as Date);
    if (!before(0)) return undefined;
    let upper = 1;
    while (before(upper) && upper < hi) upper *= 2;
    hi = Math.min(hi, upper);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (before(mid)) lo = mid;
      else hi = mid - 1;
    }
    last = addPeriods(start, period, lo);
  } else {
    last = addPeriods(start, period, hi);
  }
  return last;
}

export type TimetableKind =
  | "CronTriggerTimetable"
  | "CronDataIntervalTimetable"
  | "DeltaTriggerTimetable"
  | "DeltaDataIntervalTimetable";

export interface AirflowSchedule {
  /** null: no schedule (on demand). */
  timetable: TimetableKind | null;
  cron?: string;
  /** For delta timetables: the period. */
  delta?: Period;
  startDate?: Date;
  /** Inclusive: the last run's scheduled start. */
  endDate?: Date;
  catchup: boolean;
  /** Why the Airflow schedule differs from the pipeline's, when it does. */
  approximation?: string;
}

/**
 * A cron expression that fires exactly at start + k periods, or undefined when cron cannot say it
 * (a period that does not divide the next larger unit, seconds in the start, a month day past 28).
 */
export function exactCron(
  start: Date,
  period: Period,
): { cron: string } | { cron?: string; why: string } | undefined {
  if (start.getUTCSeconds() !== 0) return undefined;
  const minute = start.getUTCMinutes();
  const hour = start.getUTCHours();
  const day = start.getUTCDate();
  const month = start.getUTCMonth() + 1;
  const { count, unit } = period;
  switch (unit) {
    case "minutes":
      return 60 % count === 0 ? { cron: `${minute % count}-59/${count} * * * *` } : undefined;
    case "hours":
      if (count === 1) return { cron: `${minute} * * * *` };
      return 24 % count === 0 ? { cron: `${minute} ${hour % count}-23/${count} * * *` } : undefined;
    case "days":
      return count === 1 ? { cron: `${minute} ${hour} * * *` } : undefined;
    case "weeks":
      return count === 1 ? { cron: `${minute} ${hour} * * ${start.getUTCDay()}` } : undefined;
    case "months": {
      if (12 % count !== 0) return undefined;
      const months = count === 1 ? "*" : `${((month - 1) % count) + 1}-12/${count}`;
      if (day <= 28) return { cron: `${minute} ${hour} ${day} ${months} *` };
      if (day === 31) return { cron: `${minute} ${hour} L ${months} *` };
      return {
        why: `a monthly period started on day ${day} falls on the month's last day when the month is shorter; no cron expression or Airflow timetable says that`,
      };
    }
    case "years":
      if (count !== 1) return undefined;
      if (month === 2 && day === 29) {
        return { why: "a yearly period started on February 29 falls on February 28 in other years" };
      }
      return { cron: `${minute} ${hour} ${day} ${month} *` };
  }
}

/** The Airflow schedule for a pipeline schedule. */
export function airflowSchedule(schedule: PipelineSchedule): AirflowSchedule {
  if (schedule.scheduleType === "ondemand" || !schedule.start || !schedule.period) {
    return { timetable: null, catchup: false };
  }
  const trigger = schedule.scheduleType === "cron";
  const base = {
    startDate: schedule.start,
    endDate: lastScheduledStart(schedule),
    // Data Pipeline runs every instance since the start (it backfills); an activation start has none to catch up.
    catchup: !schedule.startsAtActivation,
  };
  const cron = exactCron(schedule.start, schedule.period);
  if (cron && "cron" in cron && cron.cron !== undefined && !("why" in cron)) {
    return {
      ...base,
      timetable: trigger ? "CronTriggerTimetable" : "CronDataIntervalTimetable",
      cron: cron.cron,
    };
  }
  return {
    ...base,
    timetable: trigger ? "DeltaTriggerTimetable" : "DeltaDataIntervalTimetable",
    delta: schedule.period,
    approximation: cron && "why" in cron ? cron.why : undefined,
  };
}
