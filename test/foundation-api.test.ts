import { foundationApiSuite } from './suites/foundation-api.js';

foundationApiSuite('sqlite');
