/**
 * Topic patterns of MQTT integrations: an MQTT filter whose levels may hold placeholders. `{device_id}` is a
 * whole level, `dev-{id}` a part of one; both subscribe as `+` and capture the level's text when a message
 * arrives. `+` and `#` keep their MQTT meaning. The prefix of the integration is joined in front.
 */

export class TopicPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicPatternError';
  }
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

type LevelMatcher =
  | { kind: 'literal'; text: string }
  | { kind: 'plus' }
  | { kind: 'hash' }
  | { kind: 'capture'; regex: RegExp; names: string[] };

export interface CompiledTopic {
  /** The pattern as written, prefix joined (`/v3/applications/{application_id}/business-events`). */
  pattern: string;
  /** The MQTT filter to subscribe to (`/v3/applications/+/business-events`). */
  filter: string;
  placeholders: string[];
  /** The placeholders' values when the topic matches, or null. */
  match(topic: string): Record<string, string> | null;
}

/** Joins the integration prefix and a topic: `/v3/applications` + `{id}/events` → `/v3/applications/{id}/events`. */
export function joinTopic(prefix: string, topic: string): string {
  if (!prefix) return topic;
  return `${prefix.replace(/\/+$/, '')}/${topic.replace(/^\/+/, '')}`;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileTopic(prefix: string, topic: string): CompiledTopic {
  const pattern = joinTopic(prefix, topic);
  if (pattern.length === 0) throw new TopicPatternError('is empty');
  if (Buffer.byteLength(pattern) > 65_535) throw new TopicPatternError('is longer than 65535 bytes');
  if (pattern.includes('\u0000')) throw new TopicPatternError('contains a NUL character');
  if (pattern.startsWith('$share/') || pattern.startsWith('$queue/'))
    throw new TopicPatternError('give the topic without $share/…: use topics.use_shared and topics.shared_group');
  const levels = pattern.split('/');
  const matchers: LevelMatcher[] = [];
  const filterLevels: string[] = [];
  const placeholders: string[] = [];
  levels.forEach((level, i) => {
    if (level === '#') {
      // [MQTT-4.7.1-2] the multi-level wildcard is the last character of the filter, alone in its level.
      if (i !== levels.length - 1) throw new TopicPatternError("'#' must be the last level");
      matchers.push({ kind: 'hash' });
      filterLevels.push('#');
      return;
    }
    if (level === '+') {
      matchers.push({ kind: 'plus' });
      filterLevels.push('+');
      return;
    }
    // [MQTT-4.7.1-3] '+' occupies an entire level; '#' likewise.
    if (level.includes('+') || level.includes('#'))
      throw new TopicPatternError(`level '${level}': '+' and '#' must stand alone in a level`);
    const names: string[] = [];
    let regex = '';
    let last = 0;
    for (const m of level.matchAll(PLACEHOLDER)) {
      const name = m[1] as string;
      if (placeholders.includes(name) || names.includes(name))
        throw new TopicPatternError(`placeholder {${name}} appears twice`);
      regex += `${escapeRegex(level.slice(last, m.index))}(.+?)`;
      names.push(name);
      last = (m.index ?? 0) + m[0].length;
    }
    const rest = level.slice(last);
    if (rest.includes('{') || rest.includes('}') || level.slice(0, last).replace(PLACEHOLDER, '').match(/[{}]/))
      throw new TopicPatternError(`level '${level}': a placeholder is {name} (letters, digits, _)`);
    if (names.length === 0) {
      matchers.push({ kind: 'literal', text: level });
      filterLevels.push(level);
      return;
    }
    placeholders.push(...names);
    matchers.push({ kind: 'capture', regex: new RegExp(`^${regex}${escapeRegex(rest)}$`, 's'), names });
    filterLevels.push('+');
  });
  const filter = filterLevels.join('/');
  return {
    pattern,
    filter,
    placeholders,
    match: (topic) => matchTopic(matchers, topic),
  };
}

function matchTopic(matchers: LevelMatcher[], topic: string): Record<string, string> | null {
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with '$' ($SYS/…).
  const first = matchers[0];
  if (topic.startsWith('$') && first && first.kind !== 'literal' && first.kind !== 'capture') return null;
  const levels = topic.split('/');
  const values: Record<string, string> = {};
  for (let i = 0; i < matchers.length; i++) {
    const m = matchers[i] as LevelMatcher;
    const level = levels[i];
    switch (m.kind) {
      case 'hash':
        return values; // '#' also matches the parent level itself [MQTT-4.7.1-2]
      case 'literal':
        if (level !== m.text) return null;
        break;
      case 'plus':
        if (level === undefined) return null;
        break;
      case 'capture': {
        if (level === undefined) return null;
        const found = m.regex.exec(level);
        if (!found) return null;
        m.names.forEach((name, j) => {
          values[name] = found[j + 1] as string;
        });
        break;
      }
    }
  }
  return levels.length === matchers.length ? values : null;
}

/** `$share/{group}/{filter}` ([MQTT-4.8.2]; Mosquitto, EMQX and HiveMQ honour it for MQTT 3.1.1 clients too). */
export const sharedFilter = (group: string, filter: string): string => `$share/${group}/${filter}`;

/**
 * Fills `{name}` placeholders of a template (a republish topic, a device id) from a message's values;
 * answers null naming the first missing one.
 */
export function fillTemplate(
  template: string,
  values: Record<string, string>,
): { ok: true; text: string } | { ok: false; missing: string } {
  let missing: string | null = null;
  const text = template.replace(PLACEHOLDER, (_, name: string) => {
    const v = values[name];
    if (v === undefined) {
      missing ??= name;
      return '';
    }
    return v;
  });
  return missing === null ? { ok: true, text } : { ok: false, missing };
}

/** Placeholder names used by a template. */
export const templateNames = (template: string): string[] =>
  [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);

export const isPlaceholderName = (name: string): boolean => PLACEHOLDER_NAME.test(name);

/** Why a topic name (to publish to) is not valid, or null. */
export function topicNameProblem(topic: string): string | null {
  if (topic.length === 0) return 'is empty';
  // [MQTT-3.3.2-2] a PUBLISH topic name must not contain wildcards.
  if (topic.includes('+') || topic.includes('#')) return "must not contain '+' or '#'";
  if (topic.includes('\u0000')) return 'contains a NUL character';
  if (Buffer.byteLength(topic) > 65_535) return 'is longer than 65535 bytes';
  return null;
}
