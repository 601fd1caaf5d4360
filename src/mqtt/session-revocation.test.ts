import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeRevokedApiKeySessions } from './session-revocation.js';

describe('closeRevokedApiKeySessions', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('re-checks API-key connections when keys change and, for expiry, every interval until stopped', async () => {
    let changed: () => void = () => {};
    const revalidateApiKeys = vi.fn(async () => 0);
    const stop = closeRevokedApiKeySessions(
      {
        onApiKeysChanged: (listener) => {
          changed = listener;
          return () => {
            changed = () => {};
          };
        },
      },
      { revalidateApiKeys, revalidateDevices: async () => 0 },
      { info: () => {}, error: () => {} } as never,
      1000,
    );
    changed();
    expect(revalidateApiKeys).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2500);
    expect(revalidateApiKeys).toHaveBeenCalledTimes(3);
    stop();
    changed();
    await vi.advanceTimersByTimeAsync(5000);
    expect(revalidateApiKeys).toHaveBeenCalledTimes(3);
  });
});
