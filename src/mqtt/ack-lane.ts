import type { MqttClient } from 'mqtt';

/** MqttClient#_sendPacket, mqtt.js's packet writer: the only way to send a PUBACK later than mqtt.js would. */
type PacketWriter = { _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }): void };

/**
 * Given to customHandleAcks' callback, an error makes mqtt.js send no PUBACK and move on to the next packet
 * (mqtt.js then emits it as an 'error' event, which the bridge ignores). The AckLane sends the PUBACK itself.
 */
export const DEFERRED_ACK = new Error('PUBACK deferred until the commit');

/**
 * The QoS 1 messages of one broker connection, in arrival order. mqtt.js hands over one message at a time and,
 * when the PUBACK waits for the callback, waits for it before the next — one commit per message. Here a message
 * is routed as soon as it arrives, so one group commit carries many, and the PUBACKs follow in arrival order
 * [MQTT-4.6.0-2], each only after its own commit. Routing also starts in arrival order, which Sparkplug's
 * sequence numbers need. How many are in flight is bounded by the Receive Maximum sent in CONNECT.
 */
export class AckLane {
  private routed: Promise<unknown> = Promise.resolve();
  private acked: Promise<unknown> = Promise.resolve();
  /** Connections (streams) on which a commit failed: nothing after it is acknowledged there. */
  private readonly poisoned = new WeakSet<object>();

  constructor(
    private readonly client: MqttClient,
    private readonly onFailure: (err: unknown) => void,
  ) {}

  /**
   * One message: `identify` runs after the previous message's (arrival order), `route` stores it. With a message
   * id the PUBACK goes out after the commit; a failure leaves it and every later one on this connection
   * unacknowledged and calls onFailure, which drops the connection so the broker delivers them again.
   */
  push<I>(identify: () => Promise<I>, route: (identity: I) => Promise<void>, messageId?: number): Promise<void> {
    const stream = this.client.stream as object;
    const identity = this.routed.then(identify);
    this.routed = identity.catch(() => undefined);
    const work = identity.then(route);
    this.acked = this.acked
      .then(() => work)
      .then(
        () => {
          if (messageId !== undefined) this.ack(stream, messageId);
        },
        (err: unknown) => {
          this.poisoned.add(stream);
          this.onFailure(err);
        },
      );
    return work;
  }

  /** Settles once every message pushed so far was acknowledged or given up. */
  drained(): Promise<void> {
    return this.acked.then(() => undefined);
  }

  private ack(stream: object, messageId: number): void {
    // Only on the connection the message came in on: after a reconnect the broker delivers it again, and its
    // old message id may by then name another message that is not stored yet.
    if (!this.client.connected || this.client.stream !== stream || this.poisoned.has(stream)) return;
    (this.client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
  }
}
