import { formatDay, parseDay } from './filters.js';
import { formatRfc2822, type VendorRecord } from './record.js';
import { hashString, mulberry32, pick, randomHex, randomInt, weightedPicker, type Random } from './random.js';

export interface GenerateOptions {
  projectId: string;
  count: number;
  seed?: number;
  /** Calls start before this UTC day (`YYYY-MM-DD`, exclusive). A fixed default keeps output stable. */
  until?: string;
  /** How many days before `until` the calls span. */
  days?: number;
  /** Puts exactly `calls` of the `count` calls on one day (`YYYY-MM-DD`, inside the span). */
  denseDay?: { date: string; calls: number };
}

export const DEFAULT_GENERATE_UNTIL = '2026-11-01';
export const DEFAULT_GENERATE_DAYS = 180;

const SECONDS_PER_DAY = 86_400;
const COST_PER_STARTED_MINUTE = 0.013;

// Real US area codes of large metro areas.
const AREA_CODES = [
  '212', '646', '718', '917', '415', '628', '650', '408', '206', '253', '312', '773', '617', '857', '305', '786',
  '512', '737', '303', '720', '404', '678', '702', '213', '310', '323', '818', '503', '971', '619', '858', '214',
  '469', '713', '832', '602', '480', '215', '267', '412', '614', '216', '313', '612', '651', '314', '816', '504',
  '615', '704', '919', '804', '757', '202', '301', '410', '801', '505', '907', '808',
] as const;

// The status mix of past calls. The small live weights are calls whose final status never arrived; calls in the
// last minutes before `until` get live statuses from liveStatus and LIVE_TAIL instead.
const ENDED_STATUS_WEIGHTS = {
  completed: 58,
  'no-answer': 12,
  busy: 6,
  voicemail: 8,
  failed: 4,
  canceled: 3,
  silence: 4,
  'in-progress': 0.15, // a call whose final status never arrived
  ringing: 0.05,
  queued: 0.05,
  transferred: 0.2, // a status the layer does not know
} as const;
export type GeneratedStatus = keyof typeof ENDED_STATUS_WEIGHTS | 'initiated';
const pickEndedStatus = weightedPicker(ENDED_STATUS_WEIGHTS);

// Calls per UTC hour: US business hours are roughly 13:00-01:00 UTC, so evenings cross midnight UTC.
const HOUR_WEIGHTS = [
  6, 4, 2, 1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 2, 4, 7, 10, 12, 12, 11, 11, 12, 11, 10, 9, 8, 7,
] as const;
const pickHour = weightedPicker(Object.fromEntries(HOUR_WEIGHTS.map((weight, hour) => [String(hour), weight])));

const OUTCOMES = ['booked', 'not-interested', 'callback', 'wrong-number', 'rescheduled', 'confirmed'] as const;
const CANCELLATION_REASONS = ['sick', 'no transport', 'family emergency', 'found another job', ''] as const;

/** Deterministic, realistic call history: same options, same records. Records come oldest first. */
export function generateCalls(options: GenerateOptions): VendorRecord[] {
  return [...iterateCalls(options)];
}

