import { type Command, InvalidArgumentError, Option } from 'commander';
import type { SimulatorAuth } from './fleet.js';
import { ProgressReporter, summary } from './progress.js';
import { Simulation } from './simulator.js';

interface SimulateFlags {
  devices: number;
  rate: number;
  url: string;
  mqttUrl?: string;
  username: string;
  password?: string;
  token?: string;
  duration?: number;
  prefix: string;
  topicPrefix: string;
  qos: '0' | '1';
  interval: number;
}

const positive =
  (what: string, integer: boolean, max: number) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > max || (integer && !Number.isInteger(n)))
      throw new InvalidArgumentError(`${what} must be a ${integer ? 'whole ' : ''}number above 0 and at most ${max}`);
    return n;
  };

/** The embedded broker's usual address: the API host on port 1883. */
const defaultMqttUrl = (httpUrl: string) => `mqtt://${new URL(httpUrl).hostname}:1883`;

/** `fieldline simulate`: a fleet of simulated devices for demos, rule testing and load. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'create simulated devices through the API and publish realistic telemetry over MQTT ' +
        '(temperature, humidity, pressure, vibration); Ctrl-C stops',
    )
    .option('-d, --devices <n>', 'number of devices', positive('--devices', true, 100_000), 10)
    .option(
      '-r, --rate <n>',
      'messages per second, all devices together (4 points each)',
      positive('--rate', false, 1_000_000),
      10,
    )
    .option('--url <url>', 'Fieldline HTTP URL', 'http://127.0.0.1:8080')
    .option('--mqtt-url <url>', 'MQTT URL the devices connect to (default: the --url host, port 1883)')
    .option('-u, --username <name>', 'log in as this user (an admin: devices are created)', 'admin')
    .addOption(new Option('-p, --password <password>', 'password for --username').env('FIELDLINE_API_PASSWORD'))
    .addOption(
      new Option('-t, --token <token>', 'an API key or access token (admin role) instead of logging in').env(
        'FIELDLINE_API_TOKEN',
      ),
    )
    .option(
      '--duration <seconds>',
      'stop after this many seconds (default: until Ctrl-C)',
      positive('--duration', false, 31_536_000),
    )
    .option('--prefix <prefix>', 'device id prefix; devices that exist are reused', 'sim-')
    .option('--topic-prefix <prefix>', "the server's FIELDLINE_TOPIC_PREFIX", 'fieldline')
    .addOption(new Option('--qos <qos>', 'MQTT QoS of the telemetry').choices(['0', '1']).default('1'))
    .option(
      '--interval <seconds>',
      'progress line every … seconds when not on a terminal',
      positive('--interval', false, 3600),
      5,
    )
    .action(async (flags: SimulateFlags) => {
      const auth: SimulatorAuth | null = flags.token
        ? { token: flags.token }
        : flags.password
          ? { username: flags.username, password: flags.password }
          : null;
      if (!auth) throw new Error('give --password (or FIELDLINE_API_PASSWORD), or --token (or FIELDLINE_API_TOKEN)');
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) process.exit(130); // a second Ctrl-C does not wait for the drain
        process.stderr.write('\nstopping: waiting for the last acknowledgements (Ctrl-C again to quit now)\n');
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const simulation = new Simulation({
        url: flags.url,
        mqttUrl: flags.mqttUrl ?? defaultMqttUrl(flags.url),
        auth,
        devices: flags.devices,
        rate: flags.rate,
        durationS: flags.duration ?? null,
        prefix: flags.prefix,
        topicPrefix: flags.topicPrefix,
        qos: flags.qos === '0' ? 0 : 1,
        signal: stop.signal,
      });
      try {
        const devices = await simulation.prepare();
        const reused = devices.filter((d) => !d.created).length;
        process.stdout.write(
          `${devices.length} device(s) ready (${devices.length - reused} created, ${reused} reused), ` +
            `${simulation.snapshot().connected} connected; publishing ${flags.rate} msg/s\n`,
        );
        const progress = new ProgressReporter(process.stdout);
        const stats = await simulation.run(
          (s) => progress.update(s),
          progress.interactive ? 250 : flags.interval * 1000,
        );
        progress.finish();
        process.stdout.write(
          summary(
            stats,
            devices.map((d) => d.id),
            flags.rate,
          ),
        );
        if (stats.acked === 0) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
