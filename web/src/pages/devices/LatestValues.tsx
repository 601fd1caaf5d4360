import type { TelemetryPoint } from '../../api/types.js';
import { Time } from '../../components/Time.js';

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The newest value of every key the device sent. */
export function LatestValues({ values }: { values: Record<string, TelemetryPoint> }) {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return <p className="empty">No telemetry yet.</p>;
  return (
    <table className="latest">
      <caption className="visually-hidden">Latest values</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr key={k} data-key={k}>
            <th scope="row">{k}</th>
            <td className="value">{show(values[k]?.value)}</td>
            <td>
              <Time iso={values[k]?.ts} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
