import { rulesAlertsSuite } from './suites/rules-alerts.js';

rulesAlertsSuite('sqlite');
