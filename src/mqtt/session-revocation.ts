import type { Logger } from '../kernel/index.js';

/** What re-checking sessions needs of the broker. */
export interface MqttSessions {
  /** Logs each connection of these devices (null: of every device) in again; closes those refused now. */
  revalidateDevices(deviceIds: readonly string[] | null): Promise<number>;
  /** Logs each connection made with an API key in again; closes those refused now. */
  revalidateApiKeys(): Promise<number>;
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
  sessions: MqttSessions,
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

/** How often API-key connections are logged in again regardless: a key's expiry announces nothing. */
export const API_KEY_RECHECK_MS = 60_000;

/**
 * The same for organization API keys: a revoked key (or a deleted organization) must lose its open MQTT
 * connections — a subscriber would otherwise go on receiving the organization's data — and so must an expired
 * one, at the latest API_KEY_RECHECK_MS after it expired. Revocations are rare and API-key connections few, so
 * every API-key connection is logged in again (through the credential cache). Answers the unsubscribe function.
 */
export function closeRevokedApiKeySessions(
  apiKeys: { onApiKeysChanged(listener: () => void): () => void },
  sessions: MqttSessions,
  log: Logger,
  recheckMs = API_KEY_RECHECK_MS,
): () => void {
  const recheck = () =>
    sessions.revalidateApiKeys().then(
      (closed) => {
        if (closed > 0) log.info({ connections: closed }, 'closed MQTT connections of revoked or expired API keys');
      },
      (err: unknown) => log.error({ err }, 'could not re-check MQTT connections of API keys'),
    );
  const timer = setInterval(() => void recheck(), recheckMs);
  timer.unref();
  const off = apiKeys.onApiKeysChanged(() => void recheck());
  return () => {
    clearInterval(timer);
    off();
  };
}
