/** Whole UTC days as integers (days since 1970-01-01), the upstream's only time granularity. */
export const DAY_MS = 86_400_000;

export const dayOfInstant = (ms: number): number => Math.floor(ms / DAY_MS);

/** The first whole day not entirely before `ms`: the exclusive day bound that still admits every instant < ms. */
export const dayBoundAfter = (ms: number): number => Math.ceil(ms / DAY_MS);

export const formatEpochDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export const dayOfDate = (date: Date): number => dayOfInstant(date.getTime());
