/**
 * Publisher for bench/integrations.ts, run as its own process: N QoS 1 messages of 3 points, W in flight, to
 * `{base}/dev-{i % D}/telemetry`, as fast as the broker acknowledges them. Prints one JSON line.
 */
import mqtt from 'mqtt';

const [url, base, count, devices, windowSize, tsBase] = process.argv.slice(2);
const N = Number(count);
const D = Number(devices);
const W = Number(windowSize);
const T0 = Number(tsBase);

const client = await mqtt.connectAsync(url as string, { reconnectPeriod: 0, keepalive: 120, clean: true });
const started = performance.now();
let next = 0;
const worker = async () => {
  while (next < N) {
    const i = next++;
    const payload = JSON.stringify({
      ts: T0 + i,
      values: { temperature: 20 + (i % 17) / 3, pressure: 1 + (i % 5) / 100, running: i % 2 === 0 },
    });
    await client.publishAsync(`${base}/dev-${i % D}/telemetry`, payload, { qos: 1 });
  }
};
await Promise.all(Array.from({ length: W }, worker));
const elapsed = (performance.now() - started) / 1000;
await client.endAsync();
console.log(JSON.stringify({ published: N, elapsed }));
