import { useId } from 'react';
import { CopyButton } from './CopyButton.js';

interface Props {
  title: string;
  label: string;
  secret: string;
  onDone: () => void;
}

/** A secret the server shows exactly once (device token, API key, generated password). */
export function ShownOnce({ title, label, secret, onDone }: Props) {
  const id = useId();
  return (
    <section className="shown-once" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      <p className="warning">
        <strong>Shown once.</strong> Copy it now and keep it somewhere safe: Fieldline stores only a hash and cannot
        show it again.
      </p>
      <div className="secret-row">
        <label>
          {label}
          <input readOnly value={secret} className="secret" onFocus={(e) => e.currentTarget.select()} />
        </label>
        <CopyButton text={secret} />
      </div>
      <button type="button" onClick={onDone}>
        I have saved it
      </button>
    </section>
  );
}
