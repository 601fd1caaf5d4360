import type { Principal } from '../auth/index.js';
import type { DeviceRef, DeviceRegistry, DeviceRow, DeviceStore } from '../devices/index.js';
import {
  type Clock,
  type EventBus,
  FieldlineError,
  type FieldlineEvents,
  type Lifecycle,
  type Logger,
  newId,
  notFound,
} from '../kernel/index.js';
import type { TopicScheme } from '../mqtt/index.js';
import { encodeThingsBoardRpcRequest, type JsonValue, type Payload } from '../telemetry/codecs/index.js';
import {
  type CommandAnswer,
  type CommandFamily,
  familyOf,
  nativeCommandPayload,
  readNativeAnswer,
  readThingsBoardAnswer,
  rpcRequestId,
  sparkplugWrites,
} from './families.js';
import { type Outstanding, OutstandingCommands } from './outstanding.js';
import { defaultSparkplugCommander, type SparkplugCommander } from './sparkplug.js';
import { type CommandRow, type CommandStatus, type CommandStore, OUTSTANDING } from './store.js';
import type { CommandMessage, CommandTransport } from './transport.js';

export interface NewCommand {
  name: string;
  params?: JsonValue;
  /** How long to wait for the answer once delivered. */
  timeout_ms?: number;
  /** How long an undelivered command waits for its device. */
  expires_in_s?: number;
}

export interface CommandServiceOptions {
  defaultTimeoutMs: number;
  defaultExpiresInS: number;
}

export const DEFAULT_COMMAND_OPTIONS: CommandServiceOptions = { defaultTimeoutMs: 30_000, defaultExpiresInS: 3_600 };

/** Why a command that waited for its device ends failed once the device is made inactive. */
const DEACTIVATED = 'the device was deactivated before the command could be delivered';

/**
 * Commands to devices, from the API call to the device's answer. A command is `pending` until its device is
 * reachable, then `delivered` over the family the device speaks, then `succeeded` or `failed` by the device's
 * answer, or `timed_out` when no answer came within timeout_ms of delivery. A command never delivered before
 * expires_at ends `expired` — kept apart from timed_out so an operator can tell "the device never got it"
 * from "the device got it and said nothing".
 *
 * Time is kept with one timer per outstanding command (no table sweeps); outstanding commands are reloaded
 * from the table at start, so a restart neither forgets nor re-sends them. Every state change is a
 * conditional update in the table (see CommandStore), which keeps several nodes and late answers honest.
 *
 * The table is the only queue of commands waiting for their device. Nothing is handed to the broker for a
 * device that is away, not even to a persistent MQTT session that would queue it: the embedded broker keeps
 * its sessions in memory, so a command queued there would be lost with a restart, and the same command
 * queued in both places reached a device coming back with its session twice. A command goes out only to a
 * connection that listens for it now (see CommandTransport.accepts), and once it is `delivered` Fieldline
 * never sends it again; redelivering an unacknowledged QoS 1 PUBLISH within the device's session is the
 * broker's part of MQTT [MQTT-4.4.0-1], not a second send. `delivered` means handed to a listening
 * connection (embedded broker: the PUBLISH written to it, not its PUBACK) or acknowledged by the external
 * broker.
 */
