import { onPostgres } from '../helpers/services.js';
import { rulesAlertsSuite } from '../suites/rules-alerts.js';

onPostgres('rules and alerts', () => rulesAlertsSuite('postgres'));
