import { ApiError, messageOf } from '../api/problem.js';

/** What went wrong, in the server's words: its `detail`, and each field it named. */
export function ProblemMessage({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const fields = error instanceof ApiError ? error.errors : [];
  return (
    <div className="problem" role="alert">
      <p>{messageOf(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={`${f.field}:${f.message}`}>
              <code>{f.field}</code> {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
