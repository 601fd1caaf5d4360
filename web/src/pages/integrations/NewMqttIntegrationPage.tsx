import { type FormEvent, useState } from 'react';
import { ApiError } from '../../api/problem.js';
import type { IntegrationTestResult } from '../../api/types.js';
import { CheckboxField, SelectField, TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { Link, navigate } from '../../router.js';
import { useSession } from '../../session/session.js';
import { emptyMqttForm, type MqttForm, mqttConfig } from './mqtt-config.js';
import { TestResult } from './TestResult.js';

/** Connects an external MQTT broker: test the settings, then save; subscriptions are added on its page. */
export function NewMqttIntegrationPage() {
  const { api } = useSession();
  const [form, setForm] = useState<MqttForm>(emptyMqttForm);
  const [error, setError] = useState<unknown>(null);
  const [test, setTest] = useState<IntegrationTestResult | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<MqttForm>) => setForm((f) => ({ ...f, ...patch }));
  const msg = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const created = await api.integrations.create({ type: 'mqtt', name: form.name.trim(), config: mqttConfig(form) });
      navigate(`/integrations/${encodeURIComponent(created.id)}`, { replace: true });
    });
  };

  return (
    <section aria-labelledby="new-integration-title">
      <p>
        <Link to="/integrations">← Integrations</Link>
      </p>
      <h1 id="new-integration-title">New MQTT integration</h1>
      <form className="panel" onSubmit={submit} aria-label="MQTT integration">
        <TextField
          label="Name"
          required
          value={form.name}
          error={msg('name')}
          onChange={(e) => set({ name: e.target.value })}
        />
        <fieldset>
          <legend>Broker</legend>
          <div className="grid">
            <TextField
              label="Host"
              required
              value={form.host}
              error={msg('config.broker.host')}
              onChange={(e) => set({ host: e.target.value })}
            />
            <TextField
              label="Port"
              type="number"
              min={1}
              max={65535}
              value={form.port}
              error={msg('config.broker.port')}
              onChange={(e) => set({ port: e.target.value })}
            />
            <TextField
              label="Username"
              autoComplete="off"
              value={form.username}
              error={msg('config.broker.username')}
              onChange={(e) => set({ username: e.target.value })}
            />
            <TextField
              label="Password"
              type="password"
              autoComplete="new-password"
              value={form.password}
              error={msg('config.broker.password')}
              hint="Encrypted at rest; never shown again"
              onChange={(e) => set({ password: e.target.value })}
            />
            <TextField
              label="Client id (optional)"
              value={form.client_id}
              error={msg('config.broker.client_id')}
              onChange={(e) => set({ client_id: e.target.value })}
            />
            <SelectField
              label="MQTT version"
              value={form.protocol_version}
              options={[
                { value: '4', label: '3.1.1' },
                { value: '5', label: '5.0' },
              ]}
              onChange={(e) => set({ protocol_version: e.target.value as MqttForm['protocol_version'] })}
            />
          </div>
          <CheckboxField
            label="TLS (mqtts)"
            checked={form.use_tls}
            onChange={(e) =>
              set({
                use_tls: e.target.checked,
                port:
                  e.target.checked && form.port === '1883'
                    ? '8883'
                    : !e.target.checked && form.port === '8883'
                      ? '1883'
                      : form.port,
              })
            }
          />
        </fieldset>
        <fieldset>
          <legend>Topics</legend>
          <div className="grid">
            <TextField
              label="Prefix (optional)"
              value={form.prefix}
              error={msg('config.topics.prefix')}
              hint="Joined in front of every subscription topic"
              onChange={(e) => set({ prefix: e.target.value })}
            />
            <TextField
              label="Default pattern (optional)"
              value={form.pattern}
              error={msg('config.topics.pattern')}
              hint="Topic of a subscription that names none, e.g. plant/{device_id}/data"
              onChange={(e) => set({ pattern: e.target.value })}
            />
            <SelectField
              label="Default QoS"
              value={form.qos}
              options={['0', '1', '2']}
              onChange={(e) => set({ qos: e.target.value as MqttForm['qos'] })}
            />
          </div>
        </fieldset>
        <ProblemMessage error={error} />
        {test && <TestResult result={test} />}
        <div className="buttons">
          <button
            type="button"
            disabled={busy}
            onClick={() => void run(async () => setTest(await api.integrations.testSettings('mqtt', mqttConfig(form))))}
          >
            Test connection
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Create integration
          </button>
        </div>
      </form>
    </section>
  );
}
