import { type ReactNode, useState } from 'react';

interface Props {
  children: ReactNode;
  confirm: string;
  onConfirm: () => void;
  disabled?: boolean;
}

/** A destructive action in two steps: the first click asks, the second does it. */
export function ConfirmButton({ children, confirm, onConfirm, disabled }: Props) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>
        {children}
      </button>
    );
  return (
    <span className="confirm">
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
