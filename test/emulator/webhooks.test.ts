import { describe, expect, it } from 'vitest';
import { WebhookSender, webhookUrlProblem } from '../../src/emulator/index.js';

describe('webhookUrlProblem', () => {
  it.each(['http://127.0.0.1:4000/webhooks/call-status', 'https://localhost/x', 'http://127.0.0.2/x', 'http://[::1]:8080/x', 'http://LOCALHOST/x'])(
    'accepts %s on this machine',
    (url) => {
      expect(webhookUrlProblem(url, false)).toBeUndefined();
    },
  );

  it.each([
    ['http://127.0.0.1.example.com/x', 'this machine'],
    ['http://localhost.example.com/x', 'this machine'],
    ['http://10.0.0.1/x', 'this machine'],
    ['http://[::2]/x', 'this machine'],
    ['ftp://127.0.0.1/x', 'http(s)'],
    ['file:///etc/passwd', 'http(s)'],
    ['127.0.0.1:4000/x', 'http(s)'],
    ['http://user:secret@127.0.0.1/x', 'user name or password'],
  ])('refuses %s', (url, reason) => {
    expect(webhookUrlProblem(url, false)).toContain(reason);
  });

  it('accepts other hosts, never other schemes or passwords, when told to deliver anywhere', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x', true)).toBeUndefined();
    expect(webhookUrlProblem('ftp://hooks.example.com/x', true)).toContain('http(s)');
    expect(webhookUrlProblem('https://u:p@hooks.example.com/x', true)).toContain('password');
  });
});

describe('WebhookSender', () => {
  it('sends nothing to a URL it would not accept, and rejects bad bounds', async () => {
    const sender = new WebhookSender();
    sender.send('https://hooks.example.com/x', {
      event: 'call.status',
      projectId: 'p',
      sid: 'CA0',
      status: 'queued',
      previousStatus: null,
      timestamp: new Date(0).toISOString(),
    });
    expect(sender.stats()).toEqual({ delivered: 0, failed: 0, dropped: 0, inFlight: 0 });
    await sender.close();
    expect(() => new WebhookSender({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new WebhookSender({ maxInFlight: 1.5 })).toThrow(RangeError);
  });
});
