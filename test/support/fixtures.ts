/** A vendor call record as the upstream sends it. */
export function vendorRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seconds: 23,
    cost: 0.077,
    status: 'completed',
    from: '+14152148508',
    to: '+12068091239',
    date: 'Tue, 30 Jan 2024 13:39:53 +0000',
    recordingUrls: ['https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1.mp3'],
    phoneNumber: '+12068091239',
    callSid: 'CA26e39c970fd416515799f5a165718be3',
    partnerId: 'partner-id',
    data: { employeeGoToWork: 'false', newDate: '' },
    ...overrides,
  };
}

export const success = (data: unknown[]) => ({ body: { message: 'Call history fetched.', status: 'success', data } });
