import { onPostgres } from '../helpers/services.js';
import { foundationApiSuite } from '../suites/foundation-api.js';

onPostgres('foundation API', () => foundationApiSuite('postgres'));
