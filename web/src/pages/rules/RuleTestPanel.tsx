import { type FormEvent, useState } from 'react';
import { ApiError } from '../../api/problem.js';
import type { RuleTestResult, TraceNode } from '../../api/types.js';
import { TextAreaField, TextField } from '../../components/Field.js';
import { ProblemMessage } from '../../components/ProblemMessage.js';
import { useSession } from '../../session/session.js';

const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

function Trace({ node }: { node: TraceNode }) {
  const children = (node.children ?? []) as TraceNode[];
  return (
    <li>
      <span className={`trace trace-${String(node.result)}`}>
        {node.result === true ? 'holds' : node.result === false ? 'does not hold' : 'unknown'}
      </span>{' '}
      <code>{node.condition}</code>
      {node.detail && <div className="sub">{node.detail}</div>}
      {children.length > 0 && (
        <ul>
          {children.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the trace is rendered once per answer, in order
            <Trace key={i} node={c} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** POST /rules/{id}/test: evaluates the saved rule on a device, against a sample or the stored values. */
export function RuleTestPanel({ ruleId, defaultDevice }: { ruleId: string; defaultDevice: string }) {
  const { api } = useSession();
  const [deviceId, setDeviceId] = useState(defaultDevice);
  const [sample, setSample] = useState('');
  const [result, setResult] = useState<RuleTestResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    let data: Record<string, unknown> | undefined;
    if (sample.trim()) {
      try {
        data = JSON.parse(sample) as Record<string, unknown>;
      } catch (err) {
        setError(new ApiError(400, 'FORM', `The sample is not valid JSON: ${(err as Error).message}`));
        return;
      }
    }
    setBusy(true);
    try {
      setResult(
        await api.rules.test(ruleId, {
          ...(deviceId.trim() ? { device_id: deviceId.trim() } : {}),
          ...(data ? { data } : {}),
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="rule-test-title">
      <h2 id="rule-test-title">Test the saved rule</h2>
      <p className="hint">
        No alert is raised and nobody is notified. Without a sample the device's stored values are used.
      </p>
      <div className="grid">
        <TextField
          label="Device id"
          value={deviceId}
          onChange={(e) => setDeviceId(e.target.value)}
          hint="May be empty for a rule on one device"
        />
        <TextAreaField
          label="Sample (JSON, optional)"
          rows={2}
          className="code"
          placeholder='{"temperature": 95}'
          value={sample}
          onChange={(e) => setSample(e.target.value)}
        />
      </div>
      <ProblemMessage error={error} />
      <button type="submit" disabled={busy}>
        Test
      </button>
      {result && (
        <div className="test-result" role="status">
          <p>
            <strong>{result.would_fire ? 'Would fire' : 'Would not fire'}</strong> on <code>{result.device_id}</code> (
            {result.source}){result.message && <> — “{result.message}”</>}
          </p>
          {result.note && <p className="sub">{result.note}</p>}
          <ul className="trace-tree">
            <Trace node={result.trace} />
          </ul>
          {result.next_runs.length > 0 && <p className="sub">Next runs: {result.next_runs.join(', ')}</p>}
          {result.value !== null && result.value !== undefined && (
            <p className="sub">
              Value {show(result.value)}, threshold {show(result.threshold)}
            </p>
          )}
        </div>
      )}
    </form>
  );
}
