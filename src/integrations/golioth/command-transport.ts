import type { CommandTransport } from '../../commands/index.js';
import type { Logger } from '../../kernel/index.js';
import type { IntegrationRow } from '../store.js';
import type { GoliothService } from './service.js';

type CommandFamily = Parameters<CommandTransport['unsupported']>[0];
type Target = Parameters<CommandTransport['reachable']>[0];
type Message = Parameters<CommandTransport['send']>[1];

/** golioth_rpc_status of the Golioth firmware SDK (the gRPC status codes): 0 is success. */
const RPC_STATUS = [
  'ok',
  'canceled',
  'unknown',
  'invalid argument',
  'deadline exceeded',
  'not found',
  'already exists',
  'permission denied',
  'resource exhausted',
  'failed precondition',
  'aborted',
  'out of range',
  'unimplemented',
  'internal',
  'unavailable',
  'data loss',
  'unauthenticated',
];

export interface GoliothCommandDeps {
  golioth: GoliothService;
  integration: (id: string) => Promise<IntegrationRow | undefined>;
  rpcTimeoutS: (row: IntegrationRow) => number;
  /** Records the device's answer on the command (CommandService.answer with a native answer payload). */
  answer: (deviceId: string, commandId: string, payload: Buffer) => Promise<void>;
  log: Logger;
}

/**
 * Commands to devices that live in Golioth: a Fieldline command `{name, params}` becomes a Golioth RPC
 * `{method: name, params: [...]}` through the REST API, and the device's answer (status and detail) becomes the
 * command's answer. Other devices go through the broker transport as before. Golioth tells whether a device
 * is connected only by trying, so a Golioth device counts as reachable and an RPC to an offline device fails
 * with Golioth's reason.
 */
export class GoliothCommandTransport implements CommandTransport {
  constructor(
    private readonly inner: CommandTransport | null,
    private readonly d: GoliothCommandDeps,
  ) {}

  unsupported(family: CommandFamily): string | null {
    return this.inner?.unsupported(family) ?? null;
  }

  reachable(target: Target, family: CommandFamily): boolean {
    if (this.d.golioth.linkOf(target.deviceId)) return true;
    return this.inner?.reachable(target, family) ?? false;
  }

  accepts(target: Target, message: Message): boolean {
    if (this.d.golioth.linkOf(target.deviceId)) return true;
    return this.inner?.accepts(target, message) ?? false;
  }

  onReachable(listener: (deviceId: string) => void): () => void {
    return this.inner?.onReachable(listener) ?? (() => {});
  }

  async send(target: Target, message: Message): Promise<boolean> {
    const link = this.d.golioth.linkOf(target.deviceId);
    if (!link) return this.inner ? this.inner.send(target, message) : false;
    let command: { id: string; name: string; params: unknown };
    try {
      command = JSON.parse(message.payload.toString('utf8')) as typeof command;
    } catch {
      return false;
    }
    // The call waits for the device's answer; the command is delivered now and answered when Golioth replies.
    void this.call(link.integration_id, link.external_id, target.deviceId, command);
    return true;
  }

  private async call(
    integrationId: string,
    externalId: string,
    deviceId: string,
    command: { id: string; name: string; params: unknown },
  ) {
    let answer: Record<string, unknown>;
    try {
      const row = await this.d.integration(integrationId);
      if (!row || row.status === 'inactive') throw new Error('the Golioth integration is inactive or gone');
      const params = Array.isArray(command.params)
        ? command.params
        : command.params === null ||
            command.params === undefined ||
            (typeof command.params === 'object' && Object.keys(command.params).length === 0)
          ? []
          : [command.params];
      const result = await this.d.golioth.client(row).rpc(externalId, command.name, params, this.d.rpcTimeoutS(row));
      answer =
        result.statusCode === 0
          ? { status: 'ok', result: result.detail }
          : {
              status: 'error',
              error: `Golioth RPC status ${result.statusCode} (${RPC_STATUS[result.statusCode] ?? 'unknown'})`,
              result: result.detail,
            };
    } catch (err) {
      answer = { status: 'error', error: err instanceof Error ? err.message : String(err) };
    }
    try {
      await this.d.answer(deviceId, command.id, Buffer.from(JSON.stringify(answer)));
    } catch (err) {
      this.d.log.error({ err, device_id: deviceId, command_id: command.id }, 'recording a Golioth RPC answer failed');
    }
  }
}
