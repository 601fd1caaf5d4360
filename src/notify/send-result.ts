/** What one attempt on any channel came to; the worker turns it into delivered, retry, dead or deferred. */
export type SendResult =
  | {
      ok: true;
      detail: string;
      /** HTTP status of a webhook or ntfy answer. */
      status?: number;
      /** Where an email went: an SMTP server, or the built-in mailbox. */
      transport?: 'smtp' | 'mailbox';
    }
  | {
      ok: false;
      error: string;
      /** No retry can succeed without a change (refused target, recipient rejected, content too large). */
      permanent: boolean;
      status?: number;
      retryAfterMs?: number;
      /** Not attempted: the per-URL rate limit allows the next send in this many ms. */
      rateLimitedMs?: number;
    };

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Rejects when the signal aborts: for clients (nodemailer) that cannot be cancelled themselves. */
export function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
