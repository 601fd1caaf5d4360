import type { Authenticator, Principal } from '../auth/index.js';
import { looksLikeApiKey, roleAtLeast } from '../auth/index.js';
import type { DeviceRef, DeviceRegistry } from '../devices/index.js';

/** Who an MQTT connection is: one device (its access token), or an organization's API key. */
export type MqttIdentity =
  | { kind: 'device'; device: DeviceRef; organizationId: string }
  | { kind: 'api_key'; principal: Principal; organizationId: string };

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3 that a refused login answers with. */
export const CONNACK_BAD_CREDENTIALS = 4;
export const CONNACK_NOT_AUTHORIZED = 5;

export class MqttLoginError extends Error {
  constructor(
    readonly returnCode: typeof CONNACK_BAD_CREDENTIALS | typeof CONNACK_NOT_AUTHORIZED,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks MQTT credentials: a device's access token as username (ThingsBoard style), or the device id as
 * username and the token as password; an organization API key as username or password (role operator or up
 * to publish, any role to subscribe).
 */
export class MqttCredentials {
  constructor(
    private readonly devices: DeviceRegistry,
    private readonly authenticator: Authenticator,
  ) {}

  /**
   * Logs a connection in again with what it connected with, reading devices from the database itself (cache
   * invalidations of one change can arrive one cache at a time); null when it would be refused now.
   */
  async recheck(username: string | undefined, password: string | undefined): Promise<MqttIdentity | null> {
    return this.login(username, password, (token) => this.devices.byAccessTokenUncached(token)).catch(() => null);
  }

  async login(
    username: string | undefined,
    password: string | undefined,
    deviceByToken: (token: string) => Promise<DeviceRef | null> = (token) => this.devices.byAccessToken(token),
  ): Promise<MqttIdentity> {
    if (!username && !password) throw new MqttLoginError(CONNACK_NOT_AUTHORIZED, 'credentials required');
    const key = [username, password].find((v) => v && looksLikeApiKey(v));
    if (key) {
      const principal = await Promise.resolve()
        .then(() => this.authenticator.authenticate(key))
        .catch(() => null);
      if (!principal) throw new MqttLoginError(CONNACK_BAD_CREDENTIALS, 'bad username or password');
      return { kind: 'api_key', principal, organizationId: principal.organizationId };
    }
    // Token as username (password ignored, as ThingsBoard does), or id + token.
    const byUsername = username ? await deviceByToken(username) : null;
    if (byUsername) return { kind: 'device', device: byUsername, organizationId: byUsername.organizationId };
    if (username && password) {
      const byPassword = await deviceByToken(password);
      if (byPassword && byPassword.id === username)
        return { kind: 'device', device: byPassword, organizationId: byPassword.organizationId };
    }
    throw new MqttLoginError(CONNACK_BAD_CREDENTIALS, 'bad username or password');
  }
}

export const mayPublishAsOrganization = (identity: MqttIdentity): boolean =>
  identity.kind === 'api_key' && roleAtLeast(identity.principal.role, 'operator');
