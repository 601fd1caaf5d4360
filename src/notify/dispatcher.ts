import type { Clock } from '../kernel/index.js';
import type { SecretBox } from '../secrets/index.js';
import type { ContentMeta, NtfyMessage } from './content.js';
import type { EmailSender } from './email-sender.js';
import type { RenderedEmail } from './email-templates.js';
import type { OutboxRow } from './outbox-store.js';
import type { DeliveryHandler, DeliveryOutcome } from './outbox-worker.js';
import type { SendResult } from './send-result.js';
import { joinTarget } from './targets.js';
import type { Channel, WebhookEndpoint, WebhookIntegrationResolver } from './types.js';
import type { NtfySender, WebhookSender } from './webhook-sender.js';

/** The rendered content in an outbox row's payload column, per channel. */
export interface StoredPayload {
  meta: ContentMeta;
  email?: RenderedEmail;
  document?: Record<string, unknown>;
  ntfy?: NtfyMessage;
}

/** Binds a row's sealed target secrets to that row and organization. */
export const outboxSecretContext = (organizationId: string, id: string) =>
  `notification_outbox:${organizationId}:${id}`;

export interface DispatcherOptions {
  box: SecretBox;
  email: EmailSender;
  webhook: WebhookSender;
  ntfy: NtfySender;
  clock: Clock;
  resolveIntegration?: WebhookIntegrationResolver;
}

/** Sends one claimed outbox row on its channel and tells the worker what came of it. */
export class ChannelDispatcher implements DeliveryHandler {
  constructor(private readonly o: DispatcherOptions) {}

  async deliver(row: OutboxRow, signal: AbortSignal): Promise<DeliveryOutcome> {
    const result = await this.send(row, signal);
    if (result.ok) return { kind: 'delivered', detail: result.detail };
    if (result.rateLimitedMs !== undefined)
      return { kind: 'deferred', until: this.o.clock.now() + result.rateLimitedMs };
    return {
      kind: 'failed',
      error: result.error,
      permanent: result.permanent,
      ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    };
  }

  private async send(row: OutboxRow, signal: AbortSignal): Promise<SendResult> {
    let payload: StoredPayload;
    let target: ReturnType<typeof joinTarget>;
    try {
      payload = JSON.parse(row.payload) as StoredPayload;
      const secret = row.target_secret
        ? (JSON.parse(this.o.box.open(row.target_secret, outboxSecretContext(row.organization_id, row.id))) as Record<
            string,
            unknown
          >)
        : null;
      target = joinTarget(row.channel as Channel, JSON.parse(row.target) as Record<string, unknown>, secret);
    } catch (err) {
      return {
        ok: false,
        error: `unreadable notification: ${err instanceof Error ? err.message : String(err)}`,
        permanent: true,
      };
    }
    switch (target.channel) {
      case 'email':
        if (!payload.email) return { ok: false, error: 'no email content', permanent: true };
        return this.o.email.send(
          row.organization_id,
          { to: target.target.recipients, ...payload.email },
          row.id,
          row.event,
          signal,
        );
      case 'webhook': {
        let endpoint: WebhookEndpoint;
        if ('integration_id' in target.target) {
          const found = await this.resolveIntegration(row.organization_id, target.target.integration_id);
          if (typeof found === 'string') return { ok: false, error: found, permanent: true };
          endpoint = found;
        } else endpoint = target.target;
        return this.o.webhook.send(row.organization_id, endpoint, payload.document ?? {}, row.id, row.event, signal);
      }
      case 'ntfy':
        if (!payload.ntfy) return { ok: false, error: 'no ntfy content', permanent: true };
        return this.o.ntfy.send(target.target, payload.ntfy, signal);
    }
  }

  /** The integration's endpoint, or why there is none. */
  async resolveIntegration(organizationId: string, integrationId: string): Promise<WebhookEndpoint | string> {
    if (!this.o.resolveIntegration) return `webhook integration ${integrationId}: integrations are not available`;
    const endpoint = await this.o.resolveIntegration(organizationId, integrationId);
    return endpoint ?? `webhook integration ${integrationId} not found`;
  }
}
