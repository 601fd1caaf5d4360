import type { EventBus, FieldlineEvents } from '../kernel/index.js';
import type { CommandFamily } from './families.js';

/** One down-link message, already encoded for its family. */
export interface CommandMessage {
  family: CommandFamily;
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
}

export interface CommandTarget {
  deviceId: string;
  organizationId: string;
}

/**
 * How commands leave Fieldline: through the embedded broker or an external one. The CommandService owns the
 * states; a transport only says whether a device can be reached now, whether a message would reach it, and
 * hands the message over.
 */
export interface CommandTransport {
  /** Why this family cannot be sent here at all (the command fails), or null. */
  unsupported(family: CommandFamily): string | null;
  /** Whether the device is there now, before a message is built; an unreachable device keeps its commands pending. */
  reachable(target: CommandTarget, family: CommandFamily): boolean;
  /** Whether this message would reach the device now (someone listens to its topic); if not, it stays pending. */
  accepts(target: CommandTarget, message: CommandMessage): boolean;
  /** Hands the message over; false when nobody took it (the device went away meanwhile). */
  send(target: CommandTarget, message: CommandMessage): Promise<boolean>;
  /** Calls back with a device that may just have become able to take its commands; answers the unsubscribe. */
  onReachable(listener: (deviceId: string) => void): () => void;
}

/** What the transports need of the broker and of presence (EmbeddedBroker, ExternalBrokerBridge, PresenceTracker). */
export interface DeviceConnections {
  sendToDevice(deviceId: string, organizationId: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<number>;
  isConnected(deviceId: string): boolean;
  deviceListens(deviceId: string, topic: string): boolean;
  organizationListens(organizationId: string, topic: string): boolean;
  onDeviceSubscribed(listener: (deviceId: string) => void): () => void;
  publish(organizationId: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}
export interface BrokerPublisher {
  publish(organizationId: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}
export interface PresenceView {
  statusOf(deviceId: string): 'online' | 'offline' | undefined;
}

/**
 * The embedded broker sees every connection and what it subscribed to, so a command goes out only to a
 * connection that listens for it, as an MQTT client expects (many drop unsolicited messages): one of the
 * device's connections subscribed to the native commands topic, or to `v1/devices/me/rpc/request/+` for
 * ThingsBoard. Native and ThingsBoard commands are written straight to those connections — ThingsBoard's
 * request topic is shared by all devices. A device's queue goes out when one of its connections subscribes,
 * or comes back with subscriptions in its persistent session, not at CONNECT.
 *
 * Sparkplug commands address an edge node that connects under its own credentials (an API key), so no
 * connection is the device's: they are published to the organization's NCMD/DCMD topic, and count as
 * reachable while the device's birth keeps it online and some connection of the organization listens to
 * that topic. An edge node subscribes to NCMD/DCMD as it establishes its session, before its NBIRTH
 * (Sparkplug B 3.0 §5.4, [tck-id-message-flow-edge-node-ncmd-subscribe]), so its births are the moment to
 * send; one that subscribes later gets its commands with its next DATA message. Any listener in the
 * organization counts (a host application subscribed to `spBv1.0/#` too): the broker cannot tell which API-key
 * connection is the edge node.
 */
export class EmbeddedCommandTransport implements CommandTransport {
  constructor(
    private readonly broker: DeviceConnections,
    private readonly presence: PresenceView,
    private readonly bus: EventBus<FieldlineEvents>,
  ) {}

  unsupported(): string | null {
    return null;
  }

  reachable(target: CommandTarget, family: CommandFamily): boolean {
    if (family === 'sparkplug') return this.presence.statusOf(target.deviceId) === 'online';
    return this.broker.isConnected(target.deviceId);
  }

  accepts(target: CommandTarget, m: CommandMessage): boolean {
    return m.family === 'sparkplug'
      ? this.broker.organizationListens(target.organizationId, m.topic)
      : this.broker.deviceListens(target.deviceId, m.topic);
  }

  async send(target: CommandTarget, m: CommandMessage): Promise<boolean> {
    if (m.family === 'sparkplug') {
      await this.broker.publish(target.organizationId, m.topic, m.payload, m.qos);
      return true;
    }
    const written = await this.broker.sendToDevice(target.deviceId, target.organizationId, m.topic, m.payload, m.qos);
    return written > 0;
  }

  onReachable(listener: (deviceId: string) => void): () => void {
    const offs = [
      this.broker.onDeviceSubscribed(listener),
      // Sparkplug: a birth brings the device online, and DATA shows its edge node is still there.
      this.bus.on('device.status', (e) => {
        if (e.status === 'online') listener(e.device_id);
      }),
      this.bus.on('telemetry.ingested', (e) => {
        if (e.source === 'sparkplug') listener(e.device_id);
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }
}

/**
 * An external broker authenticates the devices and keeps their sessions; Fieldline only sees their messages,
 * not their subscriptions. A device counts as reachable while presence says online (its status message,
 * data, or Sparkplug birth), and a command counts as delivered once the broker acknowledged it (QoS 1 PUBACK).
 */
export class ExternalCommandTransport implements CommandTransport {
  constructor(
    private readonly broker: BrokerPublisher,
    private readonly presence: PresenceView,
    private readonly bus: EventBus<FieldlineEvents>,
  ) {}

  unsupported(family: CommandFamily): string | null {
    return family === 'thingsboard'
      ? 'ThingsBoard RPC needs the embedded broker: on an external broker the v1/devices/me topics do not name the device'
      : null;
  }

  reachable(target: CommandTarget): boolean {
    return this.presence.statusOf(target.deviceId) === 'online';
  }

  accepts(): boolean {
    return true;
  }

  async send(target: CommandTarget, m: CommandMessage): Promise<boolean> {
    await this.broker.publish(target.organizationId, m.topic, m.payload, m.qos);
    return true;
  }

  onReachable(listener: (deviceId: string) => void): () => void {
    const offs = [
      this.bus.on('device.status', (e) => {
        if (e.status === 'online') listener(e.device_id);
      }),
      // A device that is already online and connects again (no status change) shows up by its data.
      this.bus.on('telemetry.ingested', (e) => listener(e.device_id)),
    ];
    return () => {
      for (const off of offs) off();
    };
  }
}
