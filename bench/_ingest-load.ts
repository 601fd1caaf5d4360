/**
 * Load generator for bench/ingest.ts, run as its own process: N MQTT connections, each keeping W QoS 1
 * publishes of 5 points in flight for D seconds. Prints one JSON line: acknowledged messages per device
 * (so the caller can check for loss) and publish→PUBACK latency percentiles.
 * With a sixth argument R (messages/s in all), it is an open loop instead: each connection publishes on its
 * own schedule at R/N per second whatever the answers, so latency is measured at that offered load (a slow
 * PUBACK does not slow the senders down and hide itself).
 */
import mqtt from 'mqtt';

const [url, credentialsJson, durationS, windowSize, topicTemplate, rateArg] = process.argv.slice(2);
const rate = Number(rateArg ?? 0);
const creds = JSON.parse(credentialsJson ?? '[]') as { id: string; username: string }[];
const duration = Number(durationS) * 1000;
const window = Number(windowSize);

const latencies: number[] = [];
const acked: Record<string, number> = {};
// The open-loop run writes its own time range, so that it never resends a point of the saturation run before it.
const base = Date.now() - (rate > 0 ? 15 : 30) * 86_400_000;
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
const cpuAtStart = process.cpuUsage();
// The parent samples the server's CPU time between these two marks: the same window as the figures here.
console.log('MARK start');
setTimeout(() => (stop = true), duration);

const publishers = creds.map((c, i) => {
  const client = clients[i] as mqtt.MqttClient;
  const topic = (topicTemplate ?? '').replace('{id}', c.id);
  let seq = 0;
  acked[c.id] = 0;
  return async () => {
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
  };
});

if (rate > 0) {
  // Open loop: one ticker sends every message that is due by now, round-robin over the connections (one
  // timer per message would cost the generator more than the broker spends on it).
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  while (!stop) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) inFlight.push((publishers[sent % publishers.length] as () => Promise<void>)());
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inFlight);
} else {
  await Promise.all(
    publishers.map(async (publish) => {
      const worker = async () => {
        while (!stop) await publish();
      };
      await Promise.all(Array.from({ length: window }, worker));
    }),
  );
}
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
console.log('MARK stop');
await Promise.all(clients.map((c) => c.endAsync()));
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
const messages = Object.values(acked).reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ elapsed, messages, acked, p50: pct(0.5), p99: pct(0.99), cpuUs: cpu.user + cpu.system }));
