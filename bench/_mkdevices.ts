/** Helper for profiling by hand: creates N devices on a running Fieldline and prints their credentials JSON. */
import { apiCall } from '../test/helpers/app.js';

const [url, password, n] = process.argv.slice(2);
const token = (await apiCall(url as string, '/api/v1/auth/login', { body: { username: 'admin', password } })).body
  .access_token;
const creds: { id: string; username: string }[] = [];
for (let i = 0; i < Number(n); i++) {
  const r = await apiCall(url as string, '/api/v1/devices', { token, body: { id: `p-${i}`, name: `P ${i}` } });
  creds.push({ id: r.body.id, username: r.body.credentials.access_token });
}
console.log(JSON.stringify(creds));
