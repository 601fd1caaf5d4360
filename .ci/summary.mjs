// Sums vitest JSON reports into the one closing line CI reads: "tests: N passed, N failed, N skipped".
// Before it, names every test that did not pass and every file that failed outside a test (a crashed worker,
// an error in a hook), so that a red or partial run says where to look.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.error(`no report at ${file}: that tier did not run`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  for (const suite of r.testResults ?? []) {
    const name = relative(process.cwd(), suite.name);
    const tests = suite.assertionResults ?? [];
    // A file that failed with no failing test failed outside one; it counts once. (numFailedTestSuites would
    // also count the file and every describe block around a failing test.)
    if (suite.status === 'failed' && !tests.some((t) => t.status === 'failed')) {
      failed++;
      console.error(`${name}: ${(suite.message || 'failed outside a test').split('\n')[0]}`);
    }
    for (const t of tests) if (t.status !== 'passed') console.error(`${t.status}: ${name} › ${t.fullName}`);
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
