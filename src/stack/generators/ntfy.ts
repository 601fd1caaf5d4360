import type { StackContext } from '../stack-context.js';
import { envVarOf } from '../stack-secrets.js';
import { writeScriptLibrary } from './script-library.js';

const TOPIC = 'stack-monitor';

/**
 * ntfy users (created with its CLI after start, since access control starts from deny-all) and
 * scripts/ntfy_monitor.sh, which watches `docker compose ps` and pushes a notification whenever a service
 * becomes unhealthy, stops, or recovers.
 */
export function configureNtfy(ctx: StackContext): void {
  const [ntfy] = ctx.wiring.byApp('ntfy');
  if (!ntfy) return;
  const env = ctx.service(ntfy.name).environment;
  const url = ctx.publicUrl(ntfy);
  if (url) env.set('NTFY_BASE_URL', url);
  writeScriptLibrary(ctx);
  const adminVar = envVarOf(ntfy.name, 'ADMIN_PASSWORD');
  const monitorVar = envVarOf(ntfy.name, 'MONITOR_PASSWORD');
  ctx.addFile(
    'scripts/ntfy_users.sh',
    [
      '#!/usr/bin/env bash',
      `# Creates the ntfy users \`admin\` and \`monitor\` (write access to the topic ${TOPIC}). Idempotent.`,
      'set -euo pipefail',
      '# shellcheck source=lib.sh',
      '. "$(dirname "$0")/lib.sh"',
      `ntfy_cmd() { docker compose exec -T -e NTFY_PASSWORD="$1" ${ntfy.name} ntfy "\${@:2}"; }`,
      `ntfy_cmd "$${adminVar}" user add --role=admin admin 2>/dev/null || ntfy_cmd "$${adminVar}" user change-pass admin`,
      `ntfy_cmd "$${monitorVar}" user add monitor 2>/dev/null || ntfy_cmd "$${monitorVar}" user change-pass monitor`,
      `ntfy_cmd "" access monitor ${TOPIC} rw`,
      `echo "ntfy users ready; subscribe to the topic ${TOPIC} as admin to get stack alerts"`,
      '',
    ].join('\n'),
    0o755,
  );
  ctx.postStart.push({ script: 'scripts/ntfy_users.sh', description: 'create the ntfy users admin and monitor' });
  ctx.addFile(
    'scripts/ntfy_monitor.sh',
    [
      '#!/usr/bin/env bash',
      `# Watches the stack and pushes to the ntfy topic ${TOPIC} when a service turns unhealthy, stops or recovers.`,
      '# Run it in the background on the Docker host:  nohup scripts/ntfy_monitor.sh >/dev/null 2>&1 &',
      '# Options: --once (one status message, then exit), INTERVAL=seconds (default 30).',
      'set -euo pipefail',
      '# shellcheck source=lib.sh',
      '. "$(dirname "$0")/lib.sh"',
      `TOPIC_URL="http://${ntfy.name}:80/${TOPIC}"`,
      `INTERVAL="\${INTERVAL:-30}"`,
      'notify() {',
      `  api_call -f -u "monitor:$${monitorVar}" -H "Title: $1" -H "Priority: $2" -H "Tags: $3" -d "$4" "$TOPIC_URL" >/dev/null || echo "ntfy unreachable: $1" >&2`,
      '}',
      "snapshot() { docker compose ps --all --format '{{.Service}} {{.State}} {{.Health}}' | sort; }",
      'previous="$(snapshot)"',
      `notify "${ctx.settings.projectName}: monitor started" default "eyes" "$previous"`,
      `[ "\${1:-}" = "--once" ] && exit 0`,
      'while sleep "$INTERVAL"; do',
      '  current="$(snapshot)"',
      '  if [ "$current" != "$previous" ]; then',
      '    changes="$(diff <(echo "$previous") <(echo "$current") | sed -n \'s/^> //p\')"',
      '    if grep -Eq \'unhealthy|exited|dead|restarting\' <<<"$changes"; then',
      `      notify "${ctx.settings.projectName}: service problem" high "warning" "$changes"`,
      '    else',
      `      notify "${ctx.settings.projectName}: services changed" default "white_check_mark" "$changes"`,
      '    fi',
      '    previous="$current"',
      '  fi',
      'done',
      '',
    ].join('\n'),
    0o755,
  );
  ctx.note(
    ntfy.name,
    `Users \`admin\` (${adminVar}) and \`monitor\` (${monitorVar}). Anonymous access is denied. scripts/ntfy_monitor.sh pushes stack alerts to the topic \`${TOPIC}\`.`,
  );
}