/** The same records as `generateCalls`, produced lazily (one day at a time) for large loads. */
export function* iterateCalls(options: GenerateOptions): Generator<VendorRecord> {
  const count = options.count;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const days = options.days ?? DEFAULT_GENERATE_DAYS;
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, got ${days}`);
  const untilText = options.until ?? DEFAULT_GENERATE_UNTIL;
  const until = parseDay(untilText);
  if (until === undefined) throw new RangeError(`until must be a date written YYYY-MM-DD, got ${untilText}`);
  const firstDay = until - days * SECONDS_PER_DAY;

  const random = mulberry32(hashString(options.projectId, (options.seed ?? 1) >>> 0));
  const project = projectProfile(random, count);
  const liveCalls = count - (options.denseDay?.calls ?? 0) >= 20 ? LIVE_TAIL.length : 0;
  const perDay = dailyVolumes(random, count - liveCalls, days, firstDay, options.denseDay);
  const usedSids = new Set<string>();

  for (let dayIndex = 0; dayIndex < days; dayIndex++) {
    const dayStart = firstDay + dayIndex * SECONDS_PER_DAY;
    const starts = startInstants(random, perDay[dayIndex] ?? 0, dayStart);
    const calls: { start: number; status?: GeneratedStatus }[] = starts.map((start) => ({ start }));
    if (dayIndex === days - 1) {
      // The newest calls are still live at `until`, so every live status occurs in any history of some size.
      for (const live of LIVE_TAIL.slice(0, liveCalls)) {
        calls.push({ start: until - live.secondsBeforeUntil, status: live.status });
      }
      calls.sort((a, b) => a.start - b.start);
    }
    for (const call of calls) yield callRecord(random, project, usedSids, call.start, until, call.status);
  }
}

const LIVE_TAIL = [
  { status: 'in-progress', secondsBeforeUntil: 420 },
  { status: 'ringing', secondsBeforeUntil: 95 },
  { status: 'initiated', secondsBeforeUntil: 40 },
  { status: 'queued', secondsBeforeUntil: 12 },
] as const satisfies readonly { status: GeneratedStatus; secondsBeforeUntil: number }[];

interface ProjectProfile {
  accountSid: string;
  ownNumbers: string[];
  customers: string[];
  partnerIds: string[];
}

function projectProfile(random: Random, count: number): ProjectProfile {
  const ownNumbers = Array.from({ length: randomInt(random, 2, 5) }, () => phoneNumber(random));
  // Fewer customers than calls, so a `to` filter finds repeat calls to the same person.
  const customers = Array.from({ length: Math.max(1, Math.ceil(count / 4)) }, () => phoneNumber(random));
  return {
    accountSid: `AC${randomHex(random, 32)}`,
    ownNumbers,
    customers,
    partnerIds: Array.from({ length: 4 }, () => `partner-${randomHex(random, 6)}`),
  };
}

/** A random US number in E.164, never in the fictional 555 exchange. */
export function phoneNumber(random: Random): string {
  const exchange = `${randomInt(random, 2, 9)}${randomInt(random, 0, 9)}${randomInt(random, 0, 9)}`;
  const subscriber = String(randomInt(random, 0, 9999)).padStart(4, '0');
  return `+1${pick(random, AREA_CODES)}${exchange === '555' ? '556' : exchange}${subscriber}`;
}

/** Splits `count` over the days: weekday/weekend rhythm, busy and quiet days, and some days with no calls. */
function dailyVolumes(
  random: Random,
  count: number,
  days: number,
  firstDay: number,
  denseDay: GenerateOptions['denseDay'],
): number[] {
  let denseIndex = -1;
  let denseCalls = 0;
  if (denseDay) {
    const day = parseDay(denseDay.date);
    if (day === undefined) throw new RangeError(`denseDay.date must be a date written YYYY-MM-DD, got ${denseDay.date}`);
    denseIndex = (day - firstDay) / SECONDS_PER_DAY;
    if (denseIndex < 0 || denseIndex >= days) {
      throw new RangeError(`denseDay.date ${denseDay.date} is outside the generated span`);
    }
    if (!Number.isInteger(denseDay.calls) || denseDay.calls < 0 || denseDay.calls > count) {
      throw new RangeError(`denseDay.calls must be an integer between 0 and count (${count})`);
    }
    denseCalls = denseDay.calls;
  }

  const weights = Array.from({ length: days }, (_, index) => {
    const weekday = new Date((firstDay + index * SECONDS_PER_DAY) * 1000).getUTCDay();
    const rhythm = weekday === 0 ? 0.2 : weekday === 6 ? 0.35 : 1;
    const roll = random();
    const mood = roll < 0.06 ? 0 : roll < 0.14 ? 2.5 + random() * 1.5 : roll < 0.26 ? 0.25 : 0.7 + random() * 0.6;
    return rhythm * mood;
  });
  // An outage or holiday: at least one day without calls whenever the span allows it.
  if (days > 2 && !weights.some((weight, index) => weight === 0 && index !== denseIndex)) {
    let quietIndex = randomInt(random, 0, days - 2);
    if (quietIndex === denseIndex) quietIndex = days - 2;
    weights[quietIndex] = 0;
  }
  if (denseIndex >= 0) weights[denseIndex] = 0;

  const volumes = apportion(count - denseCalls, weights);
  if (denseIndex >= 0) volumes[denseIndex] = denseCalls;
  return volumes;
}

/** Largest-remainder split of `total` proportional to `weights` (all zero weights: spread evenly). */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((acc, weight) => acc + weight, 0);
  const shares = sum > 0 ? weights.map((weight) => (weight / sum) * total) : weights.map(() => total / weights.length);
  const volumes = shares.map(Math.floor);
  let left = total - volumes.reduce((acc, volume) => acc + volume, 0);
  const byRemainder = shares
    .map((share, index) => ({ index, rest: share - Math.floor(share) }))
    .sort((a, b) => b.rest - a.rest || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left === 0) break;
    volumes[index] = (volumes[index] ?? 0) + 1;
    left--;
  }
  return volumes;
}

/** Start instants of one day's calls, ascending: hour-of-day shape, batch bursts in the same second, midnight edges. */
function startInstants(random: Random, calls: number, dayStart: number): number[] {
  const starts: number[] = [];
  while (starts.length < calls) {
    const edge = random();
    if (edge < 0.01) {
      starts.push(dayStart + SECONDS_PER_DAY - randomInt(random, 1, 8)); // 23:59:52..23:59:59
      continue;
    }
    if (edge < 0.02) {
      starts.push(dayStart + randomInt(random, 0, 5)); // 00:00:00..00:00:05
      continue;
    }
    const second = dayStart + Number(pickHour(random)) * 3600 + randomInt(random, 0, 3599);
    // Batch campaigns dial several numbers in the same second.
    const burst = random() < 0.06 ? randomInt(random, 2, 6) : 1;
    for (let index = 0; index < burst && starts.length < calls; index++) starts.push(second);
  }
  return starts.sort((a, b) => a - b);
}

function callRecord(
  random: Random,
  project: ProjectProfile,
  usedSids: Set<string>,
  start: number,
  until: number,
  fixedStatus?: GeneratedStatus,
): VendorRecord {
  let callSid: string;
  do callSid = `CA${randomHex(random, 32)}`;
  while (usedSids.has(callSid));
  usedSids.add(callSid);

  const status = fixedStatus ?? liveStatus(random, until - start) ?? pickEndedStatus(random);
  const seconds = durationFor(random, status, start);
  const customer = pick(random, project.customers);
  const ownNumber = pick(random, project.ownNumbers);
  const inbound = random() < 0.15;
  // The price arrives a little after the call ends; calls that just ended have none yet.
  const priced = seconds !== null && until - (start + seconds) > 600 && random() > 0.01;

  const record: VendorRecord = {
    callSid,
    status,
    from: inbound ? customer : ownNumber,
    to: inbound ? ownNumber : customer,
    phoneNumber: customer,
    date: formatRfc2822(start),
    seconds,
    cost: priced ? callCost(seconds) : null,
    recordingUrls: recordingUrls(random, project.accountSid, status),
    data: callData(random, status),
  };
  if (random() < 0.4) {
    record.partnerId = pick(random, project.partnerIds);
    record.shiftId = `shift-${randomHex(random, 8)}`;
    record.assignmentId = `assignment-${randomHex(random, 8)}`;
  }
  return record;
}

/** Calls in the last minutes before `until` may still be live. */
function liveStatus(random: Random, secondsBeforeUntil: number): GeneratedStatus | undefined {
  if (secondsBeforeUntil > 15 * 60) return undefined;
  const roll = random();
  if (secondsBeforeUntil <= 60) return roll < 0.5 ? 'queued' : 'initiated';
  if (secondsBeforeUntil <= 5 * 60) return roll < 0.5 ? 'ringing' : 'in-progress';
  return roll < 0.5 ? 'in-progress' : undefined;
}

function durationFor(random: Random, status: GeneratedStatus, start: number): number | null {
  switch (status) {
    case 'queued':
    case 'initiated':
    case 'ringing':
    case 'in-progress':
      return null;
    case 'busy':
    case 'no-answer':
    case 'failed':
    case 'canceled':
      return 0;
    case 'voicemail':
      return randomInt(random, 18, 65);
    case 'silence':
      return randomInt(random, 6, 30);
    case 'transferred':
      return randomInt(random, 30, 400);
    case 'completed': {
      const secondOfDay = start % SECONDS_PER_DAY;
      // Late-evening calls now and then run long enough to end after midnight UTC.
      if (secondOfDay > SECONDS_PER_DAY - 1800 && random() < 0.3) return randomInt(random, 1800, 3600);
      const lognormal = Math.exp(4.3 + 0.9 * gaussian(random));
      return Math.min(3600, Math.max(5, Math.round(lognormal)));
    }
  }
}

function gaussian(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** What a call of this many seconds costs: a price per started minute. */
export function callCost(seconds: number): number {
  return Math.round(Math.ceil(seconds / 60) * COST_PER_STARTED_MINUTE * 10_000) / 10_000;
}

/** The recordings an ended call of this status leaves: completed calls mostly one, voicemails one. */
export function recordingUrls(random: Random, accountSid: string, status: GeneratedStatus): string[] {
  let recordings = 0;
  if (status === 'completed') {
    const roll = random();
    recordings = roll < 0.05 ? 0 : roll < 0.15 ? 2 : 1;
  } else if (status === 'voicemail' || status === 'transferred') {
    recordings = 1;
  }
  return Array.from(
    { length: recordings },
    () => `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Recordings/RE${randomHex(random, 32)}.mp3`,
  );
}

/** The custom fields a call of this status carries once it ended. */
export function callData(random: Random, status: GeneratedStatus): Record<string, string> {
  if (status !== 'completed' && status !== 'voicemail' && status !== 'transferred') {
    return random() < 0.5 ? {} : { callbackRequested: 'false' };
  }
  const outcome = status === 'voicemail' ? 'voicemail-left' : pick(random, OUTCOMES);
  const data: Record<string, string> = {
    outcome,
    callbackRequested: String(outcome === 'callback' || random() < 0.05),
  };
  if (random() < 0.3) {
    data.employeeGoToWork = String(random() < 0.7);
    data.reasonOfCancellation = data.employeeGoToWork === 'true' ? '' : pick(random, CANCELLATION_REASONS);
    data.newDate = outcome === 'rescheduled' ? formatDay(Math.floor(random() * 30) * SECONDS_PER_DAY + 1_790_000_000) : '';
  }
  return data;
}
