import type { Kysely } from 'kysely';
import { type Clock, FieldlineError, type Logger, newId } from '../kernel/index.js';
import type { SecretBox } from '../secrets/index.js';
import type { Database } from '../storage/index.js';
import { eventOf, metaOf, type NotificationContent, ntfyMessage, webhookDocument } from './content.js';
import { type ChannelDispatcher, outboxSecretContext, type StoredPayload } from './dispatcher.js';
import type { EmailSender } from './email-sender.js';
import { renderEmail } from './email-templates.js';
import type { OutboxStore } from './outbox-store.js';
import type { SendResult } from './send-result.js';
import type { NotificationSettingsStore } from './settings-store.js';
import { splitTarget, targetProblems } from './targets.js';
import {
  type AlertEvent,
  type AlertNotice,
  CHANNELS,
  type Channel,
  type ChannelTarget,
  type DeviceOfflineNotice,
  type WebhookEndpoint,
} from './types.js';
import type { NtfySender, WebhookSender } from './webhook-sender.js';

export interface EnqueueRequest {
  organizationId: string;
  channel: Channel;
  /** Validated against the channel's target schema; secrets in it are sealed before they are stored. */
  target: unknown;
  content: NotificationContent;
  /** Same key in the same organization → the existing notification, nothing new sent. Default: a new id. */
  idempotencyKey?: string;
  alertId?: string | null;
}

export interface EnqueueResult {
  id: string;
  /** False when the idempotency key already had a notification. */
  created: boolean;
}

export interface ActionResult {
  index: number;
  type: string;
  /** Set when a notification was enqueued (or already existed). */
  notification?: EnqueueResult;
  /** Set when the action was not a valid notification action. */
  error?: string;
}

export interface TestResult {
  ok: boolean;
  channel: Channel;
  detail: string | null;
  error: string | null;
  status_code: number | null;
  transport: 'smtp' | 'mailbox' | null;
  duration_ms: number;
}

export interface NotifierOptions {
  db: Kysely<Database>;
  store: OutboxStore;
  settings: NotificationSettingsStore;
  box: SecretBox;
  email: EmailSender;
  webhook: WebhookSender;
  ntfy: NtfySender;
  dispatcher: ChannelDispatcher;
  clock: Clock;
  log: Logger;
  publicUrl: string | null;
  /** Called after every enqueue that created a row: wakes this node's worker. */
  onEnqueued: () => void;
}

const isChannel = (v: unknown): v is Channel => typeof v === 'string' && (CHANNELS as readonly string[]).includes(v);

/**
 * The front door of notifications: everything that wants someone told goes through enqueue(), which writes
 * the durable outbox row (rendered content, sealed secrets) and wakes the worker. Nothing is sent inline,
 * except the explicit test send.
 */
export class Notifier {
  constructor(private readonly o: NotifierOptions) {}

