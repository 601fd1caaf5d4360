import type { Logger } from '../kernel/index.js';

/** What re-checking a device's sessions needs of the broker. */
export interface DeviceSessions {
  /** Logs each connection of these devices (null: of every device) in again; closes those refused now. */
  revalidateDevices(deviceIds: readonly string[] | null): Promise<number>;
}

/**
 * Checking credentials at CONNECT is not enough: a device that is deleted, deactivated or given a new access
 * token must lose the connections it opened with the old state, or a leaked token keeps working until the
 * device reconnects by itself. The registry's cache invalidations say which devices changed — made on this
 * node or, with Redis, announced by another — and each connection of those devices is logged in again with
 * the credentials it connected with. Answers the unsubscribe function.
 */
export function closeRevokedDeviceSessions(
  devices: { onIdentityChanged(listener: (deviceIds: readonly string[] | null) => void): () => void },
  sessions: DeviceSessions,
  log: Logger,
): () => void {
  return devices.onIdentityChanged((deviceIds) => {
    sessions.revalidateDevices(deviceIds).then(
      (closed) => {
        if (closed > 0) log.info({ devices: deviceIds, connections: closed }, 'closed MQTT connections refused now');
      },
      (err: unknown) => log.error({ err, devices: deviceIds }, 'could not re-check MQTT connections'),
    );
  });
}
