/**
 * Compile-time contract between the server's TypeBox views and the UI's types (types.ts). Type-checked by
 * the root tsconfig (with Node's types, which the server files need), never bundled: when a view changes,
 * `npm run check` names the UI type that has to follow.
 */
import type { Static } from 'typebox';
import type { AlertView } from '../../../src/alerts/views.js';
import type { ApiKeyView, MemberView, OrganizationView } from '../../../src/auth/views.js';
import type { CommandView } from '../../../src/commands/views.js';
import type { DeviceView } from '../../../src/devices/views.js';
import type { TestResultView } from '../../../src/integrations/routes.js';
import type { ConnectionStatusView, IntegrationView, SubscriptionView } from '../../../src/integrations/views.js';
import type { RuleView } from '../../../src/rules/views.js';
import type { bundleView, reportView, serviceView, templateView } from '../../../src/stack/views.js';
import type {
  Alert,
  ApiKey,
  Command,
  ConnectionStatus,
  Device,
  Integration,
  IntegrationTestResult,
  Member,
  Organization,
  Rule,
  StackBundle,
  StackReport,
  StackService,
  StackTemplate,
  Subscription,
} from './types.js';

/** Both ways assignable: the same shape. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The server's answer fits what the UI reads (the UI reads a part of it). */
type Fits<Server, Ui> = [Server] extends [Ui] ? true : false;

type Check<T extends true> = T;

export type ViewContract = [
  Check<Same<Static<typeof DeviceView>, Device>>,
  Check<Same<Static<typeof AlertView>, Alert>>,
  Check<Same<Static<typeof RuleView>, Rule>>,
  Check<Same<Static<typeof CommandView>, Command>>,
  Check<Same<Static<typeof ConnectionStatusView>, ConnectionStatus>>,
  Check<Fits<Static<typeof IntegrationView>, Integration>>,
  Check<Same<Static<typeof SubscriptionView>, Subscription>>,
  Check<Same<Static<typeof TestResultView>, IntegrationTestResult>>,
  Check<Same<Static<typeof MemberView>, Member>>,
  Check<Same<Static<typeof ApiKeyView>, ApiKey>>,
  Check<Same<Static<typeof OrganizationView>, Organization>>,
  Check<Fits<ReturnType<typeof serviceView>, StackService>>,
  Check<Fits<ReturnType<typeof templateView>, StackTemplate>>,
  Check<Fits<ReturnType<typeof reportView>, Omit<StackReport, 'services'>>>,
  Check<Fits<ReturnType<typeof bundleView>, StackBundle>>,
];