  /**
   * Writes one notification. Pass `db` (a transaction) to commit it atomically with the change that caused
   * it (the transactional-outbox pattern); the worker is woken at once and also finds it at its next poll.
   */
  async enqueue(req: EnqueueRequest, db: Kysely<Database> = this.o.db): Promise<EnqueueResult> {
    const problems = targetProblems(req.channel, req.target);
    if (problems.length > 0)
      throw new FieldlineError(
        'FIELDLINE_ERR_VALIDATION',
        `Invalid ${req.channel} target: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        { errors: problems },
      );
    const id = newId(this.o.clock.now());
    const { shown, secret } = splitTarget({ channel: req.channel, target: req.target } as ChannelTarget);
    const result = await this.o.store.insert(
      {
        id,
        organization_id: req.organizationId,
        channel: req.channel,
        event: eventOf(req.content),
        target: JSON.stringify(shown),
        target_secret: secret
          ? this.o.box.seal(JSON.stringify(secret), outboxSecretContext(req.organizationId, id))
          : null,
        payload: JSON.stringify(this.render(req.channel, req.content, id, req.organizationId)),
        idempotency_key: req.idempotencyKey ?? `id:${id}`,
        alert_id: req.alertId ?? null,
        created_at: this.o.clock.now(),
      },
      db,
    );
    if (result.created) this.o.onEnqueued();
    return result;
  }

  /**
   * The seam the rule engine calls when an alert is raised, resolved, reminded (`repeat_every`) or escalated
   * (`escalate_after`): one notification per notifying action. Idempotent per (alert, event, occurrence,
   * action index), so calling it again after a crash or on a second node sends nothing twice. Actions that do
   * not notify (`{type: 'alert'}`) are skipped; invalid ones are reported in the result, not thrown.
   */
  async enqueueAlertNotifications(
    alert: AlertNotice,
    actions: readonly { type: string; [key: string]: unknown }[],
    options: { event?: AlertEvent; occurrence?: string | number; db?: Kysely<Database> } = {},
  ): Promise<ActionResult[]> {
    const event = options.event ?? 'alert.raised';
    const results: ActionResult[] = [];
    for (const [index, action] of actions.entries()) {
      if (!isChannel(action.type)) continue;
      const { type, ...rest } = action;
      try {
        const notification = await this.enqueue(
          {
            organizationId: alert.organization_id,
            channel: type as Channel,
            target: notifyTargetOf(type as Channel, rest),
            content: { kind: 'alert', event, alert },
            idempotencyKey: `alert:${alert.id}:${event}:${options.occurrence ?? 0}:${index}`,
            alertId: alert.id,
          },
          options.db,
        );
        results.push({ index, type, notification });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        this.o.log.warn({ alert_id: alert.id, action_index: index, error }, 'alert action not enqueued');
        results.push({ index, type, error });
      }
    }
    return results;
  }

  /**
   * A device went offline: emails the organization's device-offline recipients (settings), plus any extra
   * actions given. Idempotent per (device, offline_since).
   */
  async notifyDeviceOffline(
    device: DeviceOfflineNotice,
    actions: readonly { type: string; [key: string]: unknown }[] = [],
  ): Promise<ActionResult[]> {
    const setting = (await this.o.settings.get(device.organization_id)).deviceOffline;
    const all = [
      ...(setting.enabled && setting.recipients.length ? [{ type: 'email', recipients: setting.recipients }] : []),
      ...actions,
    ];
    const results: ActionResult[] = [];
    for (const [index, action] of all.entries()) {
      if (!isChannel(action.type)) continue;
      const { type, ...rest } = action;
      try {
        const notification = await this.enqueue({
          organizationId: device.organization_id,
          channel: type as Channel,
          target: notifyTargetOf(type as Channel, rest),
          content: { kind: 'device_offline', device },
          idempotencyKey: `device.offline:${device.device_id}:${device.offline_since}:${index}`,
        });
        results.push({ index, type, notification });
      } catch (err) {
        results.push({ index, type, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return results;
  }

  /** Sends a test message now, bypassing the outbox, and reports what happened. */
  async sendTest(organizationId: string, channel: Channel, target: unknown, requestedBy: string): Promise<TestResult> {
    const problems = targetProblems(channel, target);
    if (problems.length > 0)
      throw new FieldlineError(
        'FIELDLINE_ERR_VALIDATION',
        `Invalid ${channel} target: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        { errors: problems },
      );
    const started = performance.now();
    const content: NotificationContent = { kind: 'test', requested_by: requestedBy, at: this.o.clock.now() };
    const t = { channel, target } as ChannelTarget;
    let result: SendResult;
    switch (t.channel) {
      case 'email':
        result = await this.o.email.send(
          organizationId,
          { to: t.target.recipients, ...renderEmail(content, { publicUrl: this.o.publicUrl }) },
          null,
          'notification.test',
        );
        break;
      case 'webhook': {
        let endpoint: WebhookEndpoint | string;
        if ('integration_id' in t.target)
          endpoint = await this.o.dispatcher.resolveIntegration(organizationId, t.target.integration_id);
        else endpoint = t.target;
        const deliveryId = newId();
        result =
          typeof endpoint === 'string'
            ? { ok: false, error: endpoint, permanent: true }
            : await this.o.webhook.send(
                organizationId,
                endpoint,
                webhookDocument(content, deliveryId, organizationId),
                deliveryId,
                'notification.test',
              );
        break;
      }
      case 'ntfy':
        result = await this.o.ntfy.send(t.target, ntfyMessage(content, this.o.publicUrl));
        break;
    }
    const duration_ms = Math.round((performance.now() - started) * 10) / 10;
    if (result.ok)
      return {
        ok: true,
        channel,
        detail: result.detail,
        error: null,
        status_code: result.status ?? null,
        transport: result.transport ?? null,
        duration_ms,
      };
    const error =
      result.rateLimitedMs !== undefined
        ? `rate limited: this URL may be called again in ${Math.ceil(result.rateLimitedMs / 1000)} s`
        : result.error;
    return {
      ok: false,
      channel,
      detail: null,
      error,
      status_code: result.status ?? null,
      transport: null,
      duration_ms,
    };
  }

  private render(channel: Channel, content: NotificationContent, id: string, organizationId: string): StoredPayload {
    const meta = metaOf(content);
    switch (channel) {
      case 'email':
        return { meta, email: renderEmail(content, { publicUrl: this.o.publicUrl }) };
      case 'webhook':
        return { meta, document: webhookDocument(content, id, organizationId) };
      case 'ntfy':
        return { meta, ntfy: ntfyMessage(content, this.o.publicUrl) };
    }
  }
}

/** A rule action minus its rule-engine keys (severity, repeat_every, escalate_after) is a channel target. */
function notifyTargetOf(channel: Channel, action: Record<string, unknown>): unknown {
  const keep: Record<Channel, readonly string[]> = {
    email: ['recipients'],
    webhook: ['url', 'integration_id', 'method', 'headers', 'auth', 'payload_template'],
    ntfy: ['server', 'topic', 'token'],
  };
  return Object.fromEntries(Object.entries(action).filter(([k]) => keep[channel].includes(k)));
}
