import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CallStore, importCallsFromFile, validateCallRecord } from '../../src/emulator/index.js';
import { at, makeCall, sid, sids } from './support.js';

const directory = mkdtempSync(join(tmpdir(), 'emulator-import-'));

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

const good = [
  makeCall({ sid: sid('1'), start: at('2024-01-30T13:39:53Z') }),
  makeCall({ sid: sid('2'), start: at('2024-01-30T13:40:00Z') }),
  makeCall({ sid: sid('3'), start: at('2024-01-31T09:00:00Z') }),
];

function file(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

describe('importCallsFromFile', () => {
  it('imports a JSON array and skips records with a bad callSid or date', async () => {
    const store = new CallStore();
    const path = file(
      'calls.json',
      JSON.stringify([
        good[0],
        { ...good[1], callSid: 'CA123' },
        good[1],
        { ...good[2], date: '30/01/2024' },
        good[2],
        'not a record',
      ]),
    );
    const result = await importCallsFromFile(store, 'imported', path);
    expect(result).toEqual({
      imported: 3,
      skipped: 3,
      problems: [
        { position: 2, reason: expect.stringContaining('callSid') },
        { position: 4, reason: expect.stringContaining('date') },
        { position: 6, reason: 'not an object' },
      ],
    });
    expect(sids(store.list('imported'))).toEqual([sid('3'), sid('2'), sid('1')]);
    store.close();
  });

  it('imports a {data: [...]} envelope as the endpoint answers it', async () => {
    const store = new CallStore();
    const path = file('answer.json', JSON.stringify({ message: 'Call history fetched successfully.', status: 'success', data: good }));
    expect(await importCallsFromFile(store, 'p', path)).toMatchObject({ imported: 3, skipped: 0 });
    store.close();
  });

  it('imports NDJSON line by line, skipping blank lines and reporting bad ones by line number', async () => {
    const store = new CallStore();
    const lines = [JSON.stringify(good[0]), '', '{oops', JSON.stringify(good[1]), JSON.stringify({ ...good[2], callSid: undefined }), JSON.stringify(good[2])];
    const result = await importCallsFromFile(store, 'p', file('calls.ndjson', `${lines.join('\n')}\n`));
    expect(result).toEqual({
      imported: 3,
      skipped: 2,
      problems: [
        { position: 3, reason: 'not JSON' },
        { position: 5, reason: expect.stringContaining('callSid') },
      ],
    });
    expect(store.count('p')).toBe(3);
    store.close();
  });

  it('keeps unknown fields and writes every date in UTC RFC 2822', async () => {
    const store = new CallStore();
    const records = [
      { ...good[0], date: 'Tue, 30 Jan 2024 14:39:53 +0100', customerField: { nested: true } },
      { ...good[1], date: '2024-01-30T13:40:00Z' },
    ];
    await importCallsFromFile(store, 'p', file('dates.json', JSON.stringify(records)));
    const stored = store.list('p');
    expect(stored.map((record) => record.date)).toEqual(['Tue, 30 Jan 2024 13:40:00 +0000', 'Tue, 30 Jan 2024 13:39:53 +0000']);
    expect(stored[1]?.customerField).toEqual({ nested: true });
    store.close();
  });

  it('refuses other file types and JSON that holds no list', async () => {
    const store = new CallStore();
    await expect(importCallsFromFile(store, 'p', file('calls.csv', 'callSid,date'))).rejects.toThrow(/\.json/);
    await expect(importCallsFromFile(store, 'p', file('object.json', '{"calls": 1}'))).rejects.toThrow(/array/);
    store.close();
  });
});

describe('validateCallRecord', () => {
  it.each([
    [{ ...good[0], callSid: 'CA26E39C970FD416515799F5A165718BE3' }],
    [{ ...good[0], callSid: 'XX26e39c970fd416515799f5a165718be3' }],
    [{ ...good[0], date: 'Tue, 31 Feb 2024 13:39:53 +0000' }],
    [{ ...good[0], date: 1706621993 }],
    [null],
    [[good[0]]],
  ])('rejects %j', (value) => {
    expect(validateCallRecord(value).ok).toBe(false);
  });

  it('accepts the documented example record', () => {
    const example = {
      seconds: 23,
      cost: 0.077,
      status: 'completed',
      from: '+14152148508',
      to: '+12068091239',
      date: 'Tue, 30 Jan 2024 13:39:53 +0000',
      recordingUrls: ['https://api.twilio.com/2010-04-01/Accounts/xxxxxx/Recordings/xxxxx.mp3'],
      phoneNumber: '+12068091239',
      callSid: 'CA26e39c970fd416515799f5a165718be3',
      partnerId: 'partner-id',
      shiftId: 'shift-id',
      assignmentId: 'assignment-id',
      data: { employeeGoToWork: 'false', reasonOfCancellation: '…', newDate: '' },
    };
    expect(validateCallRecord(example)).toEqual({ ok: true, record: example });
  });
});
