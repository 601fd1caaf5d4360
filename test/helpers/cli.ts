import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'fieldline.js');

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Env for a child Fieldline: nothing from the test runner's FIELDLINE_* variables leaks in. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FIELDLINE_')));
  return { ...base, FIELDLINE_LOG_LEVEL: 'warn', FIELDLINE_HTTP_HOST: '127.0.0.1', ...env };
}

/** Runs a one-shot CLI command to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts `fieldline serve` (HTTP on port 0 unless env says otherwise) and resolves once the banner shows the
 * URL it listens on and /health answers.
 */
export async function startServe(
  env: Record<string, string>,
  cwd = ROOT,
  /** Options for node itself (NODE_OPTIONS refuses some, --cpu-prof among them). */
  nodeArgs: string[] = [],
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve'], {
    env: childEnv({ FIELDLINE_HTTP_PORT: '0', FIELDLINE_MQTT_PORT: '0', ...env }),
    cwd,
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /HTTP API\s+(http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`fieldline serve exited (${code}) before listening:\n${out}`));
    });
  });
  for (;;) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
