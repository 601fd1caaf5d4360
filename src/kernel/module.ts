/** A long-lived part of the app. start() may connect or listen; stop() drains and closes, and is idempotent. */
export interface Lifecycle {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
