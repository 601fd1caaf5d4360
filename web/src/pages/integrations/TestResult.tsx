import type { IntegrationTestResult } from '../../api/types.js';

/** What a connection test found, in the server's words. */
export function TestResult({ result }: { result: IntegrationTestResult }) {
  return (
    <div className={result.status === 'success' ? 'test-ok' : 'problem'} role="status">
      <p>
        <strong>{result.status === 'success' ? 'Connection works.' : 'Connection failed.'}</strong> {result.message}
      </p>
      {result.error_kind && (
        <p className="sub">
          Kind: {result.error_kind}
          {result.connack_code !== null ? `, CONNACK ${result.connack_code}` : ''}
        </p>
      )}
      <p className="sub">{result.duration_ms} ms</p>
    </div>
  );
}
