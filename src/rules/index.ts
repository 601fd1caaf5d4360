export type { Condition, DeviceFacts, Sample, TraceNode, Witness } from './condition.js';
export { validTimezone } from './conditions-validator.js';
export {
  type AlertPort,
  type EngineStats,
  type FactSource,
  type PendingStore,
  type RestoredState,
  RuleEngine,
  type ScopeDevice,
} from './engine.js';
export { renderTemplate, showValue, TEMPLATE_VARIABLES } from './message-template.js';
export {
  type RuleAction,
  type RuleRecord,
  type RuleType,
  SEVERITIES,
  SEVERITY_RANK,
  type Severity,
} from './model.js';
export { RulesModule, type RulesModuleDeps } from './module.js';
export { type RuleRouteDeps, registerRuleRoutes } from './routes.js';
export { CompiledRule } from './rule-runtime.js';
export { type RuleInput, validateRule } from './rule-validator.js';
export { RuleService } from './service.js';
export { RuleStore } from './store.js';
export { secretContext as ruleSecretContext } from './views.js';
