import { FIRST_NAMEABLE_MS, LAST_NAMEABLE_MS } from '../domain/record.js';

/** Whole UTC days as integers (days since 1970-01-01), the upstream's only time granularity. */
export const DAY_MS = 86_400_000;

export const dayOfInstant = (ms: number): number => Math.floor(ms / DAY_MS);

/** The first and last day a `YYYY-MM-DD` filter can name: 0000-01-01 and 9999-12-31. */
export const FIRST_NAMEABLE_DAY = dayOfInstant(FIRST_NAMEABLE_MS);
export const LAST_NAMEABLE_DAY = dayOfInstant(LAST_NAMEABLE_MS);

/** The first whole day not entirely before `ms`: the exclusive day bound that still admits every instant < ms. */
export const dayBoundAfter = (ms: number): number => Math.ceil(ms / DAY_MS);

export const formatEpochDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export const dayOfDate = (date: Date): number => dayOfInstant(date.getTime());
