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
 * states; a transport only says whether a device can be reached now and hands the message over.
 */
export interface CommandTransport {
  /** Why this family cannot be sent here at all (the command fails), or null. */
  unsupported(family: CommandFamily): string | null;
  /** Whether the device can take a command now; an unreachable device keeps its commands pending. */
  reachable(target: CommandTarget, family: CommandFamily): boolean;
  /** Hands the message over; false when nobody took it (the device went away meanwhile). */
  send(target: CommandTarget, message: CommandMessage): Promise<boolean>;
}

/** What the transports need of the broker and of presence (EmbeddedBroker, ExternalBrokerBridge, PresenceTracker). */
export interface DeviceConnections {
  sendToDevice(deviceId: string, organizationId: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<number>;
  isConnected(deviceId: string): boolean;
  publish(organizationId: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}
export interface BrokerPublisher {
  publish(organizationId: string, topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
}
export interface PresenceView {
  statusOf(deviceId: string): 'online' | 'offline' | undefined;
}

/**
 * The embedded broker sees every connection. Native and ThingsBoard commands are written straight to the
 * device's own connections — ThingsBoard's request topic is shared by all devices, and writing to the
 * connection (rather than publishing to the topic) also reaches a device that reconnected with a persistent
 * session before it re-subscribed. Sparkplug commands address an edge node that connects under its own
 * credentials, so they are published to the organization's NCMD/DCMD subscribers, and a Sparkplug device is
 * reachable while its birth keeps it online.
 */
export class EmbeddedCommandTransport implements CommandTransport {
  constructor(
    private readonly broker: DeviceConnections,
    private readonly presence: PresenceView,
  ) {}

  unsupported(): string | null {
    return null;
  }

  reachable(target: CommandTarget, family: CommandFamily): boolean {
    if (family === 'sparkplug') return this.presence.statusOf(target.deviceId) === 'online';
    return this.broker.isConnected(target.deviceId);
  }

  async send(target: CommandTarget, m: CommandMessage): Promise<boolean> {
    if (m.family === 'sparkplug') {
      await this.broker.publish(target.organizationId, m.topic, m.payload, m.qos);
      return true;
    }
    const written = await this.broker.sendToDevice(target.deviceId, target.organizationId, m.topic, m.payload, m.qos);
    return written > 0;
  }
}

/**
 * An external broker authenticates the devices and keeps their sessions; Fieldline only sees their messages.
 * A device counts as reachable while presence says online (its status message, data, or Sparkplug birth), and
 * a command counts as delivered once the broker acknowledged it (QoS 1 PUBACK).
 */
export class ExternalCommandTransport implements CommandTransport {
  constructor(
    private readonly broker: BrokerPublisher,
    private readonly presence: PresenceView,
  ) {}

  unsupported(family: CommandFamily): string | null {
    return family === 'thingsboard'
      ? 'ThingsBoard RPC needs the embedded broker: on an external broker the v1/devices/me topics do not name the device'
      : null;
  }

  reachable(target: CommandTarget): boolean {
    return this.presence.statusOf(target.deviceId) === 'online';
  }

  async send(target: CommandTarget, m: CommandMessage): Promise<boolean> {
    await this.broker.publish(target.organizationId, m.topic, m.payload, m.qos);
    return true;
  }
}
