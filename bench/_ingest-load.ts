/**
 * Load generator for bench/ingest.ts, run as its own process: N MQTT connections, each keeping W QoS 1
 * publishes of 5 points in flight for D seconds. Prints one JSON line: acknowledged messages per device
 * (so the caller can check for loss) and publish→PUBACK latency percentiles.
 */
import mqtt from 'mqtt';

const [url, credentialsJson, durationS, windowSize, topicTemplate] = process.argv.slice(2);
const creds = JSON.parse(credentialsJson ?? '[]') as { id: string; username: string }[];
const duration = Number(durationS) * 1000;
const window = Number(windowSize);

const latencies: number[] = [];
const acked: Record<string, number> = {};
const base = Date.now() - 30 * 86_400_000;
let stop = false;

const clients = await Promise.all(
  creds.map((c) =>
    mqtt.connectAsync(url as string, {
      username: c.username,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      keepalive: 120,
    }),
  ),
);
const started = performance.now();
setTimeout(() => (stop = true), duration);

await Promise.all(
  creds.map(async (c, i) => {
    const client = clients[i] as mqtt.MqttClient;
    const topic = (topicTemplate ?? '').replace('{id}', c.id);
    let seq = 0;
    acked[c.id] = 0;
    const worker = async () => {
      while (!stop) {
        const n = seq++;
        const payload = JSON.stringify({
          ts: base + n,
          values: {
            temperature: 20 + (n % 17) / 3,
            humidity: 40 + (n % 11),
            pressure: 1.01 + (n % 5) / 100,
            vibration: (n % 13) / 10,
            running: n % 2 === 0,
          },
        });
        const t0 = performance.now();
        await client.publishAsync(topic, payload, { qos: 1 });
        if (latencies.length < 2_000_000) latencies.push(performance.now() - t0);
        acked[c.id] = (acked[c.id] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
  }),
);
const elapsed = (performance.now() - started) / 1000;
await Promise.all(clients.map((c) => c.endAsync()));
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
const messages = Object.values(acked).reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ elapsed, messages, acked, p50: pct(0.5), p99: pct(0.99) }));
