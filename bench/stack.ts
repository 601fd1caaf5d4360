/**
 * `npm run bench -- stack`: median time of `generate` and `download` (generate + ZIP) for the full catalog
 * with HTTPS and MQTT TLS, beside a reference measured in the same run: serializing the same files to JSON,
 * the least any answer carrying them costs. Prints one JSON line.
 */
import { bundleZip, ServiceCatalog, StackBuilder } from '../src/stack/index.js';

const ROUNDS = Number(process.argv[2] ?? 30);
const builder = new StackBuilder();
const request = {
  instances: new ServiceCatalog().ids().map((appId) => ({ appId })),
  settings: {
    reverse_proxy: { base_domain: 'plant.acme-iiot.com', enable_https: true, letsencrypt_email: 'ops@acme-iiot.com' },
    mqtt: { enable_tls: true },
  },
};

// The same stack without MQTT TLS: no certificates to issue (ECDSA keys, X.509 encoding).
const plain = { ...request, settings: { reverse_proxy: request.settings.reverse_proxy } };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const round = (x: number) => Math.round(x * 100) / 100;

// Warm-up: module loading (x509 on first TLS use) and JIT are not what a user waits for on the next request.
for (let i = 0; i < 5; i++) bundleZip((await builder.generate(request)).files, new Date());

const generate: number[] = [];
const download: number[] = [];
const reference: number[] = [];
const generatePlain: number[] = [];
let zipBytes = 0;
let files = 0;
for (let i = 0; i < ROUNDS; i++) {
  let t = performance.now();
  const bundle = await builder.generate(request);
  generate.push(performance.now() - t);
  t = performance.now();
  await builder.generate(plain);
  generatePlain.push(performance.now() - t);
  t = performance.now();
  JSON.stringify(bundle.files);
  reference.push(performance.now() - t);
  t = performance.now();
  const zip = bundleZip((await builder.generate(request)).files, new Date());
  download.push(performance.now() - t);
  zipBytes = zip.byteLength;
  files = bundle.files.length;
}

process.stdout.write(
  `${JSON.stringify({
    bench: 'stack',
    services: request.instances.length,
    files,
    rounds: ROUNDS,
    generate_median_ms: round(median(generate)),
    download_median_ms: round(median(download)),
    generate_without_tls_median_ms: round(median(generatePlain)),
    zip_bytes: zipBytes,
    reference_json_serialize_median_ms: round(median(reference)),
  })}\n`,
);
