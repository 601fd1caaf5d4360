/** A short state word with its colour: online/offline, severities, alert and integration states. */
export function Badge({ value, title }: { value: string; title?: string }) {
  return (
    <span className={`badge badge-${value.replace(/[^a-z_]/gi, '')}`} title={title}>
      {value.replace(/_/g, ' ')}
    </span>
  );
}