export class CommandService implements Lifecycle {
  readonly name = 'commands';
  /** Set by the app once the broker side is known (embedded or external). */
  transport: CommandTransport | null = null;
  /** Encodes Sparkplug writes; the app may swap in one that knows the metrics' birth datatypes. */
  sparkplug: SparkplugCommander = defaultSparkplugCommander;
  private readonly outstanding: OutstandingCommands;
  /** One delivery run per device at a time, so a command is never sent twice by this node. */
  private readonly runs = new Map<string, Promise<void>>();
  /** Runs queued behind another that have not started yet, per device. */
  private readonly waiting = new Map<string, Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly store: CommandStore,
    private readonly registry: DeviceRegistry,
    private readonly devices: DeviceStore,
    private readonly topics: TopicScheme,
    private readonly bus: EventBus<FieldlineEvents>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: CommandServiceOptions = DEFAULT_COMMAND_OPTIONS,
  ) {
    this.outstanding = new OutstandingCommands(clock, (o) => {
      const ended = o.status === 'pending' ? this.expire(o) : this.timeOut(o);
      ended.catch((err: unknown) => this.log.error({ err, command_id: o.id }, 'command timer failed'));
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.outstanding.restart();
    const rows = await this.store.outstanding();
    for (const row of rows) this.outstanding.add(row);
    if (rows.length > 0) this.log.info({ count: rows.length }, 'recovered outstanding device commands');
    const queueOf = (deviceId: string) => {
      if (this.outstanding.hasPending(deviceId)) void this.deliverQueued(deviceId);
    };
    this.unsubscribe.push(
      // A device that can take commands now gets its queue: the transport knows when (a SUBSCRIBE, a birth…).
      this.transport?.onReachable(queueOf) ?? (() => {}),
      // Deactivated, deleted (here or, with Redis, on another node): the run fails or forgets what waits.
      this.registry.onIdentityChanged((deviceIds) => {
        for (const id of deviceIds ?? this.outstanding.devices()) queueOf(id);
      }),
      this.bus.on('device.updated', (e) => {
        if (e.action === 'deleted') this.outstanding.forgetDevice(e.device_id);
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.outstanding.clear();
    await Promise.allSettled([...this.runs.values()]);
  }

  /** Creates a command for a device of the caller's organization and delivers it at once when it can. */
  async create(principal: Principal, deviceId: string, input: NewCommand): Promise<CommandRow> {
    const device = await this.registry.get(principal, deviceId);
    if (device.active !== 1)
      throw new FieldlineError('FIELDLINE_ERR_CONFLICT', `Device '${deviceId}' is inactive: it takes no commands`);
    const now = this.clock.now();
    const row: CommandRow = {
      id: this.freshId(deviceId, now),
      organization_id: device.organization_id,
      device_id: device.id,
      name: input.name,
      params: JSON.stringify(input.params ?? {}),
      status: 'pending',
      family: familyOf(device.protocol),
      timeout_ms: input.timeout_ms ?? this.options.defaultTimeoutMs,
      response: null,
      error: null,
      created_by: principal.id,
      created_at: now,
      expires_at: now + (input.expires_in_s ?? this.options.defaultExpiresInS) * 1000,
      delivered_at: null,
      completed_at: null,
    };
    await this.store.insert(row);
    this.outstanding.add(row);
    this.announce(row, 'pending', null);
    await this.deliverQueued(device.id);
    return (await this.store.byId(row.id)) ?? row;
  }

  async get(principal: Pick<Principal, 'organizationId'>, deviceId: string, commandId: string): Promise<CommandRow> {
    await this.registry.get(principal, deviceId);
    const row = await this.store.byId(commandId);
    if (!row || row.device_id !== deviceId) throw notFound('command', commandId);
    return row;
  }

  async list(
    principal: Pick<Principal, 'organizationId'>,
    deviceId: string,
    query: { status?: CommandStatus; before?: string; limit: number },
  ): Promise<CommandRow[]> {
    await this.registry.get(principal, deviceId);
    return this.store.list({ deviceId, ...query });
  }

  /**
   * A device's answer (the router's commandResponse hook): `key` is the command id (native) or the numeric
   * ThingsBoard request id. Resolves after the outcome is stored, so the answer's PUBACK means recorded.
   * Answers to unknown, finished or other devices' commands are ignored.
   */
  async answer(device: DeviceRef, key: string, payload: Payload, family: 'native' | 'thingsboard'): Promise<void> {
    let id: string | undefined;
    let outcome: CommandAnswer;
    if (family === 'native') {
      id = key;
      outcome = readNativeAnswer(payload);
    } else {
      const requestId = Number(key);
      id = this.outstanding.idsOf(device.id).find((c) => rpcRequestId(c) === requestId);
      outcome = readThingsBoardAnswer(requestId, payload);
    }
    if (id === undefined) {
      this.log.debug({ device_id: device.id, key, family }, 'answer to no outstanding command');
      return;
    }
    const tracked = this.outstanding.get(id);
    // Not tracked here: created on another node, or already finished. The table knows.
    const row = tracked ? null : await this.store.byId(id);
    const owner = tracked?.deviceId ?? row?.device_id;
    if (owner !== device.id) return;
    if (row && !OUTSTANDING.includes(row.status as CommandStatus)) return;
    const now = this.clock.now();
    const done = await this.store.transition(id, OUTSTANDING, {
      status: outcome.status,
      response: outcome.response === null ? null : JSON.stringify(outcome.response),
      error: outcome.error,
      completed_at: now,
      keepDeliveredAt: now,
    });
    if (!done) return;
    this.outstanding.remove(id);
    const finished = await this.store.byId(id);
    if (finished) this.announce(finished, outcome.status, outcome.error);
  }

  /** Delivers a device's pending commands, oldest first, if the device can be reached. */
  private deliverQueued(deviceId: string): Promise<void> {
    // A run that has not started yet will see all this call would: join it, so a burst of signals (a
    // Sparkplug node's data while nobody listens to its DCMD topic) queues one run, not one per message.
    const waiting = this.waiting.get(deviceId);
    if (waiting) return waiting;
    const previous = this.runs.get(deviceId) ?? Promise.resolve();
    const run = previous
      .then(() => {
        this.waiting.delete(deviceId);
        return this.deliverPending(deviceId);
      })
      .catch((err: unknown) => this.log.error({ err, device_id: deviceId }, 'delivering commands failed'));
    this.waiting.set(deviceId, run);
    this.runs.set(deviceId, run);
    void run.finally(() => {
      if (this.runs.get(deviceId) === run) this.runs.delete(deviceId);
    });
    return run;
  }

  private async deliverPending(deviceId: string): Promise<void> {
    if (this.stopped || !this.transport || !this.outstanding.hasPending(deviceId)) return;
    const device = await this.devices.byId(deviceId);
    if (!device) return this.outstanding.forgetDevice(deviceId);
    const family = familyOf(device.protocol);
    if (device.active === 1 && !this.transport.reachable({ deviceId, organizationId: device.organization_id }, family))
      return;
    for (const o of this.outstanding.ofDevice(deviceId)) {
      if (o.status !== 'pending' || this.outstanding.get(o.id) !== o) continue;
      if (this.clock.now() >= o.expiresAt) await this.expire(o);
      else if (device.active !== 1) await this.finish(o, ['pending'], 'failed', DEACTIVATED);
      else if (!(await this.deliver(o, device, family))) return;
    }
  }

  /**
   * Sends one command; false when the device could not take it (it stays pending, and so do the younger
   * ones: a command never overtakes an older one of its device).
   */
  private async deliver(o: Outstanding, device: DeviceRow, family: CommandFamily): Promise<boolean> {
    const transport = this.transport as CommandTransport;
    const unsupported = transport.unsupported(family);
    if (unsupported) return this.finish(o, ['pending'], 'failed', unsupported, family).then(() => true);
    const message = this.encode(o, family);
    if (typeof message === 'string') return this.finish(o, ['pending'], 'failed', message, family).then(() => true);
    const target = { deviceId: o.deviceId, organizationId: device.organization_id };
    // Nobody listens to its topic yet (connected, not subscribed): a later SUBSCRIBE brings it back here.
    if (!transport.accepts(target, message)) return false;
    // Claim before sending: of two nodes holding the same pending command, only one gets to send it.
    const now = this.clock.now();
    if (!(await this.store.transition(o.id, ['pending'], { status: 'delivered', delivered_at: now, family }))) {
      await this.reconcile(o);
      return true;
    }
    this.outstanding.delivered(o, now, family);
    let sent = false;
    try {
      sent = await transport.send(target, message);
    } catch (err) {
      this.log.warn({ err, command_id: o.id, device_id: o.deviceId }, 'sending a command failed; it stays pending');
    }
    if (!sent) {
      // Nobody received it, so no answer can race this: back to pending for the next connection.
      await this.store.transition(o.id, ['delivered'], { status: 'pending', delivered_at: null });
      this.outstanding.undelivered(o);
      return false;
    }
    // An answer may overtake the send's confirmation; then the command is final and 'delivered' is old news.
    if (this.outstanding.get(o.id) !== o) return true;
    this.announce(this.eventBase(o), 'delivered', null);
    // Sparkplug B defines no command response: the edge node reports the new value in its next DATA message.
    if (family === 'sparkplug') await this.finish(o, ['delivered'], 'succeeded', null, family);
    return true;
  }

  /** The message for the device's family, or why it cannot be built. */
  private encode(o: Outstanding, family: CommandFamily): CommandMessage | string {
    switch (family) {
      case 'native':
        return {
          family,
          topic: this.topics.command(o.deviceId, o.id),
          payload: nativeCommandPayload(o.id, o.name, o.params),
          qos: 1,
        };
      case 'thingsboard': {
        const { topic, payload } = encodeThingsBoardRpcRequest(rpcRequestId(o.id), o.name, o.params);
        return { family, topic, payload, qos: 1 };
      }
      case 'sparkplug': {
        const writes = sparkplugWrites(o.name, o.params);
        if (!writes.ok) return writes.error;
        const encoded = this.sparkplug(o.deviceId, o.organizationId, writes.writes, this.clock.now());
        // Sparkplug B 3.0 §6.4.23/24: NCMD/DCMD go out with QoS 0.
        return encoded.ok ? { family, topic: encoded.topic, payload: encoded.payload, qos: 0 } : encoded.detail;
      }
    }
  }

  private async expire(o: Outstanding): Promise<void> {
    await this.finish(o, ['pending'], 'expired', 'not delivered before expires_at: the device was not reachable');
  }

  private async timeOut(o: Outstanding): Promise<void> {
    await this.finish(o, ['delivered'], 'timed_out', `no answer within ${o.timeoutMs} ms of delivery`);
  }

  /** Moves a tracked command to a final state; when it had already moved (elsewhere), re-reads it. */
  private async finish(
    o: Outstanding,
    from: readonly CommandStatus[],
    status: CommandStatus,
    error: string | null,
    family?: CommandFamily,
  ): Promise<void> {
    const now = this.clock.now();
    const done = await this.store.transition(o.id, from, {
      status,
      error,
      completed_at: now,
      ...(family ? { family } : {}),
    });
    if (!done) return this.reconcile(o);
    this.outstanding.remove(o.id);
    if (family) o.family = family;
    this.announce(this.eventBase(o), status, error);
  }

  /** Brings a tracked command in line with the table after a conditional update found it moved. */
  private async reconcile(o: Outstanding): Promise<void> {
    const row = await this.store.byId(o.id);
    this.outstanding.remove(o.id);
    if (row && OUTSTANDING.includes(row.status as CommandStatus)) this.outstanding.add(row);
  }

  /**
   * A new command id whose ThingsBoard request id is not taken by another outstanding command of the device
   * (see rpcRequestId); with 31 bits a second draw is already astronomically rare.
   */
  private freshId(deviceId: string, now: number): string {
    const taken = new Set(this.outstanding.idsOf(deviceId).map(rpcRequestId));
    for (;;) {
      const id = newId(now);
      if (!taken.has(rpcRequestId(id))) return id;
    }
  }

  private eventBase(o: Outstanding) {
    return { id: o.id, organization_id: o.organizationId, device_id: o.deviceId, name: o.name, family: o.family };
  }

  private announce(
    c: { id: string; organization_id: string; device_id: string; name: string; family: string | null },
    status: CommandStatus,
    error: string | null,
  ): void {
    this.bus.emit('command.updated', {
      organization_id: c.organization_id,
      device_id: c.device_id,
      id: c.id,
      name: c.name,
      status,
      family: c.family,
      error,
      ts: this.clock.now(),
    });
  }
}
